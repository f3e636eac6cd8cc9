import type { Api } from '../../../src-shared/contract';
import type { AppContext } from '../app-context';
import { libraryHandlers } from './library-handlers';
import { modelHandlers } from './model-handlers';
import { type PathPolicy } from './paths';
import { screenHandlers } from './screen-handlers';
import { trainHandlers } from './train-handlers';

export { type PathPolicy, allowedPath } from './paths';

/** The contract's handlers over the services, one module per area; arguments arrive already validated by the router. */
export function createHandlers(ctx: AppContext, opts: { paths?: PathPolicy } = {}): Api {
  const paths = opts.paths ?? { kind: 'any' };
  return { ...libraryHandlers(ctx, paths), ...modelHandlers(ctx, paths), ...trainHandlers(ctx, paths), ...screenHandlers(ctx, paths) };
}
