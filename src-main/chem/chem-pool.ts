import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AppError, BugError } from '../../src-shared/errors';
import { startWorker } from '../util/worker';
import { PROGRESS_SLOTS, type ChemRequest, type ChemResponse, type ChemResults, type ChemTask } from './chem-protocol';

/** Interactive work (a depiction, a preview, a search the user waits on) goes before queued bulk work. */
export type ChemLane = 'interactive' | 'bulk';
/** The ops that answer per structure; a structure that crashes or stalls a worker fails alone (see batch). */
type BatchOp = 'standardise' | 'parents' | 'late';
/** Tasks of one small molecule that take milliseconds (see `occupied`). */
const SHORT_OPS: ReadonlySet<ChemTask['op']> = new Set(['depict', 'alerts']);

export interface ChemPoolOptions {
  /**
   * A task that stays on one item (one structure) this long is stopped: its worker is terminated and
   * replaced, and that item fails with a timeout. Normal items take milliseconds; the default leaves room
   * for a machine under heavy load.
   */
  itemTimeoutMs?: number;
  /** How often the watchdog looks. */
  watchMs?: number;
  /** Molecules of searched libraries each worker keeps indexed for the next search (default 400,000). */
  searchCapacity?: number;
  /**
   * When the workers start: `now` (default: the app, whose first depiction should not wait for RDKit to
   * load) or with the first task (a command that may need no chemistry: each idle worker holds its own
   * RDKit and OpenChemLib, tens of MiB).
   */
  start?: 'now' | 'first-task';
}

interface Queued {
  msg: ChemRequest;
  /** Waits for one worker (see run's slot). */
  pinned?: boolean;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  /** The one task posted to this worker, if any. */
  current: Queued | null;
  /** [task id, item index] written by the worker as it goes (see chem-protocol). */
  progress: Int32Array;
  /** What the watchdog last saw, and since when. */
  seen: { task: number; item: number; since: number };
}

/** A task stopped by the watchdog while working on item `item`. */
class ItemTimeout extends Error {
  constructor(
    readonly item: number,
    readonly ms: number,
  ) {
    super(`timed out after ${Math.round(ms / 1000)} s on one structure; the chemistry worker was restarted`);
  }
}

/**
 * A pool of worker threads running RDKit and OpenChemLib. Chemistry is the CPU-heavy part of import and
 * search, so it never runs on the thread that serves the UI or writes the database.
 *
 * Each worker holds one task at a time; the rest wait here in two lanes, so a depiction or an import preview
 * asked for during an import waits for at most one batch per worker, not for every batch the import queued.
 *
 * A worker whose WebAssembly instance trapped (RDKit crashed on a structure) or that is stuck on one
 * structure is replaced; only that structure fails, and a batch's other structures are still standardised.
 */
export class ChemPool {
  private readonly slots: Slot[] = [];
  private readonly lanes: Record<ChemLane, Queued[]> = { interactive: [], bulk: [] };
  /** Tasks that must run on one worker (it holds their data: see `run`'s `slot`), per lane and slot. */
  private readonly pinned: Record<ChemLane, Queued[][]> = { interactive: [], bulk: [] };
  /** Per slot, how many times its worker was replaced: what a worker kept is gone when this changes. */
  private readonly generations: number[] = [];
  private readonly itemTimeoutMs: number;
  private readonly searchCapacity: number | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private nextId = 1;
  private closed = false;
  /** Workers replaced after a crash or a timeout (for tests and `doctor`). */
  restarts = 0;

  constructor(
    readonly size = Math.max(1, availableParallelism()),
    opts: ChemPoolOptions = {},
  ) {
    this.itemTimeoutMs = opts.itemTimeoutMs ?? 120_000;
    this.searchCapacity = opts.searchCapacity;
    for (let i = 0; i < size; i++) {
      this.pinned.interactive.push([]);
      this.pinned.bulk.push([]);
      this.generations.push(0);
    }
    if ((opts.start ?? 'now') === 'now') this.startWorkers();
    this.watchdog = setInterval(() => this.watch(), opts.watchMs ?? 1000);
    this.watchdog.unref();
  }

