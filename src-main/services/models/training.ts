import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EpochPoint } from '../../../src-shared/dto';
import { AppError } from '../../../src-shared/errors';
import { type AssayColumns, givenColumns } from '../../../src-shared/assay-columns';
import { describeRun } from '../../../src-shared/runs';
import type { Db } from '../../db/database';
import type { ModelRepo } from '../../db/model-repo';
import { type RunProgress, RunCheckpointRepo } from '../../db/run-checkpoint-repo';
import type { BackendName } from '../../model/tf/backend';
import type { Task } from '../../train/assay';
import { fileSha256 } from '../../train/corpus';
import type { BatchPoint, QsarCheckpoint, QsarResult, Recommendation } from '../../train/qsar';
import type { QsarSettings } from '../../train/qsar-settings';
import type { Assays } from './assays';
import { type RunModels, registerRun, runModelNames } from './register-run';
import { BASE_STUDENT, BASE_TEACHER, TRANSFORMERS } from './registry';
import type { TrainRequest as WorkerRequest } from '../../train/train-protocol';
import { runTrainJob } from './train-job';

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

export interface TrainHooks {
  signal?: AbortSignal;
  onProgress?: (message: string, epoch?: EpochPoint, batch?: BatchPoint) => void;
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
  if (!v || typeof v !== 'object') return JSON.stringify(v);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/**
 * The general-distilled student a training run starts its student from: the one asked for, else the shipped
 * one when the run distils from the shipped teacher and asks for the student it is (shared, same depth;
 * `baseStudentLayers` null when it is not registered); else none (the student starts from the fine-tuned teacher).
 */
export function startingStudent(
  req: Pick<TrainRequest, 'student' | 'settings'>,
  teacherName: string | null,
  baseStudentLayers: number | null,
): string | undefined {
  if (req.student) return req.student;
  const s = req.settings;
  return s.distill && teacherName === BASE_TEACHER && s.studentShared && baseStudentLayers === s.studentLayers ? BASE_STUDENT : undefined;
}

/**
 * QSAR training runs (`delicate train`, the Training view): fine-tune a teacher, distil a student, fit the
 * forest and the consensus on a worker; one checkpoint per epoch in `run_checkpoints`, so a cancelled or
 * crashed run resumes where it stood.
 */
export class TrainingRuns {
  /** The latest checkpoint of each unfinished training run. */
  readonly runs: RunCheckpointRepo;
  /** The --out names of the training runs this process is running (one run per name at a time). */
  private readonly running = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly repo: ModelRepo,
    private readonly assays: Assays,
  ) {
    this.runs = new RunCheckpointRepo(db);
  }

  /**
   * Fine-tunes a teacher on an assay (the one named, else the registered base teacher, else from scratch),
   * optionally distils a student, always fits the ECFP4+RF baseline and their consensus; registers the
   * first seed's models as OUT-teacher, OUT-student, OUT-ecfp4-rf and OUT-consensus.
   */
  async train(req: TrainRequest, hooks: TrainHooks = {}): Promise<TrainResult> {
    if (this.running.has(req.out)) throw new AppError('CONFLICT', `a training run named '${req.out}' is running; wait for it or cancel it`);
    this.running.add(req.out);
    try {
      return await this.trainRun(req, hooks);
    } finally {
      this.running.delete(req.out);
    }
  }

  /**
   * Resumes the interrupted run `name` with the request it was started with and the copy of its data
   * file (the upload or file may be gone), from its latest checkpoint.
   */
  async resumeRun(name: string, hooks: TrainHooks = {}): Promise<TrainResult> {
    const stored = this.runs.request(name);
    if (!stored) throw new AppError('NOT_FOUND', `no interrupted training run named '${name}'`, { run: name, remedy: 'list-runs' });
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
    if (this.running.has(name)) throw new AppError('CONFLICT', `the training run '${name}' is running; cancel it first`);
    return this.runs.delete(name);
  }

  /** The interrupted run of `req.out`, and whether `req` is that run (so `resume` continues it). */
  async interrupted(req: TrainRequest): Promise<{ progress: RunProgress; updatedAt: string; matches: boolean } | null> {
    const c = this.runs.get(req.out);
    return c ? { progress: c.progress, updatedAt: c.updatedAt, matches: (await this.runKeys(req, this.startingModels(req))).includes(c.key) } : null;
  }

