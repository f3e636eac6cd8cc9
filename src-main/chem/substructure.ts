import type { Mol, SubstructLibrary } from '@rdkit/rdkit';
import { rethrowFatal, structureTooLarge } from './guard';
import { type QueryPlan, writtenBonds } from './query-plan';
import type { RDKit } from './rdkit';

/** patternFpOf's library, kept between molecules (a worker thread has one). */
const SCRATCH_SIZE = 1000;
let scratch: { rd: RDKit; lib: SubstructLibrary; added: number } | null = null;

/**
 * RDKit's pattern fingerprint of a canonical SMILES, serialised as its SubstructLibrary stores it (the
 * library computes it itself from the SMILES, so a search's prefilter and its matching agree): stored per
 * compound, it lets `substructureMatches` skip both the fingerprint and most parsing. Null if RDKit fails.
 */
export function patternFpOf(rd: RDKit, smiles: string): Uint8Array | null {
  if (structureTooLarge(smiles)) return null;
  // One library serves many molecules (an import's batches), renewed now and then so it stays small.
  if (!scratch || scratch.rd !== rd || scratch.added >= SCRATCH_SIZE) {
    scratch?.lib.delete();
    scratch = { rd, lib: new rd.SubstructLibrary(), added: 0 };
  }
  const { lib } = scratch;
  try {
    const i = lib.add_trusted_smiles(smiles);
    scratch.added++;
    return new Uint8Array(lib.get_pattern_fp_as_uint8array(i) as Uint8Array);
  } catch (err) {
    rethrowFatal(err);
    // A library an exception went through is not trusted with the next molecule.
    lib.delete();
    scratch = null;
    return null;
  }
}

/** A compound to search: its canonical SMILES and, where stored, its pattern fingerprint (patternFpOf). */
export interface SearchItem {
  id: number;
  smiles: string;
  patternFp: Uint8Array | null;
}

/**
 * A chunk of search items packed for the trip to a worker thread: a few flat arrays clone much faster than
 * thousands of small objects (each with its own buffer).
 */
export interface SearchChunk {
  ids: Float64Array;
  /** The SMILES, one per line. */
  smiles: string;
  /** The fingerprints end to end; item i's ends at fpEnds[i] (an empty one: none stored). */
  fps: Uint8Array;
  fpEnds: Uint32Array;
}

export function packChunk(items: SearchItem[]): SearchChunk {
  const fpEnds = new Uint32Array(items.length);
  let end = 0;
  items.forEach((it, i) => (fpEnds[i] = end += it.patternFp?.length ?? 0));
  const fps = new Uint8Array(end);
  items.forEach((it, i) => it.patternFp && fps.set(it.patternFp, (fpEnds[i] as number) - it.patternFp.length));
  return { ids: Float64Array.from(items, (it) => it.id), smiles: items.map((it) => it.smiles).join('\n'), fps, fpEnds };
}

/** A chunk's SubstructLibrary, built once, with the compound id of each of its entries. */
interface BuiltChunk {
  lib: SubstructLibrary;
  ids: number[];
  /** The entries whose SMILES writes a bond out (see query-plan), again, with their index in `ids`. */
  biaryl: Subset;
  odd: Subset;
  /** Fingerprints the library computed for items that came without one (to be stored by the caller). */
  computed: Array<{ id: number; patternFp: Uint8Array }>;
}

interface Subset {
  lib: SubstructLibrary;
  at: number[];
}

function buildChunk(rd: RDKit, chunk: SearchChunk): BuiltChunk {
  const lib = new rd.SubstructLibrary();
  const subsets: Record<'biaryl' | 'odd', Subset> = { biaryl: { lib: new rd.SubstructLibrary(), at: [] }, odd: { lib: new rd.SubstructLibrary(), at: [] } };
  const computed: BuiltChunk['computed'] = [];
  const ids: number[] = [];
  const smiles = chunk.ids.length ? chunk.smiles.split('\n') : [];
  try {
    smiles.forEach((smi, i) => {
      if (structureTooLarge(smi)) return;
      const id = chunk.ids[i] as number;
      const start = i ? (chunk.fpEnds[i - 1] as number) : 0;
      const end = chunk.fpEnds[i] as number;
      let fp = chunk.fps.subarray(start, end);
      if (end > start) lib.add_trusted_smiles_and_pattern_fp(smi, fp);
      else {
        const at = lib.add_trusted_smiles(smi);
        fp = new Uint8Array(lib.get_pattern_fp_as_uint8array(at) as Uint8Array);
        computed.push({ id, patternFp: fp });
      }
      const written = writtenBonds(smi);
      if (written !== 'none') {
        subsets[written].lib.add_trusted_smiles_and_pattern_fp(smi, fp);
        subsets[written].at.push(ids.length);
      }
      ids.push(id);
    });
  } catch (err) {
    freeChunk({ lib, ...subsets });
    throw err;
  }
  return { lib, ids, ...subsets, computed };
}

