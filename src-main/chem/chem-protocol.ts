import type { StandardiseResult } from './rdkit';

/** Messages between ChemPool and its worker threads. */
export type ChemRequest =
  | { id: number; op: 'standardise'; inputs: string[] }
  | { id: number; op: 'substructure'; query: string; items: Array<{ id: number; smiles: string }> }
  | { id: number; op: 'depict'; smiles: string; width: number; height: number }
  | { id: number; op: 'conformer'; smiles: string }
  | { id: number; op: 'alerts'; smiles: string };

export interface ChemResults {
  standardise: StandardiseResult[];
  substructure: number[];
  depict: string | null;
  conformer: string | null;
  alerts: string[];
}

export type ChemResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ChemTask = DistributiveOmit<ChemRequest, 'id'>;
