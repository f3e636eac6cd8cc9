import { dsc } from '../test/descriptors';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChemPool } from '../chem/chem-pool';
import { hasSubstructure, loadRdkit, parseQuery } from '../chem/rdkit';
import { CompoundRepo } from '../db/compound-repo';
import { sharedData, tempDir } from '../test/helpers';
import { schemas } from '../../src-shared/schemas';
import { AppContext, createHandlers } from './app-context';
import { importFile } from './import-service';
import { LibraryService } from './library-service';
import { type SearchProgress, SubstructureSearch } from './substructure-search';

let ctx: AppContext;
let lib: number;
const tmp = tempDir();
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 2 });
  await importFile(ctx.db, ctx.chem, { file: sharedData('qsar/esol.csv'), library: 'esol' });
  lib = ctx.libraries.library('esol').id;
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

/** The ids of the library's compounds that contain the query, by parsing and matching every one. */
async function truth(query: string, ids?: number[]): Promise<number[]> {
  const rd = await loadRdkit();
  const q = parseQuery(rd, query);
  if (!q) throw new Error(`bad query ${query}`);
  try {
    const repo = new CompoundRepo(ctx.db);
    return repo.structuresOf(ids ?? repo.ids(lib)).flatMap((c) => (hasSubstructure(rd, c.smiles, q) ? [c.id] : []));
  } finally {
    q.delete();
  }
}

