import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-shared/random';
import { lengthBatches, padBatch, paddingFraction, shuffledLengthBatches } from './batch';
import { type EncoderConfig, countLayerParams, countParams, createModel, disposeModel, encode, mlmLogits, paramGrads } from './encoder';
import { LeanAdam } from './tf/adam';
import { initTf, tf, useBackend } from './tf/backend';
import { fromHalf, packArrays, toHalf, unpackArrays } from './weights-io';
import { assignWeights, packTensors } from './weights-tf';

const tiny = (over: Partial<EncoderConfig> = {}): EncoderConfig => ({
  vocabSize: 12,
  maxLen: 10,
  layers: 3,
  hidden: 16,
  heads: 2,
  ff: 32,
  dropout: 0,
  shareLayers: false,
  mlm: { tied: true },
  physchem: 0,
  task: null,
  ...over,
});

const seqs = [Int32Array.from([2, 5, 6, 7, 8, 3]), Int32Array.from([2, 9, 3]), Int32Array.from([2, 10, 11, 5, 3])];

function run(model: ReturnType<typeof createModel>, batch = padBatch(seqs)) {
  return tf.tidy(() => {
    const out = encode(model, tf.tensor2d(batch.ids, [batch.b, batch.t], 'int32'), tf.tensor2d(batch.mask, [batch.b, batch.t]), {
      keepHidden: true,
      keepAttention: true,
    });
    return { sequence: out.sequence, pooled: out.pooled, hidden: out.hidden, attention: out.attention };
  });
}

