/** Regression and classification metrics (pure functions over plain arrays). */

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
  spearman: number;
}

export interface ClassificationMetrics {
  rocAuc: number;
  prAuc: number;
  accuracy: number;
}

function check(y: ArrayLike<number>, p: ArrayLike<number>): void {
  if (y.length !== p.length) throw new Error(`metric inputs differ in length (${y.length} vs ${p.length})`);
  if (y.length === 0) throw new Error('metrics need at least one value');
}

/** Average ranks (1-based; ties share the mean rank). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number));
  const r = new Float64Array(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && x[order[j + 1] as number] === x[order[i] as number]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k] as number] = avg;
    i = j + 1;
  }
  return r;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

export function regressionMetrics(y: ArrayLike<number>, p: ArrayLike<number>): RegressionMetrics {
  check(y, p);
  const n = y.length;
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (y[i] as number) - (p[i] as number);
    se += d * d;
    ae += Math.abs(d);
    ss += ((y[i] as number) - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: ss === 0 ? 0 : 1 - se / ss, spearman: pearson(ranks(y), ranks(p)) };
}

/**
 * Regression metrics where some values are bounds (`bounds`: -1 the value is an upper bound, +1 a lower
 * one, 0 measured): the usual metrics over the measured values, and `boundsKept`, the fraction of the
 * bounded ones predicted on the right side of their bound. Without bounds, or with fewer than two
 * measured values, every value is compared as measured.
 */
export function censoredRegressionMetrics(y: ArrayLike<number>, p: ArrayLike<number>, bounds: ArrayLike<number>): RegressionMetrics & { boundsKept?: number } {
  check(y, p);
  const measured: number[] = [];
  const bounded: number[] = [];
  for (let j = 0; j < y.length; j++) (bounds[j] === 0 ? measured : bounded).push(j);
  if (bounded.length === 0 || measured.length < 2) return regressionMetrics(y, p);
  const kept = bounded.filter((j) => ((bounds[j] as number) < 0 ? (p[j] as number) <= (y[j] as number) : (p[j] as number) >= (y[j] as number))).length;
  return {
    ...regressionMetrics(
      measured.map((j) => y[j] as number),
      measured.map((j) => p[j] as number),
    ),
    boundsKept: kept / bounded.length,
  };
}

/** ROC-AUC by the rank-sum (Mann–Whitney) formula; ties count half. NaN without both classes. */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  check(y, score);
  const r = ranks(score);
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) {
      pos++;
      sum += r[i] as number;
    }
  }
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Area under the precision-recall curve as average precision (scikit-learn's definition). */
export function prAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  check(y, score);
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number));
  const pos = Array.from(y).filter((v) => v === 1).length;
  if (pos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < order.length;) {
    // Tied scores form one threshold.
    let j = i;
    while (j < order.length && score[order[j] as number] === score[order[i] as number]) {
      if (y[order[j] as number] === 1) tp++;
      else fp++;
      j++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j;
  }
  return ap;
}

export function classificationMetrics(y: ArrayLike<number>, prob: ArrayLike<number>, threshold = 0.5): ClassificationMetrics {
  check(y, prob);
  let correct = 0;
  for (let i = 0; i < y.length; i++) correct += Number(((prob[i] as number) >= threshold ? 1 : 0) === y[i]);
  return { rocAuc: rocAuc(y, prob), prAuc: prAuc(y, prob), accuracy: correct / y.length };
}

/** Mean and (sample) standard deviation. */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}
