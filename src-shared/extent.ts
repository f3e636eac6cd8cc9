/**
 * The smallest and largest of `xs` ([Infinity, -Infinity] when empty). A loop, not Math.min(...xs): spreading
 * a large library's values as arguments overflows V8's stack (150,000 numbers already do).
 */
export function extent(xs: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}
