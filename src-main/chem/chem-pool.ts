import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { BugError } from '../../src-shared/errors';
import { startWorker } from '../util/worker';
import type { ChemRequest, ChemResponse, ChemResults, ChemTask } from './chem-protocol';

/** Interactive work (a depiction, a preview, a search the user waits on) goes before queued bulk work. */
export type ChemLane = 'interactive' | 'bulk';

interface Queued {
  msg: ChemRequest;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  /** The one task posted to this worker, if any. */
  current: Queued | null;
}

/**
 * A pool of worker threads running RDKit and OpenChemLib. Chemistry is the CPU-heavy part of import and
 * search, so it never runs on the thread that serves the UI or writes the database.
 *
 * Each worker holds one task at a time; the rest wait here in two lanes, so a depiction or an import preview
 * asked for during an import waits for at most one batch per worker, not for every batch the import queued.
 */
export class ChemPool {
  private readonly slots: Slot[] = [];
  private readonly lanes: Record<ChemLane, Queued[]> = { interactive: [], bulk: [] };
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker(import.meta.url, 'chem-worker');
    worker.unref();
    const slot: Slot = { worker, current: null };
    worker.on('message', (r: ChemResponse) => {
      const task = slot.current;
      if (!task || task.msg.id !== r.id) return;
      slot.current = null;
      worker.unref();
      if (r.ok) task.resolve(r.value);
      else task.reject(new Error(r.error));
      this.dispatch();
    });
    const fail = (err: Error) => {
      const task = slot.current;
      slot.current = null;
      task?.reject(new BugError(`chemistry worker died: ${err.message}`));
      if (this.closed) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
      this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) fail(new Error(`exit code ${code}`));
    });
    return slot;
  }

  /** Posts queued tasks, interactive ones first, to idle workers. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current) continue;
      const task = this.lanes.interactive.shift() ?? this.lanes.bulk.shift();
      if (!task) return;
      slot.current = task;
      slot.worker.ref();
      slot.worker.postMessage(task.msg);
    }
  }

  /** Runs one task on the next idle worker; `bulk` tasks wait behind every queued `interactive` one. */
  run<O extends ChemTask['op']>(task: Extract<ChemTask, { op: O }>, lane: ChemLane = 'interactive'): Promise<ChemResults[O]> {
    if (this.closed) return Promise.reject(new BugError('ChemPool used after close()'));
    const msg = { ...task, id: this.nextId++ } as ChemRequest;
    return new Promise((resolve, reject) => {
      this.lanes[lane].push({ msg, resolve, reject });
      this.dispatch();
    }) as Promise<ChemResults[O]>;
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new BugError('ChemPool closed with the task unfinished');
    for (const task of [...this.lanes.interactive.splice(0), ...this.lanes.bulk.splice(0)]) task.reject(closed);
    for (const slot of this.slots) slot.current?.reject(closed);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
