import { AppError, BugError } from '../../../src-shared/errors';
import { type ModelRepo, manifestOf } from '../../db/model-repo';
import type { BackendName } from '../../model/tf/backend';
import type { ModelManifest, Progress, RunState } from '../../train/pretrain';
import type { PretrainSettings } from '../../train/settings';
import type { TrainEvent, TrainRequest as WorkerRequest } from '../../train/train-protocol';
import { TRANSFORMERS } from './registry';
import { runTrainJob } from './train-job';

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

export interface PretrainHooks {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onStarted?: (info: { params: number; backend: string; backendReasons: string[]; resumedFromStep: number | null; totalSteps: number }) => void;
}

type Resume = NonNullable<Extract<WorkerRequest, { type: 'pretrain' }>['resume']>;
type Weighted = { manifest: ModelManifest; weights: Uint8Array };

/** Pretraining (MLM + physchem) and general distillation: the jobs that make base models. */
export class Pretraining {
  constructor(
    private readonly repo: ModelRepo,
    private readonly isJobLive: (jobId: string) => boolean,
  ) {}

  /**
   * Pretrains a new model on an unlabelled corpus (or distils one from a teacher), or resumes one from its
   * last checkpoint. Checkpoints land in SQLite every `checkpointEvery` steps and on cancel.
   */
  async pretrain(req: PretrainRequest, hooks: PretrainHooks = {}, jobId: string | null = null): Promise<PretrainResult> {
    const { resume, modelId } = this.resumeFrom(req, jobId);
    const settings = resume ? resume.manifest.training.settings : req.settings;
    const { teacher, init } = this.startingModels(settings, Boolean(resume));
    const run = new PretrainRun(this.repo, req, hooks, jobId, modelId, teacher, resume ? resume.state.step : null);
    const request: WorkerRequest = {
      type: 'pretrain',
      ...(teacher ? { teacher } : {}),
      ...(init ? { init } : {}),
      corpus: req.corpus,
      settings: req.settings,
      ...(req.smilesCol ? { smilesCol: req.smilesCol } : {}),
      ...(req.backend ? { backend: req.backend } : {}),
      ...(resume ? { resume } : {}),
    };
    try {
      return await runTrainJob(`pretraining of '${req.out}'`, request, (e) => run.result(e), {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onEvent: (e) => run.onEvent(e),
      });
    } catch (err) {
      // Its checkpoints stay: a cancelled or failed run resumes from the latest.
      if (run.modelId !== null) this.repo.setState(run.modelId, err instanceof AppError && err.code === 'CANCELLED' ? 'cancelled' : 'failed');
      throw err;
    }
  }

  /** The checkpoint a run of `req.out` continues from (`--resume`), or none: a new model. */
  private resumeFrom(req: PretrainRequest, jobId: string | null): { resume: Resume | undefined; modelId: number | null } {
    const existing = this.repo.byName(req.out);
    if (!existing) return { resume: undefined, modelId: null };
    if (existing.state === 'ready')
      throw new AppError('CONFLICT', `model '${req.out}' already exists and is finished; choose another name`, { model: req.out, remedy: 'other-out' });
    if (!req.resume) {
      throw new AppError('CONFLICT', `model '${req.out}' exists (${existing.state}, step ${existing.steps} of ${existing.totalSteps})`, {
        model: req.out,
        remedy: 'resume-or-other-out',
      });
    }
    if (existing.jobId && existing.state === 'training' && this.isJobLive(existing.jobId)) {
      throw new AppError('CONFLICT', `model '${req.out}' is being trained right now by another Delicate process`);
    }
    const ckpt = this.repo.latestCheckpoint(existing.id);
    if (!ckpt) {
      // Stopped before its first checkpoint: nothing to continue, start over.
      this.repo.delete(existing.id);
      return { resume: undefined, modelId: null };
    }
    this.repo.setState(existing.id, 'training', jobId);
    const resume = {
      manifest: manifestOf(existing) as ModelManifest,
      state: JSON.parse(ckpt.state) as RunState,
      weights: new Uint8Array(ckpt.weights),
      optimizer: new Uint8Array(ckpt.optimizer),
    };
    return { resume, modelId: existing.id };
  }

