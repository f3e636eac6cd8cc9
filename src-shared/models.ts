// How models are described to people, the same in the CLI's text output and the app.

/**
 * A model's size: a transformer's learned parameters; an ECFP4 forest has none, and its size is its tree
 * nodes (the registry keeps them in `params`; a training result, which counts parameters, gives 0).
 */
export function sizeText(kind: string, params: number): string {
  if (kind === 'baseline') return params ? `${params.toLocaleString('en')} tree nodes` : 'no parameters (a forest)';
  return `${params.toLocaleString('en')} params`;
}

/** Test metrics as "rmse 0.773 ± 0.043, r2 0.81 ± 0.02": mean ± sd over the seeds; one seed has no sd to show. */
export function metricsText(metrics: Record<string, number>, seeds: number): string {
  return Object.entries(metrics)
    .filter(([k]) => !k.endsWith('Sd'))
    .map(([k, v]) => `${k} ${v.toFixed(3)}${seeds > 1 ? ` ± ${(metrics[`${k}Sd`] ?? 0).toFixed(3)}` : ''}`)
    .join(', ');
}
