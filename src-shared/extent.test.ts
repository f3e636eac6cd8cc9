import { describe, expect, it } from 'vitest';
import { extent } from './extent';

describe('extent', () => {
  it('finds the smallest and largest value of arrays too large to spread as arguments', () => {
    const xs = Array.from({ length: 300_000 }, (_, i) => Math.sin(i) * 10);
    expect(() => Math.min(...xs)).toThrow(RangeError);
    const [lo, hi] = extent(xs);
    expect(lo).toBeCloseTo(-10, 3);
    expect(hi).toBeCloseTo(10, 3);
    expect(extent([])).toEqual([Infinity, -Infinity]);
    expect(extent([3, -1, 2])).toEqual([-1, 3]);
  });
});
