import { BugError } from '../../src-shared/errors';
import { runWorkerJob } from '../util/worker-job';
import { startWorker } from '../util/worker';
import type { VsData, VsMethod, VsProtocol, VsResult } from './vs';

type VsEvent = { type: 'pass'; done: number; passes: number } | { type: 'done'; result: VsResult } | { type: 'error'; message: string };

/**
 * evaluateVs on a worker thread (vs-worker.ts, or vs-worker.js next to the built bundle), so the thread
 * serving the UI stays free. Reports each finished fold; an aborted signal terminates the worker and
 * rejects with CANCELLED.
 */
export async function evaluateVsOnWorker(
  data: VsData,
  method: VsMethod,
  protocol: VsProtocol,
  seed: number,
  hooks: { signal?: AbortSignal; onPass?: (done: number, passes: number) => void } = {},
): Promise<VsResult> {
  return runWorkerJob<VsEvent, VsResult>({
    what: 'virtual-screening evaluation',
    start: () => startWorker(import.meta.url, 'vs-worker'),
    request: { data, method, protocol, seed },
    answer: (m) => (m.type === 'done' ? m.result : undefined),
    failure: (m) => (m.type === 'error' ? new BugError(`virtual-screening evaluation failed: ${m.message}`) : undefined),
    onEvent: (m) => m.type === 'pass' && hooks.onPass?.(m.done, m.passes),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}
