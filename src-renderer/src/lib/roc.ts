/**
 * The ROC curve of scores against 0/1 labels: (false-positive rate, true-positive rate) from (0, 0) to
 * (1, 1), highest scores first. Tied scores move together (one diagonal step), so the area under the
 * points is the ROC-AUC with ties counted as half.
 */
export function rocCurve(scores: readonly number[], labels: readonly number[]): Array<{ fpr: number; tpr: number }> {
  const order = scores.map((s, i) => ({ s, y: labels[i] === 1 ? 1 : 0 })).sort((a, b) => b.s - a.s);
  const pos = order.reduce((n, o) => n + o.y, 0);
  const neg = order.length - pos;
  const points = [{ fpr: 0, tpr: 0 }];
  if (pos === 0 || neg === 0) return points;
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length;) {
    const s = (order[i] as { s: number }).s;
    for (; i < order.length && (order[i] as { s: number }).s === s; i++) {
      if ((order[i] as { y: number }).y) tp++;
      else fp++;
    }
    points.push({ fpr: fp / neg, tpr: tp / pos });
  }
  return points;
}

/** The area under ROC points (trapezoids). */
export function areaUnder(points: ReadonlyArray<{ fpr: number; tpr: number }>): number {
  let a = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1] as { fpr: number; tpr: number };
    const q = points[i] as { fpr: number; tpr: number };
    a += ((q.fpr - p.fpr) * (q.tpr + p.tpr)) / 2;
  }
  return a;
}
