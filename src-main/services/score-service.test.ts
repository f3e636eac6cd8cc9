import { dsc } from '../test/descriptors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScoreTerm, mpoScore } from '../../src-shared/mpo';
import { schemas } from '../../src-shared/schemas';
import { sharedData } from '../test/helpers';
import { AppContext, createHandlers } from './app-context';
import { importFile } from './import-service';

let ctx: AppContext;
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 2 });
  await importFile(ctx.db, ctx.chem, { file: sharedData('qsar/esol.csv'), library: 'esol' });
});
afterAll(() => ctx.close());

const terms: ScoreTerm[] = [
  { column: 'mw', fn: 'down', low: 200, high: 400, weight: 1 },
  { column: 'logS', fn: 'up', low: -5, high: -2, weight: 2 },
  { column: 'clogp', fn: 'range', low: 1, high: 3, tolerance: 2, weight: 1 },
];

describe('desirability (MPO) scores of a library', () => {
  it('writes each compound’s weighted geometric mean as a number column, saved with the library', async () => {
    const r = ctx.scores.score('esol', { name: 'MPO', terms });
    expect(r).toMatchObject({ library: 'esol', name: 'MPO', scored: 1117, unscored: 0 });
    expect(r.min).toBe(0);
    expect(r.max as number).toBeGreaterThan(0.9);
    expect(new Map(ctx.libraries.columnsOf('esol').map((c) => [c.name, c.type])).get('MPO')).toBe('number');
    const page = await ctx.libraries.query({ library: 'esol', sort: [{ column: 'MPO', desc: true }], limit: 1117 });
    for (const c of page.compounds) {
      const want = mpoScore(terms, (col) => (col === 'logS' ? (c.props.logS as number) : dsc(c)[col as 'mw' | 'clogp']));
      expect(c.props.MPO).toBeCloseTo(want as number, 4);
    }
    const values = page.compounds.map((c) => c.props.MPO as number);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(ctx.scores.list('esol')).toEqual([{ name: 'MPO', terms }]);
  });

  it('rescores when the definition changes, refuses a name the files use and terms that are not numbers', () => {
    const before = ctx.scores.score('esol', { name: 'MPO', terms }).mean as number;
    const stricter = ctx.scores.score('esol', { name: 'MPO', terms: [{ column: 'mw', fn: 'down', low: 100, high: 150, weight: 1 }] });
    expect(stricter.mean as number).toBeLessThan(before);
    expect(ctx.scores.list('esol')[0]?.terms).toHaveLength(1);
    expect(() => ctx.scores.score('esol', { name: 'logS', terms })).toThrow(/column of the library's files/);
    expect(() => ctx.scores.score('esol', { name: 'say "hi"', terms })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    ctx.scores.score('esol', { name: 'MPO', terms });
    expect(() => ctx.scores.score('esol', { name: 'S2', terms: [{ column: 'nope', fn: 'up', low: 0, high: 1, weight: 1 }] })).toThrow(/not a number column/);
    const bad = schemas['library.score'].safeParse({ library: 'esol', score: { name: 'x', terms: [{ column: 'mw', fn: 'up', low: 5, high: 1, weight: 1 }] } });
    expect(bad.success).toBe(false);
  });

  it('is reached through the contract', async () => {
    const api = createHandlers(ctx);
    expect(
      await api['library.score']({
        library: 'esol',
        score: { name: 'small', terms: [{ column: 'heavyAtoms', fn: 'target', target: 10, tolerance: 5, weight: 1 }] },
      }),
    ).toMatchObject({
      name: 'small',
      scored: 1117,
    });
    expect((await api['library.scores']({ library: 'esol' })).scores.map((s) => s.name)).toEqual(['MPO', 'small']);
  });
});
