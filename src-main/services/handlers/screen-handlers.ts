import type { AppContext } from '../app-context';
import type { Handlers } from './group';
import { type PathPolicy, allowedPath } from './paths';

/** The screening and job methods of the contract. */
export function screenHandlers(ctx: AppContext, paths: PathPolicy): Handlers<'screen' | 'job'> {
  return {
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
      const jobId = ctx.jobs.start('vs', args, (job) => ctx.vs.evaluate(args, { signal: job.signal, onProgress: (p) => job.progress(p) }));
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
    'job.list': async (args) => ({ jobs: args.running ? ctx.jobs.running() : ctx.jobs.list(args.kind, args.limit, args.state) }),
    'job.cancel': async (args) => ({ cancelled: ctx.jobs.cancel(args.jobId) }),
  };
}
