import { describe, expect, it } from 'vitest';
import { evaluateVs, fewQueryVs, type VsData, zScores } from './vs';

/** A packed 64-bit fingerprint with the given bits set. */
const fp = (bits: number[]) => {
  const a = new Uint8Array(8);
  for (const b of bits) a[b >> 3] = (a[b >> 3] as number) | (1 << (b & 7));
  return a;
};

describe('evaluateVs', () => {
  // 10 actives: each has its own unique bits only (no active resembles another); 40 decoys likewise.
  // A query that found itself would rank every active first; held out properly, ECFP cannot tell them apart.
  const n = 50;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i < 10 ? 1 : 0));
  const keys = Array.from({ length: n }, (_, i) => `K${i}`);
  const fps = Array.from({ length: n }, (_, i) => fp([i]));

  it('never lets a query active score itself (k-fold over actives that are also queries)', () => {
    const d: VsData = { labels, keys, fps, queries: { keys: keys.slice(0, 10), fps: fps.slice(0, 10) } };
    const r = evaluateVs(d, 'ecfp', 5);
    expect(r.folds).toBe(5);
    expect(r.protocol).toMatch(/5-fold/);
    // Every ranked compound has similarity 0 to the queries: a tie, ROC-AUC 0.5, EF 1.
    expect(r.metrics.rocAuc).toBeCloseTo(0.5, 10);
    expect(r.metrics.ef5).toBeCloseTo(1, 10);
    // Each pass ranks 2 held-out actives among the 40 decoys.
    expect(r.n).toBe(42);
    expect(r.actives).toBe(2);
  });

  it('finds actives that share features with the queries', () => {
    // Actives share bit 60 with each other; decoys do not.
    const shared = fps.map((f, i) => (i < 10 ? fp([i, 60]) : f));
    const d: VsData = { labels, keys, fps: shared, queries: { keys: keys.slice(0, 10), fps: shared.slice(0, 10) } };
    const r = evaluateVs(d, 'ecfp', 5);
    expect(r.metrics.rocAuc).toBe(1);
    expect(r.metrics.bedroc20).toBeGreaterThan(0.99);
    expect(r.curve.at(-1)?.found).toBeCloseTo(1, 10);
  });

  it('uses external queries in one pass, and ranks by model scores and embeddings', () => {
    const d: VsData = {
      labels,
      keys,
      fps,
      queries: { keys: ['X'], fps: [fp([0, 1, 2])] },
      modelScores: Array.from({ length: n }, (_, i) => (i < 10 ? 0.9 : i === 49 ? null : 0.1)),
    };
    const ext = evaluateVs(d, 'ecfp');
    expect(ext.folds).toBe(1);
    expect(ext.n).toBe(50);
    expect(evaluateVs(d, 'model').metrics.rocAuc).toBe(1);
    const unit = (v: number[]) => Float32Array.from(v, (x) => x / Math.hypot(...v));
    const emb = Array.from({ length: n }, (_, i) => (i < 10 ? unit([1, 0.1 * i]) : unit([0, 1])));
    const e = evaluateVs({ ...d, emb, queries: { keys: ['X'], fps: [fp([5])], emb: [unit([1, 0])] } }, 'embedding');
    expect(e.metrics.rocAuc).toBe(1);
    expect(evaluateVs({ ...d, emb, queries: { keys: ['X'], fps: [fp([5])], emb: [unit([1, 0])] } }, 'fusion').metrics.rocAuc).toBeGreaterThan(0.9);
  });

  it('fusion keeps on top an analogue ECFP4 finds far above the rest, where the embedding ranks it lower', () => {
    // One query; one active, an analogue (Tanimoto 0.8) whose embedding is only 6th closest; 5 decoys with a
    // little of the query's ECFP4 (Tanimoto 1/7) and the 5 closest embeddings; 44 others unlike it in both.
    const unit = (deg: number) => Float32Array.of(Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180));
    const m = 50;
    const d: VsData = {
      labels: Uint8Array.from({ length: m }, (_, i) => (i === 0 ? 1 : 0)),
      keys: Array.from({ length: m }, (_, i) => `L${i}`),
      fps: Array.from({ length: m }, (_, i) => (i === 0 ? fp([0, 1, 2, 3, 4]) : i <= 5 ? fp([0, 10 + 3 * i, 11 + 3 * i, 12 + 3 * i]) : fp([63]))),
      emb: Array.from({ length: m }, (_, i) => unit(i === 0 ? 60 : i <= 5 ? 14 + 2 * i : 70 + (i % 20))),
      queries: { keys: ['Q'], fps: [fp([0, 1, 2, 3])], emb: [unit(0)] },
    };
    expect(evaluateVs(d, 'ecfp').metrics.rocAuc).toBe(1);
    expect(evaluateVs(d, 'embedding').metrics.rocAuc).toBeLessThan(0.95);
    // The sum of z-scores: the analogue's ECFP4 similarity stands ~6 sd above the library's and wins.
    expect(evaluateVs(d, 'fusion').metrics.rocAuc).toBe(1);
    // A compound the model cannot read ranks by its ECFP4 similarity, with the lowest embedding z.
    expect(zScores(Float64Array.of(1, 2, 3, -Infinity))).toEqual(Float64Array.of(-1, 0, 1, -1));
  });

  it('few-query protocol: draws that many actives as queries, ranks everything else, mean ± sd over draws', () => {
    // Two active series: actives 0-4 share bit 60, actives 5-9 share bit 61. One query finds its own series
    // (4 of the 9 other actives) and not the other; draws land in either series, so the metrics vary.
    const series = fps.map((f, i) => (i < 5 ? fp([i, 60]) : i < 10 ? fp([i, 61]) : f));
    const d: VsData = { labels, keys, fps: series, queries: { keys: keys.slice(0, 10), fps: series.slice(0, 10) } };
    const one = evaluateVs(d, 'ecfp', { queries: 1, draws: 20 }, 3);
    expect(one).toMatchObject({ folds: 20, queries: 1, n: 49, actives: 9 });
    expect(one.protocol).toMatch(/1 query drawn at random 20 times from the 10 actives/);
    // The query's series (4 actives, similarity 1/3) ranks above the 40 decoys; the other series (5) ties
    // with them: ROC-AUC (4·40 + 5·40/2) / (9·40) = 13/18 whichever active is drawn.
    expect(one.metrics.rocAuc).toBeCloseTo(13 / 18, 10);
    expect(one.sd.rocAuc).toBeCloseTo(0, 10);
    // Five queries almost always cover both series.
    const five = evaluateVs(d, 'ecfp', { queries: 5, draws: 20 }, 3);
    expect(five).toMatchObject({ folds: 20, queries: 5, n: 45 });
    expect(five.metrics.rocAuc).toBeGreaterThan(one.metrics.rocAuc);
    // Seeded: the same draws again.
    expect(evaluateVs(d, 'ecfp', { queries: 5, draws: 20 }, 3)).toEqual(five);
    expect(() => fewQueryVs(d, 'ecfp', { queries: 10, draws: 2 })).toThrow(/needs more than 10 \(found 10\)/);
    expect(() => fewQueryVs(d, 'model', { queries: 1, draws: 2 })).toThrow(/model ranks by its own scores/);
  });
});
