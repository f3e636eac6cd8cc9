// How models are described to people, the same in the CLI's text output and the app.
import type { IntervalSummary, PredictionInterval } from './dto';

/**
 * A model's size: a transformer's learned parameters; an ECFP4 forest has none, and its size is its tree
 * nodes (the registry keeps them in `params`; a training result, which counts parameters, gives 0).
 */
export function sizeText(kind: string, params: number): string {
  if (kind === 'baseline') return params ? `${params.toLocaleString('en')} tree nodes` : 'no parameters (a forest)';
  if (kind === 'consensus') return 'a weighted mean of its members';
  return `${params.toLocaleString('en')} params`;
}

/** Test metrics as "rmse 0.773 ± 0.043, r2 0.81 ± 0.02": mean ± sd over the seeds; one seed has no sd to show. */
export function metricsText(metrics: Record<string, number>, seeds: number): string {
  return Object.entries(metrics)
    .filter(([k]) => !k.endsWith('Sd'))
    .map(([k, v]) => `${k} ${v.toFixed(3)}${seeds > 1 ? ` ± ${(metrics[`${k}Sd`] ?? 0).toFixed(3)}` : ''}`)
    .join(', ');
}

/** A classification prediction set in words: which classes the model cannot rule out at its interval level. */
export function predictionSetText(classes: ReadonlyArray<0 | 1>): string {
  if (classes.length === 2) return 'active or inactive';
  if (classes.length === 0) return 'neither (unlike its calibration compounds)';
  return classes[0] === 1 ? 'active' : 'inactive';
}

/** A calibrated interval as "80%: 1.23 to 2.34" or "80%: active"; '' without one. */
export function intervalText(iv: PredictionInterval | null, digits = 2): string {
  if (!iv) return '';
  const level = `${Math.round(iv.level * 100)}%`;
  return 'classes' in iv ? `${level}: ${predictionSetText(iv.classes)}` : `${level}: ${iv.lower.toFixed(digits)} to ${iv.upper.toFixed(digits)}`;
}

/**
 * A model's calibrated intervals in words: "80% interval ±0.85", or per band of similarity to the training
 * set "80% interval ±1.40 (similarity < 0.59), ±0.95 (0.59–0.78), ±0.62 (≥ 0.78)"; a classifier's prediction
 * sets by the probability from which they keep a class.
 */
export function intervalsText(s: IntervalSummary, digits = 2): string {
  const head = s.kind === 'interval' ? `${levelText(s)} interval` : `${levelText(s)} prediction sets keep a class at`;
  if (s.bands.length < 2) return `${head} ${widthText(s, s.overall, digits)}`;
  return `${head} ${s.bands.map((b, i) => `${widthText(s, b.q, digits)} (${i === 0 ? 'similarity ' : ''}${bandRange(s, i)})`).join(', ')}`;
}

/**
 * Why a compound's interval is as wide as it is: the band of similarity to the training set it falls in and
 * that band's width, e.g. "similarity 0.40 is in the band 0.31–0.48: 80% of the validation compounds there
 * were within ±1.17"; null without bands or a similarity.
 */
export function bandText(s: IntervalSummary | null, sim: number | null, digits = 2): string | null {
  if (!s || s.bands.length < 2 || sim === null) return null;
  const i = bandIndex(s.bands, sim);
  const within = s.kind === 'interval' ? `within ${widthText(s, (s.bands[i] as { q: number }).q, digits)}` : 'in their prediction sets';
  return `similarity ${sim.toFixed(digits)} to the training set is in the band ${bandRange(s, i)}: ${levelText(s)} of the validation compounds there were ${within}`;
}

/** The band a similarity falls in, of bands in ascending order of their lowest similarity `from` (the first's is 0). */
export function bandIndex(bands: ReadonlyArray<{ from: number }>, sim: number): number {
  let b = 0;
  while (b + 1 < bands.length && sim >= (bands[b + 1] as { from: number }).from) b++;
  return b;
}

const levelText = (s: IntervalSummary) => `${Math.round(s.level * 100)}%`;
const widthText = (s: IntervalSummary, v: number, digits: number) =>
  s.kind === 'interval' ? `±${v.toFixed(digits)}` : `P ≥ ${Math.max(0, 1 - v).toFixed(digits)}`;

/** Band i's similarity range: "< 0.59", "0.59–0.78" or "≥ 0.78". */
function bandRange(s: IntervalSummary, i: number): string {
  const from = (s.bands[i] as { from: number }).from;
  const to = s.bands[i + 1]?.from;
  if (i === 0) return `< ${(to as number).toFixed(2)}`;
  return to === undefined ? `≥ ${from.toFixed(2)}` : `${from.toFixed(2)}–${to.toFixed(2)}`;
}

/**
 * The library column a screen writes a model's predictions to: named after what it predicts and the
 * model, `pred logS (sol-student)` or `P(active) (ada-student)`.
 */
export function predictionColumn(model: string, task: { target: string; type: 'regression' | 'classification' } | null): string {
  const what = !task ? 'score' : task.type === 'classification' ? `P(${task.target})` : `pred ${task.target}`;
  return `${what} (${model})`.replace(/"/g, "'");
}

/**
 * The library columns a screen writes beside a model's predictions, where the model gives them: the
 * prediction's uncertainty, and the Tanimoto similarity (ECFP4) of the nearest training compound (its
 * applicability domain).
 */
export function predictionExtraColumns(model: string): { uncertainty: string; trainingSimilarity: string } {
  const m = model.replace(/"/g, "'");
  return { uncertainty: `uncertainty (${m})`, trainingSimilarity: `training similarity (${m})` };
}
