/**
 * Consensus of several models' predictions, the recommended model of a run and split-conformal
 * prediction intervals, all fitted on a run's validation split (never on its test split). Pure functions.
 */
import type { PredictionInterval } from '../../src-shared/dto';
import { bandIndex } from '../../src-shared/models';
import { regressionMetrics, rocAuc } from './metrics';

export type TaskType = 'regression' | 'classification';

/** The interval level every model states (80%: a chemist's "likely range"). */
export const INTERVAL_LEVEL = 0.8;

/** Weight grid step of the consensus search (weights are multiples of it, summing to 1). */
const STEP = 0.05;

const clip = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** The loss a consensus minimises: mean squared error (regression) or log loss of probabilities (classification). */
function loss(task: TaskType, y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number;
    const pi = p[i] as number;
    s += task === 'regression' ? (yi - pi) ** 2 : -(yi * Math.log(clip(pi)) + (1 - yi) * Math.log(clip(1 - pi)));
  }
  return s / Math.max(1, y.length);
}

/** Every weight vector on the simplex grid of `k` members (step STEP). */
function simplexGrid(k: number): number[][] {
  const units = Math.round(1 / STEP);
  const out: number[][] = [];
  const walk = (prefix: number[], left: number) => {
    if (prefix.length === k - 1) {
      out.push([...prefix, left].map((u) => u / units));
      return;
    }
    for (let u = 0; u <= left; u++) walk([...prefix, u], left - u);
  };
  walk([], units);
  return out;
}

/** The weighted mean of the members' predictions. */
export function combine(weights: number[], preds: ArrayLike<number>[]): Float64Array {
  const n = preds[0]?.length ?? 0;
  const out = new Float64Array(n);
  preds.forEach((p, m) => {
    const w = weights[m] as number;
    if (w === 0) return;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + w * (p[i] as number);
  });
  return out;
}

/**
 * Consensus weights (non-negative multiples of 0.05, summing to 1) minimising the validation loss of the
 * weighted mean of the members' predictions; of equal losses, the more even weights win.
 */
export function fitWeights(task: TaskType, y: ArrayLike<number>, preds: ArrayLike<number>[]): number[] {
  if (preds.length === 0) throw new Error('a consensus needs at least one member');
  if (preds.length === 1) return [1];
  let best: { w: number[]; loss: number; max: number } | null = null;
  for (const w of simplexGrid(preds.length)) {
    const l = loss(task, y, combine(w, preds));
    const max = Math.max(...w);
    if (!best || l < best.loss - 1e-12 || (Math.abs(l - best.loss) <= 1e-12 && max < best.max)) best = { w, loss: l, max };
  }
  return (best as { w: number[] }).w;
}

/**
 * Honest validation predictions of a consensus: the validation split in two interleaved halves, the
 * weights fitted on each half predict the other (so the consensus is not judged on the data that chose
 * its weights), and the weights fitted on all of it, which the registered consensus uses.
 */
export function crossFitConsensus(task: TaskType, y: ArrayLike<number>, preds: ArrayLike<number>[]): { weights: number[]; honest: Float64Array } {
  const n = y.length;
  const weights = fitWeights(task, y, preds);
  const honest = new Float64Array(n);
  for (const half of [0, 1]) {
    const fitIdx: number[] = [];
    const outIdx: number[] = [];
    for (let i = 0; i < n; i++) (i % 2 === half ? outIdx : fitIdx).push(i);
    // Too few to fit on: the half takes the weights of the whole split.
    const w =
      fitIdx.length < 4
        ? weights
        : fitWeights(
            task,
            fitIdx.map((i) => y[i] as number),
            preds.map((p) => fitIdx.map((i) => p[i] as number)),
          );
    const c = combine(
      w,
      preds.map((p) => outIdx.map((i) => p[i] as number)),
    );
    outIdx.forEach((i, k) => (honest[i] = c[k] as number));
  }
  return { weights, honest };
}

/** The split-conformal quantile: the ⌈(n+1)·level⌉-th smallest score (Infinity when n is too small). */
export function conformalQuantile(scores: ArrayLike<number>, level = INTERVAL_LEVEL): number {
  const sorted = Float64Array.from(scores).sort();
  const k = Math.ceil((sorted.length + 1) * level);
  return k > sorted.length ? Number.POSITIVE_INFINITY : (sorted[k - 1] as number);
}

/** The fewest validation compounds a similarity bin of a calibration holds. */
export const MIN_BIN = 30;
/** The most similarity bins a calibration splits its validation compounds into. */
export const MAX_BINS = 3;

