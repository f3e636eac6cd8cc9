/** Error codes that cross every boundary (IPC, host mode, CLI). */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'PARSE_ERROR'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CANCELLED'
  | 'BACKEND_UNAVAILABLE'
  | 'UNAUTHORIZED'
  | 'BUG';

export interface ApiError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** A user-facing failure: bad input, missing thing, cancellation. Never a bug. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** A broken invariant inside Delicate (a bug), as opposed to a user mistake. */
export class BugError extends AppError {
  constructor(message: string, details?: unknown) {
    super('BUG', message, details);
    this.name = 'BugError';
  }
}

/** Converts anything thrown into the wire form of an error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof AppError) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: err.details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'BUG', message: `Unexpected error: ${message}` };
}
