import { describe, expect, it } from 'vitest';
import { COLOR_RAMP, NO_COLOR, PLAIN_COLOR, PLAIN_SIZE, SIZES, bins, pointClasses } from './plot-classes';

describe('bins', () => {
  it('splits the finite values into equal-width bins, the maximum in the last', () => {
    const b = bins([0, 10, null, Number.NaN, 5], 4);
    expect(b).toMatchObject({ lo: 0, hi: 10 });
    expect([0, 2.4, 2.5, 7.49, 10].map((v) => b?.of(v))).toEqual([0, 0, 1, 2, 3]);
    expect(b?.of(null)).toBe(-1);
    expect(b?.of(Number.NaN)).toBe(-1);
    expect(b?.edges(0)).toEqual([0, 2.5]);
    expect(b?.edges(3)).toEqual([7.5, 10]);
  });
  it('puts every value in the first bin when all are equal, and has none without values', () => {
    expect(bins([3, 3], 8)?.of(3)).toBe(0);
    expect(bins([null, undefined], 8)).toBeNull();
  });
});

describe('pointClasses', () => {
  it('draws every point in one plain class when nothing colours or sizes', () => {
    const r = pointClasses(null, null, 3);
    expect(r.classes).toEqual([{ color: PLAIN_COLOR, size: PLAIN_SIZE, points: [0, 1, 2] }]);
  });
  it('gives each point the colour of its bin and the size of its size bin; missing values grey and smallest', () => {
    const color = [0, 7, 3.6, null];
    const size = [100, 0, 50, null];
    const r = pointClasses(color, size, 4);
    const of = (i: number) => r.classes.find((c) => c.points.includes(i));
    expect(of(0)).toMatchObject({ color: COLOR_RAMP[0], size: SIZES[3] });
    expect(of(1)).toMatchObject({ color: COLOR_RAMP[7], size: SIZES[0] });
    // 3.6 of 0..7 in 8 bins: bin 4; 50 of 0..100 in 4 bins: bin 2.
    expect(of(2)).toMatchObject({ color: COLOR_RAMP[4], size: SIZES[2] });
    expect(of(3)).toMatchObject({ color: NO_COLOR, size: SIZES[0] });
    // Every point in exactly one class; small points first (drawn under the big ones).
    expect(r.classes.flatMap((c) => c.points).sort()).toEqual([0, 1, 2, 3]);
    expect(r.classes.map((c) => c.size)).toEqual([...r.classes.map((c) => c.size)].sort((a, b) => a - b));
  });
});
