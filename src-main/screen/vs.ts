import { seededRandom } from '../../src-shared/random';
import { meanSd, ranks } from '../train/metrics';
import { DomainIndex } from './domain';
import { enrichmentCurve, vsMetrics, type VsMetrics } from './vs-metrics';

/** How a library is ranked against known actives. */
export type VsMethod = 'ecfp' | 'embedding' | 'fusion' | 'model';

/** A labelled library and the query actives, aligned by index; `key` is the compound identity (InChIKey). */
export interface VsData {
  labels: Uint8Array;
  keys: string[];
  fps: Uint8Array[];
  /** Unit-length embeddings (null: the model could not read the compound). */
  emb?: Array<Float32Array | null>;
  /** Model scores (probability of activity; null: unreadable). */
  modelScores?: Array<number | null>;
  queries: { keys: string[]; fps: Uint8Array[]; emb?: Array<Float32Array | null> };
}

export interface VsResult {
  method: VsMethod;
  metrics: VsMetrics;
  /** Standard deviation of each metric over the folds (0 with one pass). */
  sd: VsMetrics;
  /** Ranked compounds per pass (the library less the queries that are in it). */
  n: number;
  actives: number;
  queries: number;
  folds: number;
  protocol: string;
  curve: Array<{ screened: number; found: number }>;
}

/** Where the enrichment curve is sampled: finely over the first 1% (early enrichment, on a log axis), then every 1%. */
export const CURVE_FRACTIONS = [0.001, 0.002, 0.003, 0.005, 0.007, ...Array.from({ length: 100 }, (_, i) => (i + 1) / 100)];

/** Max Tanimoto of each ranked compound to the queries. */
function ecfpScores(d: VsData, queries: number[], ranked: number[]): Float64Array {
  const index = new DomainIndex(queries.map((q) => d.queries.fps[q] as Uint8Array));
  return Float64Array.from(ranked, (i) => index.maxSimilarity(d.fps[i] as Uint8Array) ?? 0);
}

/** Max cosine of each ranked compound's embedding to the queries'; unreadable compounds rank last. */
function embeddingScores(d: VsData, queries: number[], ranked: number[]): Float64Array {
  if (!d.emb || !d.queries.emb) throw new Error('embedding similarity needs embeddings');
  const qs = queries.map((q) => d.queries.emb?.[q]).filter((e): e is Float32Array => e instanceof Float32Array);
  return Float64Array.from(ranked, (i) => {
    const e = d.emb?.[i];
    if (!e) return -Infinity;
    let best = -Infinity;
    for (const q of qs) {
      let dot = 0;
      for (let k = 0; k < e.length; k++) dot += (e[k] as number) * (q[k] as number);
      if (dot > best) best = dot;
    }
    return best;
  });
}

function scoresOf(method: VsMethod, d: VsData, queries: number[], ranked: number[]): Float64Array {
  if (method === 'ecfp') return ecfpScores(d, queries, ranked);
  if (method === 'embedding') return embeddingScores(d, queries, ranked);
  if (method === 'model') return Float64Array.from(ranked, (i) => d.modelScores?.[i] ?? -Infinity);
  // Fusion: the mean of the two rank positions (rank fusion is robust to the scores' different scales).
  const a = ranks(ecfpScores(d, queries, ranked));
  const b = ranks(embeddingScores(d, queries, ranked));
  return Float64Array.from(a, (x, i) => (x + (b[i] as number)) / 2);
}

/**
 * Ranks the library against the query actives and scores the ranking with the labels. Query actives
 * that are themselves in the library (same key) would find themselves at similarity 1, so they are
 * split into `folds` folds: each fold's actives are ranked (among everything not used as a query) by
 * similarity to the other queries only, and the metrics are averaged over the folds. A model ranks
 * by its own scores in one pass.
 */
export function evaluateVs(d: VsData, method: VsMethod, folds = 5, seed = 1, onPass?: (done: number, passes: number) => void): VsResult {
  const libIndex = new Map<string, number>();
  d.keys.forEach((k, i) => libIndex.set(k, i));
  // A model ranks by its own scores: no queries.
  const allQueries = method === 'model' ? [] : d.queries.keys.map((_, q) => q);
  // Queries whose compound is in the library.
  const overlap = allQueries.filter((q) => libIndex.has(d.queries.keys[q] as string));
  const rand = seededRandom(seed);
  const shuffled = [...overlap];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
  }
  const k = overlap.length === 0 ? 1 : Math.min(folds, overlap.length);
  const passes: Array<{ metrics: VsMetrics; curve: Array<{ screened: number; found: number }>; n: number; actives: number }> = [];
  for (let f = 0; f < k; f++) {
    const held = new Set(shuffled.filter((_, i) => i % k === f));
    const queries = allQueries.filter((q) => !held.has(q));
    // Compounds used as queries in this pass are not ranked.
    const excluded = new Set(queries.filter((q) => libIndex.has(d.queries.keys[q] as string)).map((q) => libIndex.get(d.queries.keys[q] as string) as number));
    const ranked = d.keys.map((_, i) => i).filter((i) => !excluded.has(i));
    const y = Uint8Array.from(ranked, (i) => d.labels[i] as number);
    const s = scoresOf(method, d, queries, ranked);
    passes.push({ metrics: vsMetrics(y, s), curve: enrichmentCurve(y, s, CURVE_FRACTIONS), n: ranked.length, actives: y.reduce((a, b) => a + b, 0) });
    onPass?.(f + 1, k);
  }
  const keys = Object.keys(passes[0]?.metrics ?? {}) as Array<keyof VsMetrics>;
  const metrics = {} as VsMetrics;
  const sd = {} as VsMetrics;
  for (const key of keys) {
    const m = meanSd(passes.map((p) => p.metrics[key]));
    metrics[key] = m.mean;
    sd[key] = m.sd;
  }
  const curve = (passes[0]?.curve ?? []).map((pt, i) => ({ screened: pt.screened, found: passes.reduce((a, p) => a + (p.curve[i]?.found ?? 0), 0) / passes.length }));
  const protocol =
    method === 'model'
      ? 'ranked by the model in one pass'
      : overlap.length > 0
        ? `${k}-fold over the ${overlap.length} query actives found in the library: each fold's actives are ranked among the compounds not used as queries by similarity to the other folds' actives (no query scores itself or its fold); metrics are the mean over folds`
        : `one pass: none of the ${allQueries.length} query actives is in the library`;
  return {
    method,
    metrics,
    sd,
    n: Math.round(passes.reduce((a, p) => a + p.n, 0) / passes.length),
    actives: Math.round(passes.reduce((a, p) => a + p.actives, 0) / passes.length),
    queries: allQueries.length - (overlap.length > 0 ? Math.round(overlap.length / k) : 0),
    folds: k,
    protocol,
    curve,
  };
}
