import initRDKitModule, { type MainModule, type Mol } from '@rdkit/rdkit';
import type { Descriptors } from '../../src-shared/dto';
import { rethrowFatal, structureTooLarge } from './guard';

export type RDKit = MainModule;

let rdkitPromise: Promise<RDKit> | null = null;

/** Loads RDKit MinimalLib (WASM) once per thread. */
export function loadRdkit(): Promise<RDKit> {
  rdkitPromise ??= initRDKitModule().then((rd) => {
    rd.disable_logging();
    return rd;
  });
  return rdkitPromise;
}

export const MORGAN_RADIUS = 2;
export const MORGAN_BITS = 2048;
/** MinimalLib reads the size from `nBits`; `fpSize` is silently ignored. */
export const MORGAN_JSON = JSON.stringify({ radius: MORGAN_RADIUS, nBits: MORGAN_BITS });

/** Runs `fn` with a parsed molecule and always frees the WASM memory. */
export function withMol<T>(mol: Mol, fn: (m: Mol) => T): T {
  try {
    return fn(mol);
  } finally {
    mol.delete();
  }
}

/**
 * Parses a SMILES string or a molfile (V2000/V3000); null when RDKit cannot read it or it is over the size
 * limits (see guard.ts: larger structures crash RDKit's WASM build). A fatal WASM error is rethrown.
 */
export function parseMol(rd: RDKit, input: string): Mol | null {
  if (structureTooLarge(input)) return null;
  try {
    const mol = rd.get_mol(input);
    if (mol && !mol.is_valid()) {
      mol.delete();
      return null;
    }
    return mol;
  } catch (err) {
    rethrowFatal(err);
    return null;
  }
}

/** RDKit's JSON of a molecule, as far as Delicate reads it. */
export interface JsonAtom {
  z?: number;
  chg?: number;
  impHs?: number;
}
export interface MolJson {
  defaults: { atom: { z: number; chg: number; impHs: number }; bond?: { bo: number } };
  molecules: Array<{ atoms: JsonAtom[]; bonds: Array<{ atoms: [number, number]; bo?: number }>; extensions?: Array<{ name: string; atomRings?: number[][] }> }>;
}

interface RdDescriptors {
  amw: number;
  CrippenClogP: number;
  tpsa: number;
  NumHBD: number;
  NumHBA: number;
  lipinskiHBD: number;
  lipinskiHBA: number;
  NumRotatableBonds: number;
  NumRings: number;
  NumAromaticRings: number;
  FractionCSP3: number;
  NumHeavyAtoms: number;
}

/** The medicinal-chemistry descriptors Delicate stores for every compound. */
export function descriptorsOf(mol: Mol): Descriptors {
  const d = JSON.parse(mol.get_descriptors()) as RdDescriptors;
  const round = (x: number, k: number) => Math.round(x * 10 ** k) / 10 ** k;
  const lipinskiViolations = Number(d.amw > 500) + Number(d.CrippenClogP > 5) + Number(d.lipinskiHBD > 5) + Number(d.lipinskiHBA > 10);
  return {
    mw: round(d.amw, 3),
    clogp: round(d.CrippenClogP, 3),
    tpsa: round(d.tpsa, 2),
    hbd: d.NumHBD,
    hba: d.NumHBA,
    rotatableBonds: d.NumRotatableBonds,
    rings: d.NumRings,
    aromaticRings: d.NumAromaticRings,
    fractionSp3: round(d.FractionCSP3, 4),
    heavyAtoms: d.NumHeavyAtoms,
    lipinskiViolations,
  };
}

/** The descriptors of a structure (descriptorsOf), or null when RDKit cannot read it. */
export function descriptorsOfSmiles(rd: RDKit, smiles: string): Descriptors | null {
  const mol = parseMol(rd, smiles);
  return mol ? withMol(mol, descriptorsOf) : null;
}

/** Morgan fingerprint (r=2, 2048 bits) of a query structure; null when unparseable. */
export function morganOf(rd: RDKit, smiles: string): Uint8Array | null {
  const mol = parseMol(rd, smiles);
  if (!mol) return null;
  return withMol(mol, (m) => new Uint8Array(m.get_morgan_fp_as_uint8array(MORGAN_JSON) as Uint8Array));
}

export { popcount, tanimoto } from './fingerprints';

/**
 * Pixels per bond in a depiction of this size: large molecules shrink to fit, small ones stay at this
 * scale instead of filling the box, so a thiophene does not look as large as a steroid in the same table.
 */
export function bondPixels(width: number, height: number): number {
  return Math.min(32, Math.max(14, Math.min(width, height) / 4.5));
}

/**
 * A 2D depiction as SVG; null when the structure cannot be parsed. With `highlight` (a substructure query),
 * the atoms and bonds of its first match are highlighted (none when it does not match or cannot be read).
 */
export function depictSvg(rd: RDKit, smiles: string, width = 250, height = 200, highlight?: string): string | null {
  const mol = parseMol(rd, smiles);
  if (!mol) return null;
  return withMol(mol, (m) => {
    let match: { atoms?: number[]; bonds?: number[] } = {};
    const q = highlight ? parseQuery(rd, highlight) : null;
    if (q) {
      try {
        const found = JSON.parse(m.get_substruct_match(q)) as { atoms?: number[]; bonds?: number[] };
        if (found.atoms?.length) match = { atoms: found.atoms, bonds: found.bonds ?? [] };
      } finally {
        q.delete();
      }
    }
    // RDKit's depiction coordinates have 1.5 units per bond; fixedBondLength is pixels per unit.
    return m.get_svg_with_highlights(JSON.stringify({ width, height, fixedBondLength: bondPixels(width, height) / 1.5, ...match }));
  });
}

