import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { BugError } from '../../src-shared/errors';
import { startWorker } from '../util/worker';
import type { ChemRequest, ChemResponse, ChemResults, ChemTask } from './chem-protocol';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * A pool of worker threads running RDKit and OpenChemLib. Chemistry is the CPU-heavy part of import and
 * search, so it never runs on the thread that serves the UI or writes the database.
 */
export class ChemPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker(import.meta.url, 'chem-worker');
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (r: ChemResponse) => {
      const p = slot.pending.get(r.id);
      if (!p) return;
      slot.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.error));
    });
    const fail = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(new BugError(`chemistry worker died: ${err.message}`));
      slot.pending.clear();
      if (!this.closed) {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots[i] = this.spawn();
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) fail(new Error(`exit code ${code}`));
    });
    return slot;
  }

  /** Runs one task on the least busy worker. */
  run<O extends ChemTask['op']>(task: Extract<ChemTask, { op: O }>): Promise<ChemResults[O]> {
    if (this.closed) return Promise.reject(new BugError('ChemPool used after close()'));
    let slot = this.slots[0] as Slot;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      const msg = { ...task, id } as ChemRequest;
      slot.worker.postMessage(msg);
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    }) as Promise<ChemResults[O]>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
