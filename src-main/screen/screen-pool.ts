import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AppError, BugError } from '../../src-shared/errors';
import { runWorkerJob } from '../util/worker-job';
import { loadOrt } from '../model/ort-engine';
import type { EncoderSpec, Engine, ScoringSpec } from '../train/predict-types';
import { startWorker } from '../util/worker';
import type { ScoredChunk, ScreenItem } from './scorer';
import type { ScreenEvent, ScreenRequest } from './screen-protocol';

interface Slot {
  worker: Worker;
  busy: number;
  waiting: Map<number, { resolve: (r: ScoredChunk) => void; reject: (e: Error) => void }>;
}

/**
 * Worker threads that hold the models and score chunks off the main thread. ONNX Runtime spreads one
 * session over every core, so it gets one worker; single-threaded TF.js (WASM) gets one per core.
 */
export class ScreenPool {
  private next = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly slots: Slot[],
    readonly engine: string,
  ) {}

  /**
   * Starts the workers and loads the models into each. `shared`: the cores are shared with other work (a
   * file screen's chemistry workers), so ONNX Runtime's threads do not busy-wait.
   */
  static async start(models: ScoringSpec[], engine: Engine = 'auto', workers?: number, opts: { shared?: boolean; cores?: number } = {}): Promise<ScreenPool> {
    const cores = opts.cores ?? availableParallelism();
    const ort = engine === 'onnxruntime' || (engine === 'auto' && loadOrt() !== null);
    const n = workers ?? (ort ? 1 : cores);
    const threads = ort ? Math.max(1, Math.floor(cores / n)) : 1;
    const slots: Slot[] = [];
    let label = '';
    try {
      for (let i = 0; i < n; i++) {
        const worker = startWorker(import.meta.url, 'screen-worker');
        const slot: Slot = { worker, busy: 0, waiting: new Map() };
        slots.push(slot);
        label = await new Promise<string>((resolve, reject) => {
          const onMessage = (e: ScreenEvent) => {
            worker.off('message', onMessage);
            if (e.type === 'loaded') resolve(e.engine);
            else reject(new AppError('INVALID_INPUT', e.type === 'error' ? e.message : 'unexpected message'));
          };
          worker.on('message', onMessage);
          worker.once('error', (err) => reject(new BugError(`screening worker crashed: ${err.message}`)));
          worker.postMessage({ type: 'load', models, engine, threads, spin: !opts.shared } satisfies ScreenRequest);
        });
      }
    } catch (err) {
      await closeSlots(slots);
      throw err;
    }
    const pool = new ScreenPool(slots, n > 1 ? `${label} × ${n} workers` : label);
    for (const slot of slots) pool.listen(slot);
    return pool;
  }

  private listen(slot: Slot): void {
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const w of slot.waiting.values()) w.reject(this.failure);
      slot.waiting.clear();
    };
    slot.worker.on('message', (e: ScreenEvent) => {
      if (e.type === 'scored') {
        const w = slot.waiting.get(e.chunk);
        slot.waiting.delete(e.chunk);
        slot.busy--;
        w?.resolve(e.result);
      } else if (e.type === 'error') fail(new AppError('INVALID_INPUT', e.message));
    });
    slot.worker.on('error', (err) => fail(new BugError(`screening worker crashed: ${err.message}`)));
    slot.worker.on('exit', (code) => fail(new BugError(`screening worker exited with code ${code}`)));
  }

  /** Workers times chunks each may hold: enough to keep every worker busy while results are written. */
  get capacity(): number {
    return this.slots.length * 2;
  }

  /** Scores one chunk on the least busy worker. */
  score(chunk: number, items: ScreenItem[]): Promise<ScoredChunk> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a), this.slots[this.next++ % this.slots.length] as Slot);
    slot.busy++;
    return new Promise((resolve, reject) => {
      slot.waiting.set(chunk, { resolve, reject });
      slot.worker.postMessage({ type: 'score', chunk, items } satisfies ScreenRequest);
    });
  }

  /** Releases the models once each worker's current chunk is done, then stops the workers. */
  async close(): Promise<void> {
    this.failure ??= new AppError('CANCELLED', 'screening stopped');
    await closeSlots(this.slots);
  }
}

/** Asks each worker to release its models and waits for it (ONNX Runtime aborts on a thread terminated mid-session). */
async function closeSlots(slots: Slot[]): Promise<void> {
  await Promise.all(
    slots.map(async (s) => {
      const closed = new Promise<void>((resolve) => {
        s.worker.on('message', (e: ScreenEvent) => e.type === 'closed' && resolve());
        s.worker.once('exit', () => resolve());
      });
      s.worker.postMessage({ type: 'close' } satisfies ScreenRequest);
      await closed;
      await s.worker.terminate();
    }),
  );
}

/**
 * Embeddings (unit-length pooled outputs) of model SMILES on a worker thread; null where unreadable.
 * Reports progress per step; an aborted signal stops the worker at its next step (it releases the model
 * first: ONNX Runtime aborts on a thread terminated mid-session) and rejects with CANCELLED.
 */
export async function embedOnWorker(
  model: EncoderSpec,
  smiles: string[],
  engine: Engine = 'auto',
  hooks: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<Array<Float32Array | null>> {
  // embed() has released its session by the time it answers (embedded, stopped or error): the worker ends then.
  return runWorkerJob<ScreenEvent, Array<Float32Array | null>>({
    what: 'embedding',
    start: () => startWorker(import.meta.url, 'screen-worker'),
    request: { type: 'embed', model, smiles, engine, threads: availableParallelism() } satisfies ScreenRequest,
    answer: (e) => (e.type === 'embedded' ? e.vectors : undefined),
    failure: (e) =>
      e.type === 'stopped'
        ? new AppError('CANCELLED', `embedding cancelled: ${e.message}`)
        : e.type === 'error'
          ? new AppError('INVALID_INPUT', e.message)
          : undefined,
    onEvent: (e) => e.type === 'embedding' && hooks.onProgress?.(e.done, e.total),
    cancelMessage: { type: 'stop' } satisfies ScreenRequest,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}
