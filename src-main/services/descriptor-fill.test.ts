import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src-shared/errors';
import { loadRdkit } from '../chem/rdkit';
import { standardise } from '../chem/standardise';
import { CompoundRepo } from '../db/compound-repo';
import { sharedData, tempDir } from '../test/helpers';
import { AppContext } from './app-context';
import { importFile } from './import-service';

const tmp = tempDir();
let ctx: AppContext;
beforeAll(() => {
  ctx = new AppContext(`${tmp.dir}/fill.db`, { chemWorkers: 2, shippedModels: false });
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

const pending = () => new CompoundRepo(ctx.db).pendingDescriptors();

describe('descriptors after the records', () => {
  it('an import cancelled while its descriptors come keeps every record; the rest follow at the next start, equal to a one-step standardisation', async () => {
    const esol = sharedData('qsar/esol.csv');
    const controller = new AbortController();
    const steps: number[] = [];
    const err = await importFile(ctx.db, ctx.chem, {
      file: esol,
      library: 'esol',
      signal: controller.signal,
      onDescriptors: (p) => {
        steps.push(p.done);
        controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CANCELLED');
    expect((err as AppError).message).toMatch(/every record is in 'esol'; computing descriptors cancelled after \d+ of 1117 compounds/);
    expect(steps.length).toBeGreaterThan(0);
    // The records are all in; some compounds wait for their descriptors, and say so.
    const [lib] = ctx.libraries.list();
    expect(lib).toMatchObject({ name: 'esol', compounds: 1117 });
    expect(lib?.descriptorsPending).toBe(pending());
    expect(pending()).toBeGreaterThan(0);
    expect(pending()).toBeLessThan(1117);
    const before = await ctx.libraries.query({ library: 'esol', limit: 2000 });
    const waiting = before.compounds.filter((c) => c.descriptors === null);
    expect(waiting.length).toBe(pending());
    expect(waiting.every((c) => c.descriptorsPending)).toBe(true);
    // Sorted by a descriptor, the compounds still waiting come last.
    const byMw = await ctx.libraries.query({ library: 'esol', sort: { by: 'mw' }, limit: 2000 });
    expect(byMw.compounds.slice(-waiting.length).every((c) => c.descriptors === null)).toBe(true);

    // The next start goes on with them, as a job.
    const jobId = ctx.fillDescriptorsLater();
    expect(jobId).not.toBeNull();
    await ctx.jobs.wait(jobId as string);
    expect(ctx.jobs.get(jobId as string)).toMatchObject({ kind: 'descriptors', state: 'done', result: { computed: waiting.length, failed: 0 } });
    expect(pending()).toBe(0);
    expect(ctx.fillDescriptorsLater()).toBeNull();

    // Every compound's descriptors and pattern fingerprint equal what one-step standardisation gives (cLogP,
    // a sum of atom contributions in another atom order from the canonical SMILES, within 0.001: 5 of 1,128
    // ESOL compounds round the other way at the third decimal).
    const rd = await loadRdkit();
    const after = await ctx.libraries.query({ library: 'esol', limit: 2000 });
    const rows = ctx.db.prepare('SELECT smiles, pattern_fp AS fp FROM compounds').all() as Array<{ smiles: string; fp: Buffer }>;
    const fps = new Map(rows.map((r) => [r.smiles, r.fp]));
    const smilesOf = new Map(
      readFileSync(esol, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0] as string)
        .map((s) => {
          const r = standardise(rd, s);
          return r.ok ? ([r.compound.smiles, r.compound] as const) : null;
        })
        .filter((x) => x !== null),
    );
    for (const c of after.compounds) {
      const want = smilesOf.get(c.smiles);
      expect({ ...c.descriptors, clogp: 0 }).toEqual({ ...want?.descriptors, clogp: 0 });
      expect(Math.abs((c.descriptors?.clogp ?? NaN) - (want?.descriptors?.clogp ?? NaN))).toBeLessThan(0.0015);
      expect(c.descriptorsPending).toBeUndefined();
      expect(new Uint8Array(fps.get(c.smiles) as Buffer)).toEqual(want?.patternFp);
    }

    // Importing the same file again finds nothing to add and nothing waiting.
    const again = await importFile(ctx.db, ctx.chem, { file: esol, library: 'esol' });
    expect(again).toMatchObject({ alreadyImported: true });
    expect(again.descriptors).toBeUndefined();
  });

  it('a compound RDKit cannot compute descriptors for is said so and not tried again', async () => {
    ctx.db.prepare("INSERT INTO compounds (inchikey, smiles, fp, descriptors_pending) VALUES ('TEST-UNREADABLE', 'C1CC', x'00', 1)").run();
    const jobId = ctx.fillDescriptorsLater() as string;
    await ctx.jobs.wait(jobId);
    expect(ctx.jobs.get(jobId).result).toMatchObject({ computed: 0, failed: 1 });
    expect(ctx.db.prepare("SELECT mw, descriptors_pending AS p FROM compounds WHERE inchikey = 'TEST-UNREADABLE'").get()).toEqual({ mw: null, p: 0 });
    expect(ctx.fillDescriptorsLater()).toBeNull();
  });
});
