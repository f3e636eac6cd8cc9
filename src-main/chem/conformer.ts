import * as OCL from 'openchemlib';
import { AppError } from '../../src-shared/errors';

/**
 * Conformer search and MMFF minimisation grow steeply with size; above this many atoms (hydrogens
 * included) a 3D structure is refused rather than left running (the pool's timeout is the backstop).
 */
export const MAX_CONFORMER_ATOMS = 300;

let registered = false;

/**
 * One low-energy 3D conformer (hydrogens added, MMFF94s+ minimised) as a V2000 molfile, or null when
 * OpenChemLib cannot embed the structure. Slow when cold (~1 s): call it off the main thread.
 */
export function conformer3d(smiles: string, seed = 42): string | null {
  if (!registered) {
    OCL.Resources.registerFromNodejs();
    registered = true;
  }
  let mol: OCL.Molecule;
  try {
    mol = OCL.Molecule.fromSmiles(smiles);
  } catch {
    throw new AppError('PARSE_ERROR', `OpenChemLib cannot read ${smiles.length > 80 ? `${smiles.slice(0, 80)}…` : smiles}`);
  }
  mol.addImplicitHydrogens();
  if (mol.getAllAtoms() > MAX_CONFORMER_ATOMS) {
    throw new AppError(
      'INVALID_INPUT',
      `no 3D structure for molecules of more than ${MAX_CONFORMER_ATOMS} atoms with hydrogens (this one has ${mol.getAllAtoms()})`,
    );
  }
  const gen = new OCL.ConformerGenerator(seed);
  const m3d = gen.getOneConformerAsMolecule(mol);
  if (!m3d) return null;
  try {
    new OCL.ForceFieldMMFF94(m3d, 'MMFF94s+', {}).minimise({ maxIts: 2000 });
  } catch {
    // Some structures lack MMFF parameters; the embedded geometry is still usable.
  }
  return m3d.toMolfile();
}

/** OpenChemLib's version string, for `delicate doctor`. */
export function openchemlibVersion(): string {
  return OCL.version;
}
