/** A grey dashed line of a Chart to read the data against (a diagonal, chance); not hoverable. */
export const referenceLine = (name: string, data: number[][]) => ({
  name,
  type: 'line',
  silent: true,
  symbol: 'none',
  lineStyle: { type: 'dashed', color: '#999' },
  itemStyle: { color: '#999' },
  data,
});

/** A fraction as a percentage for an axis or a tooltip: 0.001 → 0.1%, 0.25 → 25%. */
export const percent = (v: number) => `${+(v * 100).toPrecision(3)}%`;
