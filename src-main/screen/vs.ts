import { seededRandom } from '../../src-shared/random';
import { meanSd } from '../train/metrics';
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

/**
 * Each score as its distance from the scores' mean in standard deviations (over the finite scores; a
 * compound without one, e.g. unreadable by the model, gets the lowest z).
 */
export function zScores(a: Float64Array): Float64Array {
  const finite = Array.from(a).filter((x) => Number.isFinite(x));
  const { mean, sd } = meanSd(finite);
  const scale = sd > 0 ? sd : 1;
  const floor = finite.length ? (finite.reduce((lo, x) => Math.min(lo, x), Infinity) - mean) / scale : 0;
  return Float64Array.from(a, (x) => (Number.isFinite(x) ? (x - mean) / scale : floor));
}

function scoresOf(method: VsMethod, d: VsData, queries: number[], ranked: number[]): Float64Array {
  if (method === 'ecfp') return ecfpScores(d, queries, ranked);
  if (method === 'embedding') return embeddingScores(d, queries, ranked);
  if (method === 'model') return Float64Array.from(ranked, (i) => d.modelScores?.[i] ?? -Infinity);
  // Fusion: the sum of the two similarities as z-scores over the ranked library (CombSUM of z-normalised
  // scores). Unlike the mean of the two ranks it keeps how far a compound stands out: an analogue at
  // ECFP4 Tanimoto 0.8 stays on top even where the embedding ranks it only in its first few percent,
  // which the rank mean dragged down (few-query DUD-E ADA, 5 queries: EF1% 62.9 as ECFP4's, against 52.5
  // for the rank mean; bench/results/screen-fewquery.md).
  const a = zScores(ecfpScores(d, queries, ranked));
  const b = zScores(embeddingScores(d, queries, ranked));
  return Float64Array.from(a, (x, i) => x + (b[i] as number));
}

/**
 * How the query actives are used. A number k: k-fold over the query actives found in the library (each
 * fold ranked by similarity to the others). `{queries, draws}`: the few-query protocol chemists face with
 * a new target: `queries` actives drawn at random, `draws` times, each draw ranking everything else.
 */
export type VsProtocol = number | { queries: number; draws: number };

interface Pass {
  metrics: VsMetrics;
  curve: Array<{ screened: number; found: number }>;
  n: number;
  actives: number;
}

/** Ranks every library compound not in `excluded` by `method` against `queries`, and scores the ranking. */
function pass(d: VsData, method: VsMethod, queries: number[], excluded: Set<number>): Pass {
  const ranked = d.keys.map((_, i) => i).filter((i) => !excluded.has(i));
  const y = Uint8Array.from(ranked, (i) => d.labels[i] as number);
  const s = scoresOf(method, d, queries, ranked);
  return { metrics: vsMetrics(y, s), curve: enrichmentCurve(y, s, CURVE_FRACTIONS), n: ranked.length, actives: y.reduce((a, b) => a + b, 0) };
}

/** Mean and sd of each metric over the passes, the mean curve, and the mean counts. */
function aggregate(passes: Pass[]): Pick<VsResult, 'metrics' | 'sd' | 'curve' | 'n' | 'actives'> {
  const keys = Object.keys(passes[0]?.metrics ?? {}) as Array<keyof VsMetrics>;
  const metrics = {} as VsMetrics;
  const sd = {} as VsMetrics;
  for (const key of keys) {
    const m = meanSd(passes.map((p) => p.metrics[key]));
    metrics[key] = m.mean;
    sd[key] = m.sd;
  }
  const curve = (passes[0]?.curve ?? []).map((pt, i) => ({
    screened: pt.screened,
    found: passes.reduce((a, p) => a + (p.curve[i]?.found ?? 0), 0) / passes.length,
  }));
  return {
    metrics,
    sd,
    curve,
    n: Math.round(passes.reduce((a, p) => a + p.n, 0) / passes.length),
    actives: Math.round(passes.reduce((a, p) => a + p.actives, 0) / passes.length),
  };
}

