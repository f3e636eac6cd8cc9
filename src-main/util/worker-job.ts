import type { Worker } from 'node:worker_threads';
import { AppError, BugError } from '../../src-shared/errors';

/**
 * One request run on a fresh worker thread: the shape every one-shot worker job of Delicate shares
 * (training, pretraining, prediction, assay reading, virtual-screening evaluation, embedding).
 */
export interface WorkerJob<E, T> {
  /** Names the work in errors ("virtual-screening evaluation"). */
  what: string;
  /** Starts the worker (terminated when the job settles, whatever the outcome). */
  start: () => Worker;
  /** The message that starts the work. */
  request: unknown;
  /** The answer: the first event this returns a value for. */
  answer: (e: E) => T | undefined;
  /** The failure an event reports (the worker's own error message), else undefined. */
  failure: (e: E) => Error | undefined;
  /** Sees every other event first (progress, checkpoints); what it throws fails the job. */
  onEvent?: (e: E) => void;
  /** Cancels the job. */
  signal?: AbortSignal;
  /**
   * How the worker is asked to stop: this message, which it answers with a failure (CANCELLED) or a last
   * event `onEvent` turns into one (a checkpoint saved first); without it the worker is terminated and the
   * job rejects with CANCELLED at once.
   */
  cancelMessage?: unknown;
}

/** Runs a worker job (see `WorkerJob`); resolves with its answer, rejects with an AppError (BUG for a crash). */
export async function runWorkerJob<E, T>(job: WorkerJob<E, T>): Promise<T> {
  if (job.signal?.aborted) throw new AppError('CANCELLED', `${job.what} cancelled before it started`);
  const worker = job.start();
  let onAbort = () => {};
  try {
    return await new Promise<T>((resolve, reject) => {
      onAbort =
        job.cancelMessage === undefined ? () => reject(new AppError('CANCELLED', `${job.what} cancelled`)) : () => worker.postMessage(job.cancelMessage);
      job.signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (e: E) => {
        try {
          const failure = job.failure(e);
          if (failure) return reject(failure);
          job.onEvent?.(e);
          const answer = job.answer(e);
          if (answer !== undefined) resolve(answer);
        } catch (err) {
          reject(err);
        }
      });
      worker.once('error', (err) => reject(new BugError(`${job.what} failed: its worker crashed (${err.message})`)));
      worker.once('exit', (code) => reject(new BugError(`${job.what} failed: its worker exited (code ${code}) before answering`)));
      worker.postMessage(job.request);
    });
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}
