/**
 * Desirability (MPO) scores as StarDrop and Derringer–Suich define them: each property mapped to [0, 1] by a
 * desirability function, combined as a weighted geometric mean (one property at 0 makes the score 0).
 * Shared: the main process scores libraries with it and the renderer draws the functions.
 */

/** How a property's value maps to its desirability. */
export type Desirability =
  /** More is better: 0 at or below `low`, 1 at or above `high`, linear between. */
  | { fn: 'up'; low: number; high: number }
  /** Less is better: 1 at or below `low`, 0 at or above `high`, linear between. */
  | { fn: 'down'; low: number; high: number }
  /** Within [low, high]: 1; falling linearly to 0 over `tolerance` outside (0: a hard edge). */
  | { fn: 'range'; low: number; high: number; tolerance?: number }
  /** At `target`: 1; falling linearly to 0 at target ± tolerance. */
  | { fn: 'target'; target: number; tolerance: number };

/** One term of a score: a column (the library's own, numeric) or a descriptor (mw, clogp, …), its function and weight. */
export type ScoreTerm = Desirability & { column: string; weight: number };

export interface ScoreDefinition {
  name: string;
  terms: ScoreTerm[];
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** The desirability of value x (a number) under d. */
export function desirability(d: Desirability, x: number): number {
  switch (d.fn) {
    case 'up':
      return d.high === d.low ? (x >= d.high ? 1 : 0) : clamp01((x - d.low) / (d.high - d.low));
    case 'down':
      return d.high === d.low ? (x <= d.low ? 1 : 0) : clamp01((d.high - x) / (d.high - d.low));
    case 'range': {
      if (x >= d.low && x <= d.high) return 1;
      const t = d.tolerance ?? 0;
      if (t <= 0) return 0;
      return clamp01(1 - (x < d.low ? d.low - x : x - d.high) / t);
    }
    case 'target':
      return d.tolerance <= 0 ? (x === d.target ? 1 : 0) : clamp01(1 - Math.abs(x - d.target) / d.tolerance);
  }
}

/**
 * The weighted geometric mean of the terms' desirabilities, exp(Σ wᵢ ln dᵢ / Σ wᵢ), over the terms whose value
 * is known (a missing value leaves its term out; none known: null). Any desirability 0 makes it 0.
 */
export function mpoScore(terms: ScoreTerm[], valueOf: (column: string) => number | null): number | null {
  let sumW = 0;
  let sumLog = 0;
  for (const t of terms) {
    const x = valueOf(t.column);
    if (x === null || !Number.isFinite(x) || t.weight <= 0) continue;
    const d = desirability(t, x);
    if (d === 0) return 0;
    sumW += t.weight;
    sumLog += t.weight * Math.log(d);
  }
  return sumW === 0 ? null : Math.exp(sumLog / sumW);
}
