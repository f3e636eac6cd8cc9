import type { Mol } from '@rdkit/rdkit';
import { parseQuery } from './rdkit';
import type { RDKit } from './rdkit';

/**
 * Why this exists: in SMARTS a bond left unwritten means "single or aromatic", and RDKit's pattern
 * fingerprint leaves such query bonds out of its bits, so for a typed ring like `c1ccncc1` the prefilter of
 * SubstructLibrary passes ~90% of a drug-like library and nearly every molecule is parsed and matched
 * (measured on 10k ChEMBL compounds: 9,129 candidates for 2,129 hits; written with explicit aromatic bonds,
 * 2,115 candidates for 2,115 hits and 4x faster). RDKit has no option for this, so the query is rewritten
 * here into equivalent queries with every such bond written out; the hits are exactly those of the query.
 *
 * The equivalence, on molecules stored as RDKit's canonical SMILES (what a search matches):
 * - an unwritten bond with an aliphatic end can only match a single bond (aromatic bonds join aromatic
 *   atoms), so it is written `-`;
 * - an unwritten bond between two aromatic atoms matches an aromatic bond or, in a molecule that has a
 *   single bond between aromatic atoms (a biaryl; RDKit writes that bond as an explicit `-`), a single one.
 * So every molecule is matched against the *strong* query (those bonds written `:`), and the molecules whose
 * SMILES writes a `-` bond out (biaryls, about a quarter of ChEMBL) also against every other single/aromatic
 * choice of those bonds (or the typed query when there are too many). A SMILES that writes a `:` bond out
 * (an aromatic bond RDKit could not leave implicit: none among 150k ChEMBL compounds) is matched against the
 * typed query only, which is exact by definition.
 */

/** At most this many aromatic–aromatic bonds are enumerated (2^n variants); beyond, the query itself is used. */
const MAX_ENUMERATED = 6;

type Arom = 'aromatic' | 'aliphatic' | 'unknown';

/** The query split around its unwritten bonds: text pieces, and bond k (its ends' kind) between pieces k and k + 1. */
interface Split {
  pieces: string[];
  bonds: Array<{ kind: Arom }>;
}

const ELEMENTS = new Set(
  (
    'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn ' +
    'Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu'
  ).split(' '),
);
const AROMATIC = new Set(['b', 'c', 'n', 'o', 'p', 's', 'se', 'as', 'te']);
/** A bracket atom as SMILES writes one: isotope, element, chirality, H count, charge, atom class. */
const SIMPLE_BRACKET = /^\d*([A-Z][a-z]?|[a-z]{1,2})(@{1,2})?(H\d*)?([+-]\d*|[+-]+)?(:\d+)?$/;
const BOND_CHARS = '-=#:~@/\\!&;,$';

function bracketKind(inner: string): Arom {
  const m = SIMPLE_BRACKET.exec(inner);
  const el = m?.[1];
  if (el === undefined) return 'unknown';
  if (AROMATIC.has(el)) return 'aromatic';
  return ELEMENTS.has(el) ? 'aliphatic' : 'unknown';
}

/** The end of the bracket atom opening at `i` (nested brackets and recursive SMARTS included); -1 if unclosed. */
function bracketEnd(q: string, i: number): number {
  let depth = 0;
  for (let j = i; j < q.length; j++) {
    if (q[j] === '[') depth++;
    else if (q[j] === ']' && --depth === 0) return j;
  }
  return -1;
}

function bondKind(a: Arom, b: Arom): Arom {
  if (a === 'aliphatic' || b === 'aliphatic') return 'aliphatic';
  return a === 'aromatic' && b === 'aromatic' ? 'aromatic' : 'unknown';
}

