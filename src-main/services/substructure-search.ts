import { randomUUID } from 'node:crypto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import type { ChemResults } from '../chem/chem-protocol';
import { type SearchChunk, type SearchItem, packChunk } from '../chem/substructure';
import type { CompoundFilter, CompoundRepo } from '../db/compound-repo';

/** Compounds per task: small enough for an early first page, large enough that a task's overhead is small. */
export const SUBSTRUCTURE_CHUNK = 2000;
/** Below this share of the library, a filtered search reads and matches only the filtered compounds. */
const CACHED_SHARE = 0.25;

/** Chunk names remembered: a few times what the workers can hold. */
const PLACED_MAX = 4000;

/** Where a search stands: chunks matched of those it will match at most. */
export interface SearchProgress {
  done: number;
  total: number;
}

export interface ScanOptions {
  /** Stop once this many are found (the rest: `complete` false). */
  need: number;
  onProgress?: (p: SearchProgress) => void;
  /** A cancelled search stops between chunks: with a CANCELLED error, or with `partial` what it found so far (complete: false). */
  signal?: AbortSignal;
  partial?: boolean;
}

/** A name for a chunk's content: its compounds, in order (a compound's structure never changes). */
function chunkKey(ns: string, ids: number[]): string {
  // FNV-1a over the ids, twice with different seeds: 64 bits, so two different chunks never share a name.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ ids.length;
  for (const id of ids) {
    a = Math.imul(a ^ id, 0x01000193) >>> 0;
    b = Math.imul(b ^ (id * 31 + 7), 0x01000193) >>> 0;
  }
  return `${ns}:${ids.length}:${a.toString(36)}:${b.toString(36)}`;
}

interface Part {
  ids: number[];
  key?: string;
}

/**
 * Substructure search over a library on the chemistry pool. The library is cut into chunks in import order
 * and chunk i always goes to worker i mod n, which keeps the chunk's built SubstructLibrary: a library
 * searched again is neither read from the database nor rebuilt, only matched (each worker keeps a bounded
 * number of molecules, least recently used going first). A chunk is named by its compounds, so an import or
 * a deletion makes new names and nothing stale is matched. Searches within given compounds (similarity hits,
 * a screen's hits) or a small filtered part of the library read and match only those compounds.
 */
export class SubstructureSearch {
  /** Which worker was given each named chunk, and the worker's generation then. */
  private readonly placed = new Map<string, { slot: number; generation: number }>();
  /** Searches running under a searchId (one id may tag several calls: the pages of one query). */
  private readonly running = new Map<string, Set<AbortController>>();
  /** Libraries being indexed ahead of a search (warm). */
  private readonly warming = new Set<number>();
  /** This database's prefix to chunk names: pools may serve several databases (tests). */
  private readonly ns = randomUUID().slice(0, 8);

  constructor(
    private readonly chem: ChemPool,
    private readonly compounds: CompoundRepo,
    private readonly chunkSize = SUBSTRUCTURE_CHUNK,
  ) {}

  /** Ids of compounds containing the query in import order (within `within`'s order when given), until `need` are found. */
  async ids(
    libraryId: number,
    query: string,
    within: number[] | null,
    filter: CompoundFilter,
    opts: ScanOptions,
  ): Promise<{ ids: number[]; complete: boolean }> {
    let parts: Part[];
    let allowed: Set<number> | null = null;
    if (within) parts = this.split(within, false);
    else {
      const members = this.compounds.ids(libraryId, {});
      const filtered = filter.ranges || filter.filters?.length ? this.compounds.ids(libraryId, filter) : members;
      const whole = this.split(members, true);
      // A small filtered part is read and matched alone, unless the search stops at its first page and the
      // workers hold the whole library: its first chunks, filtered, answer sooner than reading any anew.
      if (filtered.length < members.length * CACHED_SHARE && !(Number.isFinite(opts.need) && this.allHeld(whole))) parts = this.split(filtered, false);
      else {
        parts = whole;
        if (filtered !== members) allowed = new Set(filtered);
      }
    }
    const found: number[] = [];
    const inFlight: Array<Promise<ChemResults['substructure']>> = [];
    // Two tasks per worker: one working, one queued behind it.
    const depth = this.chem.size * 2;
    let next = 0;
    try {
      for (let done = 0; done < parts.length; done++) {
        while (next < parts.length && inFlight.length < depth) {
          const task = this.match(parts[next] as Part, next, query);
          // Tasks still in flight when an earlier one fails (an invalid query fails them all) must not
          // become unhandled rejections: that would end the process.
          task.catch(() => undefined);
          inFlight.push(task);
          next++;
        }
        const { hits } = await (inFlight.shift() as Promise<ChemResults['substructure']>);
        found.push(...(allowed ? hits.filter((id) => allowed.has(id)) : hits));
        opts.onProgress?.({ done: done + 1, total: parts.length });
        if (found.length >= opts.need && done + 1 < parts.length) return { ids: found, complete: false };
        if (opts.signal?.aborted && done + 1 < parts.length) {
          if (opts.partial) return { ids: found, complete: false };
          throw new AppError('CANCELLED', 'the structure search was cancelled');
        }
      }
      return { ids: found, complete: true };
    } finally {
      await Promise.allSettled(inFlight.splice(0));
    }
  }

