// The int8 accuracy rows of `npm run bench -- scale` (issue 35): each shipped task student on ONNX Runtime as
// exported (float32) and with int8 weights for the encoder's MatMuls, on the test split it was shipped with
// (its data set, split and first seed as its manifest records them, made as `delicate train` makes them).
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { descriptorsOfSmiles, loadRdkit, morganOf } from '../src-main/chem/rdkit';
import { manifestOf } from '../src-main/db/model-repo';
import { descriptorRow } from '../src-main/model/fp-features';
import { onnxGraph } from '../src-main/model/onnx-export';
import { SmilesTokenizer } from '../src-main/model/tokenizer';
import { OrtModel } from '../src-main/model/ort-engine';
import type { ModelRegistry } from '../src-main/services/models/registry';
import { fileSha256 } from '../src-main/train/corpus';
import { taskValue } from '../src-main/train/finetune';
import type { TaskManifest } from '../src-main/train/manifests';
import type { TaskModelSpec } from '../src-main/train/predict-types';
import { qsarData } from '../src-main/train/qsar-data';
import { randomSplit, scaffoldSplit } from '../src-main/train/splits';

/**
 * The token sequences of the molecules a model reads (of `smiles`, in order; with `knownTokens`, only those
 * without unknown tokens) and what its head reads beside each (its ECFP4, its descriptors), for
 * pure-inference timings: one pass, made before any timing.
 */
export async function modelInputs(
  spec: TaskModelSpec,
  smiles: string[],
  knownTokens = false,
): Promise<{ seqs: Int32Array[]; fps: Uint8Array[] | undefined; descs: Float32Array[] | undefined }> {
  const tokenizer = SmilesTokenizer.fromJSON(spec.tokenizer);
  const head = spec.config.task;
  const rd = head?.fp || head?.desc ? await loadRdkit() : null;
  const seqs: Int32Array[] = [];
  const fps: Uint8Array[] = [];
  const descs: Float32Array[] = [];
  for (const s of smiles) {
    const e = tokenizer.encode(s, spec.config.maxLen);
    if (!e.ok || (knownTokens && e.unknown > 0)) continue;
    const fp = rd && head?.fp ? morganOf(rd, s) : null;
    const d = rd && head?.desc ? descriptorsOfSmiles(rd, s) : null;
    if ((head?.fp && !fp) || (head?.desc && !d)) continue;
    seqs.push(e.ids);
    if (fp) fps.push(fp);
    if (d && head?.desc) descs.push(descriptorRow(d, head.desc.names));
  }
  return { seqs, fps: head?.fp ? fps : undefined, descs: head?.desc ? descs : undefined };
}

/** The shipped task students whose int8 accuracy the bench measures (those shipped: the rest are said). */
export const INT8_MODELS = ['delicate-esol-student', 'delicate-lipophilicity-student'];

/** Metrics per engine of one shipped student on its own test split, as table rows; notes for those not measured. */
export async function int8Accuracy(models: ModelRegistry, qsarDir: string): Promise<{ rows: string[][]; results: Record<string, unknown>; notes: string[] }> {
  const rows: string[][] = [];
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const name of INT8_MODELS) {
    const row = models.repo.byName(name);
    if (!row) {
      notes.push(`Not measured here: int8 on ${name} (not shipped).`);
      continue;
    }
    const spec = models.scoringSpec(name) as TaskModelSpec;
    const m = manifestOf(row) as TaskManifest;
    const file = join(qsarDir, basename(m.training.data.file));
    if (!existsSync(file) || (await fileSha256(file)) !== m.training.data.sha256) {
      notes.push(`Not measured here: int8 on ${name} (its training data ${basename(file)} is not in shared/data/qsar as it was trained on).`);
      continue;
    }
    const s = m.training.settings;
    const d = await qsarData({
      data: file,
      target: m.task.target,
      task: m.task.type,
      settings: s,
      teacher: { name, config: spec.config, tokenizer: spec.tokenizer, weights: spec.weights },
    });
    // The shipped model is its run's first seed (seed 0 unless the run said otherwise).
    const seed = (s.firstSeed ?? 0) + 1;
    const test = (s.split === 'random' ? randomSplit(d.points.length, seed) : scaffoldSplit(d.scaffolds, seed)).test;
    const y = test.map((i) => d.points[i]?.value as number);
    const metrics: Record<string, Record<string, number>> = {};
    for (const kind of ['float32', 'int8'] as const) {
      const ort = await OrtModel.create(onnxGraph(spec, kind === 'int8'), 2, true, spec.config.task);
      try {
        const out = await ort.rows(
          test.map((i) => d.seqs[i] as Int32Array),
          'task',
          64,
          test.map((i) => d.fps[i] as Uint8Array),
          d.descs ? test.map((i) => d.descs?.[i] as Float32Array) : undefined,
        );
        metrics[kind] = d.metricsOf(
          test,
          y,
          out.map((o) => taskValue(spec.config.task?.type ?? 'regression', o[0] as number, spec.task.norm)),
        );
      } finally {
        await ort.release();
      }
    }
    const set = basename(file, '.csv');
    results[name] = { set, split: s.split, seed, compounds: test.length, metrics };
    for (const key of d.classify ? ['rocAuc', 'prAuc'] : ['rmse', 'mae', 'r2']) {
      const f = metrics.float32?.[key] as number;
      const q = metrics.int8?.[key] as number;
      rows.push([
        `int8 vs float32, ${name}: ${set} ${s.split} test split ${key.toUpperCase()} (${test.length} compounds)`,
        `${(((q - f) / Math.abs(f)) * 100).toFixed(2)}%`,
        `float32 ${f.toFixed(4)}, int8 ${q.toFixed(4)}`,
      ]);
    }
  }
  notes.push(
    'int8 accuracy: each shipped task student on the test split it was shipped with (its data set, split and first seed as its manifest records them, made as `delicate train` makes them; the model card states the float32 test metrics it was shipped with); a head that reads the ECFP4 or descriptors gets them.',
  );
  return { rows, results, notes };
}
