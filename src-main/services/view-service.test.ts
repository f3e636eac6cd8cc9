import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryView } from '../../src-shared/dto';
import { schemas } from '../../src-shared/schemas';
import { tempDir } from '../test/helpers';
import { AppContext, createHandlers } from './app-context';
import { importFile } from './import-service';

let ctx: AppContext;
const tmp = tempDir();
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 1 });
  const file = join(tmp.dir, 'v.csv');
  writeFileSync(file, 'smiles,id,pIC50\nCCO,a,5.1\nc1ccccc1O,b,6.2\n');
  await importFile(ctx.db, ctx.chem, { file, library: 'v' });
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

const view: LibraryView = {
  shown: ['pIC50'],
  sort: [{ column: 'pIC50', desc: true }, { by: 'mw' }],
  ranges: { mw: { max: 300 } },
  filters: [{ column: 'pIC50', min: 5 }],
  substructure: 'c1ccccc1',
  similar: '',
  minSim: 0.5,
  selection: [2],
};

describe('saved views of a library', () => {
  it('saves, lists, replaces and deletes named views through the contract', async () => {
    const api = createHandlers(ctx);
    expect((await api['library.views']({ library: 'v' })).views).toEqual([]);
    expect((await api['library.saveView']({ library: 'v', name: 'potent', view })).views).toEqual([{ name: 'potent', view }]);
    const changed = { ...view, sort: [{ by: 'import' as const }] };
    await api['library.saveView']({ library: 'v', name: 'potent', view: changed });
    await api['library.saveView']({ library: 'v', name: 'all', view: { ...view, filters: [] } });
    expect((await api['library.views']({ library: 'v' })).views.map((v) => [v.name, v.view.sort])).toEqual([
      ['all', view.sort],
      ['potent', changed.sort],
    ]);
    expect(await api['library.deleteView']({ library: 'v', name: 'all' })).toEqual({ deleted: true });
    expect(await api['library.deleteView']({ library: 'v', name: 'all' })).toEqual({ deleted: false });
    await expect(api['library.views']({ library: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(schemas['library.saveView'].safeParse({ library: 'v', name: 'x', view: { ...view, extra: 1 } }).success).toBe(false);
  });
});
