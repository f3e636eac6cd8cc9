import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppContext } from '../src-main/services/app-context';
import { corpusSlice, tempDir } from '../src-main/test/helpers';
import { delicate } from './_base';
import { continueTeacher, segmentsOf } from './_continue';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function parentOf(db: string, name: string): string[] {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    return app.models.get(name).parent;
  } finally {
    void app.close();
  }
}

describe("the base teacher's pretraining in segments that outlive a machine", () => {
  it('continues from the committed file of the last segment in a new database, and refuses a file that is not it', async () => {
    const corpus = join(tmp.dir, 'corpus.csv');
    writeFileSync(corpus, `smiles\n${corpusSlice(120).join('\n')}\n`);
    const dir = join(tmp.dir, 'segments');
    const first = join(tmp.dir, 'first.db');
    const tiny = ['--layers', '1', '--hidden', '16', '--heads', '2', '--ff', '32', '--batch', '8'];
    await delicate('pretrain', '--corpus', corpus, '--out', 'tiny', ...tiny, '--max-steps', '2', '--db', first);
    const opts = { corpus, base: 'tiny', steps: 2, dir, delicate };

    const s1 = await continueTeacher({ ...opts, db: first });
    expect(s1).toMatchObject({ segment: 1, name: 'tiny-long-s1', init: 'tiny', steps: 2, seed: 101 });
    expect(parentOf(first, 'tiny-long-s1')).toEqual(['tiny']);

    // A new machine: a database with the base model only (as every install registers the shipped one).
    const second = join(tmp.dir, 'second.db');
    await delicate('model', 'export', 'tiny', '--out', join(tmp.dir, 'tiny.dlcm'), '--db', first);
    await delicate('model', 'import', join(tmp.dir, 'tiny.dlcm'), '--db', second);
    const s2 = await continueTeacher({ ...opts, db: second });
    expect(s2).toMatchObject({ segment: 2, name: 'tiny-long-s2', init: 'tiny-long-s1', seed: 102 });
    expect(parentOf(second, 'tiny-long-s1')).toEqual(['tiny']);
    expect(parentOf(second, 'tiny-long-s2')).toEqual(['tiny-long-s1']);
    expect(segmentsOf(dir).map((s) => s.name)).toEqual(['tiny-long-s1', 'tiny-long-s2']);
    expect(s2.sha256).not.toBe(s1.sha256);

    writeFileSync(join(dir, 'tiny-long.dlcm'), 'not a model');
    await expect(continueTeacher({ ...opts, db: join(tmp.dir, 'third.db') })).rejects.toThrow(/not segment 2's file/);
  });
});
