import { gzipSync } from 'node:zlib';
import { AppError } from '../../../src-shared/errors';
import type { Db } from '../../db/database';
import type { ModelRepo } from '../../db/model-repo';
import type { EncoderConfig } from '../../model/encoder';
import { exportOnnx } from '../../model/onnx-export';
import type { TokenizerJson } from '../../model/tokenizer';
import type { BaselineManifest, ConsensusManifest, TaskManifest } from '../../train/manifests';
import { DOMAIN_THRESHOLD } from '../../train/predict-types';
import type { QsarResult, Role } from '../../train/qsar';
import type { Assays } from './assays';
import type { TrainRequest } from './training';

/** The models a training run starts from: the teacher it fine-tunes and the general-distilled student. */
export interface RunModels {
  teacherName: string | null;
  teacher: { name: string; config: EncoderConfig; tokenizer: TokenizerJson; weights: Uint8Array } | null;
  student: { name: string; config: EncoderConfig; weights: Uint8Array } | null;
}

/** The names a run's models are registered under. */
export const runModelNames = (out: string): Record<Role, string> => ({
  teacher: `${out}-teacher`,
  student: `${out}-student`,
  baseline: `${out}-ecfp4-rf`,
  consensus: `${out}-consensus`,
});

/**
 * Registers a finished run's models (its first seed's transformers with their ONNX graphs, the forest, the
 * consensus) and the assay as read, in one transaction; returns the names registered.
 */
export function registerRun(db: Db, repo: ModelRepo, assays: Assays, req: TrainRequest, inputs: RunModels, result: QsarResult): string[] {
  const names = runModelNames(req.out);
  const reports = new Map(result.models.map((m) => [m.role, m]));
  const registered: string[] = [];
  const task = { target: req.target, type: req.task };
  /** Registers one finished model (a transformer's shape from its config; a forest or consensus has none). */
  const add = (m: {
    name: string;
    kind: Role;
    manifest: unknown;
    params: number;
    config?: EncoderConfig;
    parents: string[];
    weights: Buffer;
    steps: number;
  }) => {
    const c = m.config;
    const shape = c ? { layers: c.layers, shareLayers: c.shareLayers, hidden: c.hidden } : { layers: 0, shareLayers: false, hidden: 0 };
    const id = repo.create({
      name: m.name,
      kind: m.kind,
      state: 'training',
      manifest: m.manifest,
      params: m.params,
      ...shape,
      parents: m.parents,
      totalSteps: 0,
      jobId: null,
    });
    repo.finish(id, { weights: m.weights, metrics: reports.get(m.kind)?.metrics ?? {}, steps: m.steps });
    registered.push(m.name);
    return id;
  };
  db.transaction(() => {
    for (const t of result.trained) {
      const name = names[t.role];
      const manifest: TaskManifest = {
        format: 'delicate-model-v1',
        config: t.config,
        tokenizer: t.tokenizer,
        physchem: null,
        task: { ...task, norm: t.norm },
        training: {
          kind: t.role === 'teacher' ? 'finetune' : 'distill',
          data: result.data,
          settings: req.settings,
          teacher: t.role === 'teacher' ? inputs.teacherName : names.teacher,
          layerMap: t.layerMap,
          bestEpoch: t.bestEpoch,
          split: result.split,
        },
        domain: { smiles: t.domain, threshold: DOMAIN_THRESHOLD },
        calibration: t.calibration,
      };
      const parents =
        t.role === 'teacher' ? (inputs.teacherName ? [inputs.teacherName] : []) : [names.teacher, ...(inputs.student ? [inputs.student.name] : [])];
      const id = add({
        name,
        kind: t.role,
        manifest,
        params: reports.get(t.role)?.params ?? 0,
        config: t.config,
        parents,
        weights: Buffer.from(t.weights),
        steps: t.bestEpoch,
      });
      repo.setOnnx(id, exportOnnx(t.config, t.weights, name));
    }
    // The assay as read (aggregated measurements, censored bounds, rejected records), named like the run.
    // A run named like the stored assay it trains on replaces that assay with itself: same source file.
    const same = req.fromAssay === req.out ? assays.repo.byName(req.out) : null;
    assays.repo.save({
      name: req.out,
      file: same?.file ?? result.data.file,
      sha256: same?.sha256 ?? result.data.sha256,
      target: req.target,
      task: req.task,
      ...assays.asRead(result.assay, req.fromAssay),
    });
    const baseline = result.baseline;
    if (!baseline) return;
    const forest: BaselineManifest = {
      format: 'delicate-forest-v1',
      task: { ...task, norm: null },
      training: { kind: 'forest', data: result.data, split: result.split, fingerprint: 'ECFP4 (Morgan r=2), 2048 bits', trees: baseline.forest.trees.length },
      domain: { smiles: baseline.domain, threshold: DOMAIN_THRESHOLD },
      calibration: baseline.calibration,
    };
    const nodes = baseline.forest.trees.reduce((n, t) => n + t.feature.length, 0);
    // A forest of an earlier run of this name (its transformers deleted) gives way to this run's.
    const old = repo.byName(names.baseline);
    if (old?.kind === 'baseline') repo.delete(old.id);
    else if (old)
      throw new AppError('CONFLICT', `a model named '${names.baseline}' exists and is no forest; choose another name for the run`, {
        model: names.baseline,
        remedy: 'other-out',
      });
    add({ name: names.baseline, kind: 'baseline', manifest: forest, params: nodes, parents: [], weights: gzipSync(JSON.stringify(baseline.forest)), steps: 0 });
    if (!result.consensus) return;
    const members = result.consensus.members.map((m) => ({ name: names[m.role], weight: m.weight }));
    const consensus: ConsensusManifest = {
      format: 'delicate-consensus-v1',
      task: { ...task, norm: null },
      members,
      training: {
        kind: 'consensus',
        data: result.data,
        split: result.split,
        fitted: "weights minimising the validation split's squared error (regression) or log loss (classification), in steps of 0.05",
      },
      domain: { smiles: baseline.domain, threshold: DOMAIN_THRESHOLD },
      calibration: result.consensus.calibration,
    };
    add({ name: names.consensus, kind: 'consensus', manifest: consensus, params: 0, parents: members.map((m) => m.name), weights: Buffer.alloc(0), steps: 0 });
  })();
  return registered;
}
