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
});
