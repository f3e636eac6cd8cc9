import type { AppContext } from '../app-context';
import { doctor } from '../doctor';
import { importFile, previewFile } from '../import-service';
import type { Handlers } from './group';
import { clusterProgress, descriptorProgress, importProgress } from '../job-progress';
import { type PathPolicy, allowedPath, asNamed, materialise } from './paths';

/** The library, compound, search and app methods of the contract. */
export function libraryHandlers(ctx: AppContext, paths: PathPolicy): Handlers<'app' | 'library' | 'compound' | 'search'> {
  return {
    'app.doctor': () => doctor(ctx.db, ctx.dbPath),
    'app.notices': async () => ({ notices: ctx.warnings.filter((w) => !ctx.dismissedNotices.has(w)) }),
    'app.dismissNotice': async (args) => {
      const known = ctx.warnings.includes(args.notice);
      if (known) ctx.dismissedNotices.add(args.notice);
      return { dismissed: known };
    },
    'library.list': async () => ({ libraries: ctx.libraries.list() }),
    'library.import': async (args) => {
      const { file, displayName, cleanup } = await materialise(args.source, paths);
      const jobId = ctx.jobs.start('import', { library: args.library, file: displayName }, async (job) => {
        try {
          return await asNamed(file, displayName, () =>
            importFile(ctx.db, ctx.chem, {
              file,
              displayName,
              library: args.library,
              smilesCol: args.smilesCol,
              idCol: args.idCol,
              format: args.format,
              signal: job.signal,
              onProgress: (p) => job.progress(importProgress(p)),
              onDescriptors: (p) => job.progress(descriptorProgress(p, args.library)),
            }),
          );
        } finally {
          await cleanup();
        }
      });
      return { jobId };
    },
    'library.preview': async (args) => {
      const { file, displayName, cleanup } = await materialise(args.source, paths);
      try {
        return await previewFile(ctx.chem, file, {
          displayName,
          ...(args.format ? { format: args.format } : {}),
          ...(args.smilesCol ? { smilesCol: args.smilesCol } : {}),
          ...(args.idCol ? { idCol: args.idCol } : {}),
        });
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
    'library.cluster': async (args) => {
      ctx.libraries.library(args.library);
      const jobId = ctx.jobs.start('cluster', args, (job) => {
        const started = performance.now();
        return ctx.clustering.cluster(args.library, args.threshold ?? 0.6, {
          signal: job.signal,
          onProgress: (p) => job.progress(clusterProgress(p, started)),
        });
      });
      return { jobId };
    },
    'library.scaffolds': async (args) => {
      ctx.libraries.library(args.library);
      const jobId = ctx.jobs.start('scaffolds', args, (job) => {
        const started = performance.now();
        return ctx.scaffolds.scaffolds(args.library, {
          signal: job.signal,
          onProgress: (p) => job.progress(clusterProgress(p, started, 'given their scaffold')),
        });
      });
      return { jobId };
    },
    'library.scaffoldSummary': async (args) => ({ rows: ctx.scaffolds.summary(args.library, args.column, args.limit) }),
    'library.score': async (args) => ctx.scores.score(args.library, args.score),
    'library.scores': async (args) => ({ scores: ctx.scores.list(args.library) }),
    'compound.rgroups': (args) => ctx.scaffolds.rgroups(args.library, args.ids, args.core),
    'compound.values': (args) => ctx.plots.values(args),
    'library.saveView': async (args) => ({ views: ctx.views.save(args.library, args.name, args.view) }),
    'library.views': async (args) => ({ views: ctx.views.list(args.library) }),
    'library.deleteView': async (args) => ({ deleted: ctx.views.delete(args.library, args.name) }),
    'compound.diverse': async (args) => ({ ids: await ctx.clustering.diverse(args.library, args.n) }),
    'compound.get': async (args) => ({ ...(await ctx.libraries.compound(args.id)), predictions: ctx.screens.predictionsOf(args.id) }),
    'compound.depict': async (args) => ({ svg: await ctx.libraries.depict(args.smiles, args.width, args.height, args.highlight) }),
    'compound.conformer': (args) => ctx.libraries.conformer(args.id),
    'search.cancel': async (args) => ({ cancelled: ctx.libraries.cancelSearch(args.searchId) }),
  };
}
