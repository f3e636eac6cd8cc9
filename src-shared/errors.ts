/** Error codes that cross every boundary (IPC, host mode, CLI). */
export type ErrorCode = 'INVALID_INPUT' | 'PARSE_ERROR' | 'NOT_FOUND' | 'CONFLICT' | 'CANCELLED' | 'BACKEND_UNAVAILABLE' | 'UNAUTHORIZED' | 'BUG';

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
    return err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'BUG', message: `Unexpected error: ${message}` };
}

/**
 * What the user can do about a failure, attached by a service as `details.remedy` (with `details.run` /
 * `details.model` naming the thing): each front end phrases it in its own terms, a flag on the command line,
 * a button in the app. Services never phrase CLI flags or app buttons themselves.
 */
export const REMEDIES = [
  'list-models',
  'list-assays',
  'list-runs',
  'list-screens',
  'other-out',
  'import-as',
  'resume',
  'resume-or-other-out',
  'resume-or-restart',
  'restart',
  'resume-run',
  'train',
] as const;
export type Remedy = (typeof REMEDIES)[number];

/** The remedy (and the run or model it names) an error's details carry, if any. */
export function remedyOf(details: unknown): { remedy: Remedy; run?: string; model?: string } | null {
  if (!details || typeof details !== 'object' || !('remedy' in details) || !(REMEDIES as readonly unknown[]).includes(details.remedy)) return null;
  const d = details as { remedy: Remedy; run?: unknown; model?: unknown };
  return { remedy: d.remedy, ...(typeof d.run === 'string' ? { run: d.run } : {}), ...(typeof d.model === 'string' ? { model: d.model } : {}) };
}

/** A message with its remedy phrased by `phrase` (a front end's wording), joined as a sentence goes on. */
export function withRemedy(message: string, details: unknown, phrase: (r: NonNullable<ReturnType<typeof remedyOf>>) => string): string {
  const r = remedyOf(details);
  const text = r ? phrase(r) : '';
  return text ? `${message}: ${text}` : message;
}
