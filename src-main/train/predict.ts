import { AppError } from '../../src-shared/errors';
import { loadRdkit, morganOf, popcount, tanimoto } from '../chem/rdkit';
import { modelSmiles } from '../chem/standardise';
import { createModel, disposeModel } from '../model/encoder';
import { SmilesTokenizer } from '../model/tokenizer';
import { descriptorRowsOf } from '../model/fp-features';
import { assignWeights } from '../model/weights-tf';
import { type AssayPoint, boundOf, readAssay } from './assay';
import { fit, predictTask, taskValue } from './finetune';
import { onnxGraph } from '../model/onnx-export';
import { OrtModel, loadOrt, ortProblem } from '../model/ort-engine';
import { initTf } from '../model/tf/backend';
import { RandomForest } from './forest';
import {
  DOMAIN_THRESHOLD,
  type ConsensusModelSpec,
  type Engine,
  type MemberSpec,
  type PredictionRow,
  type ScoringSpec,
  type TaskModelSpec,
} from './predict-types';
import { intervalOf } from './ensemble';
import { censoredRegressionMetrics, classificationMetrics } from './metrics';

type Predicted = { rows: PredictionRow[]; inferSeconds: number; engine: string };

/**
 * Predicts inputs with a task model, a forest or a consensus of them; unreadable inputs get a row with the
 * reason, never vanish; a calibrated model gives each prediction its interval (or prediction set). The
 * engine is ONNX Runtime (the model exported to ONNX on the fly) when it loads, else TF.js.
 */
export async function predictWith(spec: ScoringSpec, inputs: string[], engine: Engine = 'auto'): Promise<Predicted> {
  const r = spec.kind === 'consensus' ? await predictConsensus(spec, inputs, engine) : await predictMember(spec, inputs, engine);
  const calibration = spec.calibration ?? null;
  if (calibration) for (const row of r.rows) row.interval = row.prediction === null ? null : intervalOf(calibration, row.prediction, row.maxSimilarity);
  return r;
}

/** The weighted mean of the members' predictions; a compound one member cannot read has none (that member's reason). */
async function predictConsensus(spec: ConsensusModelSpec, inputs: string[], engine: Engine): Promise<Predicted> {
  const parts: Predicted[] = [];
  for (const m of spec.members) parts.push(await predictMember(m.spec, inputs, engine));
  // The domain check against the consensus's own training set (its members share it).
  const rows = (await domainRows(spec.domain, inputs)).map(({ row }, i) => {
    let sum = 0;
    let missing: string | null = null;
    spec.members.forEach((m, k) => {
      const r = parts[k]?.rows[i] as PredictionRow;
      if (r.prediction === null) missing ??= `${m.spec.name}: ${r.note ?? 'no prediction'}`;
      else sum += m.weight * r.prediction;
    });
    const notes = parts.map((p) => p.rows[i]?.note).filter((n): n is string => n !== null && n !== undefined);
    return {
      ...row,
      prediction: missing || row.smiles === null ? null : sum,
      note: row.smiles === null ? row.note : (missing ?? (notes.length ? notes.join('; ') : null)),
    };
  });
  return {
    rows,
    inferSeconds: parts.reduce((s, p) => s + p.inferSeconds, 0),
    engine: `consensus of ${parts.map((p, k) => `${spec.members[k]?.spec.name} (${p.engine}, weight ${spec.members[k]?.weight.toFixed(2)})`).join(' + ')}`,
  };
}

/** A row per input with its model SMILES, ECFP4 and applicability-domain check (max Tanimoto to `domain`). */
async function domainRows(domain: string[], inputs: string[]): Promise<Array<{ row: PredictionRow; fp: Uint8Array | null }>> {
  const rd = await loadRdkit();
  const train = domain.map((s) => morganOf(rd, s)).filter((f): f is Uint8Array => f !== null);
  const trainCounts = train.map(popcount);
  return inputs.map((input) => {
    const smiles = modelSmiles(rd, input);
    const row: PredictionRow = { input, smiles, prediction: null, maxSimilarity: null, inDomain: null, interval: null, note: null };
    if (!smiles) {
      row.note = 'unparseable structure';
      return { row, fp: null };
    }
    const fp = morganOf(rd, smiles);
    if (fp && train.length) {
      let best = 0;
      train.forEach((t, i) => (best = Math.max(best, tanimoto(t, fp, trainCounts[i]))));
      row.maxSimilarity = best;
      row.inDomain = best >= DOMAIN_THRESHOLD;
    }
    return { row, fp };
  });
}