/**
 * A model's calibration on the validation split: for regression the half-width of its `level` interval
 * (prediction ± halfWidth), for classification the largest nonconformity (1 − probability of the true
 * class) a class may have to be in the prediction set.
 *
 * Mondrian conformal (`bins`): errors usually grow as a compound moves away from the training set, and one
 * width for all states too narrow an interval for the least similar compounds (the ones a chemist most
 * needs a warning on) and too wide a one for near analogues. With enough validation compounds the
 * calibration splits them by their highest ECFP4 Tanimoto similarity to the training set (the
 * applicability domain's measure) into up to MAX_BINS bins of at least MIN_BIN each, and each bin has its
 * own quantile: the `level` coverage then holds within each bin, not only on average. `q` is the bin's
 * half-width or threshold; `from` its lowest similarity (the first bin's is 0). The overall `halfWidth` /
 * `threshold` applies where a compound's similarity is not known. The widths are not forced to fall as
 * similarity rises: on ESOL's scaffold split the most similar band has the largest errors (validation and
 * test alike, bench/results/mondrian-reference.txt), and merging bands until they fall lost that coverage.
 */
export type Calibration = { method: 'split-conformal' | 'mondrian-conformal'; level: number; n: number; bins?: SimilarityBin[] } & (
  { halfWidth: number } | { threshold: number }
);

export interface SimilarityBin {
  from: number;
  n: number;
  q: number;
}

/**
 * Whether a stored or imported calibration can state intervals: a level in (0, 1), a count, a non-negative
 * overall half-width or threshold, and bands (if any) of ascending lower similarity, the first from 0.
 */
export function isCalibration(c: unknown): c is Calibration {
  if (typeof c !== 'object' || c === null) return false;
  const x = c as Record<string, unknown>;
  const quantile = (q: unknown) => typeof q === 'number' && q >= 0;
  if (!(typeof x.level === 'number' && x.level > 0 && x.level < 1) || !Number.isInteger(x.n)) return false;
  if (!('halfWidth' in x ? quantile(x.halfWidth) : quantile(x.threshold))) return false;
  if (x.bins === undefined) return true;
  if (!Array.isArray(x.bins) || x.bins.length === 0) return false;
  return x.bins.every((b: unknown, i: number, all: unknown[]) => {
    const bin = b as Record<string, unknown> | null;
    const prev = i === 0 ? null : (all[i - 1] as Record<string, unknown>);
    const from = bin?.from;
    return typeof from === 'number' && (i === 0 ? from === 0 : from > (prev?.from as number)) && Number.isInteger(bin?.n) && quantile(bin?.q);
  });
}

/**
 * The lower similarity edges of the bins: equal-count cuts of the sorted similarities, then any bin that
 * ties left short of MIN_BIN merged into the one below it. One edge (0) where there are too few compounds.
 */
export function similarityEdges(sims: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(sims).sort();
  const bins = Math.min(MAX_BINS, Math.floor(sorted.length / MIN_BIN));
  const edges = [0];
  for (let b = 1; b < bins; b++) {
    const e = sorted[Math.round((b * sorted.length) / bins)] as number;
    if (e > (edges[edges.length - 1] as number)) edges.push(e);
  }
  for (;;) {
    if (edges.length === 1) return edges;
    const bands = edges.map((from) => ({ from }));
    const counts = edges.map(() => 0);
    for (const s of sorted) (counts[bandIndex(bands, s)] as number)++;
    const short = counts.findIndex((c) => c < MIN_BIN);
    if (short < 0) return edges;
    // The short bin joins its lower neighbour (the first bin its upper one).
    edges.splice(Math.max(1, short), 1);
  }
}

/**
 * Calibrates on the validation split's measured values `y` and predictions `p`; with `sims` (each
 * compound's highest similarity to the training set) and enough compounds, per similarity bin.
 */
export function calibrate(task: TaskType, y: ArrayLike<number>, p: ArrayLike<number>, sims?: ArrayLike<number> | null, level = INTERVAL_LEVEL): Calibration {
  const scores = Array.from({ length: y.length }, (_, i) =>
    task === 'regression' ? Math.abs((y[i] as number) - (p[i] as number)) : 1 - ((y[i] as number) === 1 ? (p[i] as number) : 1 - (p[i] as number)),
  );
  const q = conformalQuantile(scores, level);
  const edges = sims && sims.length === scores.length && !Array.from(sims).some(Number.isNaN) ? similarityEdges(sims) : [0];
  const bands = edges.map((from) => ({ from }));
  const bandOfScore = edges.length < 2 ? [] : Array.from(sims as ArrayLike<number>, (sim) => bandIndex(bands, sim));
  const bins =
    edges.length < 2
      ? undefined
      : bands.map(({ from }, b) => {
          const own = scores.filter((_, i) => bandOfScore[i] === b);
          return { from, n: own.length, q: conformalQuantile(own, level) };
        });
  const head = bins ? { method: 'mondrian-conformal' as const, level, n: y.length, bins } : { method: 'split-conformal' as const, level, n: y.length };
  return task === 'regression' ? { ...head, halfWidth: q } : { ...head, threshold: q };
}