  /** The teacher and the general-distilled student a training request starts from, checked. */
  private startingModels(req: TrainRequest): RunModels {
    const teacherName = req.teacher ?? (this.repo.byName(BASE_TEACHER)?.state === 'ready' ? BASE_TEACHER : null);
    const t = teacherName ? this.repo.ready(teacherName, { role: 'teacher', kinds: TRANSFORMERS, need: 'not a transformer' }) : null;
    const teacher = t && teacherName ? { name: teacherName, config: t.manifest.config, tokenizer: t.manifest.tokenizer, weights: t.weights } : null;
    const base = this.repo.byName(BASE_STUDENT);
    const baseLayers = base?.state === 'ready' ? this.repo.ready(BASE_STUDENT, { kinds: TRANSFORMERS }).manifest.config.layers : null;
    const studentName = startingStudent(req, teacherName, baseLayers);
    if (!studentName) return { teacherName, teacher, student: null };
    const { manifest: m, weights } = this.repo.ready(studentName, { role: 'starting student', kinds: TRANSFORMERS, need: 'not a transformer' });
    if (
      !m.config.shareLayers ||
      !teacher ||
      JSON.stringify(m.tokenizer.vocab) !== JSON.stringify(teacher.tokenizer.vocab) ||
      m.config.hidden !== teacher.config.hidden
    ) {
      throw new AppError(
        'INVALID_INPUT',
        `'${studentName}' cannot start this student: it must be a shared-layer model distilled from the teacher (same vocabulary and width)`,
      );
    }
    return { teacherName, teacher, student: { name: studentName, config: m.config, weights } };
  }

  /**
   * What a training run is, for resuming it: the data's content, target, task, columns, settings and the
   * models it starts from (by registration: id and time, so a model renamed since is the same model, and
   * one deleted and trained anew under its name is another). The second key names the models by name, as
   * runs saved before a model could be renamed were keyed; a resume accepts either.
   */
  private async runKeys(req: TrainRequest, inputs: Pick<RunModels, 'teacherName' | 'student'>): Promise<[string, string]> {
    const data = await fileSha256(req.data);
    const key = (made: (n: string) => string) => {
      const what = {
        data,
        target: req.target,
        task: req.task,
        columns: givenColumns(req),
        settings: req.settings,
        teacher: inputs.teacherName ? made(inputs.teacherName) : null,
        student: inputs.student?.name ? made(inputs.student.name) : null,
      };
      return createHash('sha256').update(canonicalJson(what)).digest('hex');
    };
    return [
      key((n) => {
        const r = this.repo.byName(n);
        return `#${r?.id ?? ''}@${r?.createdAt ?? ''}`;
      }),
      key((n) => `${n}@${this.repo.byName(n)?.createdAt ?? ''}`),
    ];
  }

  /** Whether the request may run at all: its models' names are free, an interrupted run of its name is resumed or restarted. */
  private preflight(req: TrainRequest): void {
    const names = runModelNames(req.out);
    for (const n of [names.teacher, ...(req.settings.distill ? [names.student] : []), names.consensus]) {
      if (this.repo.byName(n))
        throw new AppError('CONFLICT', `a model named '${n}' already exists; choose another name for the run`, { model: n, remedy: 'other-out' });
    }
    if (req.resume && req.restart) throw new AppError('INVALID_INPUT', 'resume (continue the interrupted run) or restart (start it over), not both');
    const interrupted = this.runs.get(req.out);
    if (interrupted && !req.resume && !req.restart) {
      throw new AppError('CONFLICT', `the training run '${req.out}' was interrupted (${describeRun(interrupted.progress)}; saved ${interrupted.updatedAt})`, {
        run: req.out,
        remedy: 'resume-or-restart',
      });
    }
    if (req.resume && !interrupted)
      throw new AppError('NOT_FOUND', `no interrupted training run named '${req.out}' to resume`, { run: req.out, remedy: 'list-runs' });
  }

  /** The checkpoint a run continues from (`resume`): the same run (one of its `keys`) only. */
  private checkpointOf(req: TrainRequest, keys: string[], hooks: TrainHooks): QsarCheckpoint | undefined {
    if (req.restart) this.runs.delete(req.out);
    const interrupted = this.runs.get(req.out);
    if (!req.resume || !interrupted) return undefined;
    if (!keys.includes(interrupted.key)) {
      throw new AppError(
        'CONFLICT',
        `the interrupted run '${req.out}' was started with other data, columns, settings or models: give the same ones to resume it, or restart it`,
        { run: req.out, remedy: 'restart' },
      );
    }
    try {
      const checkpoint = deserialize(this.runs.checkpoint(req.out) ?? Buffer.alloc(0)) as QsarCheckpoint;
      hooks.onProgress?.(`resuming '${req.out}' from its checkpoint: ${describeRun(interrupted.progress)}`);
      return checkpoint;
    } catch (err) {
      throw new AppError('CONFLICT', `the checkpoint of the interrupted run '${req.out}' cannot be read (${(err as Error).message})`, {
        run: req.out,
        remedy: 'restart',
      });
    }
  }

