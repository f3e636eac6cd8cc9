// SQL of the model repository against a real (in-memory) database.
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { KEEP_CHECKPOINTS, ModelRepo, manifestOf, metricsOf, parentsOf } from './model-repo';

const config = {
  layers: 2,
  hidden: 16,
  heads: 2,
  ff: 32,
  maxLen: 64,
  dropout: 0,
  shareLayers: false,
  vocabSize: 40,
  mlm: { tied: true },
  physchem: 0,
  task: null,
};
const manifest = { format: 'delicate-model-v1', config, tokenizer: { vocab: ['[PAD]'] }, physchem: null, training: { kind: 'pretrain' } };

function setup() {
  const db = openDatabase(':memory:');
  const repo = new ModelRepo(db);
  const create = (name: string, kind: 'pretrained' | 'baseline' = 'pretrained', parents: string[] = []) =>
    repo.create({ name, kind, state: 'training', manifest, params: 123, layers: 2, shareLayers: false, hidden: 16, parents, totalSteps: 10, jobId: null });
  return { db, repo, create };
}

describe('ModelRepo', () => {
  it('keeps the newest checkpoints with the progress they stand for, and drops them when the model is finished', () => {
    const { repo, create } = setup();
    const id = create('m');
    for (const step of [2, 4, 6, 8])
      repo.saveCheckpoint(id, { step, state: `{"step":${step}}`, weights: Buffer.from([step]), optimizer: Buffer.from([0]), totalSteps: 10 });
    expect(repo.latestCheckpoint(id)).toMatchObject({ step: 8, state: '{"step":8}' });
    expect(repo.byName('m')).toMatchObject({ steps: 8, totalSteps: 10, state: 'training', jobId: null });
    const kept = (repo as unknown as { db: ReturnType<typeof openDatabase> }).db
      .prepare('SELECT step FROM checkpoints WHERE model_id = ? ORDER BY step')
      .all(id) as Array<{ step: number }>;
    expect(kept.map((r) => r.step)).toEqual([6, 8].slice(-KEEP_CHECKPOINTS));
    repo.finish(id, { weights: Buffer.from([1, 2, 3]), metrics: { acc: 0.5, r2: null }, steps: 10 });
    expect(repo.latestCheckpoint(id)).toBeNull();
    const row = repo.byName('m');
    expect(row).toMatchObject({ state: 'ready', steps: 10 });
    expect(metricsOf(row as NonNullable<typeof row>)).toEqual({ acc: 0.5, r2: null });
    expect([...(repo.weights(id) as Buffer)]).toEqual([1, 2, 3]);
  });

  it('ready() gives a finished model typed, and says why another cannot be used', () => {
    const { repo, create } = setup();
    expect(() => repo.ready('absent', { role: 'teacher' })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: "no teacher named 'absent'", details: { model: 'absent', remedy: 'list-models' } }),
    );
    const id = create('half');
    expect(() => repo.ready('half')).toThrow(expect.objectContaining({ code: 'CONFLICT', message: "model 'half' is not finished (training)" }));
    repo.finish(id, { weights: Buffer.from([9]), metrics: {}, steps: 10 });
    const ready = repo.ready('half', { kinds: ['pretrained', 'shared'] });
    expect(ready.manifest.config.layers).toBe(2);
    expect([...ready.weights]).toEqual([9]);
    const forest = create('rf', 'baseline');
    repo.finish(forest, { weights: Buffer.from([1]), metrics: {}, steps: 0 });
    expect(() => repo.ready('rf', { role: 'teacher', kinds: ['pretrained', 'teacher'], need: 'not a transformer' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: "teacher 'rf' is an ECFP4 forest baseline, not a transformer" }),
    );
  });

  it('lists in creation order, reads lineage and manifests, stores ONNX graphs, deletes with the checkpoints', () => {
    const { db, repo, create } = setup();
    const a = create('a');
    create('b', 'pretrained', ['a']);
    expect(repo.list().map((r) => r.name)).toEqual(['a', 'b']);
    expect(parentsOf(repo.byName('b') as NonNullable<ReturnType<ModelRepo['byName']>>)).toEqual(['a']);
    expect(manifestOf(repo.byName('a') as NonNullable<ReturnType<ModelRepo['byName']>>)).toEqual(manifest);
    expect(repo.onnx(a)).toBeNull();
    repo.setOnnx(a, new Uint8Array([7, 7]));
    expect([...(repo.onnx(a) as Buffer)]).toEqual([7, 7]);
    repo.saveCheckpoint(a, { step: 1, state: '{}', weights: Buffer.from([1]), optimizer: Buffer.from([1]), totalSteps: 10 });
    repo.setState(a, 'cancelled');
    expect(repo.byName('a')).toMatchObject({ state: 'cancelled' });
    repo.delete(a);
    expect(repo.byName('a')).toBeNull();
    expect(db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get()).toEqual({ n: 0 });
    // Names are unique.
    expect(() => create('b')).toThrow(/UNIQUE/);
  });
});
