import type { ApiArgs, ApiMethod, ApiReturn, EventName, Events, Transport } from '../../../src-shared/contract';
import type { JobInfo, JobKind } from '../../../src-shared/dto';
import { type ApiError, type Result, withRemedy } from '../../../src-shared/errors';
import { appRemedy } from './remedies';

declare global {
  interface Window {
    api?: Transport;
  }
}

/** An error returned by the main process, with its code for the UI to explain. */
export class ApiCallError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

const TOKEN_KEY = 'delicate.token';

/**
 * The host-mode token: read once from the page URL, then kept in this tab's session storage and dropped
 * from the address bar, so it does not linger in history, screenshots or a shared link; a reload still works.
 */
function hostToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Host mode: the same contract over the loopback WebSocket, authenticated by the per-run token. */
function hostTransport(): Transport {
  const token = hostToken();
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`);
  const open = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot connect to Delicate (is `delicate serve` running, and is the token in the URL?)')), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  ws.addEventListener('message', (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: Result<unknown>; event?: string; payload?: unknown };
    if (msg.event) {
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
    } else if (typeof msg.id === 'number' && msg.result) {
      pending.get(msg.id)?.(msg.result);
      pending.delete(msg.id);
    }
  });
  ws.addEventListener('close', () => {
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'BACKEND_UNAVAILABLE', message: 'connection to Delicate closed' } });
    pending.clear();
  });
  return {
    invoke: async (method, args) => {
      await open;
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, args }));
      });
    },
    on: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };
}

const transport: Transport = window.api ?? hostTransport();

/** Calls the main process; the only caller in the renderer. Send plain data ($state.snapshot for state). */
export async function call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiReturn<M>> {
  const r = await transport.invoke(method, args);
  if (!r.ok) throw new ApiCallError(r.error);
  return r.value as ApiReturn<M>;
}

export function on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
  return transport.on(event, listener);
}

export const mode: 'electron' | 'host' = window.api ? 'electron' : 'host';

/** Jobs whose end this window has seen (a job ending while the window asks what runs is not taken up). */
const ended = new Set<string>();
on('job.done', (d) => ended.add(d.jobId));

/**
 * The jobs of these kinds that the main process runs now, oldest first, with their newest progress (and a
 * training job's epochs so far): a window opened or reloaded mid-job takes them up.
 */
export async function runningJobs(kinds: JobKind[]): Promise<JobInfo[]> {
  const { jobs } = await call('job.list', { running: true });
  return jobs.filter((j) => kinds.includes(j.kind) && !ended.has(j.jobId));
}

/** An error as the UI shows it: a sentence for the chemist, the technical part behind "Details". */
export interface Problem {
  message: string;
  /** The error code and anything the main process attached (record numbers, the original message). */
  details: string | null;
  /** Not a failure: what the chemist asked for happened (a cancel), said where errors are said, not in red. */
  notice?: boolean;
}

/** The Problem for an error the main process reported (a call's or a job's). */
export function problemOfApi(error: { code: string; message: string; details?: unknown }): Problem {
  const attached = error.details === undefined ? '' : `\n${JSON.stringify(error.details, null, 2)}`;
  if (error.code === 'BUG') {
    return {
      message: 'Delicate ran into an internal problem; nothing was lost. Please report it with the details.',
      details: `${error.code}: ${error.message}${attached}`,
    };
  }
  // What the chemist asked for (a search stopped): a status, not a failure.
  if (error.code === 'CANCELLED') return { message: withRemedy(error.message, error.details, appRemedy), details: `${error.code}${attached}`, notice: true };
  if (error.code === 'BACKEND_UNAVAILABLE') return { message: `Cannot reach Delicate's engine: ${error.message}`, details: `${error.code}${attached}` };
  return { message: withRemedy(error.message, error.details, appRemedy), details: `${error.code}${attached}` };
}

/** The Problem for anything thrown by a call or by the window itself. */
export function problemOf(e: unknown): Problem {
  if (e instanceof ApiCallError) return problemOfApi(e.error);
  return {
    message: 'Something went wrong in this window; try again, or reload it.',
    details: e instanceof Error ? (e.stack ?? e.message) : String(e),
  };
}

/** Runs `fn`, reporting its error through `setError` (cleared first); undefined when it failed. */
export async function guarded<T>(setError: (problem: Problem | null) => void, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    setError(null);
    return await fn();
  } catch (e) {
    setError(problemOf(e));
    return undefined;
  }
}
