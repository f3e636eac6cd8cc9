import { dsc } from '../test/descriptors';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompoundRow, SortKey } from '../../src-shared/dto';
import { sharedData, tempDir } from '../test/helpers';
import { readFileSync } from 'node:fs';
import { AppContext } from './app-context';
import { importFile } from './import-service';

// 60 ESOL compounds (SMILES and logS) with the columns a chemist's file brings: text (notes, series), yes/no
// (active), dates (tested) and a number with a note ("n.d.").
const tmp = tempDir();
let ctx: AppContext;
const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1, 61)
  .map((l) => l.split(','));
const file = join(tmp.dir, 'series.csv');
beforeAll(async () => {
  writeFileSync(
    file,
    `smiles,logS,notes,series,active,tested,ic50\n${rows
      .map(([smiles, logS], i) =>
        [
          smiles,
          logS,
          `${['benzene', 'ethanol', 'pyridine', 'toluene'][i % 4]}-${i}`,
          'ABC'[i % 3],
          i % 4 === 0 ? 'yes' : 'no',
          `2024-0${1 + (i % 6)}-1${i % 10}`,
          i === 7 ? 'n.d.' : String((i * 37) % 101),
        ].join(','),
      )
      .join('\n')}\n`,
  );
  ctx = new AppContext(':memory:', { chemWorkers: 2 });
  await importFile(ctx.db, ctx.chem, { file, library: 'series' });
}, 120_000);
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

const num = (c: CompoundRow, k: string) => c.props[k] as number;