/** Parses a substructure query (SMARTS, which also reads most SMILES); null when invalid. */
export function parseQuery(rd: RDKit, query: string): Mol | null {
  if (structureTooLarge(query)) return null;
  try {
    const q = rd.get_qmol(query);
    if (q && !q.is_valid()) {
      q.delete();
      return null;
    }
    return q;
  } catch (err) {
    rethrowFatal(err);
    return null;
  }
}

/** True when `smiles` contains the query substructure. */
export function hasSubstructure(rd: RDKit, smiles: string, query: Mol): boolean {
  const mol = parseMol(rd, smiles);
  if (!mol) return false;
  return withMol(mol, (m) => m.get_substruct_match(query) !== '{}');
}

/**
 * Randomised (non-canonical) SMILES of one molecule for augmentation: each variant starts the SMILES walk at
 * an atom drawn with `random`, so results are reproducible for a seeded generator. Variants are distinct and
 * never the input string; fewer than n come back when the molecule has few distinct writings. Empty when
 * unparseable.
 */
export function enumerateSmiles(rd: RDKit, smiles: string, n: number, random: () => number = Math.random): string[] {
  const mol = parseMol(rd, smiles);
  if (!mol) return [];
  return withMol(mol, (m) => {
    const atoms = m.get_num_atoms();
    const seen = new Set<string>([smiles]);
    const out: string[] = [];
    for (let tries = 0; out.length < n && tries < n * 4; tries++) {
      const root = Math.floor(random() * atoms);
      const s = m.get_smiles(JSON.stringify({ canonical: false, rootedAtAtom: root }));
      if (!seen.has(s)) {
        seen.add(s);
        out.push(s);
      }
    }
    return out;
  });
}

/**
 * Bemis–Murcko scaffold as canonical SMILES: ring systems and the linkers between them, side chains
 * removed, atoms double-bonded to the scaffold kept (as RDKit's GetScaffoldForMol does). Acyclic
 * molecules have the empty scaffold ''. Null when the input is unparseable.
 */
export function murckoScaffold(rd: RDKit, smiles: string): string | null {
  const mol = parseMol(rd, smiles);
  if (!mol) return null;
  const json = withMol(mol, (m) => JSON.parse(m.get_json()) as MolJson);
  const m = json.molecules[0];
  if (!m) return '';
  const rings = m.extensions?.find((e) => e.name === 'rdkitRepresentation')?.atomRings ?? [];
  if (rings.length === 0) return '';
  const inRing = new Set(rings.flat());
  const n = m.atoms.length;
  const bo = (b: { bo?: number }) => b.bo ?? json.defaults.bond?.bo ?? 1;
  const nbrs: Array<Array<{ j: number; order: number }>> = Array.from({ length: n }, () => []);
  for (const b of m.bonds) {
    nbrs[b.atoms[0]]?.push({ j: b.atoms[1], order: bo(b) });
    nbrs[b.atoms[1]]?.push({ j: b.atoms[0], order: bo(b) });
  }
  const keep = new Array<boolean>(n).fill(true);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (!keep[i] || inRing.has(i)) continue;
      if ((nbrs[i] ?? []).filter((x) => keep[x.j]).length <= 1) {
        keep[i] = false;
        changed = true;
      }
    }
  }
  // Terminal atoms double-bonded to the scaffold (C=O on a ring or linker) stay.
  const core = keep.slice();
  for (let i = 0; i < n; i++) {
    if (core[i]) continue;
    if ((nbrs[i] ?? []).length === 1 && (nbrs[i] ?? []).some((x) => core[x.j] && x.order === 2)) keep[i] = true;
  }
  const index = new Map<number, number>();
  keep.forEach((k, i) => k && index.set(i, index.size));
  const atoms = m.atoms
    .map((a, i) => {
      if (!keep[i]) return null;
      const lost = (nbrs[i] ?? []).filter((x) => !keep[x.j]).reduce((s, x) => s + x.order, 0);
      return lost ? { ...a, impHs: (a.impHs ?? json.defaults.atom.impHs) + lost } : a;
    })
    .filter((a): a is JsonAtom => a !== null);
  const bonds = m.bonds.filter((b) => keep[b.atoms[0]] && keep[b.atoms[1]]).map((b) => ({ ...b, atoms: [index.get(b.atoms[0]), index.get(b.atoms[1])] }));
  const out = parseMol(rd, JSON.stringify({ ...json, molecules: [{ atoms, bonds }] }));
  if (!out) return null;
  return withMol(out, (s) => s.get_smiles());
}

/** Canonical SMILES without stereo (chirality and double-bond geometry) and isotopes: what a model reads (see modelSmilesOfMol). */
export function stereoFree(rd: RDKit, smiles: string): string | null {
  const mol = parseMol(rd, smiles);
  return mol ? withMol(mol, (x) => modelSmilesOfMol(rd, x)) : null;
}

/**
 * A molecule's canonical SMILES without stereo and isotopes. Without its label a deuterium is an explicit
 * hydrogen, which RDKit writes as an atom ([H]CCO, a token no model learnt): such a SMILES is read once
 * more, which folds the hydrogens into their atoms (CCO, as the unlabelled molecule is written).
 */
export function modelSmilesOfMol(rd: RDKit, mol: Mol): string {
  const smiles = mol.get_smiles(JSON.stringify({ doIsomericSmiles: false }));
  if (!smiles.includes('[H')) return smiles;
  const again = parseMol(rd, smiles);
  return again ? withMol(again, (x) => x.get_smiles()) : smiles;
}
