import type { CompoundPrediction } from '../../../src-shared/dto';

/**
 * A compound's predictions with repeats folded: a later screen of the same library by the same model that
 * gave the same score and rank says nothing new, so the newest one is listed with the older screens' numbers
 * in `also` (newest first, as they come). A different score or rank (a library that grew, another model
 * under a reused name) stays its own row.
 */
export function foldRepeats(predictions: CompoundPrediction[]): Array<{ p: CompoundPrediction; also: number[] }> {
  // A Map keeps its keys in insertion order: the rows come out newest first, as the predictions came in.
  const rows = new Map<string, { p: CompoundPrediction; also: number[] }>();
  for (const p of predictions) {
    const key = JSON.stringify([p.model, p.library, p.score, p.rank, p.ranked, p.note]);
    const first = rows.get(key);
    if (first) first.also.push(p.screen);
    else rows.set(key, { p, also: [] });
  }
  return [...rows.values()];
}
