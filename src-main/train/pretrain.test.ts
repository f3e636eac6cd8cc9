import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-shared/random';
import { initTf, tf } from '../model/tf/backend';
import { MASK, SPECIAL_TOKENS } from '../model/tokenizer';
import { corpusSlice } from '../test/helpers';
import { paddingFraction } from '../model/batch';
import { DEFAULT_PRETRAIN, type PretrainSettings, Pretrainer, epochOrder, learningRate, maskBatch } from './pretrain';

const settings = (over: Partial<PretrainSettings> = {}): PretrainSettings => ({
  ...DEFAULT_PRETRAIN,
  architecture: { layers: 2, hidden: 32, heads: 2, ff: 64, maxLen: 128, dropout: 0.1, shareLayers: false },
  batch: 16,
  lr: 3e-3,
  maxSteps: 80,
  timeBudgetSeconds: null,
  heldOutEvery: 10,
  heldOutMax: 40,
  ...over,
});

describe('masking', () => {
  it('masks ~15% of real tokens, never [CLS]/[SEP]/padding, with the 80/10/10 split', () => {
    const seqs = Array.from({ length: 400 }, (_, i) => Int32Array.from([2, ...Array.from({ length: 20 + (i % 30) }, (_, j) => 5 + ((i * 7 + j) % 30)), 3]));
    const b = maskBatch(seqs, 40, 0.15, seededRandom(1));
    const real = seqs.reduce((n, s) => n + s.length - 2, 0);
    expect(b.positions.length / real).toBeGreaterThan(0.13);
    expect(b.positions.length / real).toBeLessThan(0.17);
    let masked = 0;
    let kept = 0;
    b.positions.forEach((pos, i) => {
      const j = pos % b.t;
      const row = Math.floor(pos / b.t);
      expect(j).toBeGreaterThan(0);
      expect(j).toBeLessThan((seqs[row] as Int32Array).length - 1);
      if (b.ids[pos] === MASK) masked++;
      else if (b.ids[pos] === b.labels[i]) kept++;
      else expect(b.ids[pos]).toBeGreaterThanOrEqual(SPECIAL_TOKENS.length);
    });
    expect(masked / b.positions.length).toBeGreaterThan(0.75);
    expect(masked / b.positions.length).toBeLessThan(0.85);
    expect(kept / b.positions.length).toBeGreaterThan(0.06);
    // Every molecule has at least one prediction target.
    expect(new Set(Array.from(b.positions, (p) => Math.floor(p / b.t))).size).toBe(400);
  });

  it('warms up linearly and decays to zero', () => {
    expect(learningRate(0, 100, 1, 0.1)).toBeCloseTo(0.1);
    expect(learningRate(9, 100, 1, 0.1)).toBeCloseTo(1);
    expect(learningRate(55, 100, 1, 0.1)).toBeCloseTo(0.5);
    expect(learningRate(100, 100, 1, 0.1)).toBe(0);
  });
});

describe('epoch order', () => {
  it('length pools cut padding; pool 1 is the plain seeded permutation earlier runs replay', () => {
    const lengths = corpusSlice(2000).map((smi) => smi.length);
    const b = 32;
    const batchesOf = (order: Int32Array) => Array.from({ length: Math.ceil(order.length / b) }, (_, k) => [...order.slice(k * b, (k + 1) * b)]);
    const plain = epochOrder(lengths, b, seededRandom(11), 1);
    const pooled = epochOrder(lengths, b, seededRandom(11), 8);
    // Both are permutations of the training set.
    for (const o of [plain, pooled]) expect([...o].sort((x, y) => x - y)).toEqual(lengths.map((_, i) => i));
    // Pool 1: the Fisher-Yates permutation runs stored before the setting were trained (and resume) with.
    const fy = Array.from({ length: lengths.length }, (_, i) => i);
    const rand = seededRandom(11);
    for (let i = fy.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [fy[i], fy[j]] = [fy[j] as number, fy[i] as number];
    }
    expect([...plain]).toEqual(fy);
    // Steps take whole pooled batches: padding falls to under half of random batches'.
    const padPlain = paddingFraction(lengths, batchesOf(plain));
    const padPooled = paddingFraction(lengths, batchesOf(pooled));
    expect(padPlain).toBeGreaterThan(0.25);
    expect(padPooled).toBeLessThan(padPlain / 2);
    // 2000 = 62 batches of 32 and one of 16: the short one comes last.
    expect(
      batchesOf(pooled)
        .map((x) => x.length)
        .indexOf(16),
    ).toBe(62);
  });
});

describe('Pretrainer', () => {
  let trainer: Pretrainer;
  beforeAll(async () => {
    await initTf('wasm');
    trainer = await Pretrainer.create({ file: 'slice', sha256: 'x', smiles: corpusSlice(400) }, settings());
    trainer.state.totalSteps = 80;
  });
  afterAll(() => trainer.dispose());

  it('learns: MLM loss falls, tensors do not leak, held-out accuracy beats the unigram guess', async () => {
    const first = await trainer.step();
    await trainer.step();
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 2; i < 80; i++) {
      last = await trainer.step();
      expect(tf.memory().numTensors).toBe(tensors);
    }
    const early = trainer.state.curve.slice(0, 3).reduce((a, c) => a + c.mlm, 0) / 3;
    const late = trainer.state.curve.slice(-3).reduce((a, c) => a + c.mlm, 0) / 3;
    expect(late).toBeLessThan(early - 0.5);
    expect(last.step).toBe(80);
    const ev = await trainer.evaluate();
    expect(ev.molecules).toBe(40);
    expect(ev.mlmAccuracy).toBeGreaterThan(ev.unigramAccuracy);
    expect(ev.physchemR2).not.toBeNull();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('plans a time budget on padded tokens: length pools compute fewer per step', async () => {
    const smiles = corpusSlice(400);
    const pooled = await Pretrainer.create({ file: 'slice', sha256: 'x', smiles }, settings({ physchemWeight: 0, lengthPool: 8 }));
    const plain = await Pretrainer.create({ file: 'slice', sha256: 'x', smiles }, settings({ physchemWeight: 0, lengthPool: 1 }));
    try {
      const steps = Math.floor(360 / 16);
      const mean = (t: Pretrainer) => Array.from({ length: steps }, (_, k) => t.paddedTokens(k)).reduce((a, b) => a + b, 0) / steps;
      expect(pooled.meanPaddedTokens()).toBeCloseTo(mean(pooled), 6);
      expect(plain.meanPaddedTokens()).toBeCloseTo(mean(plain), 6);
      expect(pooled.meanPaddedTokens()).toBeLessThan(0.8 * plain.meanPaddedTokens());
      // A step's padded tokens: its batch size times its longest molecule (at least [CLS] C [SEP]).
      expect(pooled.paddedTokens(0) % 16).toBe(0);
      expect(pooled.paddedTokens(0)).toBeGreaterThanOrEqual(16 * 3);
    } finally {
      pooled.dispose();
      plain.dispose();
    }
  });

  it('records the vocabulary, physchem normalisation and data hash in the manifest', () => {
    const m = trainer.manifest;
    expect(m.tokenizer.vocab.slice(0, 5)).toEqual([...SPECIAL_TOKENS]);
    expect(m.config.vocabSize).toBe(m.tokenizer.vocab.length);
    expect(m.physchem?.names.length).toBe(m.config.physchem);
    expect(m.physchem?.names).toEqual(expect.arrayContaining(['CrippenClogP', 'tpsa']));
    expect(m.training.corpus).toMatchObject({ sha256: 'x', molecules: 400, heldOut: 40, used: 360 });
  });
});
