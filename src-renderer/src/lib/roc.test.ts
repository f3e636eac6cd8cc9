import { describe, expect, it } from 'vitest';
import { areaUnder, rocCurve } from './roc';

describe('rocCurve', () => {
  it('steps through the ranked scores', () => {
    // Ranked: 0.9 (1), 0.8 (0), 0.7 (1), 0.1 (0): two positives, two negatives.
    const c = rocCurve([0.1, 0.9, 0.7, 0.8], [0, 1, 1, 0]);
    expect(c).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
    expect(areaUnder(c)).toBeCloseTo(0.75);
  });

  it('moves tied scores together: all tied is the diagonal, AUC one half', () => {
    const c = rocCurve([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]);
    expect(c).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 1, tpr: 1 },
    ]);
    expect(areaUnder(c)).toBeCloseTo(0.5);
    expect(areaUnder(rocCurve([3, 2, 1], [1, 1, 0]))).toBe(1);
  });

  it('has no curve without both classes', () => {
    expect(rocCurve([0.2, 0.4], [1, 1])).toEqual([{ fpr: 0, tpr: 0 }]);
  });
});
