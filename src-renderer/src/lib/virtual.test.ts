import { describe, expect, it } from 'vitest';
import { scrollTopFor, virtualWindow } from './virtual';

const base = { rowHeight: 92, viewport: 630, overscan: 6, maxHeight: 10_000_000 };
/** Top of row i relative to the rows area, as the window draws it. */
const yOf = (i: number, w: { first: number; offset: number }) => w.offset + (i - w.first) * 92;

describe('virtualWindow', () => {
  it('renders the rows in view plus the overscan, shifted to the scroll position', () => {
    const w = virtualWindow({ ...base, count: 1117, scrollTop: 92 * 100 + 10 });
    expect([w.first, w.last, w.scale, w.total]).toEqual([94, 113, 1, 1117 * 92]); // rows 100–106 in view
    expect(yOf(100, w)).toBe(-10);
  });

  it('keeps the height under the cap for a million rows and reaches the first and the last row', () => {
    const count = 1_000_000;
    const top = virtualWindow({ ...base, count, scrollTop: 0 });
    expect([top.first, top.offset, top.total]).toEqual([0, 0, base.maxHeight]);
    expect(top.scale).toBeGreaterThan(9);
    const end = virtualWindow({ ...base, count, scrollTop: base.maxHeight - base.viewport });
    expect(end.last).toBe(count);
    expect(yOf(count - 1, end) + 92).toBeCloseTo(base.viewport, 3); // the last row ends at the bottom of the view
    // Every position shows rows covering the whole view.
    for (const s of [1, 7.6, 12345, 5_000_000, 9_999_000]) {
      const w = virtualWindow({ ...base, count, scrollTop: s });
      expect(yOf(w.first, w)).toBeLessThanOrEqual(0);
      expect(yOf(w.last, w)).toBeGreaterThanOrEqual(base.viewport);
    }
  });

  it('scrolls a row fully into view from above or below, in compressed lists too', () => {
    for (const count of [1117, 1_000_000]) {
      for (const from of [0, 0.6]) {
        const start = from * (Math.min(count * 92, base.maxHeight) - base.viewport);
        const w0 = virtualWindow({ ...base, count, scrollTop: start });
        for (const i of [0, 7, 500, count - 1]) {
          const s = scrollTopFor(i, { rowHeight: 92, scrollTop: start, viewport: base.viewport, scale: w0.scale });
          const w = virtualWindow({ ...base, count, scrollTop: s });
          expect(i).toBeGreaterThanOrEqual(w.first);
          expect(i).toBeLessThan(w.last);
          expect(yOf(i, w)).toBeGreaterThanOrEqual(-1e-6);
          expect(yOf(i, w) + 92).toBeLessThanOrEqual(base.viewport + 1e-6);
        }
      }
    }
  });
});
