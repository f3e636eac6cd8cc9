import { loadRdkit, modelSmiles, morganOf, popcount, tanimoto } from '../chem/rdkit';
import { createModel, disposeModel } from '../model/encoder';
import { SmilesTokenizer } from '../model/tokenizer';
import { assignWeights } from '../model/weights-tf';
import { readAssay } from './assay';
import { predictTask } from './finetune';
import { DOMAIN_THRESHOLD, type PredictionRow, type TaskModelSpec } from './predict-types';
import { classificationMetrics, regressionMetrics } from './metrics';

/** Predicts inputs with a task model; unreadable inputs get a row with the reason, never vanish. */
export async function predictWith(spec: TaskModelSpec, inputs: string[]): Promise<{ rows: PredictionRow[]; inferSeconds: number }> {
  const rd = await loadRdkit();
  const tokenizer = SmilesTokenizer.fromJSON(spec.tokenizer);
  const train = spec.domain.map((s) => morganOf(rd, s)).filter((f): f is Uint8Array => f !== null);
  const trainCounts = train.map(popcount);
  const rows: PredictionRow[] = [];
  const todo: Array<{ row: PredictionRow; ids: Int32Array }> = [];
  for (const input of inputs) {
    const smiles = modelSmiles(rd, input);
    const row: PredictionRow = { input, smiles, prediction: null, maxSimilarity: null, inDomain: null, note: null };
    rows.push(row);
    if (!smiles) {
      row.note = 'unparseable structure';
      continue;
    }
    const enc = tokenizer.encode(smiles, spec.config.maxLen);
    if (!enc.ok) {
      row.note = `${enc.tokens} tokens, longer than the model's maximum ${enc.maxLength}`;
      continue;
    }
    if (enc.unknown > 0) row.note = `${enc.unknown} token(s) unknown to the model`;
    const fp = morganOf(rd, smiles);
    if (fp && train.length) {
      let best = 0;
      train.forEach((t, i) => (best = Math.max(best, tanimoto(t, fp, trainCounts[i]))));
      row.maxSimilarity = best;
      row.inDomain = best >= DOMAIN_THRESHOLD;
    }
    todo.push({ row, ids: enc.ids });
  }
  const model = createModel(spec.config, 1);
  let inferSeconds = 0;
  try {
    assignWeights(model.params, spec.weights);
    const t0 = performance.now();
    const preds = await predictTask(model, todo.map((t) => t.ids), spec.task.norm);
    inferSeconds = (performance.now() - t0) / 1000;
    todo.forEach((t, i) => (t.row.prediction = preds[i] as number));
  } finally {
    disposeModel(model);
  }
  return { rows, inferSeconds };
}

/** Metrics of a task model on a labelled file (the same reading and aggregation as training). */
export async function evaluateWith(spec: TaskModelSpec, file: string, target: string, opts: { smilesCol?: string; unit?: string } = {}) {
  const assay = await readAssay(file, { target, task: spec.task.type, ...opts });
  const { rows } = await predictWith(spec, assay.points.map((p) => p.smiles));
  const y: number[] = [];
  const p: number[] = [];
  rows.forEach((r, i) => {
    if (r.prediction !== null) {
      y.push(assay.points[i]?.value as number);
      p.push(r.prediction);
    }
  });
  if (y.length === 0) throw new Error(`${file}: the model could read none of the ${assay.points.length} compounds`);
  const metrics: Record<string, number> = { ...(spec.task.type === 'classification' ? classificationMetrics(y, p) : regressionMetrics(y, p)) };
  return { metrics, n: y.length, unreadable: rows.length - y.length, rejected: assay.rejected.length, inDomain: rows.filter((r) => r.inDomain).length };
}
