// The contract's handlers as a front end calls them: faults are answered, never fatal (issue 31).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from './router';
import { corpusSlice, sharedData } from '../test/helpers';
import { AppContext, createHandlers } from '../services/app-context';
import { importFile } from '../services/import-service';

let ctx: AppContext;
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 2, shippedModels: false });
});
afterAll(async () => {
  await ctx.close();
});

describe('handlers under faults', () => {
  it('answers an invalid substructure query on a library of several search chunks, and keeps working', async () => {
    // 5,000 compounds: three chunks of 2,000 go to the two workers at once, and all of them fail.
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'delicate-chunks-')), 'chembl5k.smi');
    writeFileSync(file, `${corpusSlice(5000).join('\n')}\n`);
    await importFile(ctx.db, ctx.chem, { file, library: 'chembl' });
    const router = createRouter(createHandlers(ctx));
    for (const q of ['C1CC(((', 'c1ccccc1)']) {
      const r = await router('compound.list', { library: 'chembl', substructure: q });
      expect(r, q).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/invalid substructure query/) } });
    }
    const ok = await router('compound.list', { library: 'chembl', substructure: 'c1ccncc1', limit: 5 });
    expect(ok.ok).toBe(true);
  }, 300_000);

  it('refuses training on a column the file does not have before a job starts, naming the upload', async () => {
    const router = createRouter(createHandlers(ctx));
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(sharedData('qsar/esol.csv'));
    const r = await router('model.train', {
      source: { kind: 'upload', fileName: 'esol.csv', dataBase64: csv.toString('base64') },
      target: 'logs',
      task: 'regression',
      out: 'wrong',
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: "esol.csv: no column 'logs' to train on (columns: smiles, name, logS)" } });
    expect(JSON.stringify(r)).not.toContain('delicate-upload-');
    expect(ctx.jobs.list()).toEqual([]);
    const assay = await router('assay.import', {
      source: { kind: 'upload', fileName: 'esol.csv', dataBase64: csv.toString('base64') },
      target: 'logS',
      task: 'regression',
      name: 'e',
      dateCol: 'when',
    });
    expect(assay).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/no date column 'when'/) } });
  });
});