  private async trainRun(req: TrainRequest, hooks: TrainHooks): Promise<TrainResult> {
    this.preflight(req);
    const names = runModelNames(req.out);
    const inputs = this.startingModels(req);
    const keys = await this.runKeys(req, inputs);
    const key = keys[0];
    const resumedFrom = req.resume ? (this.runs.get(req.out)?.progress ?? null) : null;
    const resume = this.checkpointOf(req, keys, hooks);
    const result = await this.runOnWorker(req, inputs, key, resume, hooks);
    if (req.dataName) result.data = { ...result.data, file: req.dataName };
    // Read from a stored assay's one-row-per-compound copy, the replicates are that assay's (as it was
    // before this run: a run named like its assay replaces it below).
    const source = req.fromAssay === undefined ? null : this.assays.repo.byName(req.fromAssay);
    const registered = registerRun(this.db, this.repo, this.assays, req, inputs, result);
    // The run is over: its models are registered, its checkpoint is done with.
    this.runs.delete(req.out);
    const { trained: _trained, baseline: _baseline, assay: _assay, consensus, recommended, ...rest } = result;
    return {
      ...rest,
      // And its rejected records count with the run's own.
      ...(source ? { n: { ...rest.n, replicates: source.replicates, rejected: source.rejected + rest.n.rejected } } : {}),
      models: result.models.map((m) => ({ ...m, name: names[m.role] })),
      registered,
      recommended: recommended ? { ...recommended, name: names[recommended.role] } : null,
      consensus:
        consensus && registered.includes(names.consensus)
          ? { name: names.consensus, members: consensus.members.map((m) => ({ name: names[m.role], weight: m.weight })) }
          : null,
      resumedFrom: resume ? resumedFrom : null,
    };
  }

  /** The run itself, on a training worker: every epoch's checkpoint replaces the previous one. */
  private async runOnWorker(req: TrainRequest, inputs: RunModels, key: string, resume: QsarCheckpoint | undefined, hooks: TrainHooks): Promise<QsarResult> {
    const first = req.settings.firstSeed ?? 0;
    const progressOf = (c: QsarCheckpoint): RunProgress => ({
      seed: c.seed - first + 1,
      seeds: req.settings.seeds,
      stage: c.stage,
      epoch: c.fit.epoch,
      epochs: c.epochs,
    });
    const request: Extract<WorkerRequest, { type: 'qsar' }> = {
      type: 'qsar',
      request: {
        data: req.data,
        target: req.target,
        task: req.task,
        settings: req.settings,
        teacher: inputs.teacher,
        student: inputs.student,
        ...givenColumns(req),
      },
      ...(req.backend ? { backend: req.backend } : {}),
      ...(resume ? { resume } : {}),
      checkpoints: true,
    };
    try {
      return await runTrainJob(`training of '${req.out}'`, request, (e) => (e.type === 'qsar-done' ? e.result : undefined), {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onEvent: (e) => {
          if (e.type === 'qsar-progress') hooks.onProgress?.(e.message, e.epoch, e.batch);
          else if (e.type === 'qsar-started') hooks.onProgress?.(`training on ${e.backend.selected}`);
          // A cancel or a crash resumes from the latest checkpoint.
          else if (e.type === 'qsar-checkpoint')
            this.runs.save(req.out, key, progressOf(e.checkpoint), serialize(e.checkpoint), () => ({
              request: storedRequest(req),
              file: readFileSync(req.data),
            }));
        },
      });
    } catch (err) {
      const saved = this.runs.get(req.out);
      if (!(err instanceof AppError) || !saved) throw err;
      // The run can go on from its latest checkpoint: say so.
      const how = `the run is saved after ${describeRun(saved.progress)}`;
      const details = { run: req.out, remedy: 'resume-run', ...(err.details && typeof err.details === 'object' ? err.details : {}) };
      throw new AppError(err.code, err.code === 'CANCELLED' ? `training of '${req.out}' cancelled; ${how}` : `${err.message} (${how})`, details);
    }
  }
}
