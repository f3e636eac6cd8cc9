import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { shippedModelsDir } from '../services/app-context';
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

describe('a release with a changed shipped model', () => {
  it('keeps the version a database had under a versioned name, says so once, and lists it as an earlier shipped version', async () => {
    // A copy of the shipped models in which the shared-layer teacher's file changes between two starts.
    const resources = join(tmp.dir, 'resources');
    mkdirSync(join(resources, 'models'), { recursive: true });
    for (const f of readdirSync(shippedModelsDir()).filter((x) => x.endsWith('.dlcm'))) copyFileSync(join(shippedModelsDir(), f), join(resources, 'models', f));
    const db = join(tmp.dir, 'upgrade.db');
    process.env.DELICATE_RESOURCES = resources;
    try {
      expect((await run('models', '--db', db, '--json')).err).toBe('');
      // Another file under its name (here the shipped student's, 1,583 steps against 451).
      copyFileSync(join(resources, 'models', 'delicate-base-student.dlcm'), join(resources, 'models', 'delicate-base-shared-teacher.dlcm'));
      const upgraded = await run('models', '--db', db, '--json');
      const kept = /kept as (delicate-base-shared-teacher-[0-9a-f]{10})/.exec(upgraded.err)?.[1];
      expect(kept, upgraded.err).toBeDefined();
      const list = (JSON.parse(upgraded.out) as { models: Array<{ name: string; steps: number; retired?: boolean; parent: string[] }> }).models;
      expect(list.find((m) => m.name === 'delicate-base-shared-teacher')).toMatchObject({ steps: 1583 });
      expect(list.find((m) => m.name === kept)).toMatchObject({ retired: true, steps: 451 });
      // The shipped student was made from the version the database had: its lineage follows it.
      expect(list.find((m) => m.name === 'delicate-base-student')?.parent).toEqual(['delicate-base-teacher', kept]);
      const again = await run('models', '--db', db);
      expect(again.err).toBe('');
      expect(again.out).toContain(`${kept} (earlier shipped version)`);
    } finally {
      delete process.env.DELICATE_RESOURCES;
    }
  });
});