/** A prediction's interval: [lower, upper] (regression) or the classes in its prediction set (classification). */
export type Interval = PredictionInterval;

/** The calibration's quantile for a compound of highest training-set similarity `sim` (unknown: the overall one). */
function quantileAt(c: Calibration, sim: number | null | undefined): number {
  const overall = 'halfWidth' in c ? c.halfWidth : c.threshold;
  if (!c.bins?.length || sim === null || sim === undefined || Number.isNaN(sim)) return overall;
  return (c.bins[bandIndex(c.bins, sim)] as SimilarityBin).q;
}

/** The interval of `prediction` for a compound whose highest similarity to the training set is `sim`. */
export function intervalOf(c: Calibration, prediction: number, sim?: number | null): Interval {
  const q = quantileAt(c, sim);
  if ('halfWidth' in c) return { level: c.level, lower: prediction - q, upper: prediction + q };
  // Class 0 is in the set when its nonconformity 1 − P(0) = p is within the threshold, class 1 when 1 − p is.
  const classes: Array<0 | 1> = [];
  if (prediction <= q + 1e-12) classes.push(0);
  if (1 - prediction <= q + 1e-12) classes.push(1);
  return { level: c.level, classes };
}

/**
 * Test-split coverage of a calibration (share of compounds whose interval or set holds the measured
 * value) and its mean width or set size; with `sims`, also the coverage on the least similar third of the
 * compounds (`far`), where a single width falls short first.
 */
export function coverage(
  c: Calibration,
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  sims?: ArrayLike<number> | null,
): { coverage: number; width: number; far?: number } {
  let width = 0;
  const hits = Array.from({ length: y.length }, (_, i) => {
    const iv = intervalOf(c, p[i] as number, sims ? (sims[i] as number) : null);
    const yi = y[i] as number;
    if ('classes' in iv) {
      width += iv.classes.length;
      return iv.classes.includes(yi as 0 | 1);
    }
    width += iv.upper - iv.lower;
    return yi >= iv.lower && yi <= iv.upper;
  });
  const n = Math.max(1, y.length);
  const out = { coverage: hits.filter(Boolean).length / n, width: width / n };
  if (!sims || sims.length !== y.length || y.length < 3) return out;
  const farIdx = Array.from({ length: y.length }, (_, i) => i)
    .sort((a, b) => (sims[a] as number) - (sims[b] as number))
    .slice(0, Math.ceil(y.length / 3));
  return { ...out, far: farIdx.filter((i) => hits[i]).length / farIdx.length };
}

/** A model's validation score: RMSE (lower is better) or ROC-AUC (higher is better), and the metric's name. */
export function validationScore(task: TaskType, y: ArrayLike<number>, p: ArrayLike<number>): { metric: 'rmse' | 'rocAuc'; value: number } {
  if (task === 'regression') return { metric: 'rmse', value: regressionMetrics(y, p).rmse };
  // One class only in a small validation split: no ROC-AUC, so no ranking.
  const pos = Array.from(y).filter((v) => v === 1).length;
  if (pos === 0 || pos === y.length) return { metric: 'rocAuc', value: Number.NaN };
  return { metric: 'rocAuc', value: rocAuc(y, p) };
}

export interface Candidate<R extends string> {
  role: R;
  valid: { metric: 'rmse' | 'rocAuc'; value: number };
}

/**
 * The recommended model: best on the validation split (RMSE lowest, ROC-AUC highest); a candidate within
 * 1% of the best that comes earlier in `candidates` (smaller and faster models first) is preferred, since
 * a validation split cannot tell such differences apart. Null when no candidate has a score.
 */
export function recommend<R extends string>(candidates: Candidate<R>[]): { role: R; why: string } | null {
  const scored = candidates.filter((c) => Number.isFinite(c.valid.value));
  if (scored.length === 0) return null;
  const lower = scored[0]?.valid.metric === 'rmse';
  const best = scored.reduce((a, b) => (lower ? (b.valid.value < a.valid.value ? b : a) : b.valid.value > a.valid.value ? b : a));
  const close = (c: Candidate<R>) => (lower ? c.valid.value <= best.valid.value * 1.01 : c.valid.value >= best.valid.value * 0.99);
  const pick = scored.find(close) ?? best;
  const name = lower ? 'RMSE' : 'ROC-AUC';
  const others = scored.filter((c) => c !== pick).map((c) => `${c.role} ${c.valid.value.toFixed(3)}`);
  const why =
    pick === best
      ? `best validation ${name} (${pick.valid.value.toFixed(3)}; ${others.join(', ')})`
      : `validation ${name} ${pick.valid.value.toFixed(3)}, within 1% of the best (${best.role} ${best.valid.value.toFixed(3)}) and listed first (smaller or simpler); ${others.join(', ')}`;
  return { role: pick.role, why };
}
