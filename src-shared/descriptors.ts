/** The descriptors every compound carries (the import computes them), in the order tables and exports show them. */
export const DESCRIPTOR_NAMES = [
  'mw',
  'clogp',
  'tpsa',
  'hbd',
  'hba',
  'rotatableBonds',
  'rings',
  'aromaticRings',
  'fractionSp3',
  'heavyAtoms',
  'lipinskiViolations',
] as const;
