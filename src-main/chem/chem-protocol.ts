import type { ErrorCode } from '../../src-shared/errors';
import type { LateChemistryResult, ScreenParentResult, StandardiseResult } from './standardise';
import type { FingerprintTable } from './clustering';
import type { RGroupTable } from './rgroups';
import type { SearchChunk } from './substructure';

/** Messages between ChemPool and its worker threads. */
export type ChemRequest =
  /** With `defer`, descriptors and pattern fingerprints are left for a `late` task (see standardise). */
  | { id: number; op: 'standardise'; inputs: string[]; defer?: boolean }
  /** The descriptors and pattern fingerprints of stored compounds (their canonical SMILES): lateChemistry. */
  | { id: number; op: 'late'; inputs: string[] }
  /**
   * What a file screen needs of each structure (screenParent): the parent, model SMILES and ECFP4, and the
   * descriptors with `descriptors` (for a descriptor-aware model).
   */
  | { id: number; op: 'parents'; inputs: string[]; descriptors?: boolean }
  /**
   * With `key`, the worker keeps the chunk's built index under that key and later tasks may send the key
   * alone (the answer says `missing` when the worker no longer has it); without, `chunk` is required.
   */
  | { id: number; op: 'substructure'; query: string; chunk?: SearchChunk; key?: string }
  /** Builds and keeps a chunk's search index ahead of a search (see `substructure`'s key). */
  | { id: number; op: 'searchIndex'; key: string; chunk: SearchChunk }
  /** Rows [from, to) of the similarity neighbour lists (clustering); the table is shared, not copied. */
  | { id: number; op: 'neighbours'; table: FingerprintTable; threshold: number; from: number; to: number }
  /** A MaxMin diverse pick of k compounds of the table, from compound `first`. */
  | { id: number; op: 'maxMin'; table: FingerprintTable; k: number; first: number }
  /** Bemis–Murcko scaffolds (canonical SMILES; '' acyclic; null unreadable). */
  | { id: number; op: 'scaffolds'; smiles: string[] }
  /** R-group decomposition around `core` (or the molecules' MCS). */
  | { id: number; op: 'rgroups'; smiles: string[]; core?: string }
  | { id: number; op: 'depict'; smiles: string; width: number; height: number; highlight?: string }
  | { id: number; op: 'conformer'; smiles: string }
  | { id: number; op: 'alerts'; smiles: string };

export interface ChemResults {
  standardise: StandardiseResult[];
  parents: ScreenParentResult[];
  late: LateChemistryResult[];
  /** The matching ids, and the pattern fingerprints computed for items that had none (to be stored). */
  substructure: { hits: number[]; computed: Array<{ id: number; patternFp: Uint8Array }>; missing?: true };
  searchIndex: { computed: Array<{ id: number; patternFp: Uint8Array }> };
  neighbours: number[][];
  maxMin: number[];
  scaffolds: Array<string | null>;
  rgroups: RGroupTable;
  depict: string | null;
  conformer: string | null;
  alerts: string[];
}

/**
 * A worker's answer. `fatal`: the worker's WebAssembly instance trapped and must not be used again (the
 * pool replaces the worker); a `standardise` answer then holds the results up to and including the
 * structure that crashed it, and the pool sends the rest to a fresh worker.
 */
export type ChemResponse =
  { id: number; ok: true; value: unknown; fatal?: string } | { id: number; ok: false; error: string; code?: ErrorCode; fatal?: string };

/**
 * Shared with each worker: [task id, index of the item being worked on]. The pool's watchdog reads it to
 * find a task stuck on one item, and which item that is.
 */
export const PROGRESS_SLOTS = 2;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ChemTask = DistributiveOmit<ChemRequest, 'id'>;
