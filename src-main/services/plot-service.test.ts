import { dsc } from '../test/descriptors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../test/helpers';
import { AppContext } from './app-context';
import { importFile } from './import-service';

let ctx: AppContext;
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 2 });
  await importFile(ctx.db, ctx.chem, { file: sharedData('qsar/esol.csv'), library: 'esol' });
});
afterAll(() => ctx.close());

describe('the numbers behind a plot', () => {
  it('gives every compound’s descriptors and own columns column by column, in import order', async () => {
    const v = await ctx.plots.values({ library: 'esol', columns: ['mw', 'logS'] });
    expect(v.ids).toHaveLength(1117);
    const page = await ctx.libraries.query({ library: 'esol', limit: 1117 });
    expect(v.ids).toEqual(page.compounds.map((c) => c.id));
    expect(v.values[0]).toEqual(page.compounds.map((c) => dsc(c).mw));
    expect(v.values[1]).toEqual(page.compounds.map((c) => c.props.logS));
  });

  it('keeps only what the query keeps (ranges, column filters, a substructure), and refuses a text column', async () => {
    const light = await ctx.plots.values({ library: 'esol', columns: ['mw'], ranges: { mw: { max: 150 } }, filters: [{ column: 'logS', min: -2 }] });
    expect(light.ids.length).toBeGreaterThan(20);
    expect(light.values[0]?.every((x) => (x as number) <= 150)).toBe(true);
    const want = await ctx.libraries.matchingIds({ library: 'esol', ranges: { mw: { max: 150 } }, filters: [{ column: 'logS', min: -2 }] });
    expect([...light.ids].sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
    const nitro = await ctx.plots.values({ library: 'esol', columns: ['clogp'], substructure: '[N+](=O)[O-]' });
    expect(nitro.ids.length).toBe((await ctx.libraries.matchingIds({ library: 'esol', substructure: '[N+](=O)[O-]' })).length);
    await expect(ctx.plots.values({ library: 'esol', columns: ['nope'] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('gives a similarity query’s Tanimoto as the column `similarity`, for the hits only', async () => {
    const q = { library: 'esol', similar: 'Cc1occc1C(=O)Nc2ccccc2', minSim: 0.3 };
    const v = await ctx.plots.values({ ...q, columns: ['similarity', 'mw'] });
    const hits = (await ctx.libraries.query({ ...q, limit: 1117 })).compounds;
    expect(v.ids.length).toBe(hits.length);
    expect(hits.length).toBeGreaterThan(3);
    const sim = new Map(hits.map((c) => [c.id, c.similarity]));
    v.ids.forEach((id, k) => expect(v.values[0]?.[k]).toBe(sim.get(id)));
    expect(Math.max(...(v.values[0] as number[]))).toBe(1);
    // Without a similarity query there is no such column (the library has none of that name).
    await expect(ctx.plots.values({ library: 'esol', columns: ['similarity'] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
