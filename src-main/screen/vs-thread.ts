import { AppError, BugError } from '../../src-shared/errors';
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
  if (hooks.signal?.aborted) throw new AppError('CANCELLED', 'virtual-screening evaluation cancelled before it started');
  const worker = startWorker(import.meta.url, 'vs-worker');
  let cancel = () => {};
  try {
    return await new Promise<VsResult>((resolve, reject) => {
      cancel = () => reject(new AppError('CANCELLED', 'virtual-screening evaluation cancelled'));
      hooks.signal?.addEventListener('abort', cancel, { once: true });
      worker.on('message', (m: VsEvent) => {
        if (m.type === 'pass') hooks.onPass?.(m.done, m.passes);
        else if (m.type === 'done') resolve(m.result);
        else reject(new BugError(`virtual-screening evaluation failed: ${m.message}`));
      });
      worker.once('error', (err) => reject(new BugError(`virtual-screening worker crashed: ${err.message}`)));
      worker.once('exit', (code) => reject(new BugError(`virtual-screening worker exited (code ${code}) before answering`)));
      worker.postMessage({ data, method, protocol, seed });
    });
  } finally {
    hooks.signal?.removeEventListener('abort', cancel);
    await worker.terminate();
  }
}
