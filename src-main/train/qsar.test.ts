import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRdkit, morganOf, murckoScaffold } from '../chem/rdkit';
import { tempDir } from '../test/helpers';
import { boundOf, parseMeasurement, readAssay } from './assay';
import { RandomForest } from './forest';
import { randomSplit, scaffoldSplit, temporalSplit } from './splits';
import { seededRandom } from '../../src-shared/random';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('assay data', () => {
  it('parses qualifiers', () => {
    expect(parseMeasurement('<10')).toEqual({ value: 10, qualifier: '<' });
    expect(parseMeasurement('>= 2.5e3')).toEqual({ value: 2500, qualifier: '>' });
    expect(parseMeasurement(7.1)).toEqual({ value: 7.1, qualifier: '=' });
    expect(parseMeasurement('n/a')).toBe('bad');
    expect(parseMeasurement(null)).toBeNull();
  });

  it('converts nM to pIC50, aggregates replicates (also across stereoisomers), keeps censored values flagged, reports bad rows', async () => {
    const file = join(tmp.dir, 'ic50.csv');
    writeFileSync(
      file,
      [
        'smiles,ic50_nM,date',
        'CC(=O)Oc1ccccc1C(=O)O,100,2020-01-01',
        'CC(=O)Oc1ccccc1C(=O)O,1000,2021-01-01',
        'C[C@H](N)C(=O)O,10,2019-05-01',
        'C[C@@H](N)C(=O)O,10,2019-06-01',
        'c1ccccc1O,>10000,2022-01-01',
        'not a smiles,5,2020-01-01',
        'CCO,abc,2020-01-01',
      ].join('\n'),
    );
    const a = await readAssay(file, { target: 'ic50_nM', task: 'regression', unit: 'nM', dateCol: 'date' });
    expect(a.points).toHaveLength(3);
    const aspirin = a.points.find((p) => p.smiles === 'CC(=O)Oc1ccccc1C(=O)O');
    expect(aspirin).toMatchObject({ count: 2, censored: false, date: '2020-01-01' });
    expect(aspirin?.value).toBeCloseTo((7 + 6) / 2, 10);
    expect(aspirin?.spread).toBeCloseTo(Math.SQRT1_2, 10);
    const alanine = a.points.find((p) => p.smiles === 'CC(N)C(=O)O');
    expect(alanine).toMatchObject({ count: 2, value: 8 });
    // >10 µM is a bound: pIC50 < 5.
    expect(a.points.find((p) => p.smiles === 'Oc1ccccc1')).toMatchObject({ value: 5, censored: true, qualifier: '<' });
    expect(a.rejected.map((r) => [r.record, r.reason.slice(0, 20)])).toEqual([
      [6, 'unparseable structur'],
      [7, "'abc' is not a numbe"],
    ]);
    expect(a.points.map((p) => p.id)).toEqual([null, null, null]); // no ID column
    // Bounds for the censored loss and the metrics: phenol is "< 5"; a mean of "< 5" and "= 6" is flagged
    // censored but is no bound; a "> 9" is a lower bound.
    expect(a.points.map(boundOf)).toEqual([0, 0, -1]);
    expect([boundOf({ censored: true, qualifier: '=' }), boundOf({ censored: true, qualifier: '>' })]).toEqual([0, 1]);
    // With one (auto-detected: compound_id), each compound keeps the IDs of its records, distinct.
    const named = join(tmp.dir, 'named.csv');
    writeFileSync(named, ['compound_id,smiles,pIC50', 'CPD-1,C[C@H](N)C(=O)O,6', 'CPD-2,C[C@@H](N)C(=O)O,7', 'CPD-1,C[C@H](N)C(=O)O,6.5', 'CPD-3,CCO,5'].join('\n'));
    const n = await readAssay(named, { target: 'pIC50', task: 'regression' });
    expect(n.points.map((p) => [p.smiles, p.id, p.count])).toEqual([['CC(N)C(=O)O', 'CPD-1, CPD-2', 3], ['CCO', 'CPD-3', 1]]);
    // Replicates with bounds among them: measured values make the value (a bound is not one), bounds alone
    // their tightest (below 5 and below 6 is below 5), bounds on both sides their mean; all stay flagged.
    const mixed = join(tmp.dir, 'mixed.csv');
    writeFileSync(mixed, ['smiles,pIC50', 'CCO,6.2', 'CCO,<5', 'CCO,6.6', 'CCN,<5', 'CCN,<6', 'CCC,>7', 'CCC,>6.5', 'CCCl,<6', 'CCCl,>5'].join('\n'));
    const mx = await readAssay(mixed, { target: 'pIC50', task: 'regression' });
    const at = (smi: string) => mx.points.find((p) => p.smiles === smi);
    expect(at('CCO')).toMatchObject({ count: 3, censored: true, qualifier: '=' });
    expect(at('CCO')?.value).toBeCloseTo(6.4, 10);
    expect(at('CCO')?.spread).toBeCloseTo(Math.sqrt(0.08), 10);
    expect(at('CCN')).toMatchObject({ value: 5, count: 2, censored: true, qualifier: '<' });
    expect(at('CCC')).toMatchObject({ value: 7, censored: true, qualifier: '>' });
    expect(at('CCCl')).toMatchObject({ value: 5.5, censored: true, qualifier: '=' });
    expect(mx.points.map(boundOf)).toEqual([0, -1, 1, 0]);
    expect(mx.censored).toBe(4);
    await expect(readAssay(file, { target: 'nope', task: 'regression' })).rejects.toThrow(/no column 'nope'/);
    await expect(readAssay(file, { target: 'ic50_nM', task: 'regression', unit: 'furlongs' })).rejects.toThrow(/unknown unit/);
  });
});

