import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRdkit, murckoScaffold } from '../chem/rdkit';
import { sharedData, tempDir } from '../test/helpers';
import { AppContext, createHandlers } from './app-context';
import { importFile } from './import-service';

let ctx: AppContext;
const tmp = tempDir();
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 2 });
  await importFile(ctx.db, ctx.chem, { file: sharedData('qsar/esol.csv'), library: 'esol' });
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

const firstRecords = () =>
  (
    ctx.db
      .prepare('SELECT c.smiles, m.props FROM library_members m JOIN compounds c ON c.id = m.compound_id WHERE m.duplicate_of IS NULL ORDER BY m.id')
      .all() as Array<{ smiles: string; props: string }>
  ).map((r) => ({ smiles: r.smiles, props: JSON.parse(r.props) as Record<string, unknown> }));

describe('Bemis–Murcko scaffolds of a library and the scaffold view', () => {
  it('writes each compound’s scaffold and how many share it; the view counts and summarises them', async () => {
    const r = await ctx.scaffolds.scaffolds('esol');
    expect(r).toMatchObject({ library: 'esol', compounds: 1117, columns: ['scaffold', 'scaffold size'] });
    expect(r.acyclic).toBeGreaterThan(100);
    const cols = new Map(ctx.libraries.columnsOf('esol').map((c) => [c.name, c.type]));
    expect(cols.get('scaffold')).toBe('text');
    expect(cols.get('scaffold size')).toBe('number');

    const rd = await loadRdkit();
    const recs = firstRecords();
    for (const rec of recs.slice(0, 60)) expect(rec.props.scaffold).toBe(murckoScaffold(rd, rec.smiles));
    // Acyclic compounds: an empty scaffold and no size; the rest: their scaffold's count.
    const count = new Map<string, number>();
    for (const rec of recs) if (rec.props.scaffold) count.set(rec.props.scaffold as string, (count.get(rec.props.scaffold as string) ?? 0) + 1);
    for (const rec of recs) expect(rec.props['scaffold size']).toBe(rec.props.scaffold ? count.get(rec.props.scaffold as string) : null);
    expect({ distinct: count.size, recs: recs.length }).toEqual({ distinct: r.scaffolds, recs: r.compounds });

    // The view: benzene is ESOL's commonest scaffold; logS mean/min/max as computed from the records.
    const rows = ctx.scaffolds.summary('esol', 'logS', 5);
    expect(rows[0]?.scaffold).toBe('c1ccccc1');
    const benzene = recs.filter((x) => x.props.scaffold === 'c1ccccc1').map((x) => x.props.logS as number);
    expect(rows[0]).toMatchObject({ compounds: benzene.length, min: Math.min(...benzene), max: Math.max(...benzene) });
    expect(rows[0]?.mean).toBeCloseTo(benzene.reduce((a, b) => a + b, 0) / benzene.length, 9);
    expect(rows.map((x) => x.compounds)).toEqual([...rows.map((x) => x.compounds)].sort((a, b) => b - a));
    // A descriptor works as the column too; the count alone without one.
    expect(ctx.scaffolds.summary('esol', 'mw', 1)[0]?.max).toBeGreaterThan(78);
    expect(ctx.scaffolds.summary('esol', undefined, 1)[0]).toMatchObject({ scaffold: 'c1ccccc1', mean: null });
    expect(() => ctx.scaffolds.summary('esol', 'scaffold')).toThrow(/not a number column/);

    // The column filters like any text column; exact: one scaffold's series (a case-blind equals would add cyclohexanes).
    const series = await ctx.libraries.query({ library: 'esol', filters: [{ column: 'scaffold', equals: 'c1ccccc1', exact: true }], limit: 1000 });
    expect(series.matched).toBe(benzene.length);
    const cyclohexanes = recs.filter((x) => x.props.scaffold === 'C1CCCCC1').length;
    expect(cyclohexanes).toBeGreaterThan(0);
    expect((await ctx.libraries.query({ library: 'esol', filters: [{ column: 'scaffold', equals: 'c1ccccc1' }] })).matched).toBe(benzene.length + cyclohexanes);
  });

  it('runs as a job through the contract; a library without scaffolds yet says so', async () => {
    const file = join(tmp.dir, 'two.smi');
    writeFileSync(file, 'c1ccccc1CCN a\nCCCC b\nc1ccccc1O c\n');
    await importFile(ctx.db, ctx.chem, { file, library: 'two' });
    const api = createHandlers(ctx);
    await expect(api['library.scaffoldSummary']({ library: 'two' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const { jobId } = await api['library.scaffolds']({ library: 'two' });
    await ctx.jobs.wait(jobId);
    expect(ctx.jobs.get(jobId)).toMatchObject({ kind: 'scaffolds', state: 'done', result: { compounds: 3, scaffolds: 1, acyclic: 1 } });
    expect((await api['library.scaffoldSummary']({ library: 'two' })).rows).toEqual([{ scaffold: 'c1ccccc1', compounds: 2, mean: null, min: null, max: null }]);
  });

  it('decomposes chosen compounds into R groups around a drawn core or their common core (the SAR table)', async () => {
    const benzenes = await ctx.libraries.query({ library: 'esol', filters: [{ column: 'scaffold', equals: 'c1ccccc1', exact: true }], limit: 30 });
    const ids = benzenes.compounds.map((c) => c.id);
    const t = await ctx.scaffolds.rgroups('esol', ids, 'c1ccccc1');
    expect(t).toMatchObject({ core: 'c1ccccc1', found: false, unmatched: [] });
    expect(t.rows.map((r) => r.id)).toEqual(ids);
    expect(t.labels[0]).toBe('R1');
    for (const r of t.rows) {
      expect(r.groups.Core).toBeDefined();
      expect(typeof r.props.logS).toBe('number');
    }
    const api = createHandlers(ctx);
    const two = (await ctx.libraries.query({ library: 'two', limit: 10 })).compounds;
    // The two aromatic compounds share a benzene ring: the core found; butane with them leaves none common to 80%.
    const rings = two.filter((c) => c.smiles.includes('c')).map((c) => c.id);
    const found = await api['compound.rgroups']({ library: 'two', ids: rings });
    expect(found).toMatchObject({ found: true, unmatched: [] });
    expect(found.rows).toHaveLength(2);
    await expect(api['compound.rgroups']({ library: 'two', ids: two.map((c) => c.id) })).rejects.toThrow(/no common core/);
    await expect(api['compound.rgroups']({ library: 'two', ids: [two[0]?.id as number] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