async function predictMember(spec: MemberSpec, inputs: string[], engine: Engine): Promise<Predicted> {
  const t0 = performance.now();
  const checked = await domainRows(spec.domain, inputs);
  const rows = checked.map((c) => c.row);
  let todo: Array<{ row: PredictionRow; ids: Int32Array; fp: Uint8Array | null; desc?: Float32Array | null }> = [];
  const forest = spec.kind === 'forest' ? RandomForest.fromJSON(spec.forest) : null;
  const tokenizer = spec.kind === 'forest' ? null : SmilesTokenizer.fromJSON(spec.tokenizer);
  for (const { row, fp } of checked) {
    const smiles = row.smiles;
    if (!smiles) continue;
    if (spec.kind === 'forest' || !tokenizer) {
      if (fp && forest) row.prediction = forest.predict(fp).mean;
      continue;
    }
    const enc = tokenizer.encode(smiles, spec.config.maxLen);
    if (!enc.ok) {
      row.note = `${enc.tokens} tokens, longer than the model's maximum ${enc.maxLength}`;
      continue;
    }
    if (enc.unknown > 0) row.note = `${enc.unknown} token(s) unknown to the model`;
    todo.push({ row, ids: enc.ids, fp });
  }
  if (spec.kind === 'forest') return { rows, inferSeconds: (performance.now() - t0) / 1000, engine: 'ECFP4 random forest' };
  // A descriptor-aware head reads the model SMILES's descriptors (the structure the model was trained on).
  const names = spec.config.task?.desc?.names;
  // Their cost is the model's: a screen computes them for it alone (the ECFP4 it computes anyway, for the domain).
  const descStart = performance.now();
  if (names) {
    const rows = descriptorRowsOf(
      await loadRdkit(),
      todo.map((t) => t.row.smiles as string),
      names,
    );
    todo.forEach((t, i) => (t.desc = rows[i] ?? null));
    for (const t of todo) if (!t.desc) t.row.note = 'RDKit cannot compute the descriptors the model reads';
    todo = todo.filter((t) => t.desc);
  }
  const descs = names ? todo.map((t) => t.desc ?? null) : undefined;
  const descSeconds = (performance.now() - descStart) / 1000;
  const seqs = todo.map((t) => t.ids);
  const fps = todo.map((t) => t.fp);
  const task = spec.config.task?.type ?? 'regression';
  const int8 = engine === 'onnxruntime-int8';
  const useOrt = engine === 'onnxruntime' || int8 || (engine === 'auto' && loadOrt() !== null);
  if (useOrt) {
    const ortModel = await OrtModel.create(onnxGraph(spec, int8), undefined, true, spec.config.task);
    try {
      const t0 = performance.now();
      const out = await ortModel.rows(seqs, 'task', 64, fps, descs);
      const inferSeconds = descSeconds + (performance.now() - t0) / 1000;
      todo.forEach((t, i) => (t.row.prediction = taskValue(task, (out[i] as Float32Array)[0] as number, spec.task.norm)));
      return {
        rows,
        inferSeconds,
        engine: `onnxruntime-${ortModel.provider}${int8 ? ' int8' : ''}${ortModel.provider === 'cpu' ? ` (${ortModel.threads} threads)` : ''}`,
      };
    } finally {
      await ortModel.release();
    }
  }
  const backend = (await initTf()).selected;
  const model = createModel(spec.config, 1);
  try {
    assignWeights(model.params, spec.weights);
    const t0 = performance.now();
    const preds = await predictTask(model, seqs, spec.task.norm, fps, descs);
    const inferSeconds = descSeconds + (performance.now() - t0) / 1000;
    todo.forEach((t, i) => (t.row.prediction = preds[i] as number));
    return { rows, inferSeconds, engine: `tfjs-${backend}${engine === 'auto' ? ` (${ortProblem()})` : ''}` };
  } finally {
    disposeModel(model);
  }
}

