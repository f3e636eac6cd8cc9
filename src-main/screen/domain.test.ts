import { describe, expect, it } from 'vitest';
import { loadRdkit, morganOf, tanimoto } from '../chem/rdkit';
import { DomainIndex, onBits } from './domain';

describe('DomainIndex', () => {
  it('finds the set bits of a packed fingerprint', () => {
    expect(onBits(new Uint8Array([0b00000101, 0, 0b10000000]))).toEqual([0, 2, 23]);
  });

  it('gives the same max Tanimoto as a full pass over the training set', async () => {
    const rd = await loadRdkit();
    const train = ['CCO', 'c1ccccc1O', 'CC(=O)Oc1ccccc1C(=O)O', 'CN1CCC[C@H]1c1cccnc1', 'CCN(CC)CC', 'Clc1ccc(Cl)cc1'].map(
      (s) => morganOf(rd, s) as Uint8Array,
    );
    const index = new DomainIndex(train);
    for (const q of ['CCCO', 'c1ccccc1', 'CC(=O)Oc1ccccc1C(=O)O', 'O=C(O)c1ccccc1O', 'C1CCNCC1', 'FC(F)(F)F']) {
      const fp = morganOf(rd, q) as Uint8Array;
      const brute = Math.max(...train.map((t) => tanimoto(t, fp)));
      expect(index.maxSimilarity(fp)).toBeCloseTo(brute, 12);
    }
    // repeated queries leave no state behind
    const aspirin = morganOf(rd, 'CC(=O)Oc1ccccc1C(=O)O') as Uint8Array;
    expect(index.maxSimilarity(aspirin)).toBe(1);
    expect(index.maxSimilarity(aspirin)).toBe(1);
    expect(new DomainIndex([]).maxSimilarity(aspirin)).toBeNull();
  });
});
