import type { EpochPoint, RunProgress } from '../../../src-shared/dto';
import { AppError } from '../../../src-shared/errors';
import { givenColumns } from '../../../src-shared/assay-columns';
import { checkAssayColumns } from '../../train/assay';
import type { BatchPoint } from '../../train/qsar';
import { type QsarSettings, qsarSettingsOf } from '../../train/qsar-settings';
import type { AppContext } from '../app-context';
import type { HandlersOf } from './group';
import { trainProgress } from '../job-progress';
import { type PathPolicy, asNamed, materialise } from './paths';

/**
 * A training job (new or resumed run): progress in epochs over every stage and seed, the data's
 * temporary copy removed at the end.
 */
function trainJob(
  ctx: AppContext,
  meta: Record<string, unknown>,
  settings: QsarSettings,
  cleanup: () => Promise<void>,
  run: (hooks: { signal: AbortSignal; onProgress: (message: string, epoch?: EpochPoint, batch?: BatchPoint) => void }) => Promise<unknown>,
  from: RunProgress | null = null,
) {
  // Teacher and (with distillation) student epochs for every seed: the job's unit of progress.
  const progress = trainProgress(settings, from);
  const jobId = ctx.jobs.start('train', meta, async (job) => {
    try {
      return await run({
        signal: job.signal,
        onProgress: (message, epoch, batch) => job.progress(progress(message, epoch, batch)),
      });
    } finally {
      await cleanup();
    }
  });
  return { jobId };
}

/** The training-run methods of the contract. */
export function trainHandlers(ctx: AppContext, paths: PathPolicy): HandlersOf<'model.train' | 'model.runs' | 'model.resume' | 'model.discardRun'> {
  return {
    'model.train': async (args) => {
      const settings = qsarSettingsOf(args);
      const stored = args.assay !== undefined ? await ctx.assays.assayFile(args.assay) : null;
      const { file, displayName, cleanup } = stored ?? (await materialise(args.source ?? { kind: 'path', path: args.data as string }, paths));
      if (!stored) {
        // A wrong column is refused now, not by a job that fails seconds later.
        await checkAssayColumns(file, { target: args.target, name: displayName, ...givenColumns(args) }).catch(async (err: unknown) => {
          await cleanup();
          throw err;
        });
      }
      return trainJob(ctx, { data: displayName, target: args.target, out: args.out }, settings, cleanup, (hooks) =>
        asNamed(file, displayName, () =>
          ctx.training.train(
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
          ),
        ),
      );
    },
    'model.runs': async () => ({ runs: ctx.training.runs.list() }),
    'model.resume': async (args) => {
      const run = ctx.training.runs.list().find((r) => r.name === args.name);
      const settings = ctx.training.runSettings(args.name);
      if (!run || !settings) throw new AppError('NOT_FOUND', `no interrupted training run named '${args.name}'`);
      return trainJob(
        ctx,
        { data: run.data, target: run.target, out: args.name, resume: true },
        settings,
        async () => {},
        (hooks) => ctx.training.resumeRun(args.name, hooks),
        run.progress,
      );
    },
    'model.discardRun': async (args) => ({ discarded: ctx.training.discardRun(args.name) }),
  };
}