  private startWorkers(): void {
    while (this.slots.length < this.size) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const shared = new SharedArrayBuffer(PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const worker = startWorker(import.meta.url, 'chem-worker', { workerData: { progress: shared, searchCapacity: this.searchCapacity } });
    worker.unref();
    const slot: Slot = { worker, current: null, progress: new Int32Array(shared), seen: { task: 0, item: 0, since: 0 } };
    worker.on('message', (r: ChemResponse) => {
      const task = slot.current;
      if (!task || task.msg.id !== r.id) return;
      slot.current = null;
      worker.unref();
      if (r.fatal !== undefined) this.replace(slot);
      if (r.ok) task.resolve(r.value);
      else task.reject(r.code ? new AppError(r.code, r.error) : new Error(r.error));
      this.dispatch();
    });
    const fail = (err: Error) => {
      if (!this.slots.includes(slot)) return;
      const task = slot.current;
      slot.current = null;
      task?.reject(new BugError(`chemistry worker died: ${err.message}`));
      if (this.closed) return;
      this.replace(slot);
      this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) fail(new Error(`exit code ${code}`));
    });
    return slot;
  }

  /** Swaps a fresh worker in for this one (which is terminated: its WASM state cannot be trusted). */
  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed) return;
    this.restarts++;
    this.generations[i] = (this.generations[i] as number) + 1;
    this.slots[i] = this.spawn();
    void slot.worker.terminate();
  }

  /** Stops a task that has stayed on one item longer than the item timeout. */
  private watch(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      const task = slot.current;
      if (!task) continue;
      const id = Atomics.load(slot.progress, 0);
      const item = id === task.msg.id ? Atomics.load(slot.progress, 1) : 0;
      if (slot.seen.task !== task.msg.id || slot.seen.item !== item) {
        slot.seen = { task: task.msg.id, item, since: now };
        continue;
      }
      if (now - slot.seen.since < this.itemTimeoutMs) continue;
      slot.current = null;
      this.replace(slot);
      task.reject(new ItemTimeout(item, now - slot.seen.since));
      this.dispatch();
    }
  }

  /** Posts queued tasks to idle workers: interactive ones first (those pinned to the worker before the rest), then bulk ones. */
  private dispatch(): void {
    for (const [i, slot] of this.slots.entries()) {
      if (slot.current) continue;
      const { pinned, lanes } = this;
      const task = pinned.interactive[i]?.shift() ?? lanes.interactive.shift() ?? pinned.bulk[i]?.shift() ?? lanes.bulk.shift();
      if (!task) continue;
      slot.current = task;
      slot.seen = { task: task.msg.id, item: 0, since: performance.now() };
      slot.worker.ref();
      slot.worker.postMessage(task.msg);
    }
  }

  private post(task: ChemTask, lane: ChemLane, slot?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new BugError('ChemPool used after close()'));
    this.startWorkers();
    const msg = { ...task, id: this.nextId++ } as ChemRequest;
    return new Promise((resolve, reject) => {
      (slot === undefined ? this.lanes[lane] : (this.pinned[lane][slot % this.size] as Queued[])).push({ msg, resolve, reject, pinned: slot !== undefined });
      this.dispatch();
    });
  }

  /**
   * Runs one task on the next idle worker; `bulk` tasks wait behind every queued `interactive` one. With
   * `slot` (0 to size - 1), the task waits for that worker, ahead of its lane's other tasks: for work whose
   * data the worker keeps between tasks (a search's index), as long as `generation(slot)` has not changed.
   */
  async run<O extends ChemTask['op']>(task: Extract<ChemTask, { op: O }>, lane: ChemLane = 'interactive', slot?: number): Promise<ChemResults[O]> {
    const t = task as ChemTask;
    if (t.op === 'standardise' || t.op === 'parents' || t.op === 'late')
      return (await this.batch(t as Extract<ChemTask, { op: BatchOp }>, lane)) as ChemResults[O];
    try {
      return (await this.post(task, lane, slot)) as ChemResults[O];
    } catch (err) {
      if (err instanceof ItemTimeout) throw new AppError('PARSE_ERROR', err.message);
      throw err;
    }
  }

  /**
   * Standardises a batch (`parents`: only what a file screen needs). A structure that crashes or stalls its
   * worker fails alone: the structures before it are kept (or, after a stall, standardised again on a fresh
   * worker) and the rest go on.
   */
  private async batch<O extends BatchOp>(task: Extract<ChemTask, { op: BatchOp }> & { op: O }, lane: ChemLane): Promise<ChemResults[O]> {
    // These ops answer `{ ok: true, … } | { ok: false, reason }` per input, in order.
    const out: Array<ChemResults[O][number]> = [];
    let rest = task.inputs;
    while (rest.length) {
      try {
        const part = (await this.post({ ...task, inputs: rest }, lane)) as ChemResults[O];
        if (part.length === 0) throw new BugError('a chemistry worker answered a batch with no results');
        out.push(...part);
        rest = rest.slice(part.length);
      } catch (err) {
        if (!(err instanceof ItemTimeout)) throw err;
        // The items before the stuck one finished inside the lost worker: do them again (they are quick).
        if (err.item > 0) out.push(...(await this.batch({ ...task, inputs: rest.slice(0, err.item) } as typeof task, lane)));
        out.push({ ok: false, reason: `${task.op === 'late' ? 'descriptors' : 'standardisation'} ${err.message}` });
        rest = rest.slice(err.item + 1);
      }
    }
    return out as ChemResults[O];
  }

  /**
   * Whether slot `slot`'s worker is on a long task that is not pinned (a conformer, an import batch): a
   * pinned task would wait behind it while other workers may be free, so its caller may rather send it
   * unpinned. A depiction or an alert check (milliseconds) does not count: waiting for it is far cheaper
   * than what sending the task elsewhere costs a search (its chunk read and indexed again; a table's page
   * of depictions made a warm pyridine search of 150k compounds take 4.9–5.3 s instead of 2.4–2.9 s).
   */
  occupied(slot: number): boolean {
    const current = this.slots[slot % this.size]?.current;
    return current !== null && current !== undefined && !current.pinned && !SHORT_OPS.has(current.msg.op);
  }

  /** Workers started (0 until the first task where `start` is `first-task`). */
  get started(): number {
    return this.slots.length;
  }

  /** Changes whenever slot `slot`'s worker is replaced (after a crash or a timeout): what it kept is gone. */
  generation(slot: number): number {
    return this.generations[slot % this.size] as number;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    // Closing with work queued is the app shutting down (a request still in flight, a background index):
    // those tasks are cancelled, not failed.
    const closed = new AppError('CANCELLED', 'the chemistry workers closed before this task finished (the app is shutting down)');
    for (const task of [
      ...this.lanes.interactive.splice(0),
      ...this.lanes.bulk.splice(0),
      ...[...this.pinned.interactive, ...this.pinned.bulk].flatMap((q) => q.splice(0)),
    ])
      task.reject(closed);
    for (const slot of this.slots) slot.current?.reject(closed);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