/** Metrics of a task model on a labelled file (the same reading and aggregation as training). */
export async function evaluateWith(spec: ScoringSpec, file: string, target: string, opts: { smilesCol?: string; unit?: string } = {}, engine: Engine = 'auto') {
  const assay = await readAssay(file, { target, task: spec.task.type, ...opts });
  const { rows, engine: used } = await predictWith(
    spec,
    assay.points.map((p) => p.smiles),
    engine,
  );
  const y: number[] = [];
  const p: number[] = [];
  const bounds: number[] = [];
  const classify = spec.task.type === 'classification';
  rows.forEach((r, i) => {
    if (r.prediction === null) return;
    y.push(assay.points[i]?.value as number);
    p.push(r.prediction);
    bounds.push(classify ? 0 : boundOf(assay.points[i] as AssayPoint));
  });
  if (y.length === 0) throw new Error(`${file}: the model could read none of the ${assay.points.length} compounds`);
  // As in training: a censored value (a bound) is no measurement to compare a prediction with; boundsKept
  // says how many of them the model predicts on the right side.
  const metrics: Record<string, number> = { ...(classify ? classificationMetrics(y, p) : censoredRegressionMetrics(y, p, bounds)) };
  const censored = bounds.filter((b) => b !== 0).length;
  const unreadable = rows.length - y.length;
  return {
    metrics,
    n: 'boundsKept' in metrics ? y.length - censored : y.length,
    censored,
    unreadable,
    rejected: assay.rejected.length,
    inDomain: rows.filter((r) => r.inDomain).length,
    engine: used,
  };
}

/**
 * Training throughput of a task model in this thread: two epochs of fine-tuning steps (batch 32, length
 * pools of 8, as `train` runs them) over `smiles`, in sequences per wall and per CPU second. What the bench
 * times every model with back to back, so training-speed ratios come from one run, like inference's.
 */
export async function trainingSpeedWith(spec: TaskModelSpec, smiles: string[]): Promise<{ sequences: number; seqPerSec: number; seqPerCpuSec: number | null }> {
  await initTf();
  const tokenizer = SmilesTokenizer.fromJSON(spec.tokenizer);
  const names = spec.config.task?.desc?.names;
  const rd = spec.config.task?.fp || names ? await loadRdkit() : null;
  const seqs: Int32Array[] = [];
  const fps: Array<Uint8Array | null> = [];
  const kept: string[] = [];
  for (const s of smiles) {
    const e = tokenizer.encode(s, spec.config.maxLen);
    if (!e.ok) continue;
    seqs.push(e.ids);
    kept.push(s);
    // A fingerprint-aware head's step reads the ECFP4 too.
    if (rd && spec.config.task?.fp) fps.push(morganOf(rd, s));
  }
  if (seqs.length === 0) throw new AppError('INVALID_INPUT', 'no molecule of the sample fits the model');
  const model = createModel(spec.config, 1);
  try {
    assignWeights(model.params, spec.weights);
    // A descriptor-aware head's step reads the descriptors too (computed before the clock starts, as the
    // ECFP4 is: a training run computes both once, at reading the assay).
    const descs = rd && names ? descriptorRowsOf(rd, kept, names) : null;
    const data = { seqs, y: new Float32Array(seqs.length), ...(spec.config.task?.fp ? { fps } : {}), ...(descs ? { descs } : {}) };
    const r = await fit(model, data, null, { epochs: 2, batch: 32, lr: 1e-5, seed: 1, lengthPool: 8 });
    return { sequences: r.sequences, seqPerSec: r.sequences / r.stepSeconds, seqPerCpuSec: r.stepCpuSeconds ? r.sequences / r.stepCpuSeconds : null };
  } finally {
    disposeModel(model);
  }
}
