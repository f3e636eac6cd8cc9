/**
 * Consensus of several models' predictions, the recommended model of a run and split-conformal
 * prediction intervals, all fitted on a run's validation split (never on its test split). Pure functions.
 */
import type { PredictionInterval } from '../../src-shared/dto';
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

/**
 * A model's calibration on the validation split: for regression the half-width of its `level` interval
 * (prediction ± halfWidth), for classification the largest nonconformity (1 − probability of the true
 * class) a class may have to be in the prediction set.
 */
export type Calibration = { method: 'split-conformal'; level: number; n: number } & ({ halfWidth: number } | { threshold: number });

export function calibrate(task: TaskType, y: ArrayLike<number>, p: ArrayLike<number>, level = INTERVAL_LEVEL): Calibration {
  const scores = Array.from({ length: y.length }, (_, i) =>
    task === 'regression' ? Math.abs((y[i] as number) - (p[i] as number)) : 1 - ((y[i] as number) === 1 ? (p[i] as number) : 1 - (p[i] as number)),
  );
  const q = conformalQuantile(scores, level);
  return task === 'regression'
    ? { method: 'split-conformal', level, n: y.length, halfWidth: q }
    : { method: 'split-conformal', level, n: y.length, threshold: q };
}

/** A prediction's interval: [lower, upper] (regression) or the classes in its prediction set (classification). */
export type Interval = PredictionInterval;

export function intervalOf(c: Calibration, prediction: number): Interval {
  if ('halfWidth' in c) return { level: c.level, lower: prediction - c.halfWidth, upper: prediction + c.halfWidth };
  // Class 0 is in the set when its nonconformity 1 − P(0) = p is within the threshold, class 1 when 1 − p is.
  const classes: Array<0 | 1> = [];
  if (prediction <= c.threshold + 1e-12) classes.push(0);
  if (1 - prediction <= c.threshold + 1e-12) classes.push(1);
  return { level: c.level, classes };
}

/** Test-split coverage of a calibration (share of compounds whose interval or set holds the measured value) and its mean width or set size. */
export function coverage(c: Calibration, y: ArrayLike<number>, p: ArrayLike<number>): { coverage: number; width: number } {
  let hit = 0;
  let width = 0;
  for (let i = 0; i < y.length; i++) {
    const iv = intervalOf(c, p[i] as number);
    const yi = y[i] as number;
    if ('classes' in iv) {
      if (iv.classes.includes(yi as 0 | 1)) hit++;
      width += iv.classes.length;
    } else {
      if (yi >= iv.lower && yi <= iv.upper) hit++;
      width += iv.upper - iv.lower;
    }
  }
  return { coverage: hit / Math.max(1, y.length), width: width / Math.max(1, y.length) };
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