  /** The teacher (general distillation) and the model a fresh run starts from (`init`); a resumed run continues its checkpoint. */
  private startingModels(settings: PretrainSettings, resumed: boolean): { teacher?: Weighted; init?: Weighted } {
    const load = (name: string, role: string): Weighted => {
      const { manifest, weights } = this.repo.ready(name, { role, kinds: TRANSFORMERS, need: 'not a transformer' });
      if (!manifest.config.mlm)
        throw new AppError(
          'INVALID_INPUT',
          `${role} '${name}' has no masked-LM head: general distillation and continued pretraining need pretrained models (kind pretrained, shared or student)`,
        );
      return { manifest: manifest as ModelManifest, weights };
    };
    const distill = settings.distill;
    if (!distill) return !resumed && settings.init ? { init: load(settings.init, 'starting model') } : {};
    const teacher = load(distill.teacher, 'teacher');
    const depth = teacher.manifest.config.layers;
    if (distill.layers > depth) {
      throw new AppError(
        'INVALID_INPUT',
        `a student of ${distill.layers} layers: the teacher '${distill.teacher}' has ${depth} layers, and a student applies its shared layer at most that often (${depth} gives a shared-layer teacher)`,
      );
    }
    return { teacher, ...(!resumed && distill.init ? { init: load(distill.init, 'starting model') } : {}) };
  }
}

/** One pretraining run's side of the worker's events: registering the model, its checkpoints, its end. */
class PretrainRun {
  private params = 0;
  private backend = '';

  constructor(
    private readonly repo: ModelRepo,
    private readonly req: PretrainRequest,
    private readonly hooks: PretrainHooks,
    private readonly jobId: string | null,
    public modelId: number | null,
    private readonly teacher: Weighted | undefined,
    private readonly resumedFromStep: number | null,
  ) {}

  onEvent(e: TrainEvent): void {
    if (e.type === 'started') this.started(e);
    else if (e.type === 'progress') this.hooks.onProgress?.(e.progress);
    else if (e.type === 'checkpoint' || e.type === 'cancelled') {
      const id = this.registered();
      this.repo.saveCheckpoint(id, {
        step: e.state.step,
        state: JSON.stringify(e.state),
        weights: Buffer.from(e.weights),
        optimizer: Buffer.from(e.optimizer),
        totalSteps: e.state.totalSteps,
      });
      if (e.type === 'cancelled') {
        this.repo.setState(id, 'cancelled');
        throw new AppError('CANCELLED', `pretraining of '${this.req.out}' cancelled at step ${e.state.step}; the checkpoint is saved`, {
          model: this.req.out,
          remedy: 'resume',
        });
      }
    }
  }

  /** The run's answer: its final weights and evaluation stored, the model ready. */
  result(e: TrainEvent): PretrainResult | undefined {
    if (e.type !== 'done') return undefined;
    const ev = e.evaluation;
    this.repo.finish(this.registered(), {
      weights: Buffer.from(e.weights),
      steps: e.state.step,
      metrics: {
        mlmAccuracy: ev.mlmAccuracy,
        unigramAccuracy: ev.unigramAccuracy,
        mlmLoss: ev.mlmLoss,
        physchemR2: ev.physchemR2,
        heldOut: ev.molecules,
        trainSeconds: e.state.seconds,
        sequencesSeen: e.state.sequences,
        tokensSeen: e.state.tokens,
      },
    });
    const { step: steps, totalSteps, seconds, curve } = e.state;
    const { mlmAccuracy, unigramAccuracy, mlmLoss, physchemR2, molecules: heldOut } = ev;
    return {
      model: this.req.out,
      steps,
      totalSteps,
      params: this.params,
      mlmAccuracy,
      unigramAccuracy,
      mlmLoss,
      physchemR2,
      heldOut,
      seconds,
      backend: this.backend,
      resumedFromStep: this.resumedFromStep,
      curve,
    };
  }

  private registered(): number {
    if (this.modelId === null) throw new BugError('a checkpoint or the end of a run came before its model was registered');
    return this.modelId;
  }

  private started(e: Extract<TrainEvent, { type: 'started' }>): void {
    this.params = e.params;
    this.backend = e.backend.selected;
    const c = e.manifest.config;
    if (this.modelId === null) {
      const distill = e.manifest.training.settings.distill;
      // A shared layer applied as often as the teacher's depth is the shared-layer teacher (stage 2).
      const kind = distill ? (c.layers >= (this.teacher?.manifest.config.layers ?? Infinity) ? 'shared' : 'student') : c.shareLayers ? 'shared' : 'pretrained';
      const init = e.manifest.training.settings.init;
      const parents = distill ? [...new Set([distill.teacher, ...(distill.init ? [distill.init] : [])])] : init ? [init] : [];
      this.modelId = this.repo.create({
        name: this.req.out,
        kind,
        state: 'training',
        manifest: e.manifest,
        params: e.params,
        layers: c.layers,
        shareLayers: c.shareLayers,
        hidden: c.hidden,
        parents,
        totalSteps: e.state.totalSteps,
        jobId: this.jobId,
      });
    }
    this.hooks.onStarted?.({
      params: e.params,
      backend: this.backend,
      backendReasons: e.backend.backends.map((b) => `${b.name}: ${b.reason}`),
      resumedFromStep: this.resumedFromStep,
      totalSteps: e.state.totalSteps,
    });
  }
}
