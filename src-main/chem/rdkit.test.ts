import { beforeAll, describe, expect, it } from 'vitest';
import { type RDKit, bondPixels, depictSvg, loadRdkit, morganOf, popcount, stereoFree, tanimoto } from './rdkit';
import { lateChemistry, screenParent, standardise } from './standardise';
import type { Descriptors } from '../../src-shared/dto';
import { corpusSlice } from '../test/helpers';

let rd: RDKit;
beforeAll(async () => {
  rd = await loadRdkit();
});

const std = (s: string) => {
  const r = standardise(rd, s);
  if (!r.ok) throw new Error(r.reason);
  return r.compound;
};

describe('standardise', () => {
  it('keeps the largest organic fragment and neutralises a carboxylate salt', () => {
    const c = std('[Na+].[O-]C(=O)c1ccccc1OC(C)=O');
    expect(c.smiles).toBe('CC(=O)Oc1ccccc1C(=O)O');
    expect(c.inchikey).toBe('BSYNRYMUTXBXSQ-UHFFFAOYSA-N');
    expect(c.formula).toBe('C9H8O4');
    expect(c.changes).toEqual(['largest fragment', 'neutralised']);
  });

  it('gives one identity to a salt and its parent', () => {
    expect(std('C[NH+](C)C.[Cl-]').inchikey).toBe(std('CN(C)C').inchikey);
  });

  it('neutralises protonated amines and zwitterionic amino acids', () => {
    expect(std('[NH3+]CC(=O)[O-]').smiles).toBe('NCC(=O)O');
    expect(std('C[n+]1ccccc1').smiles).toBe('C[n+]1ccccc1'); // quaternary: nothing to remove
  });

  it('keeps nitro groups and betaines (charges that balance each other)', () => {
    expect(std('O=[N+]([O-])c1ccccc1').smiles).toBe('O=[N+]([O-])c1ccccc1');
    expect(std('C[N+](C)(C)CC(=O)[O-]').smiles).toBe('C[N+](C)(C)CC(=O)[O-]');
  });

  it('rejects unparseable and empty structures with a reason', () => {
    expect(standardise(rd, 'C1CC')).toEqual({ ok: false, reason: 'unparseable structure' });
    expect(standardise(rd, '')).toEqual({ ok: false, reason: 'empty molecule' });
  });

  it('gives the model SMILES without stereo, equal to re-reading the standardised SMILES', () => {
    expect(std('C[C@H](N)C(=O)O').modelSmiles).toBe('CC(N)C(=O)O');
    // Isotopes go too; a deuterium becomes a hydrogen of its atom, not an explicit [H] no model learnt.
    expect(std('[2H]C([2H])([2H])Oc1ccccc1').modelSmiles).toBe('COc1ccccc1');
    expect(std('[13CH3]C[C@@H](O)[2H]').modelSmiles).toBe('CCCO');
    expect(stereoFree(rd, 'OC(=O)[C@@H]1CCCN1[2H]')).toBe('O=C(O)C1CCCN1');
    // Salts, charges, E/Z, ring stereo and aromatic heterocycles: the SMILES stored at import must be the
    // one training reads (stereoFree of the standardised SMILES), or screening would see other strings.
    for (const s of [
      '[Na+].[O-]C(=O)c1ccccc1OC(C)=O',
      'C/C=C/C(=O)O',
      'C[C@H]1CC[C@@H](O)CC1',
      'C[NH+](C)Cc1c[nH]c2ccccc12.[Cl-]',
      'O=[N+]([O-])c1ccc(F)cc1',
      'Cn1cnc2c1c(=O)n(C)c(=O)n2C',
      '[13CH3]c1ccccc1',
      'OC(=O)[C@@H]1CCCN1[2H]',
      'F/C=C/F.[K+]',
      ...corpusSlice(300),
    ]) {
      const c = std(s);
      expect(c.modelSmiles).toBe(stereoFree(rd, c.smiles));
    }
  });

  it('gives a file screen the same parent, model SMILES and fingerprint as an import (without the rest)', () => {
    for (const s of ['[Na+].[O-]C(=O)c1ccccc1OC(C)=O', 'C[NH+](C)Cc1c[nH]c2ccccc12.[Cl-]', 'C[C@H]1CC[C@@H](O)CC1', 'O=[N+]([O-])c1ccc(F)cc1']) {
      const full = std(s);
      const r = screenParent(rd, s);
      expect(r).toEqual({ ok: true, compound: { smiles: full.smiles, modelSmiles: full.modelSmiles, fp: full.fp } });
      // For a descriptor-aware model, the import's descriptors too.
      expect(screenParent(rd, s, true)).toEqual({
        ok: true,
        compound: { smiles: full.smiles, modelSmiles: full.modelSmiles, fp: full.fp, descriptors: full.descriptors },
      });
    }
    expect(screenParent(rd, 'C1CC')).toEqual({ ok: false, reason: 'unparseable structure' });
  });

  it('computes descriptors and Lipinski violations', () => {
    const d = std('CC(=O)Oc1ccccc1C(=O)O').descriptors as Descriptors;
    expect(d.mw).toBeCloseTo(180.159, 2);
    expect(d.clogp).toBeCloseTo(1.31, 2);
    expect(d.tpsa).toBeCloseTo(63.6, 1);
    expect([d.hbd, d.hba, d.rotatableBonds, d.rings, d.aromaticRings, d.heavyAtoms, d.lipinskiViolations]).toEqual([1, 3, 2, 1, 1, 13, 0]);
    expect(std('CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC').descriptors?.lipinskiViolations).toBe(2); // MW and cLogP
  });

  it('leaves descriptors and the pattern fingerprint for later when asked, and gives the same ones later from the stored SMILES', () => {
    for (const s of ['[Na+].[O-]C(=O)c1ccccc1OC(C)=O', 'C[C@H]1CC[C@@H](O)CC1', 'O=[N+]([O-])c1ccc(F)cc1', 'CN1CCN(CC1)c1ccc2nc(sc2c1)C(F)(F)F']) {
      const full = std(s);
      const quick = standardise(rd, s, true);
      if (!quick.ok) throw new Error(quick.reason);
      expect(quick.compound).toEqual({ ...full, descriptors: null, patternFp: null });
      expect(lateChemistry(rd, quick.compound.smiles)).toEqual({ ok: true, descriptors: full.descriptors, patternFp: full.patternFp });
    }
    expect(lateChemistry(rd, 'C1CC')).toEqual({ ok: false, reason: 'RDKit cannot read the stored SMILES again' });
  });
});

