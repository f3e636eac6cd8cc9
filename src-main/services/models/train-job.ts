import { AppError, BugError } from '../../../src-shared/errors';
import type { TrainEvent, TrainRequest as WorkerRequest } from '../../train/train-protocol';
import { startTrainWorker } from '../../train/train-thread';
import { runWorkerJob } from '../../util/worker-job';

/**
 * Runs one request on a training worker (train/train-worker.ts) and returns its answer: the first event
 * `answer` accepts. `signal` asks the worker to stop (it answers CANCELLED, or a last checkpoint that
 * `onEvent` turns into the cancellation); `onEvent` sees every event on the way.
 */
export function runTrainJob<T>(
  what: string,
  request: WorkerRequest,
  answer: (e: TrainEvent) => T | undefined,
  opts: { signal?: AbortSignal; onEvent?: (e: TrainEvent) => void } = {},
): Promise<T> {
  return runWorkerJob<TrainEvent, T>({
    what,
    start: startTrainWorker,
    request,
    answer,
    failure: (e) => (e.type !== 'error' ? undefined : e.code === 'BUG' ? new BugError(e.message) : new AppError(e.code, e.message)),
    cancelMessage: { type: 'cancel' } satisfies WorkerRequest,
    ...opts,
  });
}
