/**
 * The window of a virtualised list of equal-height rows. The list scrolls over a spacer of the full height
 * while a viewport-sized window stays in place (sticky) and shows rows [first, last), shifted by `offset`.
 * Browsers cap an element's height (Chromium near 33.5M px), so past `maxHeight` the scroll range is
 * compressed: one scrolled pixel moves `scale` pixels through the rows.
 */
export interface VirtualWindow {
  /** Rows [first, last) are rendered. */
  first: number;
  last: number;
  /** Where row `first` starts relative to the top of the rows area (px, ≤ 0). */
  offset: number;
  /** Height of the scrolled content (px, at most maxHeight). */
  total: number;
  /** Rows' pixels per scrolled pixel (1 unless compressed). */
  scale: number;
}

export function virtualWindow(o: {
  count: number;
  rowHeight: number;
  scrollTop: number;
  viewport: number;
  overscan: number;
  maxHeight: number;
}): VirtualWindow {
  const full = o.count * o.rowHeight;
  const total = Math.max(o.viewport, Math.min(full, o.maxHeight));
  const scale = full > o.maxHeight ? (full - o.viewport) / Math.max(1, o.maxHeight - o.viewport) : 1;
  const scrollTop = Math.max(0, Math.min(o.scrollTop, total - o.viewport));
  const virtualTop = scrollTop * scale;
  const firstVisible = Math.floor(virtualTop / o.rowHeight);
  const first = Math.max(0, firstVisible - o.overscan);
  const last = Math.min(o.count, Math.ceil((virtualTop + o.viewport) / o.rowHeight) + o.overscan);
  return { first, last, offset: first * o.rowHeight - virtualTop, total, scale };
}

/** The scrollTop that brings row i fully into view (at the top when above the view, at the bottom when below). */
export function scrollTopFor(i: number, o: { rowHeight: number; scrollTop: number; viewport: number; scale: number }): number {
  const top = i * o.rowHeight;
  const viewTop = o.scrollTop * o.scale;
  if (top < viewTop) return top / o.scale;
  if (top + o.rowHeight > viewTop + o.viewport) return (top + o.rowHeight - o.viewport) / o.scale;
  return o.scrollTop;
}
