import { describe, expect, it } from 'vitest';
import { bedroc, enrichmentCurve, enrichmentFactor, vsMetrics } from './vs-metrics';

// Ten molecules ranked by score, actives at ranks 1 and 4.
const y = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
const s = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

describe('virtual-screening metrics against hand-computed values', () => {
  it('enrichment factor', () => {
    // top 10% = 1 molecule, an active: (1/1) / (2/10) = 5
    expect(enrichmentFactor(y, s, 0.1)).toBeCloseTo(5, 12);
    // top 50% = 5 molecules, both actives: (2/5) / (2/10) = 2
    expect(enrichmentFactor(y, s, 0.5)).toBeCloseTo(2, 12);
    // top 1% of 10 rounds up to one molecule
    expect(enrichmentFactor(y, s, 0.01)).toBeCloseTo(5, 12);
    expect(enrichmentFactor([0, 0], [1, 2], 0.5)).toBeNaN();
  });

  it('ties count by their expected value, not by input order', () => {
    // all scores equal, actives listed first: the top 10% holds 2/10 of an active in expectation → EF 1
    const flat = new Array(10).fill(0.5);
    expect(enrichmentFactor(y, flat, 0.1)).toBeCloseTo(1, 12);
    expect(bedroc(y, flat, 20)).toBeCloseTo(bedroc([0, 0, 0, 0, 0, 0, 0, 0, 1, 1].reverse(), flat, 20), 12);
  });

  it('BEDROC(alpha=20)', () => {
    const a = 20;
    const n = 10;
    const ra = 2 / n;
    // sum over actives of exp(-alpha r / N), r = 1 and 4
    const sum = Math.exp(-a / n) + Math.exp((-a * 4) / n);
    const randomSum = (ra * Math.exp(-a / n) * (1 - Math.exp(-a))) / (1 - Math.exp(-a / n));
    const factor = (ra * Math.sinh(a / 2)) / (Math.cosh(a / 2) - Math.cosh(a / 2 - a * ra));
    const constant = 1 / (1 - Math.exp(a * (1 - ra)));
    const expected = (sum * factor) / randomSum + constant;
    expect(expected).toBeCloseTo(0.88298034248, 9); // RDKit CalcBEDROC on the same list
    expect(bedroc(y, s, 20)).toBeCloseTo(expected, 12);
    // all actives first → 1; all actives last → 0
    expect(bedroc([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], s, 20)).toBeCloseTo(1, 9);
    expect(bedroc([0, 0, 0, 0, 0, 0, 0, 0, 1, 1], s, 20)).toBeCloseTo(0, 9);
  });

  it('collects all metrics and the enrichment curve', () => {
    const m = vsMetrics(y, s);
    // ROC: active 1 beats 8 decoys, active 4 beats 6 → 14/16
    expect(m.rocAuc).toBeCloseTo(14 / 16, 12);
    // AP: ranks 1 (P 1) and 4 (P 2/4) → (1 + 0.5) / 2
    expect(m.prAuc).toBeCloseTo(0.75, 12);
    expect(m.ef1).toBeCloseTo(5, 12);
    expect(m.ef5).toBeCloseTo(5, 12);
    const curve = enrichmentCurve(y, s, 10);
    expect(curve).toHaveLength(11);
    expect(curve[1]).toEqual({ screened: 0.1, found: 0.5 });
    expect(curve[4]?.found).toBe(1);
    // Given fractions: the first 5% and 30% of the 10 compounds are ranks 1 and 3 (0.5 rounds to 1).
    expect(enrichmentCurve(y, s, [0.05, 0.3, 1])).toEqual([
      { screened: 0, found: 0 },
      { screened: 0.1, found: 0.5 },
      { screened: 0.3, found: 0.5 },
      { screened: 1, found: 1 },
    ]);
  });
});
