import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { givenColumns } from '../../../src-shared/assay-columns';
import { checkAssayColumns } from '../../train/assay';
import { DEFAULT_PRETRAIN, type PretrainSettings } from '../../train/settings';
import type { AppContext } from '../app-context';
import type { Handlers, HandlersOf } from './group';
import { assayProgress, pretrainProgress } from '../job-progress';
import { type PathPolicy, allowedPath, asNamed, materialise } from './paths';

type RegistryMethods = 'model.list' | 'model.delete' | 'model.rename' | 'model.speed' | 'model.download' | 'model.import' | 'model.pretrain';

/** The model registry, pretraining and assay methods of the contract. */
export function modelHandlers(ctx: AppContext, paths: PathPolicy): HandlersOf<RegistryMethods> & Handlers<'assay'> {
  return {
    'model.list': async () => ({ models: ctx.models.list() }),
    'model.delete': async (args) => ({ deleted: ctx.models.delete(args.name) }),
    'model.rename': async (args) => ({ model: ctx.models.rename(args.name, args.to) }),
    'model.speed': (args) => ctx.inference.speed(args.name),
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
        ctx.pretraining.pretrain(
          { corpus, out: args.out, settings, resume: args.resume ?? false },
          {
            signal: job.signal,
            onProgress: (p) => job.progress(pretrainProgress(p)),
          },
          job.jobId,
        ),
      );
      return { jobId };
    },
    'assay.list': async () => ({ assays: ctx.assays.list() }),
    'assay.import': async (args) => {
      const { file, displayName, cleanup } = await materialise(args.source, paths);
      await checkAssayColumns(file, { target: args.target, name: displayName, ...givenColumns(args) }).catch(async (err: unknown) => {
        await cleanup();
        throw err;
      });
      const jobId = ctx.jobs.start('assay', { assay: args.name, file: displayName, target: args.target }, async (job) => {
        try {
          return await asNamed(file, displayName, () =>
            ctx.assays.importAssay(
              { data: file, dataName: displayName, name: args.name, target: args.target, task: args.task, ...givenColumns(args) },
              {
                signal: job.signal,
                onProgress: (p) => job.progress(assayProgress(p)),
              },
            ),
          );
        } finally {
          await cleanup();
        }
      });
      return { jobId };
    },
    'assay.delete': async (args) => ({ deleted: ctx.assays.delete(args.name) }),
    'assay.get': async (args) => ctx.assays.assayPage(args.name, args),
  };
}