function shuffledCopy(xs: number[], rand: () => number): number[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/**
 * Ranks the library against the query actives and scores the ranking with the labels. Query actives
 * that are themselves in the library (same key) would find themselves at similarity 1, so they are
 * split into `folds` folds: each fold's actives are ranked (among everything not used as a query) by
 * similarity to the other queries only, and the metrics are averaged over the folds. A model ranks
 * by its own scores in one pass. With `{queries, draws}` the few-query protocol runs instead
 * (fewQueryVs).
 */
export function evaluateVs(d: VsData, method: VsMethod, protocol: VsProtocol = 5, seed = 1, onPass?: (done: number, passes: number) => void): VsResult {
  if (typeof protocol !== 'number') return fewQueryVs(d, method, protocol, seed, onPass);
  const folds = protocol;
  const libIndex = new Map<string, number>();
  d.keys.forEach((k, i) => libIndex.set(k, i));
  // A model ranks by its own scores: no queries.
  const allQueries = method === 'model' ? [] : d.queries.keys.map((_, q) => q);
  // Queries whose compound is in the library.
  const overlap = allQueries.filter((q) => libIndex.has(d.queries.keys[q] as string));
  const shuffled = shuffledCopy(overlap, seededRandom(seed));
  const k = overlap.length === 0 ? 1 : Math.min(folds, overlap.length);
  const passes: Pass[] = [];
  for (let f = 0; f < k; f++) {
    const held = new Set(shuffled.filter((_, i) => i % k === f));
    const queries = allQueries.filter((q) => !held.has(q));
    // Compounds used as queries in this pass are not ranked.
    const excluded = new Set(queries.filter((q) => libIndex.has(d.queries.keys[q] as string)).map((q) => libIndex.get(d.queries.keys[q] as string) as number));
    passes.push(pass(d, method, queries, excluded));
    onPass?.(f + 1, k);
  }
  const protocolText =
    method === 'model'
      ? 'ranked by the model in one pass'
      : overlap.length > 0
        ? `${k}-fold over the ${overlap.length} query actives found in the library: each fold's actives are ranked among the compounds not used as queries by similarity to the other folds' actives (no query scores itself or its fold); metrics are the mean over folds`
        : `one pass: none of the ${allQueries.length} query actives is in the library`;
  return {
    method,
    ...aggregate(passes),
    queries: allQueries.length - (overlap.length > 0 ? Math.round(overlap.length / k) : 0),
    folds: k,
    protocol: protocolText,
  };
}

/**
 * The few-query protocol: `queries` of the query actives found in the library are drawn at random (seeded),
 * `draws` times; each draw ranks every other compound by similarity to the drawn ones, and the metrics
 * are the mean ± sd over the draws. This is what a chemist with one or a handful of known actives faces,
 * and what the literature reports beside the many-query k-fold numbers.
 */
export function fewQueryVs(
  d: VsData,
  method: VsMethod,
  p: { queries: number; draws: number },
  seed = 1,
  onPass?: (done: number, passes: number) => void,
): VsResult {
  if (method === 'model') throw new Error('the few-query protocol ranks by similarity to query actives; a model ranks by its own scores (use folds)');
  const libIndex = new Map<string, number>();
  d.keys.forEach((k, i) => libIndex.set(k, i));
  const inLibrary = d.queries.keys.map((_, q) => q).filter((q) => libIndex.has(d.queries.keys[q] as string));
  if (inLibrary.length <= p.queries) {
    throw new Error(
      `the few-query protocol draws ${p.queries} of the query actives found in the library and ranks the others: it needs more than ${p.queries} (found ${inLibrary.length})`,
    );
  }
  const rand = seededRandom(seed);
  const passes: Pass[] = [];
  for (let draw = 0; draw < p.draws; draw++) {
    const drawn = shuffledCopy(inLibrary, rand).slice(0, p.queries);
    passes.push(pass(d, method, drawn, new Set(drawn.map((q) => libIndex.get(d.queries.keys[q] as string) as number))));
    onPass?.(draw + 1, p.draws);
  }
  return {
    method,
    ...aggregate(passes),
    queries: p.queries,
    folds: p.draws,
    protocol: `${p.queries} quer${p.queries === 1 ? 'y' : 'ies'} drawn at random ${p.draws} times from the ${inLibrary.length} actives found in the library: each draw ranks every other compound by similarity to the drawn ones; metrics are the mean ± sd over draws`,
  };
}
