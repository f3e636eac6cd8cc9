import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Events } from '../../src-shared/contract';
import { AppError } from '../../src-shared/errors';
import { ChemPool } from '../chem/chem-pool';
import { type Db, openDatabase } from '../db/database';
import { CompoundRepo } from '../db/compound-repo';
import { JobRepo } from '../db/job-repo';
import { type EventSink, JobManager } from '../jobs/job-manager';
import { ClusteringService } from './clustering-service';
import { fillDescriptors } from './descriptor-fill';
import { descriptorProgress } from './job-progress';
import { LibraryService } from './library-service';
import { ScaffoldService } from './scaffold-service';
import { PlotService } from './plot-service';
import { ScoreService } from './score-service';
import { ViewService } from './view-service';
import { type Assays, type Inference, type ModelRegistry, type Pretraining, type TrainingRuns, modelServices } from './models';
import type { ShippedRegistration } from './models/shipped';
import { ScreenService } from './screen-service';
import { VirtualScreening } from './vs-service';

type Listener = <E extends keyof Events>(event: E, payload: Events[E]) => void;

/** Everything a front end (CLI, host mode, Electron) needs: the database, the chemistry pool, the services. */
export class AppContext {
  readonly db: Db;
  readonly chem: ChemPool;
  readonly jobs: JobManager;
  readonly libraries: LibraryService;
  /** The model registry (what is stored, import/export, the specs scorers load). */
  readonly models: ModelRegistry;
  readonly pretraining: Pretraining;
  readonly training: TrainingRuns;
  readonly assays: Assays;
  readonly inference: Inference;
  readonly screens: ScreenService;
  readonly clustering: ClusteringService;
  readonly scaffolds: ScaffoldService;
  readonly scores: ScoreService;
  readonly plots: PlotService;
  readonly views: ViewService;
  readonly vs: VirtualScreening;
  /** Problems met while opening (e.g. a shipped model file that could not be registered). */
  readonly warnings: string[] = [];
  /** Warnings a window dismissed: no window of this process shows them again (app.dismissNotice). */
  readonly dismissedNotices = new Set<string>();
  private readonly listeners = new Set<Listener>();

  constructor(
    readonly dbPath: string,
    /** shippedModels: register them now (default), never, or `later` through registerShippedLater(). */
    /** warmSearch: libraries browsed are indexed for structure search in the background (the app, not the CLI). */
    /** chemistry: when the chemistry workers start (ChemPool's `start`; the app's now, a command's with its first task). */
    opts: { chemWorkers?: number; shippedModels?: boolean | 'later'; warmSearch?: boolean; chemistry?: 'now' | 'first-task' } = {},
  ) {
    this.db = openDatabase(dbPath);
    this.chem = new ChemPool(opts.chemWorkers, { start: opts.chemistry ?? 'now' });
    const jobRepo = new JobRepo(this.db);
    jobRepo.markInterrupted();
    const emit: EventSink = (event, payload) => {
      for (const l of this.listeners) l(event, payload);
    };
    this.jobs = new JobManager(jobRepo, emit);
    this.libraries = new LibraryService(this.db, this.chem, {
      warmSearch: opts.warmSearch ?? false,
      progress: (p) => emit('search.progress', p),
    });
    ({
      models: this.models,
      pretraining: this.pretraining,
      training: this.training,
      assays: this.assays,
      inference: this.inference,
    } = modelServices(this.db, (id) => jobRepo.isLive(id)));
    this.screens = new ScreenService(this.db, this.chem, this.libraries, this.models);
    this.clustering = new ClusteringService(this.db, this.chem, this.libraries);
    this.scaffolds = new ScaffoldService(this.db, this.chem, this.libraries);
    this.scores = new ScoreService(this.db, this.libraries);
    this.plots = new PlotService(this.db, this.libraries);
    this.views = new ViewService(this.db, this.libraries);
    this.vs = new VirtualScreening(this.chem, this.libraries, this.models, this.screens);
    if ((opts.shippedModels ?? true) === true) {
      try {
        for (const r of this.models.registerShipped(shippedModelsDir())) this.noteRetired(r);
      } catch (err) {
        this.warnings.push(`shipped models not registered: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Registers the shipped base models as a `setup` job, one model per turn of the event loop, with
   * progress: the desktop app calls it once its window is up (a first launch takes seconds). Returns the
   * job id, or null when every shipped model is registered already.
   */
  registerShippedLater(): string | null {
    const dir = shippedModelsDir();
    const pending = this.models.shippedPending(dir);
    if (!pending.length) return null;
    return this.jobs.start('setup', { models: pending }, async (job) => {
      const retired: Array<{ name: string; keptAs: string }> = [];
      const registered: string[] = [];
      for (const [i, name] of pending.entries()) {
        job.progress({
          done: i,
          total: pending.length,
          rate: 0,
          etaSeconds: null,
          message: `preparing the shipped model ${name} (${i + 1} of ${pending.length})`,
        });
        // Let the progress reach the window before this model's conversion holds the thread.
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (job.signal.aborted) throw new AppError('CANCELLED', 'preparing the shipped models was cancelled; it goes on at the next start');
        const r = this.models.registerShippedOne(dir, name);
        this.noteRetired(r);
        if (r.retiredAs) retired.push({ name, keptAs: r.retiredAs });
        if (r.waitsForScreen === undefined) registered.push(name);
      }
      return { registered, retired };
    });
  }

  /** Says where the version of a shipped model that a newer file replaced is kept, or why it waits. */
  private noteRetired(r: ShippedRegistration): void {
    if (r.waitsForScreen !== undefined)
      this.warnings.push(
        `a newer version of the shipped model ${r.name} is installed at a later start: the version this database has is scoring screen ${r.waitsForScreen}`,
      );
    if (r.retiredAs)
      this.warnings.push(
        `the shipped model ${r.name} is a newer version; the one this database had is kept as ${r.retiredAs} (the models made from it, its screens and predictions name it)`,
      );
  }

  /**
   * Goes on computing the descriptors an import left unfinished (cancelled, or the app closed or crashed
   * meanwhile), as a `descriptors` job with progress: the app and `serve` call it once they are up.
   * Returns the job id, or null when nothing is waiting.
   */
  fillDescriptorsLater(): string | null {
    const pending = new CompoundRepo(this.db).pendingDescriptors();
    if (!pending) return null;
    return this.jobs.start('descriptors', { compounds: pending }, (job) =>
      fillDescriptors(this.db, this.chem, { signal: job.signal, onProgress: (p) => job.progress(descriptorProgress(p, 'every library')) }),
    );
  }

  /** Subscribes to contract events; returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.jobs.shutdown();
    await this.chem.close();
    this.db.close();
  }
}

/**
 * The folder of the shipped base models: $DELICATE_RESOURCES/models (the packaged app sets it), else
 * resources/models found walking up from this module (sources, tests and the electron-vite build).
 */
export function shippedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DELICATE_RESOURCES) return join(env.DELICATE_RESOURCES, 'models');
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'models');
    if (existsSync(candidate)) return candidate;
  }
  return join(here, '..', '..', 'resources', 'models');
}

export { type PathPolicy, allowedPath, createHandlers } from './handlers';
export { defaultDbPath } from '../db/database';
