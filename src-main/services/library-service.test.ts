import { dsc } from '../test/descriptors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedData, tempDir } from '../test/helpers';
import { AppContext } from './app-context';
import { LibraryService } from './library-service';
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

describe('LibraryService', () => {
  it('lists libraries with distinct compound counts', () => {
    expect(ctx.libraries.list()).toEqual([expect.objectContaining({ name: 'esol', compounds: 1117, members: 1128 })]);
  });

  it('pages compounds in import order', async () => {
    const page = await ctx.libraries.query({ library: 'esol', limit: 3, offset: 1 });
    expect(page.total).toBe(1117);
    expect(page.compounds.map((c) => c.originalId)).toEqual(['Fenfuram', 'citral', 'Picene']);
  });

  it('pages by the members alone (import order, descending) exactly as through the compounds, at any offset', async () => {
    // A range every compound passes makes the page read the compounds (the join); without it the page's
    // members are found on the import-order index first.
    const everything = { mw: { min: 0 } };
    for (const desc of [false, true]) {
      const sort = { by: 'import' as const, desc };
      for (const offset of [0, 1, 99, 600, 1100]) {
        const direct = await ctx.libraries.query({ library: 'esol', sort, limit: 50, offset });
        const joined = await ctx.libraries.query({ library: 'esol', sort, limit: 50, offset, ranges: everything });
        expect(direct.compounds).toEqual(joined.compounds);
        expect(direct.matched).toBe(joined.matched);
      }
    }
    const last = await ctx.libraries.query({ library: 'esol', limit: 50, offset: 1100 });
    expect(last.compounds).toHaveLength(17);
    expect(last.matched).toBe(1117);
  });

  it('finds substructure hits (every hit really contains the query)', async () => {
    const { compounds } = await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1[N+](=O)[O-]', limit: 1000 });
    expect(compounds.length).toBeGreaterThan(10);
    for (const c of compounds) expect(c.smiles).toMatch(/\[N\+\]\(=O\)\[O-\]|O=\[N\+\]\(\[O-\]\)/);
    const limited = await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1', limit: 5 });
    expect(limited.compounds).toHaveLength(5);
  });

  it('gives compounds imported before pattern fingerprints were kept theirs at their first search, with the same hits', async () => {
    const all = async (libraries: LibraryService, substructure: string) =>
      (await libraries.query({ library: 'esol', substructure, limit: 10000 })).compounds.map((c) => c.id);
    const stored = () => (ctx.db.prepare('SELECT COUNT(*) AS n FROM compounds WHERE pattern_fp IS NOT NULL').get() as { n: number }).n;
    expect(stored()).toBe(1117);
    const before = await all(ctx.libraries, 'c1ccccc1Cl');
    ctx.db.prepare('UPDATE compounds SET pattern_fp = NULL WHERE id % 3 = 0').run();
    expect(stored()).toBeLessThan(1117);
    // A new start of the app (its workers keep nothing of the database yet).
    expect(await all(new LibraryService(ctx.db, ctx.chem), 'c1ccccc1Cl')).toEqual(before);
    expect(stored()).toBe(1117);
    expect(before.length).toBeGreaterThan(20);
  });

  it('ranks similarity hits by Tanimoto above the threshold', async () => {
    const { compounds } = await ctx.libraries.query({ library: 'esol', similar: 'Cc1occc1C(=O)Nc2ccccc2', minSim: 0.3 });
    expect(compounds[0]).toMatchObject({ originalId: 'Fenfuram', similarity: 1 });
    const sims = compounds.map((c) => c.similarity as number);
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    expect(Math.min(...sims)).toBeGreaterThanOrEqual(0.3);
  });

  it('reads descriptor ranges and orders through the descriptors index, not the compounds’ wide rows', async () => {
    const prepare = vi.spyOn(ctx.db, 'prepare');
    await ctx.libraries.query({ library: 'esol', ranges: { mw: { min: 150 } }, sort: { by: 'clogp' }, limit: 5 });
    const sql = prepare.mock.calls.map(([q]) => q).filter((q) => q.includes('compounds_descriptors'));
    prepare.mockRestore();
    // The page's members and the count, at least.
    expect(sql.length).toBeGreaterThanOrEqual(2);
    const lib = ctx.libraries.library('esol').id;
    for (const q of sql) {
      const plan = ctx.db.prepare(`EXPLAIN QUERY PLAN ${q}`).all({ library: lib, limit: 5, offset: 0, min_mw: 150 }) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('; ')).toMatch(/COVERING INDEX compounds_descriptors/);
    }
  });

  it('filters by descriptor ranges and sorts by a descriptor, in browse and search modes', async () => {
    const all = await ctx.libraries.query({ library: 'esol', limit: 10000 });
    const inRange = all.compounds.filter((c) => dsc(c).mw >= 150 && dsc(c).mw <= 200 && dsc(c).hbd <= 1);
    const ranges = { mw: { min: 150, max: 200 }, hbd: { max: 1 } };
    const page = await ctx.libraries.query({ library: 'esol', ranges, sort: { by: 'clogp', desc: true }, limit: 5, offset: 2 });
    expect(page).toMatchObject({ total: 1117, matched: inRange.length, complete: true });
    const expected = [...inRange].sort((a, b) => dsc(b).clogp - dsc(a).clogp).slice(2, 7);
    expect(page.compounds.map((c) => dsc(c).clogp)).toEqual(expected.map((c) => dsc(c).clogp));

    // Substructure hits within the ranges, by ascending TPSA: every hit is counted (the order needs them all).
    const sub = await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1', ranges, sort: { by: 'tpsa' }, limit: 1000 });
    expect(sub.complete).toBe(true);
    expect(sub.matched).toBe(sub.compounds.length);
    expect(sub.compounds.length).toBeGreaterThan(20);
    for (const c of sub.compounds) expect(dsc(c).mw).toBeGreaterThanOrEqual(150);
    const tpsa = sub.compounds.map((c) => dsc(c).tpsa);
    expect(tpsa).toEqual([...tpsa].sort((a, b) => a - b));
    // Ties in import order; a later page is the same slice of that order.
    sub.compounds.forEach(
      (c, i) => i && dsc(c).tpsa === sub.compounds[i - 1]?.descriptors?.tpsa && expect(c.id).toBeGreaterThan(sub.compounds[i - 1]?.id ?? 0),
    );
    const paged = await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1', ranges, sort: { by: 'tpsa' }, limit: 5, offset: 3 });
    expect(paged.matched).toBe(sub.matched);
    expect(paged.compounds.map((c) => c.id)).toEqual(sub.compounds.slice(3, 8).map((c) => c.id));
    // In import order a search may stop once the page is full; ESOL fits in one scan chunk, so it is complete,
    // and newest-first (which scans everything) finds the same number.
    const first = await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1', limit: 5 });
    const last = await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1', sort: { by: 'import', desc: true }, limit: 5 });
    expect([first.complete, last.complete]).toEqual([true, true]);
    expect(first.matched).toBe(last.matched);
    expect(last.compounds[0]?.id).toBe((await ctx.libraries.query({ library: 'esol', substructure: 'c1ccccc1', limit: 10000 })).compounds.at(-1)?.id);

    // Similarity hits in ascending similarity are the descending list reversed (ties in import order aside).
    const down = await ctx.libraries.query({ library: 'esol', similar: 'c1ccccc1O', minSim: 0.2, limit: 1000 });
    const up = await ctx.libraries.query({ library: 'esol', similar: 'c1ccccc1O', minSim: 0.2, sort: { by: 'similarity' }, limit: 1000 });
    expect(up.matched).toBe(down.matched);
    expect(up.compounds.map((c) => c.similarity)).toEqual(down.compounds.map((c) => c.similarity).reverse());
    await expect(ctx.libraries.query({ library: 'esol', sort: { by: 'similarity' } })).rejects.toThrow(/needs a similarity query/);
  });

  it('rejects bad queries and unknown libraries with clear errors', async () => {
    await expect(ctx.libraries.query({ library: 'nope' })).rejects.toThrow("no library named 'nope' (libraries: esol)");
    await expect(ctx.libraries.query({ library: 'esol', similar: 'C1CC' })).rejects.toThrow(/cannot parse the similarity query/);
    await expect(ctx.libraries.query({ library: 'esol', substructure: '[[' })).rejects.toThrow(/invalid substructure query/);
  });

  it('exports CSV and SDF that import back to the same compounds', async () => {
    for (const ext of ['csv', 'sdf']) {
      const out = join(tmp.dir, `esol.${ext}`);
      expect(await ctx.libraries.export('esol', out)).toBe(1128);
      const back = await importFile(ctx.db, ctx.chem, { file: out, library: `back-${ext}` });
      expect([back.read, back.imported, back.duplicates, back.rejected]).toEqual([1128, 1117, 11, 0]);
    }
    expect(readFileSync(join(tmp.dir, 'esol.csv'), 'utf8').split('\n')[0]).toBe(
      'smiles,id,inchikey,formula,mw,clogp,tpsa,hbd,hba,rotatable_bonds,rings,aromatic_rings,fraction_sp3,heavy_atoms,lipinski_violations,logS',
    );
  });

  it('generates a 3D conformer off the main thread once, then serves it from the cache', async () => {
    const id = (await ctx.libraries.query({ library: 'esol', limit: 1, offset: 1 })).compounds[0]?.id as number;
    const first = await ctx.libraries.conformer(id);
    expect(first.cached).toBe(false);
    const zs = first.molblock
      .split('\n')
      .slice(4)
      .filter((l) => /^\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+ [A-Z]/.test(l))
      .map((l) => Number(l.slice(20, 30)));
    expect(zs.length).toBeGreaterThan(15); // heavy atoms plus hydrogens
    expect(zs.some((z) => Math.abs(z) > 0.1)).toBe(true); // really 3D
    expect((await ctx.libraries.conformer(id)).cached).toBe(true);
  });
});
