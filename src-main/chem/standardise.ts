import type { Mol } from '@rdkit/rdkit';
import type { Descriptors } from '../../src-shared/dto';
import { rethrowFatal, structureTooLarge } from './guard';
import { type JsonAtom, type MolJson, type RDKit, MORGAN_JSON, descriptorsOf, modelSmilesOfMol, parseMol } from './rdkit';
import { patternFpOf } from './substructure';

/** Standardisation: the parent structure every part of Delicate reads (a library's compounds, a file screen's, a model's SMILES). */
export interface StandardisedCompound {
  smiles: string;
  inchikey: string;
  formula: string | null;
  /** Null when they come later (standardise's `defer`; see lateChemistry). */
  descriptors: Descriptors | null;
  /** Morgan r=2, 2048 bits, packed (256 bytes). */
  fp: Uint8Array;
  /** What a model reads: the same structure without stereo, canonical (see modelSmiles). */
  modelSmiles: string;
  /** RDKit's pattern fingerprint as SubstructLibrary keeps it (patternFpOf): the substructure prefilter; null where it failed. */
  patternFp: Uint8Array | null;
  /** What standardisation changed, for the record ('largest fragment', 'neutralised'). */
  changes: string[];
}

export type StandardiseResult = { ok: true; compound: StandardisedCompound } | { ok: false; reason: string };

// Charge inside a bracket atom, e.g. [NH3+], [O-], [n+]; not the explicit single bond '-'.
const CHARGED_ATOM = /\[[^\]]*[+-][^\]]*\]/;

/**
 * The parent structure of an input, as every part of Delicate sees it: the largest organic fragment with
 * charges neutralised the way RDKit's Uncharger does (zwitterions such as nitro groups stay). `fn` gets
 * the parent molecule (freed afterwards), its canonical SMILES and what changed.
 */
function withParent<T>(rd: RDKit, input: string, fn: (mol: Mol, smiles: string, changes: string[]) => T): T | { ok: false; reason: string } {
  const tooLarge = structureTooLarge(input);
  if (tooLarge) return { ok: false, reason: tooLarge };
  const parsed = parseMol(rd, input);
  if (!parsed) return { ok: false, reason: 'unparseable structure' };
  let mol = parsed;
  try {
    if (mol.get_num_atoms() === 0) return { ok: false, reason: 'empty molecule' };
    const changes: string[] = [];
    let smiles = mol.get_smiles();
    if (smiles.includes('.')) {
      const parent = largestFragment(rd, mol);
      if (parent) {
        mol.delete();
        mol = parent;
        smiles = mol.get_smiles();
        changes.push('largest fragment');
      }
    }
    if (CHARGED_ATOM.test(smiles)) {
      const neutral = neutralise(rd, mol);
      if (neutral) {
        mol.delete();
        mol = neutral;
        smiles = mol.get_smiles();
        changes.push('neutralised');
      }
    }
    return fn(mol, smiles, changes);
  } finally {
    mol.delete();
  }
}