describe('encoder', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });
  afterAll(() => tf.disposeVariables());

  it('has the expected output shapes, hidden states and attention maps', () => {
    const m = createModel(tiny(), 3);
    const r = run(m);
    expect(r.sequence.shape).toEqual([3 * 6, 16]);
    expect(r.pooled.shape).toEqual([3, 16]);
    expect(r.hidden).toHaveLength(4);
    expect(r.hidden[0]?.shape).toEqual([3, 6, 16]);
    expect(r.attention).toHaveLength(3);
    expect(r.attention[0]?.shape).toEqual([3, 2, 6, 6]);
    // Padding gets no attention: molecule 2 has 3 real tokens of 6.
    const att = r.attention[0]?.arraySync() as number[][][][];
    for (const row of att[1]?.[0] ?? []) {
      expect(row.slice(3).reduce((a, b) => a + b, 0)).toBeLessThan(1e-3);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    tf.dispose([r.sequence, r.pooled, ...r.hidden, ...r.attention]);
    disposeModel(m);
  });

  it("keeps only the last layer's attention when asked for 'last'", () => {
    const m = createModel(tiny(), 3);
    const batch = padBatch(seqs);
    const all = run(m, batch);
    const last = tf.tidy(
      () => encode(m, tf.tensor2d(batch.ids, [batch.b, batch.t], 'int32'), tf.tensor2d(batch.mask, [batch.b, batch.t]), { keepAttention: 'last' }).attention,
    );
    expect(last).toHaveLength(1);
    expect(all.attention).toHaveLength(3);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(last[0] as tf.Tensor, all.attention[2] as tf.Tensor))).arraySync() as number);
    expect(diff).toBe(0);
    tf.dispose([all.sequence, all.pooled, ...all.hidden, ...all.attention, ...last]);
    disposeModel(m);
  });

  it('gives a molecule the same output alone and padded in a batch', () => {
    const m = createModel(tiny(), 4);
    const alone = run(m, padBatch([seqs[1] as Int32Array]));
    const batched = run(m);
    const a = alone.sequence.arraySync();
    const b = batched.sequence.arraySync().slice(6, 6 + 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 16; j++) expect(b[i]?.[j]).toBeCloseTo(a[i]?.[j] as number, 4);
    tf.dispose([alone.sequence, alone.pooled, batched.sequence, batched.pooled, ...alone.hidden, ...alone.attention, ...batched.hidden, ...batched.attention]);
    disposeModel(m);
  });

  it('pooledOnly: the last layer for the first two tokens gives the same pooled output, and refuses to keep states', () => {
    for (const shareLayers of [false, true]) {
      const m = createModel(tiny({ shareLayers }), 6);
      const b = padBatch(seqs);
      const [full, lean, rows] = tf.tidy(() => {
        const ids = tf.tensor2d(b.ids, [b.b, b.t], 'int32');
        const mask = tf.tensor2d(b.mask, [b.b, b.t]);
        const l = encode(m, ids, mask, { pooledOnly: true });
        return [encode(m, ids, mask).pooled.arraySync(), l.pooled.arraySync(), l.sequence.shape[0]];
      });
      expect(rows).toBe(b.b * 2);
      for (let i = 0; i < b.b; i++) for (let j = 0; j < 16; j++) expect(lean[i]?.[j]).toBeCloseTo(full[i]?.[j] as number, 5);
      expect(() =>
        tf.tidy(() => encode(m, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]), { pooledOnly: true, keepHidden: true }).pooled),
      ).toThrow(/pooledOnly/);
      disposeModel(m);
    }
  });

  it('shares one layer across depth: 1/L of the layer parameters', () => {
    const unshared = createModel(tiny({ layers: 4 }), 1);
    const shared = createModel(tiny({ layers: 4, shareLayers: true }), 1);
    expect(countLayerParams(shared) * 4).toBe(countLayerParams(unshared));
    expect(countParams(unshared) - countParams(shared)).toBe(3 * countLayerParams(shared));
    // A shared layer applied fewer times is a valid (student) forward pass.
    const r = tf.tidy(() => {
      const b = padBatch(seqs);
      return encode(shared, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]), { depth: 2, keepHidden: true }).hidden.length;
    });
    expect(r).toBe(3);
    disposeModel(unshared);
    disposeModel(shared);
  });

  it('passes a finite-difference gradient check of the attention block (cpu)', async () => {
    await useBackend('cpu');
    const m = createModel(tiny({ layers: 1, hidden: 8, ff: 16 }), 5);
    const batch = padBatch(seqs);
    const target = tf.randomNormal([batch.b * batch.t, 8], 0, 1, 'float32', 9);
    const loss = () =>
      tf.tidy(() => {
        const out = encode(m, tf.tensor2d(batch.ids, [batch.b, batch.t], 'int32'), tf.tensor2d(batch.mask, [batch.b, batch.t]));
        return tf.sum(tf.mul(out.sequence, target)) as tf.Scalar;
      });
    const { value, grads } = paramGrads(m.params, loss);
    value.dispose();
    const eps = 1e-2;
    for (const name of ['layer.0.attn.q.w', 'layer.0.attn.k.w', 'layer.0.attn.v.w', 'layer.0.attn.o.w']) {
      const v = m.params[name] as tf.Variable;
      const analytic = (grads[name] as tf.Tensor).dataSync();
      const base = v.dataSync().slice();
      for (const idx of [0, 7, 20, 45, 63]) {
        const at = (delta: number) => {
          const w = base.slice();
          w[idx] = (w[idx] as number) + delta;
          tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
          const l = loss();
          const x = l.dataSync()[0] as number;
          l.dispose();
          return x;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        expect(Math.abs(numeric - (analytic[idx] as number))).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
    }
    tf.dispose(Object.values(grads));
    target.dispose();
    disposeModel(m);
    await useBackend('wasm');
  });

  it('computes the same loss and gradients on wasm and cpu, with and without checkpointing', async () => {
    const results: Array<{ loss: number; g: Float32Array }> = [];
    for (const be of ['cpu', 'wasm'] as const) {
      await useBackend(be);
      const m = createModel(tiny({ dropout: 0.1 }), 6);
      const b = padBatch(seqs);
      for (const checkpoint of [false, true]) {
        const { value, grads } = paramGrads(m.params, () =>
          tf.tidy(() => {
            const out = encode(m, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]), { seed: 11, checkpoint });
            return tf.mean(tf.square(mlmLogits(m, out.sequence))) as tf.Scalar;
          }),
        );
        results.push({ loss: value.dataSync()[0] as number, g: (grads['layer.1.ffn.in.w'] as tf.Tensor).dataSync() as Float32Array });
        tf.dispose([value, ...Object.values(grads)]);
      }
      disposeModel(m);
    }
    const [ref, ...rest] = results as [{ loss: number; g: Float32Array }, ...Array<{ loss: number; g: Float32Array }>];
    for (const r of rest) {
      expect(r.loss).toBeCloseTo(ref.loss, 5);
      let d = 0;
      let n = 0;
      r.g.forEach((x, i) => {
        d = Math.max(d, Math.abs(x - (ref.g[i] as number)));
        n = Math.max(n, Math.abs(ref.g[i] as number));
      });
      expect(d).toBeLessThan(1e-4 * Math.max(1, n));
    }
  });

  it("LeanAdam's lrScale moves a chosen variable that many times as far", () => {
    const vars = { a: tf.variable(tf.zeros([3])), b: tf.variable(tf.zeros([3])) };
    const adam = new LeanAdam({ weightDecay: 0, lrScale: (n) => (n === 'b' ? 10 : 1) });
    adam.apply(vars, { a: tf.tensor1d([1, -2, 3]), b: tf.tensor1d([1, -2, 3]) }, 1e-3);
    const [a, b] = [vars.a.dataSync(), vars.b.dataSync()];
    for (let i = 0; i < 3; i++) {
      // Adam's first step moves each weight by about the learning rate, against its gradient.
      expect(Math.abs(a[i] as number)).toBeCloseTo(1e-3, 5);
      expect((b[i] as number) / (a[i] as number)).toBeCloseTo(10, 5);
    }
    adam.dispose();
    tf.dispose(Object.values(vars));
  });

  it('LeanAdam follows tf.train.adam, and training steps do not grow tf.memory().numTensors', () => {
    const b = padBatch(seqs);
    const losses: number[][] = [[], []];
    for (const which of [0, 1]) {
      const m = createModel(tiny(), 7);
      const lean = new LeanAdam({ weightDecay: 0, epsilon: 1e-7 });
      const stock = tf.train.adam(1e-2, 0.9, 0.999, 1e-7);
      const lossFn = () =>
        tf.tidy(() => {
          const out = encode(m, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]));
          return tf.mean(tf.square(tf.sub(mlmLogits(m, out.sequence), 1))) as tf.Scalar;
        });
      let tensorsAfterFirst = 0;
      for (let step = 0; step < 6; step++) {
        if (which === 0) {
          const { value, grads } = paramGrads(m.params, lossFn);
          losses[0]?.push(value.dataSync()[0] as number);
          value.dispose();
          lean.apply(m.params, grads, 1e-2);
        } else {
          const v = stock.minimize(lossFn, true, Object.values(m.params)) as tf.Scalar;
          losses[1]?.push(v.dataSync()[0] as number);
          v.dispose();
        }
        if (step === 1) tensorsAfterFirst = tf.memory().numTensors;
        if (step > 1) expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
      }
      lean.dispose();
      stock.dispose();
      disposeModel(m);
    }
    losses[0]?.forEach((l, i) => expect(l).toBeCloseTo(losses[1]?.[i] as number, 4));
    expect(losses[0]?.[5]).toBeLessThan(losses[0]?.[0] as number);
  });

  it('saves and loads weights with identical outputs; float16 stays close', () => {
    const a = createModel(tiny(), 8);
    const b = createModel(tiny(), 9);
    const blob = packTensors(a.params);
    const ra = run(a);
    const before = run(b);
    assignWeights(b.params, blob);
    const rb = run(b);
    expect(rb.sequence.arraySync()).toEqual(ra.sequence.arraySync());
    expect(before.sequence.arraySync()).not.toEqual(ra.sequence.arraySync());
    const half = packArrays(unpackArrays(blob), 'float16');
    expect(half.length).toBeLessThan(blob.length * 0.6);
    assignWeights(b.params, half);
    const rh = run(b);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(rh.sequence, ra.sequence))).dataSync()[0] as number);
    expect(d).toBeLessThan(1e-2);
    expect(() => assignWeights(createModel(tiny({ hidden: 8 }), 1).params, blob)).toThrow(/shape/);
    tf.dispose([ra, rb, rh, before].flatMap((r) => [r.sequence, r.pooled, ...r.hidden, ...r.attention]));
    disposeModel(a);
    disposeModel(b);
  });
});

