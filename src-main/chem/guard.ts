/**
 * Limits on what reaches RDKit's WebAssembly build. MinimalLib recurses over the molecular graph on a fixed
 * WASM stack: measured here (RDKit 2026.09.1), a 600-atom chain already makes descriptors, fingerprints and
 * depiction throw, and an 800-atom chain or a 150-benzene polymer overflows the stack with "memory access
 * out of bounds", after which every later call in that instance fails. Everything up to 500 atoms of those
 * worst shapes passed (parse, canonical SMILES, descriptors, Morgan, InChI), so structures are refused above
 * 400 atoms with that reason, before RDKit sees them. Drug-like molecules have fewer than 100 heavy atoms;
 * 400 still takes cyclic peptides and macrocycles. `DELICATE_MAX_ATOMS` raises it at the user's risk (a crash
 * then fails that structure and restarts its worker; see ChemPool).
 */
export const MAX_ATOMS = limitFromEnv('DELICATE_MAX_ATOMS', 400);
function limitFromEnv(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** A SMILES (or SMARTS query) longer than this is refused unread. */
export const MAX_SMILES_CHARS = 4000;
/** Branches nested deeper than this are refused: the parser recurses per level. */
export const MAX_BRANCH_DEPTH = 200;
/** A molfile longer than this is refused unread (400 atoms and their bonds need under 60 kB). */
export const MAX_MOLFILE_CHARS = 1 << 20;

// Bracket atoms, two-letter organic-subset atoms, then one-letter ones (aliphatic and aromatic) and '*'.
const SMILES_ATOM = /\[[^\]]*\]|Cl|Br|[BCNOPSFI]|[bcnops]|\*/g;

/** Atoms written in a SMILES or SMARTS string (hydrogens inside brackets are not counted). */
export function smilesAtomCount(smiles: string): number {
  // Recursive SMARTS inside brackets counts as the one atom it describes; the bracket regex keeps it whole
  // unless it nests brackets, which then overcounts (on the safe side).
  return smiles.match(SMILES_ATOM)?.length ?? 0;
}

/** Deepest branch nesting in a SMILES string. */
export function branchDepth(smiles: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < smiles.length; i++) {
    const c = smiles.charCodeAt(i);
    if (c === 40) max = Math.max(max, ++depth);
    else if (c === 41) depth = Math.max(0, depth - 1);
  }
  return max;
}

/** Atom count from a molfile's counts line (V2000) or COUNTS line (V3000); null when there is none. */
export function molfileAtomCount(molfile: string): number | null {
  const v3000 = /^M {2}V30 COUNTS (\d+)/m.exec(molfile);
  if (v3000) return Number(v3000[1]);
  const counts = molfile.split('\n', 4)[3];
  if (counts === undefined || !/V2000/.test(counts)) return null;
  const n = Number(counts.slice(0, 3).trim());
  return Number.isInteger(n) ? n : null;
}

/**
 * Why a structure (SMILES or molfile) is too large for RDKit to read safely, naming the limit; null when it
 * is within the limits. Cheap: no parsing beyond counting.
 */
export function structureTooLarge(input: string): string | null {
  if (input.includes('\n')) {
    if (input.length > MAX_MOLFILE_CHARS)
      return `structure too large: a molfile of ${input.length} characters (Delicate reads molfiles of up to ${MAX_MOLFILE_CHARS})`;
    const atoms = molfileAtomCount(input);
    if (atoms !== null && atoms > MAX_ATOMS) return `structure too large: ${atoms} atoms (Delicate reads structures of up to ${MAX_ATOMS} atoms)`;
    return null;
  }
  if (input.length > MAX_SMILES_CHARS)
    return `structure too large: a SMILES of ${input.length} characters (Delicate reads SMILES of up to ${MAX_SMILES_CHARS})`;
  const atoms = smilesAtomCount(input);
  if (atoms > MAX_ATOMS) return `structure too large: ${atoms} atoms (Delicate reads structures of up to ${MAX_ATOMS} atoms)`;
  const depth = branchDepth(input);
  if (depth > MAX_BRANCH_DEPTH) return `structure too deeply branched: ${depth} nested branches (Delicate reads up to ${MAX_BRANCH_DEPTH})`;
  return null;
}

/**
 * True for an error after which a WebAssembly instance must not be used again: a trap (out-of-bounds
 * memory access, unreachable, stack overflow inside WASM) leaves its memory in an unknown state.
 */
export function isFatalWasmError(err: unknown): boolean {
  if (err instanceof WebAssembly.RuntimeError) return true;
  // A C++ exception that escapes MinimalLib is not one of its ordinary failures (those return null or
  // an invalid molecule): seen only on structures near the limits, followed by out-of-bounds traps.
  const WasmException = (WebAssembly as unknown as { Exception?: new (...a: never[]) => unknown }).Exception;
  if (WasmException && err instanceof WasmException) return true;
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/** Rethrows a fatal WASM error from a catch block that otherwise turns failures into "cannot read". */
export function rethrowFatal(err: unknown): void {
  if (isFatalWasmError(err)) throw err;
}
