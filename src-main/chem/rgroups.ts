import type { Mol } from '@rdkit/rdkit';
import { AppError } from '../../src-shared/errors';
import { type RDKit, parseMol, parseQuery } from './rdkit';

/** An R-group decomposition: the core, its R labels, each matched molecule's groups (SMILES with [*:n]). */
export interface RGroupTable {
  /** The core as given, or the selection's maximum common substructure (SMARTS). */
  core: string;
  /** Whether the core is the MCS found (not drawn). */
  found: boolean;
  /** R1…Rn in order (the core's own column, `Core`, is in each row's groups too). */
  labels: string[];
  /** Per input molecule that matched the core: its index in the input and its groups by label. */
  rows: Array<{ index: number; groups: Record<string, string> }>;
  /** Indices of the molecules the core does not match. */
  unmatched: number[];
}

/** The found core is common to at least this share of the compounds (a few outliers do not shrink it to nothing). */
const MCS_SHARE = 0.8;

/** Minimum heavy atoms of a core worth decomposing around. */
const MIN_CORE_ATOMS = 3;

/**
 * RDKit's R-group decomposition (MinimalLib's get_rgd) of the molecules around `core` (SMILES or SMARTS),
 * or, without one, around the maximum common substructure of at least 80% of them (get_mcs_as_smarts,
 * complete rings only, `mcsTimeoutS` seconds at most); the others are unmatched.
 */
export function decompose(rd: RDKit, smiles: string[], core?: string, mcsTimeoutS = 10): RGroupTable {
  const owned: Array<{ delete(): void }> = [];
  const keep = <T extends { delete(): void }>(x: T): T => (owned.push(x), x);
  try {
    const mols = smiles.map((s) => {
      const m = parseMol(rd, s);
      return m ? keep(m) : null;
    });
    let smarts = core?.trim() ?? '';
    const found = smarts === '';
    if (found) {
      const list = keep(new rd.MolList());
      for (const m of mols) if (m) list.append(m);
      smarts = rd.get_mcs_as_smarts(list, JSON.stringify({ Timeout: mcsTimeoutS, RingMatchesRingOnly: true, CompleteRingsOnly: true, Threshold: MCS_SHARE }));
    }
    const q = smarts ? parseQuery(rd, smarts) : null;
    if (!q) throw new AppError('INVALID_INPUT', found ? 'the selection shares no common core: draw one' : `cannot read the core: ${smarts}`);
    keep(q);
    if (q.get_num_atoms() < MIN_CORE_ATOMS)
      throw new AppError('INVALID_INPUT', `the ${found ? "selection's common core" : 'core'} has fewer than ${MIN_CORE_ATOMS} atoms: draw a larger one`);
    const rgd = rd.get_rgd(q, JSON.stringify({}));
    if (!rgd) throw new AppError('INVALID_INPUT', `RDKit could not start an R-group decomposition around ${smarts}`);
    keep(rgd);
    const added = mols.map((m) => (m ? rgd.add(m) : -1));
    if (!added.some((a) => a >= 0)) throw new AppError('INVALID_INPUT', `no selected compound contains the core ${smarts}`);
    rgd.process();
    const raw = rgd.get_rgroups_as_rows() as Array<Record<string, Mol>>;
    const matched = added.flatMap((a, i) => (a >= 0 ? [i] : []));
    const labels = new Set<string>();
    const rows = raw.map((r, k) => {
      const groups: Record<string, string> = {};
      for (const [label, mol] of Object.entries(r)) {
        groups[label] = mol.get_smiles();
        mol.delete();
        if (label !== 'Core') labels.add(label);
      }
      return { index: matched[k] as number, groups };
    });
    const byNumber = (a: string, b: string) => Number(a.slice(1)) - Number(b.slice(1));
    return { core: smarts, found, labels: [...labels].sort(byNumber), rows, unmatched: added.flatMap((a, i) => (a < 0 ? [i] : [])) };
  } finally {
    for (const x of owned.reverse()) x.delete();
  }
}