describe('float16', () => {
  it('round-trips representable values exactly and rounds the rest to nearest', () => {
    const xs = Float32Array.from([0, -0, 1, -2.5, 65504, 1e-8, 6.1e-5, 3.14159, Infinity, -Infinity, 1e6]);
    const back = fromHalf(toHalf(xs));
    expect(Array.from(back.slice(0, 5))).toEqual([0, -0, 1, -2.5, 65504]);
    expect(back[5]).toBe(0);
    expect(Math.abs((back[6] as number) - 6.1e-5)).toBeLessThan(1e-7);
    expect(Math.abs((back[7] as number) - 3.14159)).toBeLessThan(2e-3);
    expect(back[8]).toBe(Infinity);
    expect(back[9]).toBe(-Infinity);
    expect(back[10]).toBe(Infinity);
    expect(Number.isNaN(fromHalf(toHalf(Float32Array.from([NaN])))[0])).toBe(true);
  });
});

describe('length bucketing', () => {
  it('groups similar lengths, keeps every item once and wastes less padding than input order', () => {
    const lengths = [50, 12, 48, 13, 90, 11, 47, 14];
    const batches = lengthBatches(lengths, 2);
    expect(batches.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const naive = [
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
    ];
    expect(paddingFraction(lengths, batches)).toBeLessThan(paddingFraction(lengths, naive) / 3);
  });

  it('makes shuffled training batches from length-sorted pools: every item once, reproducible, less padding', () => {
    const rand = seededRandom(5);
    const lengths = Array.from({ length: 1000 }, () => 5 + Math.floor(rand() * rand() * 120));
    const plain = shuffledLengthBatches(lengths, 32, seededRandom(1), 1);
    const pooled = shuffledLengthBatches(lengths, 32, seededRandom(1), 8);
    for (const batches of [plain, pooled]) {
      expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(batches.length).toBe(Math.ceil(1000 / 32));
      expect(batches.filter((b) => b.length !== 32).length).toBe(1);
    }
    // pool 1 is a plain Fisher-Yates shuffle cut into batches (the behaviour before pools existed).
    const order = Array.from({ length: 1000 }, (_, i) => i);
    const r = seededRandom(1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    expect(plain.flat()).toEqual(order);
    expect(shuffledLengthBatches(lengths, 32, seededRandom(1), 8)).toEqual(pooled);
    expect(shuffledLengthBatches(lengths, 32, seededRandom(2), 8)).not.toEqual(pooled);
    expect(paddingFraction(lengths, pooled)).toBeLessThan(paddingFraction(lengths, plain) / 2);
    // Still random: the batches do not come shortest first.
    const firstLengths = pooled.slice(0, 8).map((b) => Math.max(...b.map((i) => lengths[i] as number)));
    expect(firstLengths).not.toEqual([...firstLengths].sort((a, b) => a - b));
    expect(() => shuffledLengthBatches(lengths, 32, rand, 0)).toThrow(/length pool/);
  });
});

describe('length-bucketed inference', () => {
  it('returns the same rows, in input order, as one molecule at a time', async () => {
    await initTf('wasm');
    const { inferRows } = await import('./infer');
    const m = createModel(tiny({ task: { type: 'regression', outputs: 2 } }), 12);
    const inputs = [...seqs, Int32Array.from([2, 6, 3]), Int32Array.from([2, 5, 5, 5, 5, 5, 6, 3])];
    const bucketed = await inferRows(m, inputs, 'task', 2);
    for (let i = 0; i < inputs.length; i++) {
      const [alone] = await inferRows(m, [inputs[i] as Int32Array], 'task', 1);
      (alone as Float32Array).forEach((x, j) => expect((bucketed[i] as Float32Array)[j]).toBeCloseTo(x, 4));
    }
    disposeModel(m);
  });
});
