import { parentPort } from 'node:worker_threads';
import { evaluateVs, type VsData, type VsMethod, type VsProtocol } from './vs';

/**
 * Ranks a labelled library against its actives off the main thread: a large library (hundreds of
 * thousands of compounds, hundreds of queries, five folds) takes a minute of Tanimoto comparisons.
 * Posts a progress message after each fold; pure JavaScript, so it may be terminated at any time.
 */
const port = parentPort;
if (!port) throw new Error('vs-worker must run as a worker thread');
port.once('message', (req: { data: VsData; method: VsMethod; protocol: VsProtocol; seed: number }) => {
  try {
    const result = evaluateVs(req.data, req.method, req.protocol, req.seed, (done, passes) => port.postMessage({ type: 'pass', done, passes }));
    port.postMessage({ type: 'done', result });
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message });
  }
});
