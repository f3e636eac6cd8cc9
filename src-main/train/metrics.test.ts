import { describe, expect, it } from 'vitest';
import { censoredRegressionMetrics, classificationMetrics, prAuc, ranks, regressionMetrics, rocAuc } from './metrics';

describe('metrics against hand-computed values', () => {
  it('regression', () => {
    // errors 0.5, -0.5, 1, 0 → MSE 0.375; mean y = 2.5, SS_tot = 5
    const m = regressionMetrics([1, 2, 3, 4], [0.5, 2.5, 2, 4]);
    expect(m.rmse).toBeCloseTo(Math.sqrt(0.375), 10);
    expect(m.mae).toBeCloseTo(0.5, 10);
    expect(m.r2).toBeCloseTo(1 - 1.5 / 5, 10);
    // ranks of p: 1, 3, 2, 4 vs 1, 2, 3, 4 → Spearman 1 - 6·2/(4·15) = 0.8
    expect(m.spearman).toBeCloseTo(0.8, 10);
    // With bounds: the measured rows as above; "< 5" predicted 4 (kept), "> 0" predicted -1 (not kept).
    const c = censoredRegressionMetrics([1, 5, 2, 3, 0, 4], [0.5, 4, 2.5, 2, -1, 4], [0, -1, 0, 0, 1, 0]);
    expect(c).toEqual({ ...m, boundsKept: 0.5 });
    // No bounds: the plain metrics, no boundsKept.
    expect(censoredRegressionMetrics([1, 2, 3, 4], [0.5, 2.5, 2, 4], [0, 0, 0, 0])).toEqual(m);
  });

  it('ranks average ties', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
  });

  it('ROC-AUC and PR-AUC', () => {
    // positives at scores 0.9, 0.4; negatives 0.8, 0.3, 0.1 → pairs won: (0.9 beats all 3) + (0.4 beats 2) = 5 of 6
    const y = [1, 0, 1, 0, 0];
    const s = [0.9, 0.8, 0.4, 0.3, 0.1];
    expect(rocAuc(y, s)).toBeCloseTo(5 / 6, 10);
    // thresholds: 0.9 → P 1, R .5; 0.4 → P 2/3, R 1 → AP = .5·1 + .5·2/3
    expect(prAuc(y, s)).toBeCloseTo(0.5 + 1 / 3, 10);
    expect(rocAuc([1, 0], [0.5, 0.5])).toBeCloseTo(0.5, 10);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(classificationMetrics(y, s).accuracy).toBeCloseTo(3 / 5, 10);
  });
});
