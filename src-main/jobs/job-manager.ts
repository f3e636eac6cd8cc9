import { randomUUID } from 'node:crypto';
import type { Events } from '../../src-shared/contract';
import type { EpochPoint, JobInfo, JobKind, JobProgress, JobState } from '../../src-shared/dto';
import { AppError, toApiError } from '../../src-shared/errors';
import type { JobRepo } from '../db/job-repo';

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  progress(p: Omit<JobProgress, 'jobId' | 'kind'>): void;
}

export type EventSink = <E extends keyof Events>(event: E, payload: Events[E]) => void;

/**
 * The least time between two progress events of a job that carry no epoch: a fast job (a tiny model's
 * batches, thousands of records a second) reports far more often than a window can redraw, and every event
 * goes to every window. The newest skipped one follows when the interval is over, so the last word is never lost.
 */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Runs long jobs in the background: a row in SQLite, progress events, cancel through an AbortSignal.
 * The heavy work inside a job runs on worker threads (ChemPool), so the event loop stays responsive.
 */
export class JobManager {
  /** The jobs this process runs: their cancel, and the epochs they reported (a window opened later redraws the curves). */
  private readonly live = new Map<string, { controller: AbortController; epochs: EpochPoint[]; last: JobProgress | null }>();
  private readonly finished = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repo: JobRepo,
    private readonly emit: EventSink,
  ) {}

  /** Starts a job and returns its id at once; the outcome arrives as a 'job.done' event. */
  start<T>(kind: JobKind, args: unknown, run: (ctx: JobContext) => Promise<T>): string {
    const jobId = randomUUID();
    const controller = new AbortController();
    this.repo.create(jobId, kind, args);
    const live = { controller, epochs: [] as EpochPoint[], last: null as JobProgress | null };
    this.live.set(jobId, live);
    let lastSaved = 0;
    let lastSent = 0;
    let pending: NodeJS.Timeout | null = null;
    const send = (full: JobProgress) => {
      if (pending) clearTimeout(pending);
      pending = null;
      lastSent = Date.now();
      this.emit('job.progress', full);
    };
    /** A skipped progress event is not sent after the job's end. */
    const settle = () => {
      if (pending) clearTimeout(pending);
      pending = null;
    };
    const ctx: JobContext = {
      jobId,
      signal: controller.signal,
      progress: (p) => {
        const full: JobProgress = { jobId, kind, ...p };
        live.last = full;
        if (p.epoch) live.epochs.push(p.epoch);
        const now = Date.now();
        if (now - lastSaved > 1000) {
          lastSaved = now;
          this.repo.progress(jobId, full);
        }
        // An epoch is a point of the curves: always sent. Other progress at most every PROGRESS_INTERVAL_MS.
        if (p.epoch || now - lastSent >= PROGRESS_INTERVAL_MS) send(full);
        else pending ??= setTimeout(() => live.last && send(live.last), PROGRESS_INTERVAL_MS - (now - lastSent));
      },
    };
    const done = (async () => {
      // The job's body starts on the next turn of the event loop, after the call that started it has
      // answered: a job that fails at once (bad input) then reports its end after its id, on the same
      // ordered channel (the IPC pipe, the host WebSocket), so the UI always knows whose end it is.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        if (controller.signal.aborted) throw new AppError('CANCELLED', `${kind} job cancelled before it started`);
        const result = await run(ctx);
        settle();
        this.repo.finish(jobId, 'done', result, null);
        this.emit('job.done', { jobId, kind, state: 'done', result, error: null });
        return result;
      } catch (err) {
        settle();
        const e = toApiError(err);
        const state = e.code === 'CANCELLED' ? 'cancelled' : 'failed';
        const details = err instanceof AppError ? err.details : undefined;
        this.repo.finish(jobId, state, details ?? null, { code: e.code, message: e.message });
        this.emit('job.done', { jobId, kind, state, result: details ?? null, error: { code: e.code, message: e.message } });
        return undefined;
      } finally {
        this.live.delete(jobId);
      }
    })();
    this.finished.set(jobId, done);
    void done.finally(() => this.finished.delete(jobId));
    return jobId;
  }

  cancel(jobId: string): boolean {
    const j = this.live.get(jobId);
    if (!j) return false;
    j.controller.abort();
    return true;
  }

  get(jobId: string): JobInfo {
    const j = this.repo.get(jobId);
    if (!j) throw new AppError('NOT_FOUND', `no job ${jobId}`);
    return j;
  }

  /** The newest jobs first (at most `limit`), of one kind and in one state when given. */
  list(kind?: JobKind, limit = 100, state?: JobState): JobInfo[] {
    return this.repo.list(limit, kind, state);
  }

  /**
   * Records work done outside a job (a `delicate train` from the command line) as a finished job, so the
   * app lists it with its own (the Training view's finished runs). Returns its id.
   */
  recordDone(kind: JobKind, args: unknown, result: unknown): string {
    const jobId = randomUUID();
    this.repo.create(jobId, kind, args);
    this.repo.finish(jobId, 'done', result, null);
    return jobId;
  }

  /**
   * The jobs this process runs now, oldest first, with the epochs each has reported: a window opened
   * (or reloaded) while they run finds them, and their events, again.
   */
  running(): JobInfo[] {
    return [...this.live].flatMap(([jobId, j]) => {
      const info = this.repo.get(jobId);
      // The newest progress (the stored one is saved at most once a second).
      return info ? [{ ...info, progress: j.last ?? info.progress, epochs: [...j.epochs] }] : [];
    });
  }

  /** Resolves when the job has finished (for tests and shutdown). */
  async wait(jobId: string): Promise<void> {
    await this.finished.get(jobId);
  }

  /** Cancels everything still running and waits for it to stop. */
  async shutdown(): Promise<void> {
    for (const j of this.live.values()) j.controller.abort();
    await Promise.allSettled([...this.finished.values()]);
  }
}
