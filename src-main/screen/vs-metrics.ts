import { prAuc, rocAuc } from '../train/metrics';

/**
 * Virtual-screening metrics over a ranked list (higher score = ranked first). Tied scores are scored
 * by their expected value over a random order inside the tie, so an input that lists actives first
 * (as DUD-E files do) cannot gain from ties.
 */

interface TieGroup {
  /** 1-based ranks first..last occupied by the group. */
  first: number;
  last: number;
  actives: number;
}

function tieGroups(y: ArrayLike<number>, score: ArrayLike<number>): { groups: TieGroup[]; n: number; actives: number } {
  if (y.length !== score.length) throw new Error(`labels (${y.length}) and scores (${score.length}) differ in length`);
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number));
  const groups: TieGroup[] = [];
  let actives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    let a = 0;
    while (j < order.length && score[order[j] as number] === score[order[i] as number]) {
      if (y[order[j] as number] === 1) a++;
      j++;
    }
    groups.push({ first: i + 1, last: j, actives: a });
    actives += a;
    i = j;
  }
  return { groups, n: y.length, actives };
}

/**
 * Enrichment factor at a fraction of the list: (actives in the top ⌈fraction·N⌉ / ⌈fraction·N⌉) divided
 * by (actives / N), as RDKit's CalcEnrichment defines it. NaN without actives.
 */
export function enrichmentFactor(y: ArrayLike<number>, score: ArrayLike<number>, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`fraction must be in (0, 1], got ${fraction}`);
  const { groups, n, actives } = tieGroups(y, score);
  if (actives === 0 || n === 0) return Number.NaN;
  const top = Math.ceil(fraction * n);
  let found = 0;
  for (const g of groups) {
    if (g.first > top) break;
    const inside = Math.min(g.last, top) - g.first + 1;
    found += (g.actives * inside) / (g.last - g.first + 1);
  }
  return found / top / (actives / n);
}

/**
 * BEDROC (Truchon & Bayly 2007) with early-recognition parameter alpha (20 puts 80% of the weight on
 * the top 8%), in the form RDKit's CalcBEDROC computes. NaN without actives or without inactives.
 */
export function bedroc(y: ArrayLike<number>, score: ArrayLike<number>, alpha = 20): number {
  const { groups, n, actives } = tieGroups(y, score);
  if (actives === 0 || actives === n) return Number.NaN;
  let s = 0;
  for (const g of groups) {
    if (g.actives === 0) continue;
    // Expected exp(-alpha r / N) of one active placed at random inside the tie group.
    let mean = 0;
    for (let r = g.first; r <= g.last; r++) mean += Math.exp((-alpha * r) / n);
    s += (g.actives * mean) / (g.last - g.first + 1);
  }
  const ra = actives / n;
  const randomSum = (ra * Math.exp(-alpha / n) * (1 - Math.exp(-alpha))) / (1 - Math.exp(-alpha / n));
  const factor = (ra * Math.sinh(alpha / 2)) / (Math.cosh(alpha / 2) - Math.cosh(alpha / 2 - alpha * ra));
  const constant = 1 / (1 - Math.exp(alpha * (1 - ra)));
  return (s * factor) / randomSum + constant;
}

export interface VsMetrics {
  rocAuc: number;
  prAuc: number;
  ef1: number;
  ef5: number;
  bedroc20: number;
}

/** All the screening metrics Delicate reports, for one ranked list. */
export function vsMetrics(y: ArrayLike<number>, score: ArrayLike<number>): VsMetrics {
  return {
    rocAuc: rocAuc(y, score),
    prAuc: prAuc(y, score),
    ef1: enrichmentFactor(y, score, 0.01),
    ef5: enrichmentFactor(y, score, 0.05),
    bedroc20: bedroc(y, score, 20),
  };
}

/**
 * Enrichment curve (fraction of the list screened → fraction of actives found) from (0, 0): at `points`
 * evenly spaced fractions, or at the given ascending fractions in (0, 1] (e.g. finer early, for a log axis).
 */
export function enrichmentCurve(y: ArrayLike<number>, score: ArrayLike<number>, points: number | number[] = 100): Array<{ screened: number; found: number }> {
  const { groups, n, actives } = tieGroups(y, score);
  const out = [{ screened: 0, found: 0 }];
  if (n === 0 || actives === 0) return out;
  const fractions = Array.isArray(points) ? points : Array.from({ length: points }, (_, i) => (i + 1) / points);
  let cumulative = 0;
  let gi = 0;
  let before = 0;
  for (const fraction of fractions) {
    const top = Math.round(fraction * n);
    while (gi < groups.length && (groups[gi] as TieGroup).last <= top) {
      before += (groups[gi] as TieGroup).actives;
      gi++;
    }
    cumulative = before;
    const g = groups[gi];
    if (g && g.first <= top) cumulative += (g.actives * (top - g.first + 1)) / (g.last - g.first + 1);
    out.push({ screened: top / n, found: cumulative / actives });
  }
  return out;
}
