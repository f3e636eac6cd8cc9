import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedOnWorker } from '../screen/screen-pool';
import { EMBED_STEP, embed } from '../screen/scorer';
import { corpusSlice, registerScreenTestModels, sharedData, tempDir } from '../test/helpers';
import { AppContext, createHandlers } from './app-context';
import { importFile } from './import-service';

// Virtual screening (`vs`) against a DUD-E slice, with tiny models whose vocabulary comes from the corpus.
const tmp = tempDir();
const slice = corpusSlice(700);
let app: AppContext;

beforeAll(async () => {
  app = new AppContext(join(tmp.dir, 'vs.db'), { chemWorkers: 2 });
  await registerScreenTestModels(app.db, slice);
}, 120_000);

afterAll(async () => {
  await app.close();
  tmp.cleanup();
});

/** A DUD-E ADA slice as library 'ada' (imported once, by whichever test needs it first); its file's lines. */
let ada: Promise<string[]> | null = null;
function adaLibrary(): Promise<string[]> {
  ada ??= (async () => {
    const lines = readFileSync(sharedData('vs/dude_ada.csv'), 'utf8').trim().split('\n');
    // The file lists the actives first: 25 actives and the last 400 decoys.
    const file = join(tmp.dir, 'ada.csv');
    writeFileSync(file, `${[lines[0], ...lines.slice(1, 26), ...lines.slice(-400)].join('\n')}\n`);
    await importFile(app.db, app.chem, { file, library: 'ada' });
    return lines;
  })();
  return ada;
}

describe('virtual screening', () => {
  it('virtual screening on a DUD-E slice: ECFP, embedding, fusion and a classifier, with k-fold for self-queries', async () => {
    const lines = await adaLibrary();
    const ecfp = await app.vs.evaluate({ library: 'ada', labelCol: 'active', method: 'ecfp' });
    expect(ecfp.protocol).toMatch(/5-fold over the 25 query actives/);
    expect(ecfp.actives).toBe(5);
    expect(ecfp.metrics.rocAuc).toBeGreaterThan(0.7);
    for (const v of Object.values(ecfp.metrics)) expect(Number.isFinite(v)).toBe(true);

    const emb = await app.vs.evaluate({ library: 'ada', labelCol: 'active', method: 'embedding', embeddingModel: 'm1' });
    expect(emb.model).toBe('m1');
    expect(emb.metrics.rocAuc).toBeGreaterThan(0);
    const fusion = await app.vs.evaluate({ library: 'ada', labelCol: 'active', method: 'fusion', embeddingModel: 'm1' });
    expect(fusion.folds).toBe(5);

    // External actives file: its compounds are found in the library and handled by folds as well.
    const actives = join(tmp.dir, 'ada-actives.smi');
    writeFileSync(
      actives,
      `${lines
        .slice(1, 11)
        .map((l) => l.split(',')[0])
        .join('\n')}\n`,
    );
    const ext = await app.vs.evaluate({ library: 'ada', actives, method: 'ecfp' });
    expect(ext.protocol).toMatch(/5-fold over the 10 query actives/);

    // A classifier ranks by its probability (random weights here, so only the plumbing is checked).
    const clf = await app.vs.evaluate({ library: 'ada', labelCol: 'active', method: 'model', model: 'm2' });
    expect(clf).toMatchObject({ folds: 1, n: 425, actives: 25, model: 'm2' });
    await expect(app.vs.evaluate({ library: 'ada', labelCol: 'nope', method: 'ecfp' })).rejects.toThrow(/no usable 'nope' labels/);
  }, 120_000);

  it('virtual screening is a job: it reports each stage and fold, and cancels in the embedding and the ranking', async () => {
    await adaLibrary();
    const said: string[] = [];
    const emb = await app.vs.evaluate(
      { library: 'ada', labelCol: 'active', method: 'embedding', embeddingModel: 'm1', folds: 3 },
      { onProgress: (p) => said.push(`${p.message} [${p.done}/${p.total}]`) },
    );
    expect(emb.folds).toBe(3);
    expect(said[0]).toBe("reading the compounds and labels of 'ada' [0/1]");
    // The embedding reports the compounds it has been through (the library's and the 25 queries), then each fold.
    expect(said.slice(1, 3)).toEqual(['embedding 450 compounds with m1 [0/450]', 'embedding with m1: 450/450 [450/450]']);
    expect(said.slice(-3)).toEqual([
      'ranking 425 compounds (embedding): pass 1 of 3 [1/3]',
      'ranking 425 compounds (embedding): pass 2 of 3 [2/3]',
      'ranking 425 compounds (embedding): pass 3 of 3 [3/3]',
    ]);

    // Cancelled while ranking: the worker is stopped after the first fold.
    const ranking = new AbortController();
    const cancelAtPass = app.vs.evaluate(
      { library: 'ada', labelCol: 'active', method: 'ecfp' },
      { signal: ranking.signal, onProgress: (p) => p.message.endsWith('pass 1 of 5') && ranking.abort() },
    );
    await expect(cancelAtPass).rejects.toMatchObject({ code: 'CANCELLED', message: 'virtual-screening evaluation cancelled' });

    // Cancelled while embedding: the worker stops at its next step and releases the model before it is let go.
    const embedding = new AbortController();
    const vectors = embedOnWorker(app.models.encoderSpec('m1'), ['CCO', 'c1ccccc1O'], 'auto', { signal: embedding.signal });
    embedding.abort();
    await expect(vectors).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/^embedding cancelled: stopped after 0 of 2 compounds/) });
    await expect(app.vs.evaluate({ library: 'ada', labelCol: 'active', method: 'ecfp' }, { signal: embedding.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });

    // Over several steps: progress counts input SMILES (an unreadable one included), and a stop lands between steps.
    const n = EMBED_STEP * 2 + 5;
    const many = Array.from({ length: n }, (_, i) => (i === 7 ? 'C[Xe]C' : `${'C'.repeat(1 + (i % 12))}O`));
    const steps: number[] = [];
    const all = await embed(app.models.encoderSpec('m1'), many, 'auto', 1, { onProgress: (done, total) => steps.push(done / total) });
    expect(steps).toEqual([(EMBED_STEP + 1) / n, (2 * EMBED_STEP + 1) / n, 1]);
    expect(all.filter((v) => v === null)).toHaveLength(1);
    await expect(
      embed(app.models.encoderSpec('m1'), many, 'auto', 1, { onProgress: (done) => steps.push(done), stopped: () => steps.length > 3 }),
    ).rejects.toThrow(`stopped after ${EMBED_STEP + 1} of ${n} compounds`);

    // Through the API it is a job: its progress is stored and its outcome is the job's result.
    const { jobId } = await createHandlers(app)['screen.vs']({ library: 'ada', labelCol: 'active', method: 'ecfp', folds: 2 });
    await app.jobs.wait(jobId);
    const job = app.jobs.get(jobId);
    expect(job).toMatchObject({ kind: 'vs', state: 'done', result: { library: 'ada', method: 'ecfp', folds: 2 } });
  }, 120_000);
});
