import * as OCL from 'openchemlib';

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
  const mol = OCL.Molecule.fromSmiles(smiles);
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
