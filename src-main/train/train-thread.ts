import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/worker';

/** Starts a training worker thread (train-worker.ts, or train-worker.js next to the built bundle). */
export function startTrainWorker(): Worker {
  return startWorker(import.meta.url, 'train-worker');
}
