import { describe, expect, it } from 'vitest';
import { evaluateVs, type VsData } from './vs';

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
    const d: VsData = { labels, keys, fps, queries: { keys: ['X'], fps: [fp([0, 1, 2])] }, modelScores: Array.from({ length: n }, (_, i) => (i < 10 ? 0.9 : i === 49 ? null : 0.1)) };
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
});
