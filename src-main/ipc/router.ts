import { API_METHODS, type Api, type ApiMethod } from '../../src-shared/contract';
import { AppError, type Result, toApiError } from '../../src-shared/errors';
import { schemas } from '../../src-shared/schemas';

export type Router = (method: string, args: unknown) => Promise<Result<unknown>>;

const known = new Set<string>(API_METHODS);

/**
 * The one entry point for every transport (Electron IPC, host-mode WebSocket): checks the method, validates
 * the arguments against the contract's schema, runs the handler, and returns a Result envelope. Errors are
 * data; nothing thrown crosses the boundary.
 */
export function createRouter(handlers: Api, log: (msg: string, err: unknown) => void = () => {}): Router {
  return async (method, args) => {
    try {
      if (!known.has(method)) throw new AppError('INVALID_INPUT', `unknown method '${method}'`);
      const m = method as ApiMethod;
      const parsed = schemas[m].safeParse(args ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`);
        throw new AppError('INVALID_INPUT', `invalid arguments for ${m}: ${issues.join('; ')}`, { issues });
      }
      const handler = handlers[m] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      const e = toApiError(err);
      if (e.code === 'BUG') log(`${method} failed`, err);
      return { ok: false, error: e };
    }
  };
}