function freeChunk(built: Pick<BuiltChunk, 'lib' | 'biaryl' | 'odd'>): void {
  built.lib.delete();
  built.biaryl.lib.delete();
  built.odd.lib.delete();
}

// No chirality (as a drawn query means it), one thread (the pool is the parallelism), every match.
const matches = (lib: SubstructLibrary, q: Mol) => lib.get_matches_as_uint32array(q, false, 1, -1) as Uint32Array;

function matchesIn(built: BuiltChunk, plan: QueryPlan): number[] {
  const all = matches(built.lib, plan.all);
  // Hits in the chunk's order (import order, or the order of the compounds a search was given).
  if (!plan.biaryl && !plan.odd) return Array.from(all.sort(), (i) => built.ids[i] as number);
  const found = new Set(all);
  const add = (subset: Subset, q: Mol) => {
    if (subset.at.length) for (const i of matches(subset.lib, q)) found.add(subset.at[i] as number);
  };
  for (const q of plan.biaryl ?? []) add(built.biaryl, q);
  if (plan.odd) add(built.odd, plan.odd);
  return [...found].sort((a, b) => a - b).map((i) => built.ids[i] as number);
}

/**
 * The ids of the chunk's compounds containing the query, through RDKit's SubstructLibrary: the pattern
 * fingerprints screen out most compounds, and only the rest are parsed (as trusted canonical SMILES) and
 * matched. Compounds without a fingerprint get one computed; `computed` returns them to be stored.
 */
export function substructureMatches(
  rd: RDKit,
  chunk: SearchChunk,
  query: QueryPlan,
): { hits: number[]; computed: Array<{ id: number; patternFp: Uint8Array }> } {
  const built = buildChunk(rd, chunk);
  try {
    return { hits: matchesIn(built, query), computed: built.computed };
  } finally {
    freeChunk(built);
  }
}

/**
 * A worker's built chunks kept between searches, by the key the caller gives a chunk's content (see
 * services/substructure-search): a library searched again is matched without reading or building anything.
 * Least recently used chunks go first once the molecules held pass `capacity`; a caller that sends a key
 * without its chunk learns that it is gone (`missing`) and sends the chunk.
 */
export class SearchCache {
  private readonly chunks = new Map<string, BuiltChunk>();
  private held = 0;

  constructor(readonly capacity: number) {}

  /** Matches the chunk `key` names (built from `chunk` when not kept, then kept); `missing` when neither is at hand. */
  match(
    rd: RDKit,
    key: string,
    chunk: SearchChunk | undefined,
    query: QueryPlan,
  ): { hits: number[]; computed: Array<{ id: number; patternFp: Uint8Array }>; missing?: true } {
    let built = this.chunks.get(key);
    let computed: BuiltChunk['computed'] = [];
    if (built) {
      // Most recently used last: Map keeps insertion order.
      this.chunks.delete(key);
      this.chunks.set(key, built);
    } else {
      if (!chunk) return { hits: [], computed: [], missing: true };
      computed = this.add(rd, key, chunk);
      built = this.chunks.get(key) as BuiltChunk;
    }
    return { hits: matchesIn(built, query), computed };
  }

  /** Builds and keeps the chunk (unless kept already); returns the fingerprints it computed. */
  add(rd: RDKit, key: string, chunk: SearchChunk): BuiltChunk['computed'] {
    if (this.chunks.has(key)) return [];
    const built = buildChunk(rd, chunk);
    const { computed } = built;
    built.computed = [];
    this.chunks.set(key, built);
    this.held += built.ids.length;
    this.evict(key);
    return computed;
  }

  private evict(keep: string): void {
    for (const [key, built] of this.chunks) {
      if (this.held <= this.capacity) return;
      if (key === keep) continue;
      freeChunk(built);
      this.chunks.delete(key);
      this.held -= built.ids.length;
    }
  }

  /** Molecules held (for tests). */
  get size(): number {
    return this.held;
  }

  clear(): void {
    for (const built of this.chunks.values()) freeChunk(built);
    this.chunks.clear();
    this.held = 0;
  }
}