describe("a library's own columns", () => {
  it('are typed at import: numbers (a note among them is no value), text, yes/no and dates', () => {
    const cols = ctx.libraries.columnsOf('series');
    expect(cols.map((c) => [c.name, c.type, c.filled])).toEqual([
      ['logS', 'number', 60],
      ['notes', 'text', 60],
      ['series', 'text', 60],
      ['active', 'boolean', 60],
      ['tested', 'date', 60],
      ['ic50', 'number', 60],
    ]);
  });

  it('sort by several keys, in the library view and in a search, with empty values last', async () => {
    const all = (await ctx.libraries.query({ library: 'series', limit: 100 })).compounds;
    const sort: SortKey[] = [{ column: 'series' }, { column: 'logS', desc: true }];
    const page = (await ctx.libraries.query({ library: 'series', sort, limit: 100 })).compounds;
    const expected = [...all].sort((a, b) => String(a.props.series).localeCompare(String(b.props.series)) || num(b, 'logS') - num(a, 'logS'));
    expect(page.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    // The note ("n.d.") is no number: last whichever the direction.
    for (const desc of [false, true]) {
      const byIc50 = (await ctx.libraries.query({ library: 'series', sort: [{ column: 'ic50', desc }], limit: 100 })).compounds;
      expect(byIc50.at(-1)?.props.ic50).toBe('n.d.');
      const values = byIc50.slice(0, -1).map((c) => num(c, 'ic50'));
      expect(values).toEqual([...values].sort((a, b) => (desc ? b - a : a - b)));
    }
    // A descriptor and a column together; the same order from a substructure search (sorted in memory).
    const mixed: SortKey[] = [{ column: 'active', desc: true }, { by: 'mw' }];
    const sql = (await ctx.libraries.query({ library: 'series', sort: mixed, limit: 100 })).compounds;
    expect(sql.slice(0, 15).every((c) => c.props.active === 'yes')).toBe(true);
    const search = (await ctx.libraries.query({ library: 'series', substructure: 'C', sort: mixed, limit: 100 })).compounds;
    expect(search.map((c) => c.id)).toEqual(sql.filter((c) => search.some((s) => s.id === c.id)).map((c) => c.id));
  });

  it('filter by ranges, equality and substrings, combined with descriptor ranges and searches', async () => {
    const all = (await ctx.libraries.query({ library: 'series', limit: 100 })).compounds;
    const q = await ctx.libraries.query({
      library: 'series',
      filters: [
        { column: 'logS', min: -3, max: 0 },
        { column: 'series', equals: 'a' },
      ],
      limit: 100,
    });
    const want = all.filter((c) => num(c, 'logS') >= -3 && num(c, 'logS') <= 0 && c.props.series === 'A');
    expect(q.matched).toBe(want.length);
    expect(q.compounds.map((c) => c.id)).toEqual(want.map((c) => c.id));
    expect((await ctx.libraries.query({ library: 'series', filters: [{ column: 'active', equals: 'true' }] })).matched).toBe(15);
    expect((await ctx.libraries.query({ library: 'series', filters: [{ column: 'notes', contains: 'ENE' }] })).matched).toBe(
      all.filter((c) => String(c.props.notes).toLowerCase().includes('ene')).length,
    );
    // A date range takes whole days.
    const dated = await ctx.libraries.query({ library: 'series', filters: [{ column: 'tested', min: '2024-02-01', max: '2024-03-01' }], limit: 100 });
    expect(dated.compounds.map((c) => c.props.tested).every((d) => String(d) >= '2024-02' && String(d) < '2024-04')).toBe(true);
    expect(dated.matched).toBe(all.filter((c) => /^2024-0[23]/.test(String(c.props.tested)) && String(c.props.tested) < '2024-03-02').length);
    // With a descriptor range and a similarity search.
    const sim = await ctx.libraries.query({
      library: 'series',
      similar: 'c1ccccc1',
      minSim: 0,
      ranges: { mw: { max: 250 } },
      filters: [{ column: 'series', equals: 'B' }],
      limit: 100,
    });
    expect(sim.compounds.every((c) => c.props.series === 'B' && dsc(c).mw <= 250)).toBe(true);
    expect(sim.matched).toBe(all.filter((c) => c.props.series === 'B' && dsc(c).mw <= 250).length);
  });

  it('change type on request, keep it when the library grows, and are detected for libraries imported before columns', async () => {
    expect(ctx.libraries.setColumnType('series', 'active', 'text').find((c) => c.name === 'active')).toMatchObject({ type: 'text', detected: 'boolean' });
    expect((await ctx.libraries.query({ library: 'series', filters: [{ column: 'active', contains: 'ye' }] })).matched).toBe(15);
    // Another file into the library: the chemist's type stays.
    const more = join(tmp.dir, 'more.csv');
    writeFileSync(more, 'smiles,active,extra\nCCO,no,1\nCCCO,yes,2\n');
    await importFile(ctx.db, ctx.chem, { file: more, library: 'series' });
    const cols = ctx.libraries.columnsOf('series');
    expect(cols.find((c) => c.name === 'active')).toMatchObject({ type: 'text', detected: 'boolean', filled: 62 });
    expect(cols.at(-1)).toMatchObject({ name: 'extra', type: 'number', filled: 2 });
    // A library imported before columns existed has no rows: they are detected on first use.
    ctx.db.prepare('DELETE FROM library_columns').run();
    expect(ctx.libraries.columnsOf('series').map((c) => c.name)).toEqual(['logS', 'notes', 'series', 'active', 'tested', 'ic50', 'extra']);
  });

  it('a selection: every id matching the query in its order, exported with all columns, or saved as a library', async () => {
    const q = { library: 'series', filters: [{ column: 'series', equals: 'C' }], sort: [{ column: 'logS', desc: true }] };
    const ids = await ctx.libraries.matchingIds(q);
    const page = await ctx.libraries.query({ ...q, limit: 1000 });
    expect(ids).toEqual(page.compounds.map((c) => c.id));
    expect(ids.length).toBe(page.matched);
    // A search selects in the search's order too.
    for (const sort of [
      [{ by: 'import' as const }],
      [{ by: 'import' as const, desc: true }],
      [{ by: 'similarity' as const, desc: true }],
      [{ column: 'logS' }],
    ]) {
      const similar = { library: 'series', similar: 'c1ccccc1O', minSim: 0.1, sort };
      const expected = (await ctx.libraries.query({ ...similar, limit: 1000 })).compounds.map((c) => c.id);
      expect(expected.length).toBeGreaterThan(1);
      expect(await ctx.libraries.matchingIds(similar)).toEqual(expected);
    }
    const found = await ctx.libraries.matchingIds({ library: 'series', substructure: 'c1ccccc1', sort: [{ by: 'mw', desc: true }] });
    expect(found).toEqual(
      (await ctx.libraries.query({ library: 'series', substructure: 'c1ccccc1', sort: [{ by: 'mw', desc: true }], limit: 1000 })).compounds.map((c) => c.id),
    );
    // CSV: a header with every column, one row per selected compound, in the selection's order.
    const chosen = [ids[2], ids[0], ids[1]] as number[];
    const csv = await ctx.libraries.downloadSelection('series', chosen, 'csv');
    const lines = csv.content.trim().split('\n');
    expect(csv).toMatchObject({ fileName: 'series-3-selected.csv', written: 3 });
    expect(
      lines[0]?.startsWith(
        'smiles,id,inchikey,formula,mw,clogp,tpsa,hbd,hba,rotatable_bonds,rings,aromatic_rings,fraction_sp3,heavy_atoms,lipinski_violations,logS,notes,series,active,tested,ic50',
      ),
    ).toBe(true);
    const bySmiles = new Map(page.compounds.map((c) => [c.smiles, c]));
    expect(lines.slice(1).map((l) => bySmiles.get(l.split(',')[0] as string)?.id)).toEqual(chosen);
    expect((await ctx.libraries.downloadSelection('series', chosen, 'sdf')).content.split('$$$$').length - 1).toBe(3);
    expect((await ctx.libraries.downloadSelection('series', chosen, 'smi')).content.trim().split('\n')).toHaveLength(3);
    // Saved as a library: the same compounds, their columns and the chemist's column types.
    ctx.libraries.setColumnType('series', 'ic50', 'text');
    const saved = ctx.libraries.saveSelection('series', ids, 'series-C');
    expect(saved).toMatchObject({ name: 'series-C', compounds: ids.length, members: ids.length });
    const copy = await ctx.libraries.query({ library: 'series-C', limit: 1000 });
    expect(copy.compounds.map((c) => c.id)).toEqual(ids);
    expect(copy.compounds.every((c) => c.props.series === 'C')).toBe(true);
    expect(ctx.libraries.columnsOf('series-C').find((c) => c.name === 'ic50')).toMatchObject({ type: 'text', detected: 'number' });
    ctx.libraries.setColumnType('series', 'ic50', 'number');
    expect(() => ctx.libraries.saveSelection('series', ids, 'series-C')).toThrow(/a library named 'series-C' exists/);
    expect(() => ctx.libraries.saveSelection('series', [], 'empty')).toThrow(/selection is empty/);
    expect(() => ctx.libraries.saveSelection('series-C', [999_999], 'none')).toThrow(/none of the selected compounds/);
    expect(ctx.libraries.list().map((l) => l.name)).not.toContain('none');
  });

  it('unknown columns and bad filters are clear errors', async () => {
    await expect(ctx.libraries.query({ library: 'series', sort: [{ column: 'pIC50' }] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/no column 'pIC50' \(its columns: logS, notes, series/),
    });
    // (active became text above; ic50 is a number column.)
    await expect(ctx.libraries.query({ library: 'series', filters: [{ column: 'ic50', min: 'low' }] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: "'ic50' is a number column: its min must be a number, not 'low'",
    });
    ctx.libraries.setColumnType('series', 'active', 'boolean');
    await expect(ctx.libraries.query({ library: 'series', filters: [{ column: 'active', equals: 'maybe' }] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/yes\/no column/),
    });
    expect(() => ctx.libraries.setColumnType('series', 'nope', 'number')).toThrow(/no column 'nope'/);
  });
});
