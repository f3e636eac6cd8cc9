import { describe, expect, it } from 'vitest';
import { MAX_ATOMS, branchDepth, molfileAtomCount, smilesAtomCount, structureTooLarge } from './guard';

describe('structure size guard', () => {
  it('counts the atoms of a SMILES string as RDKit would read them', () => {
    expect(smilesAtomCount('CCO')).toBe(3);
    expect(smilesAtomCount('c1ccccc1Cl')).toBe(7);
    expect(smilesAtomCount('[NH3+]CC(=O)[O-]')).toBe(5);
    expect(smilesAtomCount('BrC(Br)(Br)Br')).toBe(5);
    expect(smilesAtomCount('C[C@@H](N)C(=O)O')).toBe(6);
  });

  it('reads the atom count of V2000 and V3000 molfiles', () => {
    const v2000 = '\n  RDKit          2D\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n';
    expect(molfileAtomCount(v2000)).toBe(3);
    expect(molfileAtomCount('t\n\n\n  0  0  0     0  0            999 V3000\nM  V30 BEGIN CTAB\nM  V30 COUNTS 999 998 0 0 0\n')).toBe(999);
    expect(molfileAtomCount('no counts')).toBeNull();
  });

  it('refuses structures over the limits with a reason naming the limit, and passes everything else', () => {
    expect(structureTooLarge('CC(=O)Oc1ccccc1C(=O)O')).toBeNull();
    expect(structureTooLarge('C'.repeat(MAX_ATOMS))).toBeNull();
    expect(structureTooLarge('C'.repeat(1000))).toBe(`structure too large: 1000 atoms (Delicate reads structures of up to ${MAX_ATOMS} atoms)`);
    expect(structureTooLarge(`C1${'C'.repeat(4998)}C1`)).toMatch(/a SMILES of 5002 characters/);
    expect(structureTooLarge(`${'C('.repeat(250)}C${')'.repeat(250)}`)).toMatch(/too large: 251 atoms|deeply branched/);
    expect(branchDepth('C(C(C)C)C')).toBe(2);
    expect(structureTooLarge(`${'[CH2]('.repeat(300)}C${')'.repeat(300)}`)).toMatch(/too large|deeply branched/);
    expect(structureTooLarge('x\n\n\n999998  0  0  0  0  0  0  0  0  0999 V2000\n')).toMatch(/999 atoms|999998 atoms/);
  });
});
