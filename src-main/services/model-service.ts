import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AssayPage, AssaySummary, EpochPoint, ModelSummary } from '../../src-shared/dto';
import { AppError, BugError } from '../../src-shared/errors';
import type { Db } from '../db/database';
import { AssayRepo } from '../db/assay-repo';
import { type RunProgress, RunCheckpointRepo } from '../db/run-checkpoint-repo';
import { fileSha256 } from '../train/corpus';
import { assayCsv } from './file-writers';
import { type ModelRow, ModelRepo } from '../db/model-repo';
import { readModelFile, writeModelFile } from '../model/model-file';
import { exportOnnx } from '../model/onnx-export';
import type { BackendName } from '../model/tf/backend';
import { packArrays, unpackArrays } from '../model/weights-io';
import type { ModelManifest, Progress, RunState } from '../train/pretrain';
import type { PretrainSettings } from '../train/settings';
import type { AssayReadProgress, Task } from '../train/assay';
import { type AssayColumns, givenColumns } from '../../src-shared/assay-columns';
import { describeRun } from '../../src-shared/runs';
import type { QsarCheckpoint, QsarResult, Recommendation, Role } from '../train/qsar';
import type { Calibration } from '../train/ensemble';
import type { ForestJson } from '../train/forest';
import { DOMAIN_THRESHOLD, type ConsensusModelSpec, type EncoderSpec, type ForestModelSpec, type ScoringSpec, type Engine, type PredictionRow, type TaskModelSpec } from '../train/predict-types';
import type { QsarSettings } from '../train/qsar-settings';
import type { TrainEvent, TrainRequest as WorkerRequest } from '../train/train-protocol';
import type { EncoderConfig } from '../model/encoder';
import type { TokenizerJson } from '../model/tokenizer';
import { startTrainWorker } from '../train/train-thread';

export interface PretrainRequest {
  corpus: string;
  smilesCol?: string;
  out: string;
  settings: PretrainSettings;
  /** Continue the named model from its last checkpoint (it must exist and not be finished). */
  resume: boolean;
  backend?: BackendName | 'auto';
}

export interface PretrainResult {
  model: string;
  steps: number;
  totalSteps: number;
  params: number;
  mlmAccuracy: number;
  unigramAccuracy: number;
  mlmLoss: number;
  physchemR2: number | null;
  heldOut: number;
  seconds: number;
  backend: string;
  resumedFromStep: number | null;
  curve: RunState['curve'];
}

/** The registered model `delicate train` fine-tunes when no --teacher is given (shipped, issue 8). */
export const BASE_TEACHER = 'delicate-base-teacher';
/** The shipped general-distilled DeLiCaTe student: `delicate train --distill` starts its student from it with the base teacher. */
export const BASE_STUDENT = 'delicate-base-student';
/** The shipped shared-layer teacher (DeLiCaTe stage 2): one layer applied at the base teacher's depth, distilled from it; the base student starts from its layer. */
export const BASE_SHARED_TEACHER = 'delicate-base-shared-teacher';

export interface TrainRequest extends AssayColumns {
  data: string;
  /** What the models and the assay record as the data's source when `data` is a temporary copy (an upload, a stored assay); default `data`. */
  dataName?: string;
  /**
   * The stored assay `data` was written from (`train --assay`): the copy holds one row per compound, so the
   * run's assay takes the records, replicate counts, spreads, unit and rejected records from that assay.
   */
  fromAssay?: string;
  target: string;
  task: Task;
  out: string;
  teacher?: string;
  /** A general-distilled student (kind student) to start the task student from. */
  student?: string;
  settings: QsarSettings;
  backend?: BackendName | 'auto';
  /** Continue the interrupted run of this --out name from its latest checkpoint (same data, settings and models). */
  resume?: boolean;
  /** Discard the interrupted run of this --out name and start it over. */
  restart?: boolean;
}

export interface TrainResult extends Omit<QsarResult, 'trained' | 'baseline' | 'assay' | 'consensus' | 'recommended'> {
  registered: string[];
  /** The model to use: best on the validation split (never the test split), with why, and its test metrics over the seeds (each seed's own pick). */
  recommended: (Recommendation & { name: string }) | null;
  /** The registered consensus: its members and their weights (fitted on the validation split). */
  consensus: { name: string; members: Array<{ name: string; weight: number }> } | null;
  /** Where the run resumed from (`resume`), else null. */
  resumedFrom: RunProgress | null;
}

/** What an interrupted run keeps of its request (its data file is kept as a copy). */
type StoredTrainRequest = Omit<TrainRequest, 'data' | 'resume' | 'restart'> & { dataName: string };

function storedRequest(req: TrainRequest): StoredTrainRequest {
  const { data, resume: _resume, restart: _restart, ...rest } = req;
  return { ...rest, dataName: req.dataName ?? data };
}

/** JSON with object keys sorted: equal values give equal text, whatever order their keys were set in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * The general-distilled student a training run starts its student from: the one asked for, else the shipped
 * one when the run distils from the shipped teacher and asks for the student it is (shared, same depth;
 * `baseStudentLayers` null when it is not registered); else none (the student starts from the fine-tuned teacher).
 */
export function startingStudent(req: Pick<TrainRequest, 'student' | 'settings'>, teacherName: string | null, baseStudentLayers: number | null): string | undefined {
  if (req.student) return req.student;
  const s = req.settings;
  return s.distill && teacherName === BASE_TEACHER && s.studentShared && baseStudentLayers === s.studentLayers ? BASE_STUDENT : undefined;
}

/** The manifest of a task model (fine-tuned teacher or distilled student). */
export interface TaskManifest {
  format: 'delicate-model-v1';
  config: EncoderConfig;
  tokenizer: TokenizerJson;
  physchem: null;
  task: { target: string; type: Task; norm: { mean: number; sd: number } | null };
  training: { kind: 'finetune' | 'distill'; data: QsarResult['data']; settings: QsarSettings; teacher: string | null; layerMap: number[] | null; bestEpoch: number; split: string };
  /** Training-set SMILES: the applicability domain (max ECFP4 Tanimoto of a query to these). */
  domain: { smiles: string[]; threshold: number };
  /** Prediction intervals calibrated on the validation split (absent on models trained before they existed). */
  calibration?: Calibration | null;
}

