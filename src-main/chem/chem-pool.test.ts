import { afterAll, describe, expect, it } from 'vitest';
import { ChemPool } from './chem-pool';

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

  it('rejects the tasks still queued when it closes', async () => {
    const other = new ChemPool(1);
    const tasks = [other.run({ op: 'standardise', inputs: batch(200) }, 'bulk'), other.run({ op: 'alerts', smiles: 'CCO' })];
    const settled = Promise.allSettled(tasks);
    await other.close();
    const out = await settled;
    expect(out.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((out[1] as PromiseRejectedResult).reason)).toMatch(/closed/);
    await expect(other.run({ op: 'alerts', smiles: 'CCO' })).rejects.toThrow(/after close/);
  });
});
