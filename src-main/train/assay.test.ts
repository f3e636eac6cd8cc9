import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { boundOf, parseMeasurement, readAssay } from './assay';

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
    writeFileSync(
      named,
      ['compound_id,smiles,pIC50', 'CPD-1,C[C@H](N)C(=O)O,6', 'CPD-2,C[C@@H](N)C(=O)O,7', 'CPD-1,C[C@H](N)C(=O)O,6.5', 'CPD-3,CCO,5'].join('\n'),
    );
    const n = await readAssay(named, { target: 'pIC50', task: 'regression' });
    expect(n.points.map((p) => [p.smiles, p.id, p.count])).toEqual([
      ['CC(N)C(=O)O', 'CPD-1, CPD-2', 3],
      ['CCO', 'CPD-3', 1],
    ]);
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