/** The manifest of a baseline model (the ECFP4 random forest of `delicate train`); the forest is the gzipped JSON in weights. */
export interface BaselineManifest {
  format: 'delicate-forest-v1';
  task: TaskManifest['task'];
  training: { kind: 'forest'; data: QsarResult['data']; split: string; fingerprint: 'ECFP4 (Morgan r=2), 2048 bits'; trees: number };
  domain: { smiles: string[]; threshold: number };
  calibration?: Calibration | null;
}

/**
 * The manifest of a consensus model: the weighted mean of registered models' predictions (weights fitted
 * on the run's validation split); it has no weights of its own.
 */
export interface ConsensusManifest {
  format: 'delicate-consensus-v1';
  task: TaskManifest['task'];
  members: Array<{ name: string; weight: number }>;
  training: { kind: 'consensus'; data: QsarResult['data']; split: string; fitted: string };
  domain: { smiles: string[]; threshold: number };
  calibration: Calibration | null;
}

export interface TrainHooks {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onStarted?: (info: { params: number; backend: string; backendReasons: string[]; resumedFromStep: number | null; totalSteps: number }) => void;
}

/** The target and task type of a task model or baseline (from its manifest); null for an encoder. */
function taskOf(manifest: string): ModelSummary['task'] {
  const t = (JSON.parse(manifest) as { task?: { target: string; type: 'regression' | 'classification' } }).task;
  return t ? { target: t.target, type: t.type } : null;
}

function summary(r: ModelRow): ModelSummary {
  return {
    name: r.name,
    kind: r.kind,
    state: r.state,
    params: r.params,
    layers: r.layers,
    shareLayers: r.shareLayers === 1,
    hidden: r.hidden,
    task: taskOf(r.manifest),
    parent: JSON.parse(r.parents) as string[],
    metrics: JSON.parse(r.metrics) as Record<string, number | null>,
    steps: r.steps,
    totalSteps: r.totalSteps,
    createdAt: r.createdAt,
  };
}

