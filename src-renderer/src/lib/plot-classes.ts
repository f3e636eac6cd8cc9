/**
 * Colour and size classes of a scatter plot's points. ECharts draws a large series (thousands of points) with
 * one colour and one size for all of them (its large mode ignores per-point visuals), so a plot coloured and
 * sized by columns is drawn as one series per (colour class, size class): equal-width bins of each column's
 * range, a missing value in its own grey / smallest class.
 */

/** Viridis at 8 stops (perceptually uniform, readable by most colour-blind readers). */
export const COLOR_RAMP = ['#440154', '#46327e', '#365c8d', '#277f8e', '#1fa187', '#4ac16d', '#a0da39', '#fde725'] as const;
/** Colour of points without a value of the colour column (or of every point when nothing colours). */
export const NO_COLOR = '#9aa3ad';
export const PLAIN_COLOR = '#4a7bd0';
/** Symbol sizes (px) of the size classes, smallest first; a point without a value takes the first. */
export const SIZES = [3, 5, 8, 12] as const;
export const PLAIN_SIZE = 4;

/** Equal-width bins of the finite values: lo, hi and which bin a value falls in (-1: no value). */
export interface Bins {
  lo: number;
  hi: number;
  count: number;
  of(v: number | null | undefined): number;
  /** [from, to] of bin k. */
  edges(k: number): [number, number];
}

export function bins(values: Array<number | null | undefined>, count: number): Bins | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return null;
  const width = (hi - lo) / count;
  return {
    lo,
    hi,
    count,
    of: (v) => (v === null || v === undefined || !Number.isFinite(v) ? -1 : width === 0 ? 0 : Math.min(count - 1, Math.floor((v - lo) / width))),
    edges: (k) => [lo + k * width, k === count - 1 ? hi : lo + (k + 1) * width],
  };
}

/** One drawn series: its points (indexes into the plotted points), colour and symbol size. */
export interface PointClass {
  color: string;
  size: number;
  points: number[];
}

/**
 * Splits points into classes by colour value and size value (either may be absent: every value undefined).
 * Classes come in a fixed order (size, then colour: small points are drawn first, big ones over them); empty
 * ones are left out.
 */
export function pointClasses(
  colorValues: Array<number | null | undefined> | null,
  sizeValues: Array<number | null | undefined> | null,
  n: number,
): {
  classes: PointClass[];
  color: Bins | null;
  size: Bins | null;
} {
  const color = colorValues ? bins(colorValues, COLOR_RAMP.length) : null;
  const size = sizeValues ? bins(sizeValues, SIZES.length) : null;
  const nColor = COLOR_RAMP.length + 1;
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = color ? color.of(colorValues?.[i]) + 1 : 0;
    const s = size ? Math.max(0, size.of(sizeValues?.[i])) : 0;
    const key = s * nColor + c;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = []));
    b.push(i);
  }
  const classes = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([key, points]) => {
      const c = key % nColor;
      const s = Math.floor(key / nColor);
      return {
        color: !color ? PLAIN_COLOR : c === 0 ? NO_COLOR : (COLOR_RAMP[c - 1] as string),
        size: size ? (SIZES[s] as number) : PLAIN_SIZE,
        points,
      };
    });
  return { classes, color, size };
}
