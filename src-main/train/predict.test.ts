import { beforeAll, describe, expect, it } from 'vitest';
import { disposeModel } from '../model/encoder';
import { initTf, tf } from '../model/tf/backend';
import { SmilesTokenizer } from '../model/tokenizer';
import { packTensors } from '../model/weights-tf';
import { predictTask, taskModelFrom } from './finetune';
import { predictWith } from './predict';
import type { TaskModelSpec } from './predict-types';

const SMILES = ['CCO', 'c1ccccc1O', 'CC(=O)Oc1ccccc1C(=O)O', 'CN1CCC[C@H]1c1cccnc1', 'not a molecule', 'CCN(CC)CC'];

describe('TF.js inference', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('leaves no tensor behind: a model predicting, and the prediction path that builds, uses and drops one', async () => {
    const tokenizer = SmilesTokenizer.fromCorpus(SMILES);
    const config = {
      vocabSize: tokenizer.size,
      maxLen: 64,
      layers: 2,
      hidden: 16,
      heads: 2,
      ff: 32,
      dropout: 0,
      shareLayers: false,
      mlm: null,
      physchem: 0,
      task: null,
    };
    const model = taskModelFrom(config, null, 'regression', 1);
    const seqs = SMILES.slice(0, 4).map((s) => {
      const e = tokenizer.encode(s, 64);
      if (!e.ok) throw new Error(s);
      return e.ids;
    });
    await predictTask(model, seqs, null);
    const held = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await predictTask(model, seqs, { mean: 1, sd: 2 });
    expect(tf.memory().numTensors).toBe(held);

    const spec: TaskModelSpec = {
      name: 'tiny',
      config: model.config,
      tokenizer: tokenizer.toJSON(),
      weights: new Uint8Array(packTensors(model.params)),
      task: { target: 'y', type: 'regression', norm: { mean: 0, sd: 1 } },
      domain: ['CCO'],
    };
    disposeModel(model);
    const before = tf.memory().numTensors;
    const first = await predictWith(spec, SMILES, 'tfjs');
    expect(tf.memory().numTensors).toBe(before);
    const again = await predictWith(spec, SMILES, 'tfjs');
    expect(tf.memory().numTensors).toBe(before);
    // The same predictions each time; the unreadable input keeps its row with the reason.
    expect(again.rows.map((r) => r.prediction)).toEqual(first.rows.map((r) => r.prediction));
    expect(first.rows[4]).toMatchObject({ prediction: null, note: 'unparseable structure' });

    // A calibration by band of similarity to the training set: ethanol itself (similarity 1) gets the
    // narrow band's interval, the others (far from it) the wide one's.
    const bins = [
      { from: 0, n: 30, q: 2 },
      { from: 0.5, n: 30, q: 0.25 },
    ];
    const banded = await predictWith({ ...spec, calibration: { method: 'mondrian-conformal', level: 0.8, n: 60, halfWidth: 1, bins } }, SMILES, 'tfjs');
    for (const r of banded.rows.filter((x) => x.prediction !== null)) {
      const w = (r.maxSimilarity as number) >= 0.5 ? 0.25 : 2;
      expect(r.interval).toEqual({ level: 0.8, lower: (r.prediction as number) - w, upper: (r.prediction as number) + w });
    }
    expect(banded.rows[0]?.maxSimilarity).toBe(1);
    expect(banded.rows[1]?.maxSimilarity).toBeLessThan(0.5);
  }, 120_000);
});
