import { describe, expect, it } from 'vitest';
import { loadRdkit, murckoScaffold } from '../chem/rdkit';
import { randomSplit, scaffoldSplit, temporalSplit } from './splits';

describe('scaffoldSplit', () => {
  // 100 molecules: a scaffold shared by 30, one by 8, one by 6, and 56 singletons.
  const scaffolds = [...Array(30).fill('A'), ...Array(8).fill('B'), ...Array(6).fill('C'), ...Array.from({ length: 56 }, (_, i) => `s${i}`)];

  it('puts scaffold groups larger than half the validation or test size in train, for every seed', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = scaffoldSplit(scaffolds, seed);
      const train = new Set(s.train);
      // Valid and test hold 10 each: groups of more than 5 (A, B, C) are all training molecules.
      for (let i = 0; i < 44; i++) expect(train.has(i), `seed ${seed}, molecule ${i}`).toBe(true);
    }
  });

  it('keeps every scaffold on one side and every molecule exactly once', () => {
    for (let seed = 0; seed < 5; seed++) {
      const s = scaffoldSplit(scaffolds, seed);
      expect([...s.train, ...s.valid, ...s.test].sort((a, b) => a - b)).toEqual(scaffolds.map((_, i) => i));
      const side = new Map<string, string>();
      for (const [name, idx] of Object.entries(s)) {
        for (const i of idx as number[]) {
          const sc = scaffolds[i] as string;
          expect(side.get(sc) ?? name, `scaffold ${sc}`).toBe(name);
          side.set(sc, name);
        }
      }
      expect(s.train.length).toBeLessThanOrEqual(80);
      expect(s.valid.length).toBeLessThanOrEqual(10);
    }
  });

  it('splits an assay whose one scaffold group is larger than a call may take arguments (200k acyclic compounds)', () => {
    const many = [...Array.from({ length: 200_000 }, () => ''), ...Array.from({ length: 50_000 }, (_, i) => `s${i % 5000}`)];
    const s = scaffoldSplit(many, 1);
    expect(s.train.length + s.valid.length + s.test.length).toBe(many.length);
    expect(s.train.length).toBeGreaterThanOrEqual(200_000);
  });

  it('orders the small groups by seed (another seed, another split)', () => {
    expect(scaffoldSplit(scaffolds, 1).test).not.toEqual(scaffoldSplit(scaffolds, 2).test);
    expect(scaffoldSplit(scaffolds, 3)).toEqual(scaffoldSplit(scaffolds, 3));
  });
});

describe('randomSplit and temporalSplit', () => {
  it('split 80/10/10, reproducibly; temporal puts the newest last and refuses undated items', () => {
    const r = randomSplit(50, 7);
    expect([r.train.length, r.valid.length, r.test.length]).toEqual([40, 5, 5]);
    expect(randomSplit(50, 7)).toEqual(r);
    const dates = Array.from({ length: 10 }, (_, i) => `2024-01-${String(10 - i).padStart(2, '0')}`);
    expect(temporalSplit(dates).test).toEqual([0]);
    expect(() => temporalSplit([...dates, null])).toThrow(/compound 11 has none/);
  });
});

describe('splits', () => {
  it('scaffold split never puts one scaffold on two sides', async () => {
    const rd = await loadRdkit();
    const smiles = [
      'c1ccccc1CC',
      'c1ccccc1CCC',
      'c1ccccc1O',
      'C1CCCCC1N',
      'C1CCCCC1O',
      'c1ccncc1C',
      'c1ccncc1CC',
      'CCO',
      'CCCO',
      'c1ccc2ccccc2c1',
      'O=C1CCCN1C',
      'c1ccoc1C',
    ];
    const scaffolds = smiles.map((s) => murckoScaffold(rd, s) as string);
    expect(scaffolds[0]).toBe('c1ccccc1');
    expect(scaffolds[7]).toBe('');
    for (const seed of [1, 2, 3]) {
      const sp = scaffoldSplit(scaffolds, seed);
      expect([...sp.train, ...sp.valid, ...sp.test].sort((a, b) => a - b)).toEqual(smiles.map((_, i) => i));
      const side = new Map<string, string>();
      for (const [name, idx] of Object.entries(sp))
        for (const i of idx) {
          const s = scaffolds[i] as string;
          expect(side.get(s) ?? name).toBe(name);
          side.set(s, name);
        }
    }
  });

  it('random and temporal splits', () => {
    const r = randomSplit(100, 1);
    expect([r.train.length, r.valid.length, r.test.length]).toEqual([80, 10, 10]);
    expect(randomSplit(100, 1)).toEqual(r);
    expect(randomSplit(100, 2)).not.toEqual(r);
    const dates = Array.from({ length: 10 }, (_, i) => `2020-01-${String(10 - i).padStart(2, '0')}`);
    const t = temporalSplit(dates);
    expect(t.test).toEqual([0]);
    expect(() => temporalSplit(['2020', null])).toThrow(/date/);
  });
});
