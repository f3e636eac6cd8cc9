import type { Mol } from '@rdkit/rdkit';
import { rethrowFatal, structureTooLarge } from './guard';
import type { RDKit } from './rdkit';

/**
 * RDKit's pattern fingerprint of a canonical SMILES, serialised as its SubstructLibrary stores it (the
 * library computes it itself from the SMILES, so a search's prefilter and its matching agree): stored per
 * compound, it lets `substructureMatches` skip both the fingerprint and most parsing. Null if RDKit fails.
 */
export function patternFpOf(rd: RDKit, smiles: string): Uint8Array | null {
  if (structureTooLarge(smiles)) return null;
  const lib = new rd.SubstructLibrary();
  try {
    const i = lib.add_trusted_smiles(smiles);
    return new Uint8Array(lib.get_pattern_fp_as_uint8array(i) as Uint8Array);
  } catch (err) {
    rethrowFatal(err);
    return null;
  } finally {
    lib.delete();
  }
}

/** A compound to search: its canonical SMILES and, where stored, its pattern fingerprint (patternFpOf). */
export interface SearchItem {
  id: number;
  smiles: string;
  patternFp: Uint8Array | null;
}

/**
 * The ids of the items containing the query, through RDKit's SubstructLibrary: the pattern fingerprints
 * screen out most compounds, and only the rest are parsed (as trusted canonical SMILES) and matched. Items
 * without a fingerprint get one computed; `computed` returns them to be stored.
 */
export function substructureMatches(rd: RDKit, items: SearchItem[], query: Mol): { hits: number[]; computed: Array<{ id: number; patternFp: Uint8Array }> } {
  const lib = new rd.SubstructLibrary();
  const computed: Array<{ id: number; patternFp: Uint8Array }> = [];
  const ids: number[] = [];
  try {
    for (const it of items) {
      if (structureTooLarge(it.smiles)) continue;
      if (it.patternFp) lib.add_trusted_smiles_and_pattern_fp(it.smiles, it.patternFp);
      else {
        const i = lib.add_trusted_smiles(it.smiles);
        computed.push({ id: it.id, patternFp: new Uint8Array(lib.get_pattern_fp_as_uint8array(i) as Uint8Array) });
      }
      ids.push(it.id);
    }
    // No chirality (as a drawn query means it), one thread (the pool is the parallelism), every match.
    const found = Array.from(lib.get_matches_as_uint32array(query, false, 1, -1) as Uint32Array).sort((a, b) => a - b);
    return { hits: found.map((i) => ids[i] as number), computed };
  } finally {
    lib.delete();
  }
}
