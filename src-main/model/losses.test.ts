import { beforeAll, describe, expect, it } from 'vitest';
import { attentionKl, bceWithLogits, censoredMse, crossEntropy, maskedHiddenMse, mse, softTargetKl } from './losses';
import { initTf, tf } from './tf/backend';

const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0] as number;
  t.dispose();
  return v;
};

describe('losses against hand-computed values', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('cross-entropy', () => {
    // logits [0, ln 3] → p = [1/4, 3/4]; label 1 → −ln(3/4); label 0 → −ln(1/4)
    const l = tf.tensor2d([
      [0, Math.log(3)],
      [0, Math.log(3)],
    ]);
    expect(value(crossEntropy(l, tf.tensor1d([1, 0], 'int32')))).toBeCloseTo((-Math.log(0.75) - Math.log(0.25)) / 2, 5);
  });

  it('MSE and BCE with logits', () => {
    expect(value(mse(tf.tensor1d([1, 2]), tf.tensor1d([0, 4])))).toBeCloseTo((1 + 4) / 2, 6);
    // Censored: measured 0 (pred 1: 1); "< 4" with pred 2 (below the bound: 0) and pred 6 (2 above: 4);
    // "> 1" with pred 0 (1 below: 1) and pred 3 (0). Mean over 5 rows: (1 + 0 + 4 + 1 + 0) / 5.
    const bound = tf.tensor1d([0, -1, -1, 1, 1], 'int32');
    expect(value(censoredMse(tf.tensor1d([1, 2, 6, 0, 3]), tf.tensor1d([0, 4, 4, 1, 1]), bound))).toBeCloseTo(6 / 5, 6);
    // Gradient 2r/N where a row counts, 0 where a bound is respected: [2, 0, 4, -2, 0] / 5.
    const g = tf.grad((p: tf.Tensor) => censoredMse(p, tf.tensor1d([0, 4, 4, 1, 1]), bound))(tf.tensor1d([1, 2, 6, 0, 3]));
    expect(Array.from(g.dataSync()).map((x) => Number(x.toFixed(6)))).toEqual([0.4, 0, 0.8, -0.4, 0]);
    // Without bounds it is the MSE.
    expect(value(censoredMse(tf.tensor1d([1, 2]), tf.tensor1d([0, 4]), tf.tensor1d([0, 0], 'int32')))).toBeCloseTo(5 / 2, 6);
    // x = 0 → ln 2 for any target; x = ln 3, t = 1 → −ln σ(ln 3) = −ln(3/4)
    expect(value(bceWithLogits(tf.tensor1d([0, Math.log(3)]), tf.tensor1d([0.3, 1])))).toBeCloseTo((Math.log(2) - Math.log(0.75)) / 2, 5);
    // Large logits stay finite.
    expect(value(bceWithLogits(tf.tensor1d([80, -80]), tf.tensor1d([0, 1])))).toBeCloseTo(80, 3);
  });

  it('hidden-state MSE ignores padding', () => {
    // B=1, T=2, H=2; the padded token's huge difference must not count: ((1-0)² + (3-1)²) / (1 token · 2 units)
    const s = tf.tensor3d([
      [
        [1, 3],
        [100, 100],
      ],
    ]);
    const t = tf.tensor3d([
      [
        [0, 1],
        [0, 0],
      ],
    ]);
    expect(value(maskedHiddenMse(s, t, tf.tensor2d([[1, 0]])))).toBeCloseTo(2.5, 5);
  });

  it('attention KL is zero for equal maps and matches the formula otherwise', () => {
    const a = tf.tensor4d([
      [
        [
          [0.5, 0.5],
          [1, 0],
        ],
      ],
    ]);
    expect(value(attentionKl(a, a, tf.tensor2d([[1, 1]])))).toBeCloseTo(0, 5);
    // one real query row: teacher [0.5, 0.5] vs student [0.25, 0.75] → 0.5 ln 2 + 0.5 ln(2/3)
    const s = tf.tensor4d([
      [
        [
          [0.25, 0.75],
          [0.9, 0.1],
        ],
      ],
    ]);
    const t = tf.tensor4d([
      [
        [
          [0.5, 0.5],
          [0.1, 0.9],
        ],
      ],
    ]);
    expect(value(attentionKl(s, t, tf.tensor2d([[1, 0]])))).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 4);
  });

  it('soft-target KL at temperature T is scaled by T²', () => {
    // T = 2: teacher logits [0, 2 ln 3] → softmax([0, ln 3]) = [1/4, 3/4]; student logits [0, 0] → [1/2, 1/2]
    const kl = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
    expect(value(softTargetKl(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 2 * Math.log(3)]]), 2))).toBeCloseTo(4 * kl, 5);
    expect(value(softTargetKl(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]]), 3))).toBeCloseTo(0, 5);
  });
});
