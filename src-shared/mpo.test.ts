import { describe, expect, it } from 'vitest';
import { desirability, mpoScore, type ScoreTerm } from './mpo';

describe('desirability functions and the MPO score (weighted geometric mean)', () => {
  it('maps values as each function says, worked by hand', () => {
    expect([100, 350, 425, 500, 600].map((x) => desirability({ fn: 'down', low: 350, high: 500 }, x))).toEqual([1, 1, 0.5, 0, 0]);
    expect([-6, -5, -3.5, -2, 0].map((x) => desirability({ fn: 'up', low: -5, high: -2 }, x))).toEqual([0, 0, 0.5, 1, 1]);
    expect([0, 0.5, 1, 2, 3, 3.5, 4.5].map((x) => desirability({ fn: 'range', low: 1, high: 3, tolerance: 1 }, x))).toEqual([0, 0.5, 1, 1, 1, 0.5, 0]);
    expect(desirability({ fn: 'range', low: 1, high: 3 }, 3.01)).toBe(0);
    expect([70, 80, 90, 100, 120].map((x) => desirability({ fn: 'target', target: 90, tolerance: 20 }, x))).toEqual([0, 0.5, 1, 0.5, 0]);
  });

  it('combines terms as a weighted geometric mean: hand-computed, weights, a zero, missing values', () => {
    const terms: ScoreTerm[] = [
      { column: 'mw', fn: 'down', low: 350, high: 500, weight: 1 },
      { column: 'logS', fn: 'up', low: -5, high: -2, weight: 2 },
    ];
    // d(mw=425) = 0.5, d(logS=-2.75) = 0.75: (0.5¹ · 0.75²)^(1/3) = 0.28125^(1/3).
    const v = (mw: number | null, logS: number | null) => (c: string) => (c === 'mw' ? mw : logS);
    expect(mpoScore(terms, v(425, -2.75))).toBeCloseTo(Math.cbrt(0.5 * 0.75 * 0.75), 12);
    expect(mpoScore(terms, v(300, -1))).toBe(1);
    // One property fully undesirable: the score is 0, however good the rest.
    expect(mpoScore(terms, v(600, -1))).toBe(0);
    // A missing value leaves its term out (the others' mean); nothing known: no score.
    expect(mpoScore(terms, v(null, -2.75))).toBeCloseTo(0.75, 12);
    expect(mpoScore(terms, v(null, null))).toBeNull();
    // Equal weights: the plain geometric mean.
    expect(mpoScore([{ ...terms[0], weight: 1 } as ScoreTerm, { ...terms[1], weight: 1 } as ScoreTerm], v(425, -2.75))).toBeCloseTo(Math.sqrt(0.5 * 0.75), 12);
  });
});
