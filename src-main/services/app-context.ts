import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Api, Events } from '../../src-shared/contract';
import type { ImportSource } from '../../src-shared/schemas';
import type { EpochPoint, RunProgress } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { ChemPool } from '../chem/chem-pool';
import { type Db, openDatabase } from '../db/database';
import { JobRepo } from '../db/job-repo';
import { type EventSink, JobManager } from '../jobs/job-manager';
import { doctor } from './doctor';
import { importFile, previewFile } from './import-service';
import { LibraryService } from './library-service';
import { ModelService } from './model-service';
import { checkAssayColumns } from '../train/assay';
import { ScreenService } from './screen-service';
import { givenColumns } from '../../src-shared/assay-columns';
import { DEFAULT_QSAR, type QsarSettings } from '../train/qsar-settings';
import { DEFAULT_PRETRAIN, type PretrainSettings } from '../train/settings';

type Listener = <E extends keyof Events>(event: E, payload: Events[E]) => void;

/** Everything a front end (CLI, host mode, Electron) needs: the database, the chemistry pool, the services. */
export class AppContext {
  readonly db: Db;
  readonly chem: ChemPool;
  readonly jobs: JobManager;
  readonly libraries: LibraryService;
  readonly models: ModelService;
  readonly screens: ScreenService;
  /** Problems met while opening (e.g. a shipped model file that could not be registered). */
  readonly warnings: string[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(
    readonly dbPath: string,
    /** shippedModels: register them now (default), never, or `later` through registerShippedLater(). */
    opts: { chemWorkers?: number; shippedModels?: boolean | 'later' } = {},
  ) {
    this.db = openDatabase(dbPath);
    this.chem = new ChemPool(opts.chemWorkers);
    const jobRepo = new JobRepo(this.db);
    jobRepo.markInterrupted();
    const emit: EventSink = (event, payload) => {
      for (const l of this.listeners) l(event, payload);
    };
    this.jobs = new JobManager(jobRepo, emit);
    this.libraries = new LibraryService(this.db, this.chem);
    this.models = new ModelService(this.db, (id) => jobRepo.get(id)?.state === 'running');
    this.screens = new ScreenService(this.db, this.chem, this.libraries, this.models);
    if ((opts.shippedModels ?? true) === true) {
      try {
        this.models.registerShipped(shippedModelsDir());
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
      for (const [i, name] of pending.entries()) {
        job.progress({ done: i, total: pending.length, rate: 0, etaSeconds: null, message: `preparing the shipped model ${name} (${i + 1} of ${pending.length})` });
        // Let the progress reach the window before this model's conversion holds the thread.
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (job.signal.aborted) throw new AppError('CANCELLED', 'preparing the shipped models was cancelled; it goes on at the next start');
        this.models.registerShippedOne(dir, name);
      }
      return { registered: pending };
    });
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

/**
 * Which server paths a front end may name. The desktop app and the CLI act for the user on their own
 * machine (`any`); host mode serves a browser that may belong to someone else, so it takes files only as
 * uploads (`none`) or, with `serve --files DIR`, paths inside that one folder (`within`).
 */
export type PathPolicy = { kind: 'any' } | { kind: 'within'; dir: string } | { kind: 'none' };

/** The path to use for `path` under the policy, or INVALID_INPUT saying why it may not be named. */
export async function allowedPath(policy: PathPolicy, path: string, use: 'read' | 'write'): Promise<string> {
  if (policy.kind === 'any') return path;
  if (policy.kind === 'none') {
    throw new AppError(
      'INVALID_INPUT',
      use === 'read'
        ? 'host mode reads files only as uploads (start `delicate serve --files DIR` to allow paths inside DIR)'
        : 'host mode gives results only as downloads (start `delicate serve --files DIR` to allow writing inside DIR)',
    );
  }
  const dir = await realpath(policy.dir);
  const abs = resolve(dir, path);
  // Links are followed before the check: a link inside the folder that points outside it is refused too.
  const real = use === 'read' ? await realpath(abs).catch(() => abs) : join(await realpath(dirname(abs)).catch(() => dirname(abs)), basename(abs));
  const rel = relative(dir, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new AppError('INVALID_INPUT', `${path}: host mode ${use === 'read' ? 'reads' : 'writes'} only inside ${policy.dir}`);
  return real;
}

/**
 * Runs `fn` on a materialised file; an error that names the file's temporary path (an upload's copy)
 * names it as the user knows it instead: server paths are never shown.
 */
async function asNamed<T>(file: string, displayName: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (file === displayName || !(err instanceof Error) || !err.message.includes(file)) throw err;
    const message = err.message.split(file).join(displayName);
    throw err instanceof AppError ? new AppError(err.code, message, err.details) : new Error(message);
  }
}

/** An import source as a file on disk: a path as given, or an upload written to a temporary folder (host mode). */
async function materialise(source: ImportSource, paths: PathPolicy): Promise<{ file: string; displayName: string; cleanup: () => Promise<void> }> {
  if (source.kind === 'path') return { file: await allowedPath(paths, source.path, 'read'), displayName: source.path, cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'delicate-upload-'));
  const displayName = basename(source.fileName);
  const file = join(dir, displayName);
  await writeFile(file, Buffer.from(source.dataBase64, 'base64'));
  return { file, displayName, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The contract's handlers over the services; arguments arrive already validated by the router. */
export function createHandlers(ctx: AppContext, opts: { paths?: PathPolicy } = {}): Api {
  const paths = opts.paths ?? { kind: 'any' };
  /**
   * A training job (new or resumed run): progress in epochs over every stage and seed, the data's
   * temporary copy removed at the end.
   */
  const trainJob = (
    meta: Record<string, unknown>,
    settings: QsarSettings,
    cleanup: () => Promise<void>,
    run: (hooks: { signal: AbortSignal; onProgress: (message: string, epoch?: EpochPoint) => void }) => Promise<unknown>,
    from: RunProgress | null = null,
  ) => {
    // Epochs the job reports: the teacher's and the student's distillation, per seed.
    const perSeed = settings.epochs * (settings.distill ? 2 : 1);
    let epochsDone = from ? (from.seed - 1) * perSeed + (from.stage === 'teacher' ? from.epoch : from.stage === 'distill' ? settings.epochs + from.epoch : perSeed) : 0;
    const jobId = ctx.jobs.start('train', meta, async (job) => {
      try {
        return await run({
          signal: job.signal,
          onProgress: (message, epoch) => {
            if (epoch) epochsDone++;
            // Teacher and (with distillation) student epochs for every seed: the job's unit of progress.
            job.progress({ done: epochsDone, total: perSeed * settings.seeds, rate: 0, etaSeconds: null, message, ...(epoch ? { epoch } : {}) });
          },
        });
      } finally {
        await cleanup();
      }
    });
    return { jobId };
  };
  return {
    'app.doctor': () => doctor(ctx.db, ctx.dbPath),
    'library.list': async () => ({ libraries: ctx.libraries.list() }),
    'library.import': async (args) => {
      const { file, displayName, cleanup } = await materialise(args.source, paths);
      const jobId = ctx.jobs.start('import', { library: args.library, file: displayName }, async (job) => {
        try {
          return await asNamed(file, displayName, () => importFile(ctx.db, ctx.chem, {
            file,
            displayName,
            library: args.library,
            smilesCol: args.smilesCol,
            idCol: args.idCol,
            format: args.format,
            signal: job.signal,
            onProgress: (p) =>
              job.progress({
                done: p.read,
                total: null,
                rate: p.rate,
                etaSeconds: p.etaSeconds,
                message: `${p.read} records: ${p.imported} new, ${p.duplicates} duplicates, ${p.rejected} rejected (${Math.round(p.fraction * 100)}%)`,
              }),
          }));
        } finally {
          await cleanup();
        }
      });
      return { jobId };
    },
    'library.preview': async (args) => {
      const { file, displayName, cleanup } = await materialise(args.source, paths);
      try {
        return await previewFile(ctx.chem, file, { displayName, ...(args.format ? { format: args.format } : {}), ...(args.smilesCol ? { smilesCol: args.smilesCol } : {}), ...(args.idCol ? { idCol: args.idCol } : {}) });
      } finally {
        await cleanup();
      }
    },
    'library.export': async (args) => ({ written: await ctx.libraries.export(args.library, await allowedPath(paths, args.out, 'write')) }),
    'library.delete': async (args) => ({ deleted: ctx.libraries.delete(args.library) }),
    'library.columns': async (args) => ctx.libraries.columnsOf(args.library),
    'library.setColumnType': async (args) => ctx.libraries.setColumnType(args.library, args.column, args.type),
    'compound.list': (args) => ctx.libraries.query(args),
    'compound.ids': async (args) => ({ ids: await ctx.libraries.matchingIds(args) }),
    'compound.download': (args) => ctx.libraries.downloadSelection(args.library, args.ids, args.format),
    'library.fromSelection': async (args) => ctx.libraries.saveSelection(args.library, args.ids, args.name),
    'compound.get': async (args) => ({ ...(await ctx.libraries.compound(args.id)), predictions: ctx.screens.predictionsOf(args.id) }),
    'compound.depict': async (args) => ({ svg: await ctx.libraries.depict(args.smiles, args.width, args.height, args.highlight) }),
    'compound.conformer': (args) => ctx.libraries.conformer(args.id),
    'model.list': async () => ({ models: ctx.models.list() }),
    'model.delete': async (args) => ({ deleted: ctx.models.delete(args.name) }),
    'model.speed': (args) => ctx.models.speed(args.name),
    'model.download': async (args) => {
      const dir = await mkdtemp(join(tmpdir(), 'delicate-model-'));
      try {
        const fileName = `${args.name}.dlcm`;
        await ctx.models.exportModel(args.name, join(dir, fileName), args.dtype ?? 'float16');
        return { fileName, dataBase64: (await readFile(join(dir, fileName))).toString('base64') };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    'model.import': async (args) => {
      const { file, cleanup } = await materialise(args.source, paths);
      try {
        return { model: await ctx.models.importModel(file, args.as) };
      } finally {
        await cleanup();
      }
    },
    'model.pretrain': async (args) => {
      const d = DEFAULT_PRETRAIN;
      const maxSteps = args.maxSteps ?? null;
      const settings: PretrainSettings = {
        ...d,
        architecture: {
          ...d.architecture,
          layers: args.layers ?? d.architecture.layers,
          hidden: args.hidden ?? d.architecture.hidden,
          heads: args.heads ?? d.architecture.heads,
          ff: args.ff ?? d.architecture.ff,
          shareLayers: args.shareLayers ?? false,
        },
        batch: args.batch ?? d.batch,
        maxSteps,
        timeBudgetSeconds: maxSteps !== null ? null : args.timeBudgetMinutes !== undefined ? args.timeBudgetMinutes * 60 : d.timeBudgetSeconds,
      };
      const corpus = await allowedPath(paths, args.corpus, 'read');
      const jobId = ctx.jobs.start('pretrain', { corpus: args.corpus, out: args.out }, (job) =>
        ctx.models.pretrain(
          { corpus, out: args.out, settings, resume: args.resume ?? false },
          {
            signal: job.signal,
            onProgress: (p) =>
              job.progress({
                done: p.step,
                total: p.totalSteps,
                rate: p.seqPerSec,
                etaSeconds: p.etaSeconds,
                message: `step ${p.step}/${p.totalSteps}: loss ${p.loss.toFixed(3)}, MLM accuracy ${(p.mlmAccuracy * 100).toFixed(1)}%`,
                point: { step: p.step, loss: p.loss, mlm: p.mlm, physchem: p.physchem, mlmAccuracy: p.mlmAccuracy },
              }),
          },
          job.jobId,
        ),
      );
      return { jobId };
    },
    'assay.list': async () => ({ assays: ctx.models.assays.list() }),
    'assay.import': async (args) => {
      const { file, displayName, cleanup } = await materialise(args.source, paths);
      await checkAssayColumns(file, { target: args.target, name: displayName, ...givenColumns(args) }).catch(async (err: unknown) => {
        await cleanup();
        throw err;
      });
      const jobId = ctx.jobs.start('assay', { assay: args.name, file: displayName, target: args.target }, async (job) => {
        try {
          return await asNamed(file, displayName, () => ctx.models.importAssay(
            { data: file, dataName: displayName, name: args.name, target: args.target, task: args.task, ...givenColumns(args) },
            {
              signal: job.signal,
              onProgress: (p) => job.progress({ done: p.read, total: null, rate: 0, etaSeconds: null, message: `${p.read} records: ${p.compounds} compounds, ${p.rejected} rejected` }),
            },
          ));
        } finally {
          await cleanup();
        }
      });
      return { jobId };
    },
    'assay.delete': async (args) => ({ deleted: ctx.models.assays.delete(args.name) }),
    'assay.get': async (args) => ctx.models.assayPage(args.name, args),
    'model.train': async (args) => {
      const settings: QsarSettings = {
        ...DEFAULT_QSAR,
        distill: args.distill ?? false,
        studentLayers: args.studentLayers ?? DEFAULT_QSAR.studentLayers,
        split: args.split ?? DEFAULT_QSAR.split,
        seeds: args.seeds ?? DEFAULT_QSAR.seeds,
        epochs: args.epochs ?? DEFAULT_QSAR.epochs,
      };
      const stored = args.assay !== undefined ? await ctx.models.assayFile(args.assay) : null;
      const { file, displayName, cleanup } = stored ?? (await materialise(args.source ?? { kind: 'path', path: args.data as string }, paths));
      if (!stored) {
        // A wrong column is refused now, not by a job that fails seconds later.
        await checkAssayColumns(file, { target: args.target, name: displayName, ...givenColumns(args) }).catch(async (err: unknown) => {
          await cleanup();
          throw err;
        });
      }
      return trainJob({ data: displayName, target: args.target, out: args.out }, settings, cleanup, (hooks) =>
        asNamed(file, displayName, () => ctx.models.train(
          {
            data: file,
            dataName: displayName,
            ...(stored ? { fromAssay: stored.fromAssay } : {}),
            target: args.target,
            task: args.task,
            out: args.out,
            settings,
            ...(args.teacher ? { teacher: args.teacher } : {}),
            ...(args.student ? { student: args.student } : {}),
            // A stored assay's copy has its own date column (the schema refuses the other options with it).
            ...givenColumns({ ...args, dateCol: stored?.dateCol ?? args.dateCol }),
            ...(args.restart ? { restart: true } : {}),
          },
          hooks,
        )),
      );
    },
    'model.runs': async () => ({ runs: ctx.models.runs.list() }),
    'model.resume': async (args) => {
      const run = ctx.models.runs.list().find((r) => r.name === args.name);
      const settings = ctx.models.runSettings(args.name);
      if (!run || !settings) throw new AppError('NOT_FOUND', `no interrupted training run named '${args.name}'`);
      return trainJob({ data: run.data, target: run.target, out: args.name, resume: true }, settings, async () => {}, (hooks) => ctx.models.resumeRun(args.name, hooks), run.progress);
    },
    'model.discardRun': async (args) => ({ discarded: ctx.models.discardRun(args.name) }),
    'screen.run': async (args) => {
      const jobId = ctx.jobs.start('screen', args, (job) =>
        ctx.screens.screen(
          { library: args.library, models: args.models, resume: args.resume ?? false, ...(args.top ? { top: args.top } : {}) },
          { signal: job.signal, onProgress: (p) => job.progress(p) },
          job.jobId,
        ),
      );
      return { jobId };
    },
    'screen.list': async () => ({ screens: ctx.screens.list() }),
    'screen.vs': async (args) => {
      const jobId = ctx.jobs.start('vs', args, (job) => ctx.screens.vs(args, { signal: job.signal, onProgress: (p) => job.progress(p) }));
      return { jobId };
    },
    'screen.results': async (args) => {
      const { screen, ...filter } = args;
      return { summary: ctx.screens.get(screen), hits: await ctx.screens.results(screen, filter), histogram: ctx.screens.histogram(screen, filter.model) };
    },
    'screen.export': async (args) => {
      const { screen, out, ...filter } = args;
      return ctx.screens.export(screen, await allowedPath(paths, out, 'write'), filter);
    },
    'screen.download': async (args) => {
      const { screen, format, ...filter } = args;
      return ctx.screens.exportText(screen, format, filter);
    },
    'job.get': async (args) => ctx.jobs.get(args.jobId),
    'job.list': async (args) => ({ jobs: args.running ? ctx.jobs.running() : ctx.jobs.list() }),
    'job.cancel': async (args) => ({ cancelled: ctx.jobs.cancel(args.jobId) }),
  };
}

export { defaultDbPath } from '../db/database';