  private split(ids: number[], named: boolean): Part[] {
    const parts: Part[] = [];
    for (let i = 0; i < ids.length; i += this.chunkSize) {
      const slice = ids.slice(i, i + this.chunkSize);
      parts.push(named ? { ids: slice, key: chunkKey(this.ns, slice) } : { ids: slice });
    }
    return parts;
  }

  /** Stops the searches running under this id (see ScanOptions.signal); false when none runs. */
  cancel(searchId: string): boolean {
    const running = this.running.get(searchId);
    for (const c of running ?? []) c.abort();
    return (running?.size ?? 0) > 0;
  }

  /** A search's signal and progress (to `sink`) under its searchId (nothing without one); `end` when the search ends. */
  tracked(
    searchId: string | undefined,
    sink: ((p: SearchProgress & { searchId: string }) => void) | undefined,
  ): Pick<ScanOptions, 'signal' | 'onProgress'> & { end?: () => void } {
    if (searchId === undefined) return {};
    const controller = new AbortController();
    const set = this.running.get(searchId) ?? new Set();
    set.add(controller);
    this.running.set(searchId, set);
    return {
      signal: controller.signal,
      onProgress: (p) => sink?.({ searchId, ...p }),
      end: () => {
        set.delete(controller);
        if (set.size === 0 && this.running.get(searchId) === set) this.running.delete(searchId);
      },
    };
  }

  /**
   * Indexes the library's chunks on their workers ahead of its first search, in the bulk lane (behind
   * anything the user waits on), so that search costs what a later one does. Chunks already held are skipped.
   */
  async warm(libraryId: number): Promise<void> {
    if (this.warming.has(libraryId)) return;
    this.warming.add(libraryId);
    const inFlight: Array<Promise<unknown>> = [];
    try {
      for (const [index, part] of this.split(this.compounds.ids(libraryId, {}), true).entries()) {
        const key = part.key as string;
        const slot = index % this.chem.size;
        if (this.holds(key, slot)) continue;
        const generation = this.chem.generation(slot);
        const task = this.chem.run({ op: 'searchIndex', key, chunk: this.load(part) }, 'bulk', slot).then((r) => {
          this.place(key, slot, generation);
          this.stored({ hits: [], computed: r.computed });
        });
        task.catch(() => undefined);
        inFlight.push(task);
        if (inFlight.length >= this.chem.size * 2) await inFlight.shift();
      }
      await Promise.all(inFlight);
    } finally {
      await Promise.allSettled(inFlight);
      this.warming.delete(libraryId);
    }
  }

  private load(part: Part): SearchChunk {
    return packChunk(this.compounds.structuresOf(part.ids) satisfies SearchItem[]);
  }

  /** Whether each named chunk is held by the worker it goes to. */
  private allHeld(parts: Part[]): boolean {
    return parts.every((p, i) => this.holds(p.key as string, i % this.chem.size));
  }

  /** Whether worker `slot` was given the chunk `key` and has not been replaced since. */
  private holds(key: string, slot: number): boolean {
    const at = this.placed.get(key);
    return at !== undefined && at.slot === slot && at.generation === this.chem.generation(slot);
  }

  private place(key: string, slot: number, generation: number): void {
    this.placed.delete(key);
    this.placed.set(key, { slot, generation });
    // The names of chunks long gone from every worker are forgotten (oldest first).
    for (const old of this.placed.keys()) {
      if (this.placed.size <= PLACED_MAX) break;
      this.placed.delete(old);
    }
  }

  /** Matches one chunk: by its name alone where its worker has it, else with its structures (read now). */
  private async match(part: Part, index: number, query: string): Promise<ChemResults['substructure']> {
    if (part.key === undefined) return this.stored(await this.chem.run({ op: 'substructure', query, chunk: this.load(part) }));
    const key = part.key;
    const slot = index % this.chem.size;
    // Its worker is busy with other work (a 3D conformer, an import batch): built on any free worker instead.
    if (this.chem.occupied(slot)) return this.stored(await this.chem.run({ op: 'substructure', query, chunk: this.load(part) }));
    if (this.holds(key, slot)) {
      const r = await this.chem.run({ op: 'substructure', query, key }, 'interactive', slot);
      if (!r.missing) return r;
    }
    const generation = this.chem.generation(slot);
    const r = await this.chem.run({ op: 'substructure', query, key, chunk: this.load(part) }, 'interactive', slot);
    this.place(key, slot, generation);
    return this.stored(r);
  }

  /** Compounds imported before fingerprints were kept get theirs now: the next search skips them faster. */
  private stored(r: ChemResults['substructure']): ChemResults['substructure'] {
    this.compounds.setPatternFps(r.computed);
    return r;
  }
}
