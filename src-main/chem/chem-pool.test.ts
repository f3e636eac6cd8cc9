import { afterAll, describe, expect, it } from 'vitest';
import { ChemPool } from './chem-pool';
import { packChunk } from './substructure';

const SMILES = ['CCO', 'c1ccccc1O', 'CC(=O)Oc1ccccc1C(=O)O', 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C', 'C1CCCCC1N'];
const batch = (n: number) => Array.from({ length: n }, (_, i) => SMILES[i % SMILES.length] as string);

describe('ChemPool', () => {
  const pool = new ChemPool(1);
  afterAll(() => pool.close());

  it('runs an interactive task before bulk tasks queued earlier', async () => {
    const order: string[] = [];
    const track = <T>(name: string, p: Promise<T>) => p.then((v) => (order.push(name), v));
    // The first bulk batch goes straight to the one worker; the next two wait in the bulk lane.
    const bulk = [1, 2, 3].map((i) => track(`bulk${i}`, pool.run({ op: 'standardise', inputs: batch(40) }, 'bulk')));
    const depiction = track('depict', pool.run({ op: 'depict', smiles: 'c1ccccc1O', width: 120, height: 90 }));
    const results = await Promise.all([...bulk, depiction]);
    expect(order).toEqual(['bulk1', 'depict', 'bulk2', 'bulk3']);
    expect(results[3]).toContain('<svg');
    for (const r of results.slice(0, 3) as Array<Array<{ ok: boolean }>>) expect(r.filter((x) => x.ok)).toHaveLength(40);
  });

  it('keeps first-in, first-out order within a lane', async () => {
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => pool.run({ op: 'alerts', smiles: SMILES[i] as string }).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('starts its workers with the first task where asked (a command that needs no chemistry holds no RDKit)', async () => {
    const lazy = new ChemPool(2, { start: 'first-task' });
    try {
      expect(lazy.started).toBe(0);
      expect(lazy.occupied(0)).toBe(false);
      expect(await lazy.run({ op: 'depict', smiles: 'c1ccccc1O', width: 120, height: 90 })).toContain('<svg');
      expect(lazy.started).toBe(2);
    } finally {
      await lazy.close();
    }
    const idle = new ChemPool(1, { start: 'first-task' });
    await idle.close();
    expect(idle.started).toBe(0);
    expect(pool.started).toBe(1);
  });

  it('rejects the tasks still queued when it closes', async () => {
    const other = new ChemPool(1);
    const tasks = [other.run({ op: 'standardise', inputs: batch(200) }, 'bulk'), other.run({ op: 'alerts', smiles: 'CCO' })];
    const settled = Promise.allSettled(tasks);
    await other.close();
    const out = await settled;
    expect(out.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((out[1] as PromiseRejectedResult).reason)).toMatch(/closed/);
    // Shutting down with work queued cancels it: not an internal error to log.
    expect(out.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['CANCELLED', 'CANCELLED']);
    await expect(other.run({ op: 'alerts', smiles: 'CCO' })).rejects.toThrow(/after close/);
  });

  it('refuses an over-size structure with the limit, and chemistry stays correct after it', async () => {
    const r = await pool.run(
      { op: 'standardise', inputs: ['CCO', 'C'.repeat(1000), `C1${'C'.repeat(4998)}C1`, `${'C('.repeat(5000)}C${')'.repeat(5000)}`, 'c1ccccc1'] },
      'bulk',
    );
    expect(r.map((x) => x.ok)).toEqual([true, false, false, false, true]);
    expect(r[1]).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/structure too large: 1000 atoms \(Delicate reads structures of up to 400 atoms\)/),
    });
    const again = await pool.run({ op: 'standardise', inputs: ['CCO'] });
    expect(again[0]).toMatchObject({ ok: true, compound: { smiles: 'CCO' } });
    await expect(
      pool.run({ op: 'substructure', query: 'C'.repeat(1000), chunk: packChunk([{ id: 1, smiles: 'CCO', patternFp: null }]) }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('runs a pinned task on its worker (which keeps a search index), interactive pinned tasks before bulk ones', async () => {
    const two = new ChemPool(2);
    try {
      const chunk = packChunk(SMILES.map((smiles, i) => ({ id: i + 1, smiles, patternFp: null })));
      await two.run({ op: 'searchIndex', key: 'k', chunk }, 'bulk', 1);
      // Only worker 1 holds 'k'.
      expect(await two.run({ op: 'substructure', query: 'c1ccccc1', key: 'k' }, 'interactive', 1)).toMatchObject({ hits: [2, 3] });
      expect(await two.run({ op: 'substructure', query: 'c1ccccc1', key: 'k' }, 'interactive', 0)).toMatchObject({ missing: true });
      expect(two.generation(0)).toBe(0);
      const order: string[] = [];
      const track = <T>(name: string, p: Promise<T>) => p.then((v) => (order.push(name), v));
      const big = packChunk(batch(600).map((smiles, i) => ({ id: i + 1, smiles, patternFp: null })));
      const busy = track('busy', two.run({ op: 'searchIndex', key: 'big', chunk: big }, 'bulk', 0));
      const bulk = track('bulk', two.run({ op: 'substructure', query: 'N', key: 'k' }, 'bulk', 0));
      const interactive = track('interactive', two.run({ op: 'substructure', query: 'O', key: 'k' }, 'interactive', 0));
      await Promise.all([busy, bulk, interactive]);
      expect(order).toEqual(['busy', 'interactive', 'bulk']);
      // A worker on unpinned work (a conformer) is 'occupied': a search sends its chunk elsewhere rather than wait.
      const conformer = two.run({ op: 'conformer', smiles: 'CC(=O)Oc1ccccc1C(=O)O' });
      expect([two.occupied(0), two.occupied(1)]).toContain(true);
      await conformer;
      expect([two.occupied(0), two.occupied(1)]).toEqual([false, false]);
      // A depiction is not: a search's chunk waits the milliseconds for it on the worker that holds the chunk.
      const depiction = two.run({ op: 'depict', smiles: 'CC(=O)Oc1ccccc1C(=O)O', width: 200, height: 150 });
      expect([two.occupied(0), two.occupied(1)]).toEqual([false, false]);
      await depiction;
    } finally {
      await two.close();
    }
  });

  it('reads the largest structures it accepts, of the shapes that crash RDKit when larger', async () => {
    const shapes = ['C'.repeat(400), `C1${'C'.repeat(398)}C1`, 'c1ccccc1'.repeat(66), `${'NCC(=O)'.repeat(57)}O`];
    const r = await pool.run({ op: 'standardise', inputs: [...shapes, 'CCO'] }, 'bulk');
    expect(r.map((x) => x.ok)).toEqual([true, true, true, true, true]);
  });

  it('replaces a worker whose RDKit crashed: only that structure fails, the batch and later tasks go on', async () => {
    // Above the guard RDKit's WASM stack overflows (measured: an 800-atom chain); raise the limit to reach it.
    process.env.DELICATE_MAX_ATOMS = '5000';
    const risky = new ChemPool(1);
    delete process.env.DELICATE_MAX_ATOMS;
    try {
      const r = await risky.run({ op: 'standardise', inputs: ['CCO', 'c1ccccc1'.repeat(150), 'CCN', 'C'.repeat(1000), 'CCCl'] }, 'bulk');
      expect(r.map((x) => x.ok)).toEqual([true, false, true, false, true]);
      expect(r[1]).toMatchObject({ ok: false, reason: expect.stringMatching(/RDKit crashed on this structure .*restarted/) });
      expect(r[4]).toMatchObject({ ok: true, compound: { smiles: 'CCCl' } });
      expect(risky.restarts).toBeGreaterThanOrEqual(1);
      // What the lost worker kept (a search's index) is known to be gone.
      expect(risky.generation(0)).toBe(risky.restarts);
      expect(await risky.run({ op: 'depict', smiles: 'CCO', width: 100, height: 80 })).toContain('<svg');
    } finally {
      await risky.close();
    }
  });

  it('stops a task stuck on one structure, fails only that structure, and keeps the pool working', async () => {
    const impatient = new ChemPool(1, { itemTimeoutMs: 1, watchMs: 5 });
    try {
      // A 3D conformer takes far longer than 1 ms: the watchdog stops it and replaces the worker.
      await expect(impatient.run({ op: 'conformer', smiles: 'CC(=O)Oc1ccccc1C(=O)O' })).rejects.toMatchObject({
        code: 'PARSE_ERROR',
        message: expect.stringMatching(/timed out/),
      });
      expect(impatient.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await impatient.close();
    }
    const patient = new ChemPool(1, { itemTimeoutMs: 60_000, watchMs: 5 });
    try {
      expect(await patient.run({ op: 'conformer', smiles: 'CCO' })).toContain('V2000');
      await expect(patient.run({ op: 'conformer', smiles: `C1${'C'.repeat(120)}C1` })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/more than 300 atoms/),
      });
    } finally {
      await patient.close();
    }
  });
});