describe('splits', () => {
  it('scaffold split never puts one scaffold on two sides', async () => {
    const rd = await loadRdkit();
    const smiles = ['c1ccccc1CC', 'c1ccccc1CCC', 'c1ccccc1O', 'C1CCCCC1N', 'C1CCCCC1O', 'c1ccncc1C', 'c1ccncc1CC', 'CCO', 'CCCO', 'c1ccc2ccccc2c1', 'O=C1CCCN1C', 'c1ccoc1C'];
    const scaffolds = smiles.map((s) => murckoScaffold(rd, s) as string);
    expect(scaffolds[0]).toBe('c1ccccc1');
    expect(scaffolds[7]).toBe('');
    for (const seed of [1, 2, 3]) {
      const sp = scaffoldSplit(scaffolds, seed);
      expect([...sp.train, ...sp.valid, ...sp.test].sort((a, b) => a - b)).toEqual(smiles.map((_, i) => i));
      const side = new Map<string, string>();
      for (const [name, idx] of Object.entries(sp)) for (const i of idx) {
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

describe('ECFP random forest', () => {
  it('learns a fingerprint rule and reports spread across trees', async () => {
    const rd = await loadRdkit();
    const smiles = ['CCO', 'CCCO', 'CCCCO', 'CCN', 'CCCN', 'CCCCN', 'CCOC', 'CCNC', 'OCCO', 'NCCN', 'CC(O)C', 'CC(N)C'];
    const fps = smiles.map((s) => morganOf(rd, s) as Uint8Array);
    const y = smiles.map((s) => (s.includes('N') ? 1 : 0));
    const rf = RandomForest.fit(fps, y, 'classification', { trees: 50, seed: 3 });
    const pAmine = rf.predict(morganOf(rd, 'CCCCCN') as Uint8Array);
    const pAlcohol = rf.predict(morganOf(rd, 'CCCCCO') as Uint8Array);
    expect(pAmine.mean).toBeGreaterThan(0.7);
    expect(pAlcohol.mean).toBeLessThan(0.3);
    expect(pAmine.sd).toBeGreaterThanOrEqual(0);
    expect(RandomForest.fromJSON(JSON.parse(JSON.stringify(rf.toJSON()))).predict(fps[0] as Uint8Array)).toEqual(rf.predict(fps[0] as Uint8Array));
  });

  it('takes censored values as bounds: a "> limit" compound is not read as the limit', () => {
    // 64-bit fingerprints; bit 0 makes a compound active (8), the rest are inactive (5). A quarter of
    // the training compounds were tested to a lower top concentration only (reported "> 6"), a quarter
    // reported "< 6.5". Read as values, these bounds drag both groups toward 6.
    const rand = seededRandom(7);
    const compound = (active: boolean) => {
      const fp = Uint8Array.from({ length: 8 }, () => Math.floor(rand() * 256));
      fp[0] = active ? (fp[0] as number) | 1 : (fp[0] as number) & ~1;
      return fp;
    };
    const activity = (fp: Uint8Array) => ((fp[0] as number) & 1 ? 8 : 5);
    const fps = Array.from({ length: 200 }, (_, i) => compound(i % 2 === 1));
    const truth = fps.map((fp) => activity(fp) + (rand() - 0.5) * 0.2);
    const bound = fps.map((_, i) => (i % 4 === 1 ? 1 : i % 4 === 0 ? -1 : 0));
    const y = truth.map((v, i) => (bound[i] === 1 ? 6 : bound[i] === -1 ? 6.5 : v));
    const test = Array.from({ length: 100 }, (_, i) => compound(i % 2 === 1));
    const err = (rf: RandomForest) => test.reduce((e, fp) => e + Math.abs(rf.predict(fp).mean - activity(fp)), 0) / test.length;
    const kept = (rf: RandomForest) => fps.filter((fp, i) => (bound[i] === 1 && rf.predict(fp).mean > 6) || (bound[i] === -1 && rf.predict(fp).mean < 6.5)).length / 100;
    const opts = { trees: 40, seed: 2 };
    const plain = RandomForest.fit(fps, y, 'regression', opts);
    const censored = RandomForest.fitCensored(fps, y, bound, opts);
    expect(err(plain)).toBeGreaterThan(1);
    expect(err(censored)).toBeLessThan(0.7 * err(plain));
    expect(kept(censored)).toBeGreaterThan(Math.max(0.9, kept(plain)));
    // Without bounds it is the plain forest, tree for tree.
    expect(RandomForest.fitCensored(fps, truth, truth.map(() => 0), opts).toJSON()).toEqual(RandomForest.fit(fps, truth, 'regression', opts).toJSON());
    expect(() => RandomForest.fitCensored(fps, y, [0], opts)).toThrow(/200 fingerprints, 200 values, 1 bounds/);
  });
});
