import { BugError } from '../../src-shared/errors';
import { startWorker } from '../util/worker';
import type { VsData, VsMethod, VsResult } from './vs';

/** evaluateVs on a worker thread (vs-worker.ts, or vs-worker.js next to the built bundle), so the thread serving the UI stays free. */
export async function evaluateVsOnWorker(data: VsData, method: VsMethod, folds: number, seed: number): Promise<VsResult> {
  const worker = startWorker(import.meta.url, 'vs-worker');
  try {
    return await new Promise<VsResult>((resolve, reject) => {
      worker.once('message', (m: { ok: true; result: VsResult } | { ok: false; message: string }) => (m.ok ? resolve(m.result) : reject(new BugError(`virtual-screening evaluation failed: ${m.message}`))));
      worker.once('error', (err) => reject(new BugError(`virtual-screening worker crashed: ${err.message}`)));
      worker.once('exit', (code) => reject(new BugError(`virtual-screening worker exited (code ${code}) before answering`)));
      worker.postMessage({ data, method, folds, seed });
    });
  } finally {
    await worker.terminate();
  }
}