/** The model registry and the training jobs that fill it. Training runs on a worker thread. */
export class ModelService {
  readonly repo: ModelRepo;
  readonly assays: AssayRepo;
  /** The latest checkpoint of each unfinished training run. */
  readonly runs: RunCheckpointRepo;
  /** The --out names of the training runs this process is running (one run per name at a time). */
  private readonly training = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly isJobLive: (jobId: string) => boolean = () => false,
  ) {
    this.repo = new ModelRepo(db);
    this.assays = new AssayRepo(db);
    this.runs = new RunCheckpointRepo(db);
  }

  list(): ModelSummary[] {
    return this.repo.list().map(summary);
  }

  /**
   * Deletes a model that is not training, with its checkpoints; models made from it keep their lineage
   * (by name). False when there is no such model.
   */
  delete(name: string): boolean {
    const r = this.repo.byName(name);
    if (!r) return false;
    if (r.state === 'training' && r.jobId && this.isJobLive(r.jobId)) throw new AppError('CONFLICT', `model '${name}' is training; cancel its job first`);
    this.db.transaction(() => this.repo.delete(r.id))();
    return true;
  }

  get(name: string): ModelSummary {
    const r = this.repo.byName(name);
    if (!r) throw new AppError('NOT_FOUND', `no model named '${name}' (see \`delicate models\`)`);
    return summary(r);
  }

  /**
   * Pretrains (MLM + physchem) a new model on an unlabelled corpus, or resumes one from its last
   * checkpoint. Checkpoints land in SQLite every `checkpointEvery` steps and on cancel.
   */
  async pretrain(req: PretrainRequest, hooks: TrainHooks = {}, jobId: string | null = null): Promise<PretrainResult> {
    const existing = this.repo.byName(req.out);
    let resume: Extract<WorkerRequest, { type: 'pretrain' }>['resume'];
    let modelId: number | null = null;
    if (existing) {
      if (existing.state === 'ready') throw new AppError('CONFLICT', `model '${req.out}' already exists and is finished; choose another --out`);
      if (!req.resume) {
        throw new AppError('CONFLICT', `model '${req.out}' exists (${existing.state}, step ${existing.steps} of ${existing.totalSteps}): add --resume to continue it, or choose another --out`);
      }
      if (existing.jobId && existing.state === 'training' && this.isJobLive(existing.jobId)) {
        throw new AppError('CONFLICT', `model '${req.out}' is being trained right now by another Delicate process`);
      }
      const ckpt = this.repo.latestCheckpoint(existing.id);
      if (ckpt) {
        modelId = existing.id;
        resume = { manifest: JSON.parse(existing.manifest) as ModelManifest, state: JSON.parse(ckpt.state) as RunState, weights: new Uint8Array(ckpt.weights), optimizer: new Uint8Array(ckpt.optimizer) };
        this.repo.setState(existing.id, 'training', jobId);
      } else {
        // Stopped before its first checkpoint: nothing to continue, start over.
        this.repo.delete(existing.id);
      }
    }
    const runSettings = resume ? resume.manifest.training.settings : req.settings;
    const distill = runSettings.distill;
    let teacher: { manifest: ModelManifest; weights: Uint8Array } | undefined;
    let init: { manifest: ModelManifest; weights: Uint8Array } | undefined;
    const load = (name: string, role: string) => {
      const row = this.repo.byName(name);
      const weights = row ? this.repo.weights(row.id) : null;
      if (!row) throw new AppError('NOT_FOUND', `no model named '${name}' (see \`delicate models\`)`);
      const manifest = JSON.parse(row.manifest) as ModelManifest;
      if (row.state !== 'ready' || !weights) throw new AppError('CONFLICT', `${role} '${name}' is not finished (${row.state})`);
      if (!manifest.config.mlm) throw new AppError('INVALID_INPUT', `${role} '${name}' has no masked-LM head: general distillation and continued pretraining need pretrained models (kind pretrained, shared or student)`);
      return { manifest, weights: new Uint8Array(weights) };
    };
    // Only a fresh run needs the starting weights; a resumed one continues from its checkpoint.
    if (!distill && runSettings.init && !resume) init = load(runSettings.init, 'starting model');
    if (distill) {
      teacher = load(distill.teacher, 'teacher');
      const depth = teacher.manifest.config.layers;
      if (distill.layers > depth) throw new AppError('INVALID_INPUT', `--student-layers ${distill.layers}: the teacher '${distill.teacher}' has ${depth} layers, and a student applies its shared layer at most that often (${depth} gives a shared-layer teacher)`);
      // Only a fresh run needs the starting weights; a resumed one continues from its checkpoint.
      if (distill.init && !resume) init = load(distill.init, 'starting model');
    }
    const worker = startTrainWorker();
    const request: WorkerRequest = { type: 'pretrain', ...(teacher ? { teacher } : {}), ...(init ? { init } : {}), corpus: req.corpus, settings: req.settings, ...(req.smilesCol ? { smilesCol: req.smilesCol } : {}), ...(req.backend ? { backend: req.backend } : {}), ...(resume ? { resume } : {}) };
    const resumedFromStep = resume ? resume.state.step : null;
    try {
      return await new Promise<PretrainResult>((resolve, reject) => {
        let params = 0;
        let backend = '';
        let finished = false;
        const onAbort = () => worker.postMessage({ type: 'cancel' } satisfies WorkerRequest);
        hooks.signal?.addEventListener('abort', onAbort, { once: true });
        const settle = (fn: () => void) => {
          finished = true;
          hooks.signal?.removeEventListener('abort', onAbort);
          fn();
        };
        worker.on('message', (e: TrainEvent) => {
          try {
            switch (e.type) {
              case 'started': {
                params = e.params;
                backend = e.backend.selected;
                const c = e.manifest.config;
                if (modelId === null) {
                  // A shared layer applied as often as the teacher's depth is the shared-layer teacher (stage 2).
                  const kind = distill ? (c.layers >= (teacher?.manifest.config.layers ?? Infinity) ? 'shared' : 'student') : c.shareLayers ? 'shared' : 'pretrained';
                  const parents = distill ? [...new Set([distill.teacher, ...(distill.init ? [distill.init] : [])])] : runSettings.init ? [runSettings.init] : [];
                  modelId = this.repo.create({ name: req.out, kind, state: 'training', manifest: e.manifest, params, layers: c.layers, shareLayers: c.shareLayers, hidden: c.hidden, parents, totalSteps: e.state.totalSteps, jobId });
                }
                hooks.onStarted?.({ params, backend, backendReasons: e.backend.backends.map((b) => `${b.name}: ${b.reason}`), resumedFromStep, totalSteps: e.state.totalSteps });
                if (hooks.signal?.aborted) onAbort();
                break;
              }
              case 'progress':
                hooks.onProgress?.(e.progress);
                break;
              case 'checkpoint':
              case 'cancelled':
                if (modelId === null) throw new BugError('checkpoint before the model was registered');
                this.repo.saveCheckpoint(modelId, { step: e.state.step, state: JSON.stringify(e.state), weights: Buffer.from(e.weights), optimizer: Buffer.from(e.optimizer), totalSteps: e.state.totalSteps });
                if (e.type === 'cancelled') {
                  this.repo.setState(modelId, 'cancelled');
                  settle(() => reject(new AppError('CANCELLED', `pretraining of '${req.out}' cancelled at step ${e.state.step}; the checkpoint is saved: run the same command with --resume to continue`)));
                }
                break;
              case 'done': {
                if (modelId === null) throw new BugError('training finished before the model was registered');
                const ev = e.evaluation;
                this.repo.finish(modelId, {
                  weights: Buffer.from(e.weights),
                  steps: e.state.step,
                  metrics: { mlmAccuracy: ev.mlmAccuracy, unigramAccuracy: ev.unigramAccuracy, mlmLoss: ev.mlmLoss, physchemR2: ev.physchemR2, heldOut: ev.molecules, trainSeconds: e.state.seconds, sequencesSeen: e.state.sequences, tokensSeen: e.state.tokens },
                });
                settle(() =>
                  resolve({
                    model: req.out,
                    steps: e.state.step,
                    totalSteps: e.state.totalSteps,
                    params,
                    mlmAccuracy: ev.mlmAccuracy,
                    unigramAccuracy: ev.unigramAccuracy,
                    mlmLoss: ev.mlmLoss,
                    physchemR2: ev.physchemR2,
                    heldOut: ev.molecules,
                    seconds: e.state.seconds,
                    backend,
                    resumedFromStep,
                    curve: e.state.curve,
                  }),
                );
                break;
              }
              case 'error':
                if (modelId !== null) this.repo.setState(modelId, 'failed');
                settle(() => reject(e.code === 'BUG' ? new BugError(e.message) : new AppError(e.code, e.message)));
                break;
            }
          } catch (err) {
            settle(() => reject(err));
          }
        });
        worker.on('error', (err) => settle(() => reject(new BugError(`training worker crashed: ${err.message}`))));
        worker.on('exit', (code) => {
          if (!finished) settle(() => reject(new BugError(`training worker exited with code ${code}`)));
        });
        worker.postMessage(request);
      });
    } finally {
      await worker.terminate();
    }
  }

  /** Writes a finished model to one file (float16 halves the size; float32 is exact). */
  async exportModel(name: string, out: string, dtype: 'float32' | 'float16' = 'float32', format: 'delicate' | 'onnx' = 'delicate'): Promise<{ bytes: number }> {
    const r = this.repo.byName(name);
    if (!r) throw new AppError('NOT_FOUND', `no model named '${name}' (see \`delicate models\`)`);
    const weights = this.repo.weights(r.id);
    if (r.state !== 'ready' || !weights) throw new AppError('CONFLICT', `model '${name}' is not finished (${r.state}); only finished models can be exported`);
    if (r.kind === 'baseline') throw new AppError('INVALID_INPUT', `'${name}' is an ECFP4 forest baseline: it lives in this database only (it is retrained with \`delicate train\` in seconds)`);
    if (r.kind === 'consensus') throw new AppError('INVALID_INPUT', `'${name}' is a consensus of ${(JSON.parse(r.parents) as string[]).join(' and ')}: export those models; the consensus lives in this database (\`delicate train\` makes it again)`);
    if (format === 'onnx') {
      // Task models store their graph; others get one made from the stored weights (deterministic).
      const manifest = JSON.parse(r.manifest) as { config: EncoderConfig };
      const graph = this.repo.onnx(r.id) ?? exportOnnx(manifest.config, weights, name);
      await writeFile(out, graph);
      return { bytes: graph.length };
    }
    const blob = dtype === 'float32' ? weights : packArrays(unpackArrays(weights), 'float16');
    const file = writeModelFile({ format: 'delicate-model-file-v1', name: r.name, kind: r.kind, parents: JSON.parse(r.parents) as string[], metrics: JSON.parse(r.metrics) as Record<string, number | null>, steps: r.steps, manifest: JSON.parse(r.manifest) }, blob);
    await writeFile(out, file);
    return { bytes: file.length };
  }

  /** Registers a model file under its own name or `as`. */
  async importModel(file: string, as?: string): Promise<ModelSummary> {
    return this.importBuffer(await readFile(file), file, as);
  }

  /** Registers a model file's content (float16 files are stored as float32); `file` names it in errors. */
  importBuffer(buf: Buffer, file: string, as?: string): ModelSummary {
    let parsed: ReturnType<typeof readModelFile>;
    try {
      parsed = readModelFile(buf, file);
    } catch (err) {
      throw new AppError('PARSE_ERROR', (err as Error).message);
    }
    const { header, weights } = parsed;
    const manifest = header.manifest as ModelManifest;
    const name = as ?? header.name;
    if (this.repo.byName(name)) throw new AppError('CONFLICT', `a model named '${name}' already exists; import it under another name (--as NAME)`);
    // Stored as float32 so every model in the database loads the same way.
    const arrays = unpackArrays(weights);
    const params = [...arrays.values()].reduce((n, a) => n + a.values.length, 0);
    const c = manifest.config;
    this.db.transaction(() => {
      const id = this.repo.create({ name, kind: header.kind as ModelSummary['kind'], state: 'training', manifest, params, layers: c.layers, shareLayers: c.shareLayers, hidden: c.hidden, parents: header.parents, totalSteps: header.steps, jobId: null });
      const stored = packArrays(arrays, 'float32');
      this.repo.finish(id, { weights: stored, metrics: header.metrics, steps: header.steps });
      if (c.task) this.repo.setOnnx(id, exportOnnx(c, stored, name));
    })();
    return this.get(name);
  }

  /**
   * Registers the models shipped in `dir` (resources/models/*.dlcm) that the database does not hold yet,
   * so a fresh install screens and fine-tunes offline at once; returns the names registered.
   */
  registerShipped(dir: string): string[] {
    const added = this.shippedPending(dir);
    for (const name of added) this.registerShippedOne(dir, name);
    return added;
  }

  /** The shipped models of `dir` not registered in this database yet. */
  shippedPending(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((x) => x.endsWith('.dlcm'))
      .sort()
      .map((f) => f.slice(0, -'.dlcm'.length))
      .filter((name) => !this.repo.byName(name));
  }

  /** Registers one shipped model file (`dir/NAME.dlcm`) under its name. */
  registerShippedOne(dir: string, name: string): void {
    const file = join(dir, `${name}.dlcm`);
    this.importBuffer(readFileSync(file), file, name);
  }

  /**
   * `delicate train`: fine-tunes a teacher on an assay (from --teacher, else the registered base teacher,
   * else from scratch), optionally distils a student, always fits the ECFP4+RF baseline; registers the
   * first seed's teacher and student as OUT-teacher and OUT-student.
   */
  async train(req: TrainRequest, hooks: { signal?: AbortSignal; onProgress?: (message: string, epoch?: EpochPoint) => void } = {}): Promise<TrainResult> {
    if (this.training.has(req.out)) throw new AppError('CONFLICT', `a training run named '${req.out}' is running; wait for it or cancel it`);
    this.training.add(req.out);
    try {
      return await this.trainRun(req, hooks);
    } finally {
      this.training.delete(req.out);
    }
  }

  /** The teacher and the general-distilled student a training request starts from, checked. */
  private trainInputs(req: TrainRequest) {
    const teacherName = req.teacher ?? (this.repo.byName(BASE_TEACHER)?.state === 'ready' ? BASE_TEACHER : null);
    let teacher: { name: string; config: EncoderConfig; tokenizer: TokenizerJson; weights: Uint8Array } | null = null;
    if (teacherName) {
      const row = this.repo.byName(teacherName);
      const weights = row ? this.repo.weights(row.id) : null;
      if (!row) throw new AppError('NOT_FOUND', `no model named '${teacherName}' (see \`delicate models\`)`);
      if (row.state !== 'ready' || !weights) throw new AppError('CONFLICT', `model '${teacherName}' is not finished (${row.state})`);
      const m = JSON.parse(row.manifest) as { config: EncoderConfig; tokenizer: TokenizerJson };
      teacher = { name: teacherName, config: m.config, tokenizer: m.tokenizer, weights: new Uint8Array(weights) };
    }
    let student: { name: string; config: EncoderConfig; weights: Uint8Array } | null = null;
    const base = this.repo.byName(BASE_STUDENT);
    const studentName = startingStudent(req, teacherName, base?.state === 'ready' ? (JSON.parse(base.manifest) as { config: EncoderConfig }).config.layers : null);
    if (studentName) {
      const row = this.repo.byName(studentName);
      const weights = row ? this.repo.weights(row.id) : null;
      if (!row) throw new AppError('NOT_FOUND', `no model named '${studentName}' (see \`delicate models\`)`);
      if (row.state !== 'ready' || !weights) throw new AppError('CONFLICT', `model '${studentName}' is not finished (${row.state})`);
      const m = JSON.parse(row.manifest) as { config: EncoderConfig; tokenizer: TokenizerJson };
      if (!m.config.shareLayers || !teacher || JSON.stringify(m.tokenizer.vocab) !== JSON.stringify(teacher.tokenizer.vocab) || m.config.hidden !== teacher.config.hidden) {
        throw new AppError('INVALID_INPUT', `'${studentName}' cannot start this student: it must be a shared-layer model distilled from the teacher (same vocabulary and width)`);
      }
      student = { name: studentName, config: m.config, weights: new Uint8Array(weights) };
    }
    return { teacherName, teacher, student };
  }

  /**
   * What a training run is, for resuming it: the data's content, target, task, columns, settings and the
   * models it starts from (by name and registration time: a model deleted and trained anew is another).
   */
  private async runKey(req: TrainRequest, inputs: { teacherName: string | null; student: { name: string } | null }): Promise<string> {
    const made = (n: string | null | undefined) => (n ? `${n}@${this.repo.byName(n)?.createdAt ?? ''}` : null);
    const what = { data: await fileSha256(req.data), target: req.target, task: req.task, columns: givenColumns(req), settings: req.settings, teacher: made(inputs.teacherName), student: made(inputs.student?.name) };
    return createHash('sha256').update(canonicalJson(what)).digest('hex');
  }

  /**
   * Resumes the interrupted run `name` with the request it was started with and the copy of its data
   * file (the upload or file may be gone), from its latest checkpoint.
   */
  async resumeRun(name: string, hooks: { signal?: AbortSignal; onProgress?: (message: string, epoch?: EpochPoint) => void } = {}): Promise<TrainResult> {
    const stored = this.runs.request(name);
    if (!stored) throw new AppError('NOT_FOUND', `no interrupted training run named '${name}' (see \`delicate runs\`)`);
    const dir = await mkdtemp(join(tmpdir(), 'delicate-resume-'));
    try {
      const request = stored.request as StoredTrainRequest;
      const data = join(dir, basename(request.dataName) || 'data.csv');
      await writeFile(data, stored.file);
      return await this.train({ ...request, data, out: name, resume: true }, hooks);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The settings an interrupted run was started with, or null. */
  runSettings(name: string): QsarSettings | null {
    const stored = this.runs.request(name);
    return stored ? (stored.request as StoredTrainRequest).settings : null;
  }

  /** Discards an interrupted run's checkpoint (not while this process runs it); false when there is none. */
  discardRun(name: string): boolean {
    if (this.training.has(name)) throw new AppError('CONFLICT', `the training run '${name}' is running; cancel it first`);
    return this.runs.delete(name);
  }

  /** The interrupted run of `req.out`, and whether `req` is that run (so `resume` continues it). */
  async interrupted(req: TrainRequest): Promise<{ progress: RunProgress; updatedAt: string; matches: boolean } | null> {
    const c = this.runs.get(req.out);
    return c ? { progress: c.progress, updatedAt: c.updatedAt, matches: c.key === (await this.runKey(req, this.trainInputs(req))) } : null;
  }

  private async trainRun(req: TrainRequest, hooks: { signal?: AbortSignal; onProgress?: (message: string, epoch?: EpochPoint) => void }): Promise<TrainResult> {
    const names: Record<Role, string> = { teacher: `${req.out}-teacher`, student: `${req.out}-student`, baseline: `${req.out}-ecfp4-rf`, consensus: `${req.out}-consensus` };
    for (const n of [names.teacher, ...(req.settings.distill ? [names.student] : []), names.consensus]) {
      if (this.repo.byName(n)) throw new AppError('CONFLICT', `a model named '${n}' already exists; choose another --out`);
    }
    if (req.resume && req.restart) throw new AppError('INVALID_INPUT', 'give --resume (continue the interrupted run) or --restart (start it over), not both');
    const interrupted = this.runs.get(req.out);
    if (interrupted && !req.resume && !req.restart) {
      throw new AppError('CONFLICT', `the training run '${req.out}' was interrupted (${describeRun(interrupted.progress)}; saved ${interrupted.updatedAt}): add --resume to continue it, or --restart to start it over`);
    }
    if (req.resume && !interrupted) throw new AppError('NOT_FOUND', `no interrupted training run named '${req.out}' to resume`);
    const inputs = this.trainInputs(req);
    const { teacherName, teacher, student } = inputs;
    const key = await this.runKey(req, inputs);
    let resume: QsarCheckpoint | undefined;
    if (req.resume && interrupted) {
      if (interrupted.key !== key) {
        throw new AppError('CONFLICT', `the interrupted run '${req.out}' was started with other data, columns, settings or models: give the same ones to resume it, or --restart to start it over`);
      }
      try {
        resume = deserialize(this.runs.checkpoint(req.out) ?? Buffer.alloc(0)) as QsarCheckpoint;
      } catch (err) {
        throw new AppError('CONFLICT', `the checkpoint of the interrupted run '${req.out}' cannot be read (${(err as Error).message}): --restart to start it over`);
      }
      hooks.onProgress?.(`resuming '${req.out}' from its checkpoint: ${describeRun(interrupted.progress)}`);
    }
    if (req.restart) this.runs.delete(req.out);
    const first = req.settings.firstSeed ?? 0;
    const progressOf = (c: QsarCheckpoint): RunProgress => ({ seed: c.seed - first + 1, seeds: req.settings.seeds, stage: c.stage, epoch: c.fit.epoch, epochs: c.epochs });
    const run = this.once(
      {
        type: 'qsar',
        request: { data: req.data, target: req.target, task: req.task, settings: req.settings, teacher, student, ...givenColumns(req) },
        ...(req.backend ? { backend: req.backend } : {}),
        ...(resume ? { resume } : {}),
        checkpoints: true,
      },
      (e) => (e.type === 'qsar-done' ? e.result : undefined),
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onEvent: (e) => {
          if (e.type === 'qsar-progress') hooks.onProgress?.(e.message, e.epoch);
          else if (e.type === 'qsar-started') hooks.onProgress?.(`training on ${e.backend.selected}`);
          // Every epoch: the latest checkpoint replaces the previous one (a cancel or a crash resumes from it).
          else if (e.type === 'qsar-checkpoint') this.runs.save(req.out, key, progressOf(e.checkpoint), serialize(e.checkpoint), () => ({ request: storedRequest(req), file: readFileSync(req.data) }));
        },
      },
    );
    const result = await run.catch((err: unknown) => {
      const saved = this.runs.get(req.out);
      if (err instanceof AppError && saved) {
        // The run can go on from its latest checkpoint: say so.
        const how = `the run is saved after ${describeRun(saved.progress)}: resume it with \`delicate train --out ${req.out} --resume\` or Resume in the app`;
        throw new AppError(err.code, err.code === 'CANCELLED' ? `training of '${req.out}' cancelled; ${how}` : `${err.message} (${how})`, err.details);
      }
      throw err;
    });
    if (req.dataName) result.data = { ...result.data, file: req.dataName };
    const registered: string[] = [];
    const reports = new Map(result.models.map((m) => [m.role, m]));
    // Read from a stored assay's one-row-per-compound copy, the replicates are that assay's (as it was
    // before this run: a run named like its assay replaces it below).
    const source = req.fromAssay === undefined ? null : this.assays.byName(req.fromAssay);
    this.db.transaction(() => {
      for (const t of result.trained) {
        const name = names[t.role];
        const manifest: TaskManifest = {
          format: 'delicate-model-v1',
          config: t.config,
          tokenizer: t.tokenizer,
          physchem: null,
          task: { target: req.target, type: req.task, norm: t.norm },
          training: { kind: t.role === 'teacher' ? 'finetune' : 'distill', data: result.data, settings: req.settings, teacher: t.role === 'teacher' ? teacherName : names.teacher, layerMap: t.layerMap, bestEpoch: t.bestEpoch, split: result.split },
          domain: { smiles: t.domain, threshold: DOMAIN_THRESHOLD },
          calibration: t.calibration,
        };
        const report = reports.get(t.role);
        const parents = t.role === 'teacher' ? (teacherName ? [teacherName] : []) : [names.teacher, ...(student ? [student.name] : [])];
        const id = this.repo.create({ name, kind: t.role, state: 'training', manifest, params: report?.params ?? 0, layers: t.config.layers, shareLayers: t.config.shareLayers, hidden: t.config.hidden, parents, totalSteps: 0, jobId: null });
        this.repo.finish(id, { weights: Buffer.from(t.weights), metrics: report?.metrics ?? {}, steps: t.bestEpoch });
        this.repo.setOnnx(id, exportOnnx(t.config, t.weights, name));
        registered.push(name);
      }
      // The assay as read (aggregated measurements, censored bounds, rejected records), named like the run.
      // A run named like the stored assay it trains on replaces that assay with itself: same source file.
      const same = req.fromAssay === req.out ? this.assays.byName(req.out) : null;
      this.assays.save({ name: req.out, file: same?.file ?? result.data.file, sha256: same?.sha256 ?? result.data.sha256, target: req.target, task: req.task, ...this.assayAsRead(result.assay, req.fromAssay) });
      if (result.baseline) {
        const name = names.baseline;
        const manifest: BaselineManifest = {
          format: 'delicate-forest-v1',
          task: { target: req.target, type: req.task, norm: null },
          training: { kind: 'forest', data: result.data, split: result.split, fingerprint: 'ECFP4 (Morgan r=2), 2048 bits', trees: result.baseline.forest.trees.length },
          domain: { smiles: result.baseline.domain, threshold: DOMAIN_THRESHOLD },
          calibration: result.baseline.calibration,
        };
        const nodes = result.baseline.forest.trees.reduce((n, t) => n + t.feature.length, 0);
        // A forest of an earlier run of this name (its transformers deleted) gives way to this run's.
        const old = this.repo.byName(name);
        if (old?.kind === 'baseline') this.repo.delete(old.id);
        else if (old) throw new AppError('CONFLICT', `a model named '${name}' exists and is no forest; choose another --out`);
        const id = this.repo.create({ name, kind: 'baseline', state: 'training', manifest, params: nodes, layers: 0, shareLayers: false, hidden: 0, parents: [], totalSteps: 0, jobId: null });
        this.repo.finish(id, { weights: gzipSync(JSON.stringify(result.baseline.forest)), metrics: reports.get('baseline')?.metrics ?? {}, steps: 0 });
        registered.push(name);
      }
      if (result.consensus && result.baseline) {
        const members = result.consensus.members.map((m) => ({ name: names[m.role], weight: m.weight }));
        const manifest: ConsensusManifest = {
          format: 'delicate-consensus-v1',
          task: { target: req.target, type: req.task, norm: null },
          members,
          training: { kind: 'consensus', data: result.data, split: result.split, fitted: 'weights minimising the validation split\'s squared error (regression) or log loss (classification), in steps of 0.05' },
          domain: { smiles: result.baseline.domain, threshold: DOMAIN_THRESHOLD },
          calibration: result.consensus.calibration,
        };
        const id = this.repo.create({ name: names.consensus, kind: 'consensus', state: 'training', manifest, params: 0, layers: 0, shareLayers: false, hidden: 0, parents: members.map((m) => m.name), totalSteps: 0, jobId: null });
        this.repo.finish(id, { weights: Buffer.alloc(0), metrics: reports.get('consensus')?.metrics ?? {}, steps: 0 });
        registered.push(names.consensus);
      }
      // The run is over: its models are registered, its checkpoint is done with.
      this.runs.delete(req.out);
    })();
    const { trained: _trained, baseline: _baseline, assay: _assay, consensus, recommended, ...rest } = result;
    return {
      ...rest,
      // And its rejected records count with the run's own.
      ...(source ? { n: { ...rest.n, replicates: source.replicates, rejected: source.rejected + rest.n.rejected } } : {}),
      models: result.models.map((m) => ({ ...m, name: names[m.role] })),
      registered,
      recommended: recommended ? { ...recommended, name: names[recommended.role] } : null,
      consensus: consensus && registered.includes(names.consensus) ? { name: names.consensus, members: consensus.members.map((m) => ({ name: names[m.role], weight: m.weight })) } : null,
      resumedFrom: resume && interrupted ? interrupted.progress : null,
    };
  }

  /** A stored task model (fine-tuned teacher or student) ready for prediction. */
  taskSpec(name: string): TaskModelSpec {
    const { spec, manifest, kind } = this.stored(name);
    if (!manifest.task || !manifest.config.task) throw new AppError('INVALID_INPUT', `model '${name}' has no task head (it is a ${kind} model): train one with \`delicate train\``);
    return { ...spec, task: manifest.task, domain: manifest.domain?.smiles ?? [], calibration: manifest.calibration ?? null };
  }

  /** What `delicate screen` uses without --model: the shipped task models (delicate-*, with a task head). */
  defaultScreenModels(): string[] {
    return this.repo
      .list()
      .filter((r) => r.name.startsWith('delicate-') && r.state === 'ready' && (r.kind === 'student' || r.kind === 'teacher') && (JSON.parse(r.manifest) as { config?: EncoderConfig }).config?.task)
      .map((r) => r.name);
  }

  /** A scoring model's interval calibration (null: none, or no such model any more). */
  calibration(name: string): Calibration | null {
    const row = this.repo.byName(name);
    return row ? ((JSON.parse(row.manifest) as { calibration?: Calibration | null }).calibration ?? null) : null;
  }

  /** A model that scores compounds: a transformer task model, an ECFP4 forest baseline or a consensus of them. */
  scoringSpec(name: string): ScoringSpec {
    const row = this.repo.byName(name);
    if (row?.kind === 'consensus') return this.consensusSpec(name, JSON.parse(row.manifest) as ConsensusManifest);
    return this.memberSpec(name);
  }

  private memberSpec(name: string): TaskModelSpec | ForestModelSpec {
    const row = this.repo.byName(name);
    if (row?.kind !== 'baseline') return this.taskSpec(name);
    const weights = this.repo.weights(row.id);
    if (row.state !== 'ready' || !weights) throw new AppError('CONFLICT', `model '${name}' is not finished (${row.state})`);
    const m = JSON.parse(row.manifest) as BaselineManifest;
    return { name, kind: 'forest', forest: JSON.parse(gunzipSync(weights).toString('utf8')) as ForestJson, task: m.task, domain: m.domain.smiles, calibration: m.calibration ?? null };
  }

  /** A consensus with its members loaded (the members with weight); a deleted member is named. */
  private consensusSpec(name: string, m: ConsensusManifest): ConsensusModelSpec {
    const members = m.members
      .filter((x) => x.weight > 0)
      .map((x) => {
        if (!this.repo.byName(x.name)) throw new AppError('NOT_FOUND', `the consensus '${name}' combines '${x.name}', which was deleted: retrain with \`delicate train\` or use another model`);
        return { spec: this.memberSpec(x.name), weight: x.weight };
      });
    return { name, kind: 'consensus', members, task: m.task, domain: m.domain.smiles, calibration: m.calibration };
  }

  /** Any finished model as an encoder (embeddings: the pooled [CLS] output), task head or not. */
  encoderSpec(name: string): EncoderSpec {
    return this.stored(name).spec;
  }

  private stored(name: string): { spec: EncoderSpec; manifest: Partial<TaskManifest> & { config: EncoderConfig; tokenizer: TokenizerJson }; kind: string } {
    const row = this.repo.byName(name);
    if (!row) throw new AppError('NOT_FOUND', `no model named '${name}' (see \`delicate models\`)`);
    if (row.kind === 'baseline') throw new AppError('INVALID_INPUT', `model '${name}' is an ECFP4 forest baseline, not a transformer`);
    if (row.kind === 'consensus') throw new AppError('INVALID_INPUT', `model '${name}' is a consensus of other models, not a transformer`);
    const weights = this.repo.weights(row.id);
    if (row.state !== 'ready' || !weights) throw new AppError('CONFLICT', `model '${name}' is not finished (${row.state})`);
    const manifest = JSON.parse(row.manifest) as Partial<TaskManifest> & { config: EncoderConfig; tokenizer: TokenizerJson };
    const onnx = this.repo.onnx(row.id);
    return { spec: { name, config: manifest.config, tokenizer: manifest.tokenizer, weights: new Uint8Array(weights), ...(onnx ? { onnx: new Uint8Array(onnx) } : {}) }, manifest, kind: row.kind };
  }

  /**
   * Runs one request on a training worker and returns its answer (the first event `pick` accepts);
   * `signal` cancels it, `onEvent` sees every event on the way.
   */
  private async once<T>(request: WorkerRequest, pick: (e: TrainEvent) => T | undefined, opts: { signal?: AbortSignal; onEvent?: (e: TrainEvent) => void } = {}): Promise<T> {
    const worker = startTrainWorker();
    const onAbort = () => worker.postMessage({ type: 'cancel' } satisfies WorkerRequest);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<T>((resolve, reject) => {
        worker.on('message', (e: TrainEvent) => {
          if (e.type === 'error') reject(e.code === 'BUG' ? new BugError(e.message) : new AppError(e.code, e.message));
          opts.onEvent?.(e);
          const v = pick(e);
          if (v !== undefined) resolve(v);
        });
        worker.on('error', (err) => reject(new BugError(`worker crashed: ${err.message}`)));
        worker.on('exit', (code) => reject(new BugError(`worker exited with code ${code}`)));
        worker.postMessage(request);
      });
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await worker.terminate();
    }
  }

  /** Predictions with the domain check; inputs the model cannot read come back with the reason. */
  async predict(name: string, inputs: string[], engine: Engine = 'auto'): Promise<{ model: string; task: TaskManifest['task']; engine: string; rows: PredictionRow[] }> {
    const spec = this.scoringSpec(name);
    const r = await this.once({ type: 'predict', model: spec, inputs, engine }, (e) => (e.type === 'predicted' ? e : undefined));
    return { model: name, task: spec.task, engine: r.engine, rows: r.rows };
  }

  /** Metrics of a task model on a labelled file. */
  async evaluate(name: string, file: string, target: string, opts: { smilesCol?: string; unit?: string; engine?: Engine } = {}) {
    const spec = this.scoringSpec(name);
    const r = await this.once({ type: 'evaluate', model: spec, file, target, ...opts }, (e) => (e.type === 'evaluated' ? e : undefined));
    return { model: name, ...r.result };
  }

  /**
   * What a run stores of the assay it read. Read from a stored assay's copy (one row per compound, values
   * already converted), each compound keeps the stored assay's replicate count, spread, record number and
   * InChIKey, and the assay its records, unit and rejected records: the replicates stay visible on every
   * run trained from them.
   */
  private assayAsRead(read: QsarResult['assay'], fromAssay: string | undefined) {
    const own = { unit: read.unit, records: read.read, replicates: read.replicates, censored: read.censored, rejected: read.rejected, points: read.points };
    const source = fromAssay === undefined ? null : this.assays.byName(fromAssay);
    if (!source) return own;
    // By SMILES, the key replicates are grouped by: the stored SMILES is stereo-free, so its InChIKey
    // read back would lose the stereo the stored one (of the first record) has.
    const stored = new Map(this.assays.measurements(source.name).map((m) => [m.smiles, m]));
    const points = read.points.map((p) => {
      const m = stored.get(p.smiles);
      return m ? { ...p, inchikey: m.inchikey, count: m.count, spread: m.spread, record: m.record, id: m.id } : p;
    });
    // The stored assay's rejected records, and the run's own (molecules too long for the model), by the
    // stored assay's record numbers rather than the copy's rows.
    const recordOf = new Map(read.points.map((p) => [p.record, stored.get(p.smiles)?.record ?? p.record]));
    const ownRejects = read.rejected.map((r) => ({ ...r, record: recordOf.get(r.record) ?? r.record, line: null }));
    return { ...own, unit: source.unit, records: source.records, replicates: source.replicates, rejected: [...this.assays.rejected(source.name), ...ownRejects], points };
  }

  /**
   * `delicate assay import`: reads an assay file (unit conversion, replicates aggregated, censored values
   * flagged, bad records listed) and stores it under `name`, to inspect and to train on (`train --assay`)
   * without reading the file again. A name already taken is a conflict.
   */
  async importAssay(
    req: { data: string; dataName?: string; name: string; target: string; task: Task } & AssayColumns,
    hooks: { signal?: AbortSignal; onProgress?: (p: AssayReadProgress) => void } = {},
  ): Promise<AssaySummary> {
    if (this.assays.byName(req.name)) throw new AppError('CONFLICT', `an assay named '${req.name}' exists (see \`delicate assays\`): choose another name`);
    const opts = { target: req.target, task: req.task, ...givenColumns(req) };
    const { assay: read, sha256 } = await this.once({ type: 'read-assay', file: req.data, opts }, (e) => (e.type === 'assay-read' ? e : undefined), {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onEvent: (e) => {
        if (e.type === 'assay-progress') hooks.onProgress?.(e);
      },
    });
    this.db.transaction(() => {
      if (this.assays.byName(req.name)) throw new AppError('CONFLICT', `an assay named '${req.name}' was stored while this one was read: choose another name`);
      this.assays.save({ name: req.name, file: req.dataName ?? req.data, sha256, target: req.target, task: req.task, ...this.assayAsRead(read, undefined) });
    })();
    return this.assays.byName(req.name) as AssaySummary;
  }

  /** A stored assay, or an error naming the ones there are. */
  private storedAssay(name: string): AssaySummary {
    const assay = this.assays.byName(name);
    if (assay) return assay;
    const known = this.assays.list().map((a) => a.name);
    throw new AppError('NOT_FOUND', `no assay named '${name}'${known.length ? ` (assays: ${known.join(', ')})` : ' (an assay is stored by `delicate assay import`, or when a model is trained on a file)'}`);
  }

  /** A page of a stored assay's compounds (100 unless `limit`), with how many match and its rejected records. */
  assayPage(name: string, opts: { only?: 'replicates' | 'censored'; offset?: number; limit?: number } = {}): AssayPage {
    const assay = this.storedAssay(name);
    const page = { offset: opts.offset ?? 0, limit: opts.limit ?? 100, ...(opts.only ? { only: opts.only } : {}) };
    return { assay, total: this.assays.count(name, opts.only), measurements: this.assays.measurements(name, page), rejected: this.assays.rejected(name).slice(0, 100) };
  }

  /** A stored assay written to a temporary CSV that `train` reads back to the same values (remove it with cleanup). */
  async assayFile(name: string): Promise<{ file: string; displayName: string; fromAssay: string; dateCol: string | undefined; assay: AssaySummary; cleanup: () => Promise<void> }> {
    const assay = this.storedAssay(name);
    const dir = await mkdtemp(join(tmpdir(), 'delicate-assay-'));
    const file = join(dir, `assay-${name.replace(/[^\w.-]+/g, '_')}.csv`);
    const measurements = this.assays.measurements(name);
    await writeFile(file, assayCsv(assay, measurements));
    // The copy's columns are smiles, the target and date: the date column is read when the assay has dates.
    const dateCol = measurements.some((m) => m.date) ? 'date' : undefined;
    return { file, displayName: `assay '${name}' (read from ${assay.file})`, fromAssay: name, dateCol, assay, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  /** Inference speed of a task model in sequences per second on a fixed sample of drug-like molecules (benchmarks). */
  async inferenceSpeed(name: string, engine: Engine = 'tfjs'): Promise<number> {
    return (await this.speed(name, engine)).molPerSec;
  }

  /** Molecules per second of a task model on a fixed sample of drug-like molecules, and the engine that ran. */
  async speed(name: string, engine: Engine = 'auto'): Promise<{ molPerSec: number; engine: string; molecules: number }> {
    const spec = this.taskSpec(name);
    const inputs = speedInputs();
    const r = await this.once({ type: 'predict', model: { ...spec, domain: [] }, inputs, engine }, (e) => (e.type === 'predicted' ? e : undefined));
    return { molPerSec: inputs.length / r.inferSeconds, engine: r.engine, molecules: inputs.length };
  }

  /** Fine-tuning throughput of a task model (sequences per wall and per CPU second of its thread) on the same sample. */
  async trainingSpeed(name: string): Promise<{ seqPerSec: number; seqPerCpuSec: number | null; sequences: number }> {
    const inputs = speedInputs();
    const { type: _, ...r } = await this.once({ type: 'train-speed', model: { ...this.taskSpec(name), domain: [] }, inputs }, (e) => (e.type === 'train-speed' ? e : undefined));
    return r;
  }
}

/** Drug-like molecules of typical length for speed measurements. */
const SPEED_SAMPLE = [
  'CC(=O)Oc1ccccc1C(=O)O',
  'CN1CCC[C@H]1c1cccnc1',
  'CC(C)Cc1ccc(C(C)C(=O)O)cc1',
  'COc1ccc2[nH]cc(CCNC(C)=O)c2c1',
  'O=C(O)c1ccccc1Nc1cccc(C(F)(F)F)c1',
  'CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21',
  'Cc1ccc(cc1Nc1nccc(n1)c1cccnc1)NC(=O)c1ccc(CN2CCN(C)CC2)cc1',
  'CC(C)NCC(O)COc1cccc2ccccc12',
];

/** The speed measurements' 512 inputs: the sample, repeated. */
const speedInputs = () => Array.from({ length: 512 }, (_, i) => SPEED_SAMPLE[i % SPEED_SAMPLE.length] as string);