describe('fingerprints and similarity', () => {
  it('computes Tanimoto on packed bits by hand', () => {
    const a = new Uint8Array([0b1111, 0]);
    const b = new Uint8Array([0b0011, 0b1]);
    // |a∩b| = 2, |a| = 4, |b| = 3 → 2 / (4 + 3 − 2)
    expect(tanimoto(a, b)).toBeCloseTo(2 / 5, 12);
    expect(tanimoto(new Uint8Array(2), new Uint8Array(2))).toBe(0);
    expect(popcount(new Uint8Array([255, 1]))).toBe(9);
  });

  it('uses 2048-bit Morgan fingerprints; identical molecules have similarity 1', () => {
    const fp = morganOf(rd, 'c1ccccc1O') as Uint8Array;
    expect(fp.length).toBe(256);
    expect(tanimoto(fp, morganOf(rd, 'Oc1ccccc1') as Uint8Array)).toBe(1);
    expect(tanimoto(fp, morganOf(rd, 'CCCCCC') as Uint8Array)).toBeLessThan(0.2);
  });

  it('depicts as SVG', () => {
    expect(depictSvg(rd, 'CCO')).toMatch(/^<\?xml[\s\S]*<svg/);
    expect(depictSvg(rd, 'not a smiles')).toBeNull();
    // A query's match is highlighted; a query that does not match (or cannot be read) changes nothing.
    const plain = depictSvg(rd, 'c1ccccc1O', 250, 200) as string;
    expect(plain).not.toContain('#FF7F7F');
    expect(depictSvg(rd, 'c1ccccc1O', 250, 200, '[OH]')).toContain('fill:#FF7F7F');
    expect(depictSvg(rd, 'c1ccccc1O', 250, 200, 'N')).toBe(plain);
    expect(depictSvg(rd, 'c1ccccc1O', 250, 200, 'C1CC((')).toBe(plain);
  });

  it('draws small molecules at a fixed bond length, and shrinks large ones to fit', () => {
    // The drawn length of the first bond path in the SVG, in pixels.
    const bond = (svg: string) => {
      const m = /M ([\d.]+),([\d.]+) L ([\d.]+),([\d.]+)/.exec(svg);
      if (!m) throw new Error('no bond path in the SVG');
      const [x1, y1, x2, y2] = m.slice(1).map(Number) as [number, number, number, number];
      return Math.hypot(x2 - x1, y2 - y1);
    };
    const small = bond(depictSvg(rd, 'CC', 110, 80) as string);
    expect(small).toBeCloseTo(bondPixels(110, 80), 0);
    // A long chain cannot keep that length in the same box.
    expect(bond(depictSvg(rd, 'CCCCCCCCCCCCCCCCCCCC', 110, 80) as string)).toBeLessThan(small / 2);
  });
});
