import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-shared/random';
import { disposeModel } from '../model/encoder';
import { descriptorNorm } from '../model/fp-features';
import { initTf } from '../model/tf/backend';
import { type FitCheckpoint, HIDDEN_CACHE_BUDGET, TAPE_BUDGET, fit, hiddenCacheBytes, predictTask, tapeBytesPerLayer, taskModelFrom } from './finetune';

/** `n` random token sequences ([CLS] tokens 5–11 [SEP]) of `min` to `min + spread - 1` tokens, from `seed`. */
function randomSeqs(n: number, seed: number, min = 3, spread = 8): Int32Array[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () =>
    Int32Array.from([2, ...Array.from({ length: min + Math.floor(rand() * spread) }, () => 5 + Math.floor(rand() * 7)), 3]),
  );
}

const config = { vocabSize: 12, maxLen: 16, layers: 4, hidden: 16, heads: 2, ff: 32, dropout: 0, shareLayers: false, mlm: null, physchem: 0, task: null };

describe('task-specific distillation', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('makes a shared-layer student match its teacher on a synthetic task', async () => {
    const seqs = randomSeqs(64, 5);
    const teacher = taskModelFrom(config, null, 'regression', 1);
    const target = Float32Array.from(await predictTask(teacher, seqs, null));
    const student = taskModelFrom(config, null, 'regression', 2, { shareLayers: true, layers: 2 });
    const gap = async () => {
      const p = await predictTask(student, seqs, null);
      return p.reduce((a, x, i) => a + (x - (target[i] as number)) ** 2, 0) / p.length;
    };
    const before = await gap();
    await fit(student, { seqs, y: target }, null, {
      epochs: 40,
      batch: 16,
      lr: 3e-3,
      seed: 1,
      soft: { y: target, alpha: 1 },
      hidden: { teacher, layerMap: [0, 2, 4], weight: 0.1 },
    });
    const after = await gap();
    expect(after).toBeLessThan(before * 0.2);
    disposeModel(teacher);
    disposeModel(student);
  }, 120_000);

  it('a fingerprint-aware head learns SAR that lives in the ECFP4 bits, where the plain head cannot, and needs the bits', async () => {
    // The activity is set by one fingerprint bit that the random token sequences do not carry.
    const rand = seededRandom(21);
    const make = (n: number, seed: number) => {
      const seqs = randomSeqs(n, seed);
      const fps = seqs.map(() => Uint8Array.from({ length: 8 }, () => Math.floor(rand() * 256)));
      const y = Float32Array.from(fps, (f) => ((f[2] as number) & 4 ? 0.5 : -0.5));
      return { seqs, fps, y };
    };
    const train = make(96, 22);
    const test = make(48, 23);
    const heldOutMse = async (fpBits: number) => {
      const m = taskModelFrom(config, null, 'regression', 5, {}, { fp: fpBits });
      await fit(m, fpBits ? train : { seqs: train.seqs, y: train.y }, null, { epochs: 30, batch: 16, lr: 1e-2, seed: 6 });
      const p = await predictTask(m, test.seqs, null, fpBits ? test.fps : undefined);
      disposeModel(m);
      return p.reduce((a, x, i) => a + (x - (test.y[i] as number)) ** 2, 0) / p.length;
    };
    const withBits = await heldOutMse(64);
    const plain = await heldOutMse(0);
    // Variance of the target: 0.25.
    expect(plain).toBeGreaterThan(0.18);
    expect(withBits).toBeLessThan(0.12);
    const m = taskModelFrom(config, null, 'regression', 5, {}, { fp: 64 });
    await expect(fit(m, { seqs: train.seqs, y: train.y }, null, { epochs: 1, batch: 16, lr: 1e-3, seed: 1 })).rejects.toThrow(/ECFP4/);
    disposeModel(m);
  }, 120_000);

  it("moves a fingerprint head's side weights at 10x the rate by default (they start at zero), at the base rate when told (copied trained)", async () => {
    const seqs = randomSeqs(32, 41);
    const rand = seededRandom(42);
    const fps = seqs.map(() => Uint8Array.from({ length: 8 }, () => Math.floor(rand() * 256)));
    const data = { seqs, fps, y: Float32Array.from(fps, (f) => ((f[0] as number) & 1 ? 0.5 : -0.5)) };
    const moved = async (sideLrScale?: number) => {
      const m = taskModelFrom(config, null, 'regression', 5, {}, { fp: 64 });
      const w = m.params['task.fp.w'] as { dataSync(): Float32Array };
      const before = Float32Array.from(w.dataSync());
      await fit(m, data, null, { epochs: 1, batch: 16, lr: 1e-3, seed: 1, ...(sideLrScale === undefined ? {} : { sideLrScale }) });
      const after = w.dataSync();
      disposeModel(m);
      return Math.sqrt(before.reduce((a, x, i) => a + (x - (after[i] as number)) ** 2, 0));
    };
    const ratio = (await moved()) / (await moved(1));
    expect(ratio).toBeGreaterThan(5);
    expect(ratio).toBeLessThan(20);
  }, 120_000);

  it('a descriptor-aware head learns what the descriptors explain, where the plain head cannot, and needs them', async () => {
    // The activity follows a descriptor (a logP, say) that the random token sequences do not carry.
    const rand = seededRandom(31);
    const make = (n: number, seed: number) => {
      const seqs = randomSeqs(n, seed);
      const descs = seqs.map(() => Float32Array.from([200 + 400 * rand(), -2 + 7 * rand()]));
      const y = Float32Array.from(descs, (d) => 0.2 * ((d[1] as number) - 1.5));
      return { seqs, descs, y };
    };
    const train = make(96, 32);
    const test = make(48, 33);
    const desc = descriptorNorm(train.descs, ['mw', 'clogp']);
    const heldOutMse = async (withDesc: boolean) => {
      const m = taskModelFrom(config, null, 'regression', 5, {}, withDesc ? { desc } : {});
      await fit(m, withDesc ? train : { seqs: train.seqs, y: train.y }, null, { epochs: 30, batch: 16, lr: 1e-2, seed: 6 });
      const p = await predictTask(m, test.seqs, null, undefined, withDesc ? test.descs : undefined);
      disposeModel(m);
      return p.reduce((a, x, i) => a + (x - (test.y[i] as number)) ** 2, 0) / p.length;
    };
    const variance = test.y.reduce((a, v) => a + v * v, 0) / test.y.length;
    const withDesc = await heldOutMse(true);
    const plain = await heldOutMse(false);
    expect(plain).toBeGreaterThan(0.7 * variance);
    expect(withDesc).toBeLessThan(0.2 * variance);
    const m = taskModelFrom(config, null, 'regression', 5, {}, { desc });
    await expect(fit(m, { seqs: train.seqs, y: train.y }, null, { epochs: 1, batch: 16, lr: 1e-3, seed: 1 })).rejects.toThrow(/descriptors/);
    disposeModel(m);
  }, 120_000);

  it('learns from censored values without pulling predictions to the bounds', async () => {
    // Targets from a random model; every other molecule is only known as "< target + 2" (an upper bound,
    // as inactives tested up to the top concentration are). Fitted as bounds, the model leaves them below
    // the bound; fitted as if the bound were the value, it is pulled up to it.
    const seqs = randomSeqs(64, 9);
    const source = taskModelFrom(config, null, 'regression', 3);
    const truth = Float32Array.from(await predictTask(source, seqs, null));
    disposeModel(source);
    const censored = (i: number) => i % 2 === 1;
    const y = Float32Array.from(truth, (v, i) => (censored(i) ? v + 2 : v));
    const bound = Int8Array.from(truth, (_, i) => (censored(i) ? -1 : 0));
    const meanOverCensored = async (withBounds: boolean) => {
      const m = taskModelFrom(config, null, 'regression', 4);
      await fit(m, { seqs, y, ...(withBounds ? { bound } : {}) }, null, { epochs: 30, batch: 16, lr: 3e-3, seed: 2 });
      const p = await predictTask(m, seqs, null);
      disposeModel(m);
      const rows = [...p.keys()].filter(censored);
      return {
        lift: rows.reduce((a, i) => a + (p[i] as number) - (truth[i] as number), 0) / rows.length,
        below: rows.filter((i) => (p[i] as number) < (y[i] as number)).length / rows.length,
      };
    };
    const asBounds = await meanOverCensored(true);
    const asValues = await meanOverCensored(false);
    expect(asBounds.below).toBeGreaterThanOrEqual(0.9);
    expect(asValues.lift - asBounds.lift).toBeGreaterThan(0.5);
  }, 120_000);

  it('resumes from an epoch checkpoint exactly where an uninterrupted run would be (distillation, validation, early-stopping state)', async () => {
    const seqs = randomSeqs(40, 11);
    const teacher = taskModelFrom(config, null, 'regression', 5);
    const y = Float32Array.from(await predictTask(teacher, seqs, null));
    const valid = { seqs: seqs.slice(0, 8), y: y.slice(0, 8) };
    const options = { epochs: 4, batch: 8, lr: 2e-3, seed: 3, soft: { y, alpha: 0.5 }, hidden: { teacher, layerMap: [0, 2, 4], weight: 0.1 }, lengthPool: 2 };
    const weightsOf = (m: ReturnType<typeof taskModelFrom>) => Object.values(m.params).flatMap((p) => Array.from(p.dataSync()));
    // Uninterrupted, keeping the checkpoint after epoch 2.
    const whole = taskModelFrom(config, null, 'regression', 6, { shareLayers: true, layers: 2 });
    const checkpoints: FitCheckpoint[] = [];
    const a = await fit(whole, { seqs, y }, valid, { ...options, onCheckpoint: (c) => checkpoints.push(c) });
    expect(checkpoints.map((c) => c.epoch)).toEqual([1, 2, 3, 4]);
    // "Killed" after epoch 2: a fresh model (another init) continues from the checkpoint.
    const resumed = taskModelFrom(config, null, 'regression', 7, { shareLayers: true, layers: 2 });
    const b = await fit(resumed, { seqs, y }, valid, { ...options, resume: checkpoints[1] });
    expect(b.curve).toEqual(a.curve);
    expect(b.bestEpoch).toBe(a.bestEpoch);
    expect(b.sequences).toBe(a.sequences);
    expect(weightsOf(resumed)).toEqual(weightsOf(whole));
    for (const m of [teacher, whole, resumed]) disposeModel(m);
  }, 120_000);

  it('recomputes layers for batches that would overflow the wasm heap, with the same training result', async () => {
    // The 12-layer base teacher on BBBP-length molecules needs it; on ESOL-length ones it does not.
    const base = { ...config, layers: 12, hidden: 128, heads: 4, ff: 512 };
    expect(tapeBytesPerLayer(base, 32, 128) * 12).toBeGreaterThan(TAPE_BUDGET);
    expect(tapeBytesPerLayer(base, 32, 48) * 12).toBeLessThan(TAPE_BUDGET);
    // Forced on (budget 0) or off, the same seeds give the same losses and weights, with dropout on.
    const seqs = randomSeqs(24, 9);
    const y = Float32Array.from(seqs, (s) => s.length / 10 - 0.6);
    const run = async (tapeBudget: number) => {
      const m = taskModelFrom({ ...config, dropout: 0.1 }, null, 'regression', 3);
      const curve: number[] = [];
      await fit(m, { seqs, y }, null, { epochs: 3, batch: 8, lr: 1e-3, seed: 4, tapeBudget, onEpoch: (e) => curve.push(e.loss) });
      const out = await predictTask(m, seqs, null);
      disposeModel(m);
      return { curve, out };
    };
    const plain = await run(Infinity);
    const recomputed = await run(0);
    for (let i = 0; i < plain.curve.length; i++) expect(recomputed.curve[i]).toBeCloseTo(plain.curve[i] as number, 5);
    for (let i = 0; i < plain.out.length; i++) expect(recomputed.out[i]).toBeCloseTo(plain.out[i] as number, 4);
  }, 120_000);

  it('distils the same with the teacher hidden states cached once as with a teacher forward every step (length-pooled batches)', async () => {
    // Lipophilicity with 2 random SMILES per molecule (~10,000 sequences of ~47 tokens, 4 maps, H 128) fits the budget.
    expect(
      hiddenCacheBytes(
        Array.from({ length: 10_000 }, () => new Int32Array(47)),
        4,
        128,
      ),
    ).toBeLessThan(HIDDEN_CACHE_BUDGET);
    const seqs = randomSeqs(40, 11, 2, 10);
    const teacher = taskModelFrom(config, null, 'regression', 5);
    const y = Float32Array.from(await predictTask(teacher, seqs, null));
    const run = async (hiddenCacheBudget: number) => {
      const m = taskModelFrom({ ...config, dropout: 0.1 }, null, 'regression', 6, { shareLayers: true, layers: 2 });
      const curve: number[] = [];
      await fit(m, { seqs, y }, null, {
        epochs: 3,
        batch: 8,
        lr: 2e-3,
        seed: 7,
        soft: { y, alpha: 0.5 },
        hidden: { teacher, layerMap: [0, 2, 4], weight: 1 },
        hiddenCacheBudget,
        lengthPool: 2,
        onEpoch: (e) => curve.push(e.loss),
      });
      const out = await predictTask(m, seqs, null);
      disposeModel(m);
      return { curve, out };
    };
    const perStep = await run(0);
    const cached = await run(Infinity);
    expect(perStep.curve[2]).not.toBeCloseTo(perStep.curve[0] as number, 3);
    for (let i = 0; i < perStep.curve.length; i++) expect(cached.curve[i]).toBeCloseTo(perStep.curve[i] as number, 5);
    for (let i = 0; i < perStep.out.length; i++) expect(cached.out[i]).toBeCloseTo(perStep.out[i] as number, 4);
    disposeModel(teacher);
  }, 120_000);

  it("early stopping ends with the best epoch's weights, not the last epoch's", async () => {
    // Validation targets opposite to the training ones: the better the fit, the worse the validation loss,
    // so the best epoch is an early one and the run must go back to it.
    const seqs = randomSeqs(48, 21);
    const source = taskModelFrom(config, null, 'regression', 5);
    const y = Float32Array.from(await predictTask(source, seqs, null), (v) => v * 4);
    disposeModel(source);
    const valid = { seqs, y: Float32Array.from(y, (v) => -v) };
    const model = taskModelFrom(config, null, 'regression', 6);
    let best: FitCheckpoint['best'] = null;
    const epochs = 8;
    const r = await fit(model, { seqs, y }, valid, { epochs, batch: 16, lr: 3e-3, seed: 3, onCheckpoint: (c) => (best = c.best) });
    const kept = best as FitCheckpoint['best'];
    expect(kept).not.toBeNull();
    expect(r.bestEpoch).toBe(kept?.epoch);
    expect(r.bestEpoch).toBeLessThan(epochs);
    // The returned model predicts exactly as the best epoch's weights do.
    const reference = taskModelFrom(config, kept?.weights ?? null, 'regression', 99);
    const got = await predictTask(model, seqs, null);
    const want = await predictTask(reference, seqs, null);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i] as number, 6);
    disposeModel(model);
    disposeModel(reference);
  }, 120_000);
});
