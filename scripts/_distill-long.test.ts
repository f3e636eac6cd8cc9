import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppContext } from '../src-main/services/app-context';
import { corpusSlice, tempDir } from '../src-main/test/helpers';
import { delicate } from './_base';
import { continueTeacher } from './_continue';
import { distilledOf, distillLong } from './_distill-long';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function summaryOf(db: string, name: string): { parent: string[]; layers: number; shareLayers: boolean } {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    const m = app.models.get(name);
    return { parent: m.parent, layers: m.layers, shareLayers: m.shareLayers };
  } finally {
    void app.close();
  }
}

describe("the longer-trained teacher's distillations, one stage per call, outliving a machine", () => {
  it('distils the shared-layer teacher, then (on a new machine) the student, from the last segment and the committed files', async () => {
    const corpus = join(tmp.dir, 'corpus.csv');
    writeFileSync(corpus, `smiles\n${corpusSlice(120).join('\n')}\n`);
    const dir = join(tmp.dir, 'segments');
    const first = join(tmp.dir, 'first.db');
    const tiny = ['--layers', '2', '--hidden', '16', '--heads', '2', '--ff', '32', '--batch', '8'];
    await delicate('pretrain', '--corpus', corpus, '--out', 'tiny', ...tiny, '--max-steps', '2', '--db', first);
    const opts = { corpus, shared: 'tiny-shared', student: 'tiny-student', sharedSteps: 2, studentSteps: 2, studentFf: 16, studentLayers: 1, dir, delicate };
    await expect(distillLong({ ...opts, db: first })).rejects.toThrow(/no teacher segment/);
    await continueTeacher({ corpus, base: 'tiny', steps: 2, dir, delicate, db: first });

    const shared = await distillLong({ ...opts, db: first });
    expect(shared).toMatchObject({ stage: 'shared', name: 'tiny-shared-long', teacher: 'tiny-long-s1', init: 'tiny-long-s1', layers: 2, ff: 32, steps: 2 });
    expect(summaryOf(first, 'tiny-shared-long')).toMatchObject({ parent: ['tiny-long-s1'], layers: 2, shareLayers: true });

    // A new machine: nothing but the committed files (the teacher segment and the shared-layer teacher).
    const second = join(tmp.dir, 'second.db');
    const student = await distillLong({ ...opts, db: second });
    expect(student).toMatchObject({ stage: 'student', name: 'tiny-student-long', teacher: 'tiny-long-s1', init: 'tiny-shared-long', layers: 1, ff: 16 });
    expect(summaryOf(second, 'tiny-student-long').parent.sort()).toEqual(['tiny-long-s1', 'tiny-shared-long']);
    expect(distilledOf(dir).map((d) => d.name)).toEqual(['tiny-shared-long', 'tiny-student-long']);
    expect(await distillLong({ ...opts, db: second })).toBeNull();

    // A later teacher segment makes the distillations stale: refused, not silently mixed.
    await continueTeacher({ corpus, base: 'tiny', steps: 2, dir, delicate, db: second });
    await expect(distillLong({ ...opts, db: second })).rejects.toThrow(/distilled from tiny-long-s1, but the last teacher segment is tiny-long-s2/);
  });
});