/** Splits a SMARTS at its unwritten bonds; null for anything it does not fully read (that query is used as is). */
export function splitBonds(q: string): Split | null {
  const pieces: string[] = [''];
  const bonds: Split['bonds'] = [];
  const rings = new Map<string, { kind: Arom; bond: string }>();
  const branches: Array<Arom | null> = [];
  let prev: Arom | null = null;
  let bond = '';
  const add = (s: string) => (pieces[pieces.length - 1] += s);
  const unwritten = (kind: Arom) => {
    bonds.push({ kind });
    pieces.push('');
  };
  for (let i = 0; i < q.length;) {
    const ch = q[i] as string;
    let atom: { text: string; kind: Arom } | null = null;
    if (ch === '[') {
      const end = bracketEnd(q, i);
      if (end < 0) return null;
      atom = { text: q.slice(i, end + 1), kind: bracketKind(q.slice(i + 1, end)) };
    } else if (q.startsWith('Cl', i) || q.startsWith('Br', i)) atom = { text: q.slice(i, i + 2), kind: 'aliphatic' };
    else if ('BCNOPSFIA'.includes(ch)) atom = { text: ch, kind: 'aliphatic' };
    else if ('bcnopsa'.includes(ch)) atom = { text: ch, kind: 'aromatic' };
    else if (ch === '*') atom = { text: ch, kind: 'unknown' };
    if (atom) {
      if (prev !== null) {
        if (bond) add(bond);
        else unwritten(bondKind(prev, atom.kind));
      } else if (bond) return null;
      add(atom.text);
      prev = atom.kind;
      bond = '';
      i += atom.text.length;
      continue;
    }
    if (BOND_CHARS.includes(ch)) {
      bond += ch;
      i++;
      continue;
    }
    const label = /^(\d|%\d\d|%\(\d+\))/.exec(q.slice(i))?.[0];
    if (label !== undefined) {
      if (prev === null) return null;
      const open = rings.get(label);
      if (open) {
        rings.delete(label);
        if (bond || open.bond) add(bond);
        else unwritten(bondKind(open.kind, prev));
      } else {
        rings.set(label, { kind: prev, bond });
        add(bond);
      }
      add(label);
      bond = '';
      i += label.length;
      continue;
    }
    if (bond) return null;
    if (ch === '(') branches.push(prev);
    else if (ch === ')') {
      if (!branches.length) return null;
      prev = branches.pop() as Arom | null;
    } else if (ch === '.') prev = null;
    else return null;
    add(ch);
    i++;
  }
  return rings.size || branches.length || bond ? null : { pieces, bonds };
}

/** The texts to match: `strong` against every molecule, `biaryl` (one or more) against the biaryls only. */
export function queryVariants(q: string): { strong: string; biaryl: string[] } | null {
  const split = splitBonds(q);
  if (!split) return null;
  const aromatic = split.bonds.filter((b) => b.kind === 'aromatic');
  if (split.bonds.every((b) => b.kind === 'unknown')) return null;
  const write = (choose: (b: Split['bonds'][number]) => string) => {
    let out = split.pieces[0] as string;
    split.bonds.forEach((b, k) => (out += choose(b) + (split.pieces[k + 1] as string)));
    return out;
  };
  const aliphatic = (b: Split['bonds'][number]) => (b.kind === 'aliphatic' ? '-' : '');
  const strong = write((b) => (b.kind === 'aromatic' ? ':' : aliphatic(b)));
  if (aromatic.length > MAX_ENUMERATED) return { strong, biaryl: [q] };
  const biaryl: string[] = [];
  // Mask 0 (every such bond aromatic) is the strong query, which the biaryls are matched against already.
  for (let mask = 1; mask < 1 << aromatic.length; mask++)
    biaryl.push(write((b) => (b.kind === 'aromatic' ? ((mask >> aromatic.indexOf(b)) & 1 ? '-' : ':') : aliphatic(b))));
  return { strong, biaryl };
}

/**
 * Which bonds a canonical SMILES writes out between atoms (outside brackets, where `-` is a charge): `-`, a
 * single bond between aromatic atoms (a biaryl); `:`, an aromatic bond RDKit could not leave implicit (odd);
 * a molecule with neither matches the strong query exactly as it matches the typed one.
 */
export function writtenBonds(smiles: string): 'none' | 'biaryl' | 'odd' {
  let inBracket = false;
  let found: 'none' | 'biaryl' = 'none';
  for (const ch of smiles) {
    if (ch === '[') inBracket = true;
    else if (ch === ']') inBracket = false;
    else if (inBracket) continue;
    else if (ch === ':') return 'odd';
    else if (ch === '-') found = 'biaryl';
  }
  return found;
}

/** A query ready to match: the typed one, or its strong form and what the biaryls and odd molecules need. */
export interface QueryPlan {
  /** Matched against every molecule. */
  all: Mol;
  /** Matched against the biaryls only (absent with `odd`: the typed query, matched against all, is exact). */
  biaryl?: Mol[];
  /** The typed query, matched against the odd molecules only. */
  odd?: Mol;
}

/** Parses the query and its variants (null: not a valid query). Free it with `freePlan`. */
export function planQuery(rd: RDKit, text: string): QueryPlan | null {
  const typed = parseQuery(rd, text);
  if (!typed) return null;
  const variants = queryVariants(text);
  if (!variants) return { all: typed };
  const parsed: Mol[] = [];
  for (const t of [variants.strong, ...variants.biaryl]) {
    const m = parseQuery(rd, t);
    if (!m) {
      // A rewrite RDKit does not read (a SMARTS form not foreseen here): the typed query, which is exact.
      for (const p of parsed) p.delete();
      return { all: typed };
    }
    parsed.push(m);
  }
  const biaryl = parsed.slice(1);
  return { all: parsed[0] as Mol, ...(biaryl.length ? { biaryl } : {}), odd: typed };
}

export function freePlan(plan: QueryPlan): void {
  plan.all.delete();
  for (const m of plan.biaryl ?? []) m.delete();
  plan.odd?.delete();
}
