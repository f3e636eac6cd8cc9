import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { main } from './main';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function run(...args: string[]) {
  const io = { out: '', err: '' };
  const code = await main(args, { out: (s) => (io.out += s), err: (s) => (io.err += s), isTTY: false });
  return { code, ...io };
}

describe('delicate model rename', () => {
  it('renames with --json, names the model in its errors, and a renamed shipped model is registered again next time', async () => {
    const db = join(tmp.dir, 'cli.db');
    // The shipped ESOL student: a distilled task model (its recipe's `distill` is a flag, not a teacher).
    const r = await run('model', 'rename', 'delicate-esol-student', 'my-sol', '--db', db, '--json');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(JSON.parse(r.out)).toMatchObject({ from: 'delicate-esol-student', model: { name: 'my-sol', kind: 'student', task: { target: 'logS' } } });
    const models = JSON.parse((await run('models', '--db', db, '--json')).out) as { models: Array<{ name: string }> };
    expect(models.models.map((m) => m.name)).toEqual(expect.arrayContaining(['my-sol', 'delicate-esol-student']));
    const gone = await run('model', 'rename', 'nothing', 'x', '--db', db);
    expect([gone.code, gone.err]).toEqual([1, expect.stringMatching(/no model named 'nothing'/)]);
    const taken = await run('model', 'rename', 'my-sol', 'delicate-base-teacher', '--db', db);
    expect([taken.code, taken.err]).toEqual([1, expect.stringMatching(/'delicate-base-teacher' already exists/)]);
    const usage = await run('model', 'rename', 'my-sol', '--db', db);
    expect([usage.code, usage.err]).toEqual([2, expect.stringMatching(/NAME and its NEW name/)]);
  });
});
