import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-shared/random';
import {
  MIN_BIN,
  calibrate,
  combine,
  conformalQuantile,
  coverage,
  crossFitConsensus,
  fitWeights,
  intervalOf,
  isCalibration,
  recommend,
  similarityEdges,
} from './ensemble';

/** Standard normal draws (Box–Muller) from a seeded generator. */
function normals(n: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('consensus weights', () => {
  it('find the member that carries the signal, and a blend of two members with independent errors', () => {
    const n = 400;
    const y = normals(n, 1);
    const good = y.map((v, i) => v + 0.3 * (normals(n, 2)[i] as number));
    const bad = y.map((v, i) => 0.2 * v + (normals(n, 3)[i] as number));
    const w = fitWeights('regression', y, [good, bad]);
    expect(w[0]).toBeGreaterThan(0.85);
    expect((w[0] as number) + (w[1] as number)).toBeCloseTo(1, 10);
    // Two equally good members with independent errors: the mean halves the error variance.
    const a = y.map((v, i) => v + 0.5 * (normals(n, 4)[i] as number));
    const b = y.map((v, i) => v + 0.5 * (normals(n, 5)[i] as number));
    const wab = fitWeights('regression', y, [a, b]);
    expect(wab[0]).toBeGreaterThan(0.3);
    expect(wab[0]).toBeLessThan(0.7);
    const rmse = (p: ArrayLike<number>) => Math.sqrt(y.reduce((s, v, i) => s + (v - (p[i] as number)) ** 2, 0) / n);
    expect(rmse(combine(wab, [a, b]))).toBeLessThan(0.8 * Math.min(rmse(a), rmse(b)));
  });

  it('blend probabilities by log loss for classification', () => {
    const y = Array.from({ length: 200 }, (_, i) => i % 2);
    const sharp = y.map((v) => (v ? 0.8 : 0.2));
    const noise = y.map((_, i) => ((i * 7) % 10) / 10);
    const w = fitWeights('classification', y, [noise, sharp]);
    expect(w[1]).toBeGreaterThan(0.9);
  });

  it('cross-fitted validation predictions use weights fitted on the other half only', () => {
    const y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    // Member 0 is exact on even rows and off by 5 on odd ones; member 1 the other way round.
    const m0 = y.map((v, i) => (i % 2 === 0 ? v : v + 5));
    const m1 = y.map((v, i) => (i % 2 === 1 ? v : v + 5));
    const { weights, honest } = crossFitConsensus('regression', y, [m0, m1]);
    expect(weights).toEqual([0.5, 0.5]);
    // Odd rows are predicted with the weights of the even rows (all on member 0, off by 5 there).
    expect(honest[1]).toBeCloseTo(6, 10);
    expect(honest[0]).toBeCloseTo(5, 10);
  });
});

describe('split-conformal intervals', () => {
  it('quantile is the ceil((n+1)·level)-th smallest score, infinite when n is too small', () => {
    expect(conformalQuantile([5, 1, 4, 2, 3, 9, 8, 7, 6, 10], 0.8)).toBe(9);
    expect(conformalQuantile([1, 2], 0.8)).toBe(Number.POSITIVE_INFINITY);
  });

  it('cover 80% of exchangeable test compounds (regression), within 75–85% on average over draws', () => {
    const covered: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const yv = normals(300, 100 + seed);
      const pv = new Array(300).fill(0);
      const c = calibrate('regression', yv, pv);
      const yt = normals(300, 200 + seed);
      covered.push(coverage(c, yt, new Array(300).fill(0)).coverage);
    }
    const mean = covered.reduce((a, b) => a + b, 0) / covered.length;
    expect(mean).toBeGreaterThan(0.75);
    expect(mean).toBeLessThan(0.85);
    // The half-width of a standard normal's 80% interval is about 1.28.
    const c = calibrate('regression', normals(2000, 7), new Array(2000).fill(0));
    expect('halfWidth' in c && c.halfWidth).toBeGreaterThan(1.18);
    expect('halfWidth' in c && c.halfWidth).toBeLessThan(1.38);
  });

  it('classification: prediction sets hold the true class for about 80% of compounds', () => {
    const r = seededRandom(3);
    const draw = (n: number) => {
      const p = Array.from({ length: n }, () => r());
      const y = p.map((v) => (r() < v ? 1 : 0));
      return { p, y };
    };
    const v = draw(1000);
    const c = calibrate('classification', v.y, v.p);
    const t = draw(1000);
    const cov = coverage(c, t.y, t.p);
    expect(cov.coverage).toBeGreaterThan(0.75);
    expect(cov.coverage).toBeLessThan(0.85);
    expect(intervalOf(c, 0.99)).toEqual({ level: 0.8, classes: [1] });
    expect(intervalOf(c, 0.01)).toEqual({ level: 0.8, classes: [0] });
  });
});

