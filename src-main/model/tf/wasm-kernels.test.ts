import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, tf, useBackend } from './backend';

/** Runs fn on cpu and on (patched) wasm with the same inputs; returns both results as arrays. */
async function onBoth(make: () => tf.Tensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const out: Record<string, Float32Array[]> = {};
  for (const be of ['cpu', 'wasm'] as const) {
    await useBackend(be);
    const inputs = make();
    const r = fn(...inputs);
    const list = Array.isArray(r) ? r : [r];
    out[be] = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose([...inputs, ...list]);
  }
  return { cpu: out.cpu as Float32Array[], wasm: out.wasm as Float32Array[] };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('wasm kernel fixes match the cpu backend', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  const cases: Array<{ name: string; a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
    { name: 'plain 2D', a: [7, 5], b: [5, 3], ta: false, tb: false },
    { name: 'NT', a: [7, 5], b: [3, 5], ta: false, tb: true },
    { name: 'TN', a: [5, 7], b: [5, 3], ta: true, tb: false },
    { name: 'TT', a: [5, 7], b: [3, 5], ta: true, tb: true },
    { name: 'batched (attention scores)', a: [2, 3, 6, 4], b: [2, 3, 6, 4], ta: false, tb: true },
    { name: 'batched (attention context)', a: [2, 3, 6, 6], b: [2, 3, 6, 4], ta: false, tb: false },
    { name: 'batched TN (gradient)', a: [4, 6, 5], b: [4, 6, 3], ta: true, tb: false },
    { name: 'broadcast right operand', a: [4, 6, 5], b: [5, 3], ta: false, tb: false },
    { name: 'broadcast left operand', a: [6, 5], b: [4, 5, 3], ta: false, tb: false },
  ];
  for (const c of cases) {
    it(`BatchMatMul ${c.name}`, async () => {
      const r = await onBoth(
        () => [tf.randomNormal(c.a, 0, 1, 'float32', 1), tf.randomNormal(c.b, 0, 1, 'float32', 2)],
        (a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, c.ta, c.tb),
      );
      expect(maxAbsDiff(r.cpu[0] as Float32Array, r.wasm[0] as Float32Array)).toBeLessThan(1e-5);
    });
  }

  it('UnsortedSegmentSum (registered on wasm) and the gather gradient', async () => {
    const r = await onBoth(
      () => [tf.randomNormal([6, 4], 0, 1, 'float32', 3), tf.tensor1d([2, 0, 2, 5, 1, 2], 'int32'), tf.randomNormal([5, 3], 0, 1, 'float32', 4)],
      (x, ids, table) => {
        const seg = tf.unsortedSegmentSum(x as tf.Tensor, ids as tf.Tensor1D, 6);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([0, 4, 4, 2], 'int32')))))(table as tf.Tensor);
        return [seg, g];
      },
    );
    expect(maxAbsDiff(r.cpu[0] as Float32Array, r.wasm[0] as Float32Array)).toBeLessThan(1e-6);
    expect(maxAbsDiff(r.cpu[1] as Float32Array, r.wasm[1] as Float32Array)).toBeLessThan(1e-6);
    // The row gathered twice gets twice the gradient.
    expect(Array.from((r.wasm[1] as Float32Array).slice(12, 15)).every((v) => v !== 0)).toBe(true);
  });

  it('leaks no tensors in the wrapped kernels', async () => {
    await useBackend('wasm');
    const a = tf.randomNormal([3, 4, 5]);
    const b = tf.randomNormal([3, 6, 5]);
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 3; i++)
      tf.tidy(() => {
        tf.matMul(a, b, false, true);
      });
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
    tf.dispose([a, b]);
  });
});

describe('backend choice', () => {
  it('explains every backend it skipped', async () => {
    const r = await initTf('wasm');
    expect(r.selected).toBe('wasm');
    const byName = Object.fromEntries(r.backends.map((b) => [b.name, b]));
    expect(Object.keys(byName)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    for (const b of r.backends) expect(b.reason.length).toBeGreaterThan(5);
    expect(byName.wasm?.selected).toBe(true);
  });
});