/** What an isomeric SMILES can carry that a model's does not: stereo (@, /, \) and isotopes ([13C]). */
const ISOMERIC = /[@/\\]|\[\d/;

/**
 * What a model reads of a parent molecule: the same structure without stereo and isotopes, canonical (see
 * modelSmilesOfMol). A canonical SMILES with neither is already that string (RDKit ranks the atoms alike),
 * so it is not written again: about 80 µs of a molecule's ~1,100 at import.
 */
const modelSmilesOf = (rd: RDKit, mol: Mol, smiles: string) => (ISOMERIC.test(smiles) ? modelSmilesOfMol(rd, mol) : smiles);

/**
 * Standardises one structure for a library: the parent (see withParent) with its InChIKey, formula,
 * descriptors, Morgan fingerprint and substructure pattern fingerprint. With `defer`, the descriptors and
 * the pattern fingerprint are left out (null), for lateChemistry to add from the stored SMILES: they are
 * about 60% of the work, and an import can show its compounds before they are done.
 */
export function standardise(rd: RDKit, input: string, defer = false): StandardiseResult {
  return withParent(rd, input, (mol, smiles, changes): StandardiseResult => {
    const inchi = safeCall(() => mol.get_inchi());
    const inchikey = inchi ? safeCall(() => rd.get_inchikey_for_inchi(inchi)) : '';
    // Standard InChI's second layer is the Hill formula.
    const formula = inchi ? (inchi.split('/')[1] ?? null) : null;
    const descriptors = defer ? null : descriptorsOf(mol);
    const fp = mol.get_morgan_fp_as_uint8array(MORGAN_JSON) as Uint8Array;
    return {
      ok: true,
      compound: {
        smiles,
        // Structures InChI cannot describe still need a stable identity: fall back to the canonical SMILES.
        inchikey: inchikey || `SMILES:${smiles}`,
        formula,
        descriptors,
        fp: new Uint8Array(fp),
        modelSmiles: modelSmilesOf(rd, mol, smiles),
        patternFp: defer ? null : patternFpOf(rd, smiles),
        changes,
      },
    };
  });
}

/** What comes after a deferred standardisation: the descriptors and the substructure pattern fingerprint. */
export type LateChemistryResult = { ok: true; descriptors: Descriptors; patternFp: Uint8Array | null } | { ok: false; reason: string };

/**
 * The descriptors and pattern fingerprint of a stored compound (its canonical parent SMILES), as
 * `standardise` without `defer` gives them: the same molecule, parsed again from its canonical SMILES.
 */
export function lateChemistry(rd: RDKit, smiles: string): LateChemistryResult {
  const mol = parseMol(rd, smiles);
  if (!mol) return { ok: false, reason: 'RDKit cannot read the stored SMILES again' };
  try {
    return { ok: true, descriptors: descriptorsOf(mol), patternFp: patternFpOf(rd, smiles) };
  } finally {
    mol.delete();
  }
}

/** What a screen of a file needs of a structure (the same parent as a library's; nothing it does not use). */
export interface ScreenParent {
  smiles: string;
  modelSmiles: string;
  /** Morgan r=2, 2048 bits, packed: the applicability domain and the forest read it. */
  fp: Uint8Array;
  /** The descriptors, when asked for (a descriptor-aware model reads them). */
  descriptors?: Descriptors;
}

export type ScreenParentResult = { ok: true; compound: ScreenParent } | { ok: false; reason: string };

/**
 * The parent of a structure for scoring straight from a file: standardised as at import, without InChI,
 * and without descriptors unless `descriptors` (of the parent molecule, parsed once here).
 */
export function screenParent(rd: RDKit, input: string, descriptors = false): ScreenParentResult {
  return withParent(rd, input, (mol, smiles): ScreenParentResult => ({
    ok: true,
    compound: {
      smiles,
      modelSmiles: modelSmilesOf(rd, mol, smiles),
      fp: new Uint8Array(mol.get_morgan_fp_as_uint8array(MORGAN_JSON) as Uint8Array),
      ...(descriptors ? { descriptors: descriptorsOf(mol) } : {}),
    },
  }));
}

function safeCall(fn: () => string): string {
  try {
    return fn();
  } catch (err) {
    rethrowFatal(err);
    return '';
  }
}

/** The largest organic fragment (carbon-containing first, then heavy atoms), or null if only one fragment. */
function largestFragment(rd: RDKit, mol: Mol): Mol | null {
  const frags = mol.get_frags() as { molList: { size(): number; at(i: number): Mol | null; delete(): void } };
  const list = frags.molList;
  try {
    const n = list.size();
    if (n < 2) return null;
    let best: { mol: Mol; organic: boolean; heavy: number; smiles: string } | null = null;
    for (let i = 0; i < n; i++) {
      const f = list.at(i);
      if (!f) continue;
      const json = JSON.parse(f.get_json()) as MolJson;
      const atoms = json.molecules[0]?.atoms ?? [];
      const defZ = json.defaults.atom.z;
      const organic = atoms.some((a) => (a.z ?? defZ) === 6);
      const heavy = atoms.filter((a) => (a.z ?? defZ) !== 1).length;
      const smiles = f.get_smiles();
      const better =
        !best || (organic && !best.organic) || (organic === best.organic && (heavy > best.heavy || (heavy === best.heavy && smiles < best.smiles)));
      if (better) {
        best?.mol.delete();
        best = { mol: f, organic, heavy, smiles };
      } else {
        f.delete();
      }
    }
    return best ? best.mol : null;
  } finally {
    list.delete();
  }
}

/**
 * Neutralises charges like RDKit's MolStandardize Uncharger: protonated positives lose their H, negatives
 * gain one, but only as many negatives are neutralised as leave the molecule balanced against positive
 * charges that cannot be removed (quaternary N, nitro N+), so zwitterions stay intact.
 * Returns null when nothing changes.
 */
export function neutralise(rd: RDKit, mol: Mol): Mol | null {
  const json = JSON.parse(mol.get_json()) as MolJson;
  const m = json.molecules[0];
  if (!m) return null;
  const def = json.defaults.atom;
  const charge = (a: JsonAtom) => a.chg ?? def.chg;
  const hs = (a: JsonAtom) => a.impHs ?? def.impHs;
  const neighbours: number[][] = m.atoms.map(() => []);
  for (const b of m.bonds) {
    neighbours[b.atoms[0]]?.push(b.atoms[1]);
    neighbours[b.atoms[1]]?.push(b.atoms[0]);
  }
  const hasNeighbour = (i: number, sign: 1 | -1) => (neighbours[i] ?? []).some((j) => Math.sign(charge(m.atoms[j] as JsonAtom)) === sign);

  let changed = false;
  // Positive charges that cannot be neutralised by removing a proton and are not paired with a neighbour.
  let fixedPositive = 0;
  const negatives: Array<{ i: number; acid: boolean }> = [];
  m.atoms.forEach((a, i) => {
    const c = charge(a);
    if (c > 0 && !hasNeighbour(i, -1)) {
      const removable = Math.min(c, hs(a));
      if (removable > 0) {
        a.chg = c - removable;
        a.impHs = hs(a) - removable;
        changed = true;
      }
      fixedPositive += c - removable;
    } else if (c < 0 && !hasNeighbour(i, 1)) {
      negatives.push({ i, acid: isAcidOxygen(m, i, def.z) });
    }
  });
  // Keep acids charged last: neutralise non-acid negatives first.
  negatives.sort((x, y) => Number(x.acid) - Number(y.acid));
  let negativeCharge = negatives.reduce((s, n) => s - charge(m.atoms[n.i] as JsonAtom), 0);
  for (const n of negatives) {
    const a = m.atoms[n.i] as JsonAtom;
    while (charge(a) < 0 && negativeCharge > fixedPositive) {
      a.chg = charge(a) + 1;
      a.impHs = hs(a) + 1;
      negativeCharge -= 1;
      changed = true;
    }
  }
  if (!changed) return null;
  const out = parseMol(rd, JSON.stringify(json));
  return out;
}

function isAcidOxygen(m: MolJson['molecules'][number], i: number, defZ: number): boolean {
  const a = m.atoms[i];
  if (!a || (a.z ?? defZ) !== 8) return false;
  for (const b of m.bonds) {
    const other = b.atoms[0] === i ? b.atoms[1] : b.atoms[1] === i ? b.atoms[0] : -1;
    if (other < 0) continue;
    const z = m.atoms[other]?.z ?? defZ;
    if (z === 6 || z === 15 || z === 16) return true;
  }
  return false;
}

/**
 * The SMILES a model reads: the standardised parent without stereo (the pretraining corpus has none, and
 * assay sets record it inconsistently), canonical. Null when unparseable.
 */
export function modelSmiles(rd: RDKit, input: string): string | null {
  const r = screenParent(rd, input);
  return r.ok ? r.compound.modelSmiles : null;
}