describe('intervals by similarity to the training set (Mondrian conformal)', () => {
  /** Compounds whose error grows as their similarity to the training set falls (sd 0.3 near, 2.3 far). */
  function far(n: number, seed: number) {
    const r = seededRandom(seed);
    const e = normals(n, seed + 1000);
    const sims = Array.from({ length: n }, () => r());
    return { sims, y: sims.map((s, i) => (0.3 + 2 * (1 - s)) * (e[i] as number)), p: new Array(n).fill(0) };
  }

  it('give the least similar compounds their 80%, where one width for all falls short on them', () => {
    const farMondrian: number[] = [];
    const farPlain: number[] = [];
    const all: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const v = far(300, 10 + seed);
      const t = far(300, 50 + seed);
      const mondrian = calibrate('regression', v.y, v.p, v.sims);
      const plain = calibrate('regression', v.y, v.p);
      const m = coverage(mondrian, t.y, t.p, t.sims);
      all.push(m.coverage);
      farMondrian.push(m.far as number);
      farPlain.push(coverage(plain, t.y, t.p, t.sims).far as number);
    }
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(all)).toBeGreaterThan(0.75);
    expect(mean(all)).toBeLessThan(0.85);
    expect(mean(farMondrian)).toBeGreaterThan(0.74);
    expect(mean(farPlain)).toBeLessThan(0.7);
  });

  it('widen the interval of a compound far from the training set; an unknown similarity gets the overall width', () => {
    const v = far(300, 3);
    const c = calibrate('regression', v.y, v.p, v.sims);
    expect(c.method).toBe('mondrian-conformal');
    expect(c.bins?.map((b) => b.n)).toEqual([100, 100, 100]);
    // What a manifest stores (JSON) reads back as a calibration, banded or not.
    expect(isCalibration(JSON.parse(JSON.stringify(c)))).toBe(true);
    expect(isCalibration(JSON.parse(JSON.stringify(calibrate('regression', v.y, v.p))))).toBe(true);
    const width = (sim: number | null) => {
      const iv = intervalOf(c, 5, sim);
      return 'upper' in iv ? iv.upper - iv.lower : Number.NaN;
    };
    expect(width(0.05)).toBeGreaterThan(1.5 * width(0.95));
    expect(width(null)).toBeCloseTo(2 * ('halfWidth' in c ? c.halfWidth : 0), 10);
    expect(intervalOf(c, 5, 0.95)).toMatchObject({ lower: 5 - (c.bins?.[2]?.q as number) });
  });

  it('keep every bin at MIN_BIN compounds or more, ties and small splits included', () => {
    expect(similarityEdges(new Array(2 * MIN_BIN - 1).fill(0).map((_, i) => i / 100))).toEqual([0]);
    expect(similarityEdges(new Array(3 * MIN_BIN).fill(0).map((_, i) => i / 100))).toHaveLength(3);
    // 80 identical neighbours (similarity 1) and 20 others: the 20 cannot make a bin of their own.
    const ties = [...new Array(80).fill(1), ...new Array(20).fill(0).map((_, i) => i / 40)];
    const edges = similarityEdges(ties);
    const counts = edges.map((e, b) => ties.filter((s) => s >= e && (b + 1 === edges.length || s < (edges[b + 1] as number))).length);
    expect(counts.every((n) => n >= MIN_BIN)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    // Too few validation compounds: one width, as plain split-conformal.
    const small = far(50, 4);
    expect(calibrate('regression', small.y, small.p, small.sims)).toMatchObject({ method: 'split-conformal' });
    expect(calibrate('regression', small.y, small.p, small.sims).bins).toBeUndefined();
  });

  it('classification: a prediction set per band as well', () => {
    const r = seededRandom(9);
    const sims = Array.from({ length: 300 }, () => r());
    // Near compounds are predicted confidently and right 95% of the time; far ones at 0.8 are right half the time.
    const p = sims.map((s) => (s > 0.66 ? 0.95 : 0.8));
    const y = sims.map((s) => (r() < (s > 0.66 ? 0.95 : 0.5) ? 1 : 0));
    const c = calibrate('classification', y, p, sims);
    expect(c.bins).toHaveLength(3);
    expect(c.bins?.[0]?.q).toBeCloseTo(0.8, 10);
    expect(c.bins?.[2]?.q).toBeCloseTo(0.05, 10);
    // Far from the training set the model cannot rule out either class; near it, 0.97 is a confident active.
    expect(intervalOf(c, 0.8, 0.1)).toEqual({ level: 0.8, classes: [0, 1] });
    expect(intervalOf(c, 0.97, 0.9)).toEqual({ level: 0.8, classes: [1] });
  });
});

describe('recommended model', () => {
  it('is the best on validation, or a listed-earlier one within 1% of it', () => {
    expect(
      recommend([
        { role: 'student', valid: { metric: 'rmse', value: 0.9 } },
        { role: 'forest', valid: { metric: 'rmse', value: 0.8 } },
      ])?.role,
    ).toBe('forest');
    expect(
      recommend([
        { role: 'student', valid: { metric: 'rmse', value: 0.805 } },
        { role: 'forest', valid: { metric: 'rmse', value: 0.8 } },
      ])?.role,
    ).toBe('student');
    expect(
      recommend([
        { role: 'student', valid: { metric: 'rocAuc', value: 0.7 } },
        { role: 'consensus', valid: { metric: 'rocAuc', value: 0.8 } },
      ])?.role,
    ).toBe('consensus');
    expect(recommend([{ role: 'student', valid: { metric: 'rocAuc', value: Number.NaN } }])).toBeNull();
  });
});
