import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { assayCsv } from './file-writers';
import { readAssay } from '../train/assay';
import { AssayRepo } from '../db/assay-repo';
import { openDatabase } from '../db/database';
import { modelServices } from './models';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('AssayRepo', () => {
  it('writes a stored assay as a CSV that reads back to the same values, qualifiers and dates', async () => {
    // IC50 in nM with replicates, a censored value, a date, and a SMILES with a comma-free but quoted field.
    const file = join(tmp.dir, 'ic50.csv');
    writeFileSync(
      file,
      [
        'smiles,IC50,date',
        'CCO,100,2024-01-02',
        'OCC,300,2024-01-02',
        'c1ccccc1O,>10000,2024-03-04',
        'CC(=O)Nc1ccc(O)cc1,5,2024-05-06',
        '"CCN(CC)CC",50,',
      ].join('\n'),
    );
    const original = await readAssay(file, { target: 'IC50', task: 'regression', unit: 'nM', dateCol: 'date' });
    // Cancelled (an import job's Cancel): an error that says so, nothing returned half-read.
    await expect(readAssay(file, { target: 'IC50', task: 'regression' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(original.points).toHaveLength(4);
    const db = openDatabase(':memory:');
    const repo = new AssayRepo(db);
    repo.save({
      name: 'ic50',
      file,
      sha256: 'x',
      target: 'IC50',
      task: 'regression',
      unit: 'nM',
      records: original.read,
      replicates: original.replicates,
      censored: original.censored,
      rejected: original.rejected,
      points: original.points,
    });

    const csv = assayCsv(repo.byName('ic50') as { target: string }, repo.measurements('ic50'));
    expect(csv?.split('\n')[0]).toBe('smiles,IC50,date');
    const back = join(tmp.dir, 'back.csv');
    writeFileSync(back, csv as string);
    // Already converted (pIC50): read without a unit.
    const reread = await readAssay(back, { target: 'IC50', task: 'regression', dateCol: 'date' });
    const key = (p: { smiles: string }) => p.smiles;
    const strip = (ps: typeof original.points) =>
      ps
        .map((p) => ({ smiles: p.smiles, value: Number(p.value.toFixed(6)), qualifier: p.qualifier, censored: p.censored, date: p.date }))
        .sort((a, b) => key(a).localeCompare(key(b)));
    expect(strip(reread.points)).toEqual(strip(original.points));
    expect(reread.points.find((p) => p.censored)).toMatchObject({ qualifier: '<', value: 5 }); // >10000 nM is pIC50 < 5
    expect(repo.byName('nope')).toBeNull();
    // The assay table's filters and pages: ethanol (CCO, OCC) is the one replicate, phenol (>10000 nM) the one censored.
    expect([repo.count('ic50'), repo.count('ic50', 'replicates'), repo.count('ic50', 'censored')]).toEqual([4, 1, 1]);
    expect(repo.measurements('ic50', { only: 'replicates' })).toEqual([
      expect.objectContaining({ smiles: 'CCO', count: 2, spread: expect.closeTo(Math.log10(3) / Math.SQRT2, 9) }),
    ]);
    expect(repo.measurements('ic50', { only: 'censored' })).toEqual([expect.objectContaining({ smiles: 'Oc1ccccc1', qualifier: '<', censored: true })]);
    expect(repo.measurements('ic50', { offset: 1, limit: 2 }).map((m) => m.record)).toEqual(
      repo
        .measurements('ic50')
        .slice(1, 3)
        .map((m) => m.record),
    );

    // What `train --assay` reads: the copy names its date column, so a temporal split works from it; the
    // temporary file goes with cleanup. An assay without dates names none.
    const { assays } = modelServices(db);
    const copy = await assays.assayFile('ic50');
    expect(copy).toMatchObject({ fromAssay: 'ic50', dateCol: 'date', displayName: `assay 'ic50' (read from ${file})` });
    const dated = await readAssay(copy.file, { target: 'IC50', task: 'regression', dateCol: copy.dateCol as string });
    expect(dated.points.map((p) => p.date).sort()).toEqual(['2024-01-02', '2024-03-04', '2024-05-06', null]);
    await copy.cleanup();
    expect(existsSync(copy.file)).toBe(false);
    repo.save({
      name: 'undated',
      file,
      sha256: 'x',
      target: 'IC50',
      task: 'regression',
      unit: 'nM',
      records: 1,
      replicates: 0,
      censored: 0,
      rejected: [],
      points: original.points.slice(0, 1).map((p) => ({ ...p, date: null })),
    });
    const undated = await assays.assayFile('undated');
    expect(undated.dateCol).toBeUndefined();
    await undated.cleanup();
    db.close();
  });
});