describe('SubstructureSearch keeps each chunk indexed in its worker', () => {
  it('a search run again reads no structure and finds the same hits, which are what matching every compound finds', async () => {
    const repo = new CompoundRepo(ctx.db);
    const search = new SubstructureSearch(ctx.chem, repo, 100);
    const read = vi.spyOn(repo, 'structuresOf');
    for (const q of ['c1ccccc1', 'C(=O)O', '[Cl,Br]']) {
      const expected = await truth(q);
      expect((await search.ids(lib, q, null, {}, { need: Infinity })).ids).toEqual(expected);
      read.mockClear();
      const again = await search.ids(lib, q, null, {}, { need: Infinity });
      expect(again).toEqual({ ids: expected, complete: true });
      expect(read).not.toHaveBeenCalled();
    }
    // The first 12 only: it stops early, in import order.
    const first = await search.ids(lib, 'c1ccccc1', null, {}, { need: 12 });
    expect(first.complete).toBe(false);
    expect(first.ids.slice(0, 12)).toEqual((await truth('c1ccccc1')).slice(0, 12));
  });

  it('a worker that no longer holds a chunk (evicted) is sent it again, with the same hits', async () => {
    const chem = new ChemPool(2, { searchCapacity: 150 });
    try {
      const repo = new CompoundRepo(ctx.db);
      const search = new SubstructureSearch(chem, repo, 100);
      const expected = await truth('c1ccncc1');
      expect((await search.ids(lib, 'c1ccncc1', null, {}, { need: Infinity })).ids).toEqual(expected);
      const read = vi.spyOn(repo, 'structuresOf');
      expect((await search.ids(lib, 'c1ccncc1', null, {}, { need: Infinity })).ids).toEqual(expected);
      // Each worker kept one chunk of 100 of its six: nearly every chunk was read again.
      expect(read.mock.calls.length).toBeGreaterThan(8);
    } finally {
      await chem.close();
    }
  });

  it('a filtered search finds the hits that pass the filter (cached when the filter keeps much, read when it keeps little)', async () => {
    const repo = new CompoundRepo(ctx.db);
    const search = new SubstructureSearch(ctx.chem, repo, 100);
    const all = await truth('c1ccccc1');
    for (const ranges of [{ mw: { max: 300 } }, { mw: { min: 500 } }]) {
      const kept = new Set(repo.ids(lib, { ranges }));
      const expected = all.filter((id) => kept.has(id));
      expect(expected.length).toBeGreaterThan(3);
      expect((await search.ids(lib, 'c1ccccc1', null, { ranges }, { need: Infinity })).ids).toEqual(expected);
    }
    // The workers hold the whole library now: a first page within a small part reads nothing, in import order.
    const ranges = { mw: { min: 500 } };
    const kept = new Set(repo.ids(lib, { ranges }));
    expect(kept.size).toBeLessThan(repo.ids(lib).length * 0.25);
    const read = vi.spyOn(repo, 'structuresOf');
    const page = await search.ids(lib, 'c1ccccc1', null, { ranges }, { need: 2 });
    expect(page.ids.slice(0, 2)).toEqual(all.filter((id) => kept.has(id)).slice(0, 2));
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
  });

  it('compounds added to the library are found by the next search', async () => {
    const search = new SubstructureSearch(ctx.chem, new CompoundRepo(ctx.db), 100);
    const before = (await search.ids(lib, 'c1ccc2ncsc2c1', null, {}, { need: Infinity })).ids;
    const file = join(tmp.dir, 'more.smi');
    writeFileSync(file, 'Cc1ccc2ncsc2c1 benzothiazole-a\nNc1ccc2ncsc2c1 benzothiazole-b\n');
    await importFile(ctx.db, ctx.chem, { file, library: 'esol' });
    const after = (await search.ids(lib, 'c1ccc2ncsc2c1', null, {}, { need: Infinity })).ids;
    expect(after).toEqual(await truth('c1ccc2ncsc2c1'));
    expect(after.length).toBe(before.length + 2);
  });

  it('reports progress per chunk, stops when cancelled, refuses an invalid query and goes on', async () => {
    const search = new SubstructureSearch(ctx.chem, new CompoundRepo(ctx.db), 100);
    const seen: SearchProgress[] = [];
    await search.ids(lib, 'CC', null, {}, { need: Infinity, onProgress: (p) => seen.push(p) });
    const total = Math.ceil(new CompoundRepo(ctx.db).ids(lib).length / 100);
    expect(seen.map((p) => p.done)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(seen.every((p) => p.total === total)).toBe(true);

    const ac = new AbortController();
    const stopped = search.ids(lib, 'CC', null, {}, { need: Infinity, signal: ac.signal, onProgress: (p) => p.done === 2 && ac.abort() });
    await expect(stopped).rejects.toMatchObject({ code: 'CANCELLED' });

    await expect(search.ids(lib, 'C1CC(', null, {}, { need: Infinity })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await search.ids(lib, 'c1ccccc1', null, {}, { need: Infinity })).ids).toEqual(await truth('c1ccccc1'));
  });

  it('a library indexed ahead (warm) is searched without reading; the app warms a browsed library once, the CLI never', async () => {
    const repo = new CompoundRepo(ctx.db);
    const search = new SubstructureSearch(ctx.chem, repo, 100);
    await search.warm(lib);
    const read = vi.spyOn(repo, 'structuresOf');
    expect((await search.ids(lib, 'C(=O)N', null, {}, { need: Infinity })).ids).toEqual(await truth('C(=O)N'));
    expect(read).not.toHaveBeenCalled();

    const warm = vi.spyOn(SubstructureSearch.prototype, 'warm');
    try {
      const app = new LibraryService(ctx.db, ctx.chem, { warmSearch: true });
      await app.query({ library: 'esol', limit: 5 });
      await app.query({ library: 'esol', limit: 5, offset: 5 });
      await expect.poll(() => warm.mock.calls.length).toBe(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(warm).toHaveBeenCalledTimes(1);
      warm.mockClear();
      await new LibraryService(ctx.db, ctx.chem).query({ library: 'esol', limit: 5 });
      await new Promise((r) => setTimeout(r, 500));
      expect(warm).not.toHaveBeenCalled();
    } finally {
      warm.mockRestore();
    }
  });

  it('a search tagged with a searchId reports its progress and search.cancel stops it; the app answers a cancel of nothing', async () => {
    const events: Array<{ searchId: string; done: number; total: number }> = [];
    const svc: LibraryService = new LibraryService(ctx.db, ctx.chem, {
      searchChunk: 100,
      progress: (p) => {
        events.push(p);
        if (p.searchId === 'stop' && p.done === 3) svc.cancelSearch('stop');
      },
    });
    const page = await svc.query({ library: 'esol', substructure: 'O', searchId: 'go', sort: { by: 'mw' }, limit: 5 });
    const total = Math.ceil(page.total / 100);
    expect(events.map((e) => `${e.searchId} ${e.done}/${e.total}`)).toEqual(Array.from({ length: total }, (_, i) => `go ${i + 1}/${total}`));
    // A page stopped: what was found so far, sorted, and said to be incomplete.
    const stopped = await svc.query({ library: 'esol', substructure: 'O', searchId: 'stop', sort: { by: 'mw' }, limit: 10000 });
    expect(stopped.complete).toBe(false);
    expect(events.filter((e) => e.searchId === 'stop').length).toBe(3);
    const firstThree = new Set((await truth('O', new CompoundRepo(ctx.db).ids(lib).slice(0, 300))) as number[]);
    expect(new Set(stopped.compounds.map((c) => c.id))).toEqual(firstThree);
    const mws = stopped.compounds.map((c) => dsc(c).mw);
    expect(mws.length).toBeGreaterThan(10);
    expect(mws).toEqual([...mws].sort((a, b) => a - b));
    // Every match (select all), stopped: an error, not a part taken for the whole.
    await expect(svc.matchingIds({ library: 'esol', substructure: 'O', searchId: 'stop' })).rejects.toMatchObject({ code: 'CANCELLED' });
    // Both searches have ended: nothing runs under their ids.
    expect(svc.cancelSearch('go') || svc.cancelSearch('stop')).toBe(false);
    expect(await createHandlers(ctx)['search.cancel']({ searchId: 'none' })).toEqual({ cancelled: false });
    expect(schemas['search.cancel'].safeParse({}).success).toBe(false);
  });
});
