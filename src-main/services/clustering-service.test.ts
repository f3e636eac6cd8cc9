import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { butina, fingerprintTable, maxMin, mirrored, neighbourRows } from '../chem/clustering';
import { CompoundRepo } from '../db/compound-repo';
import { sharedData } from '../test/helpers';
import { AppContext, createHandlers } from './app-context';
import { importFile } from './import-service';

let ctx: AppContext;
beforeAll(async () => {
  ctx = new AppContext(':memory:', { chemWorkers: 2 });
  await importFile(ctx.db, ctx.chem, { file: sharedData('qsar/esol.csv'), library: 'esol' });
});
afterAll(() => ctx.close());

/** The library's first-record property of each distinct compound, by compound id. */
const propsOf = () => {
  const rows = ctx.db.prepare('SELECT compound_id AS id, props FROM library_members WHERE duplicate_of IS NULL ORDER BY id').all() as Array<{
    id: number;
    props: string;
  }>;
  return new Map(rows.map((r) => [r.id, JSON.parse(r.props) as Record<string, unknown>]));
};

describe('clustering a library (Butina on ECFP4) and a diverse pick (MaxMin)', () => {
  it('writes cluster, size and centroid columns that agree with each other and with Butina in one process', async () => {
    const r = await ctx.clustering.cluster('esol', 0.6);
    expect(r).toMatchObject({ library: 'esol', threshold: 0.6, compounds: 1117, columns: ['cluster', 'cluster size', 'cluster centroid'] });
    expect(r.clusters).toBeGreaterThan(100);
    expect(r.clusters).toBeLessThan(1117);
    const cols = new Map(ctx.libraries.columnsOf('esol').map((c) => [c.name, c.type]));
    expect(cols.get('cluster')).toBe('number');
    expect(cols.get('cluster size')).toBe('number');
    expect(cols.get('cluster centroid')).toBe('boolean');
    // The file's own column is still there, untouched.
    expect(cols.get('logS')).toBe('number');

    const props = propsOf();
    const members = new Map<number, number[]>();
    for (const [id, p] of props) members.set(p.cluster as number, [...(members.get(p.cluster as number) ?? []), id]);
    expect(members.size).toBe(r.clusters);
    for (const [, ids] of members) {
      for (const id of ids) expect(props.get(id)?.['cluster size']).toBe(ids.length);
      expect(ids.filter((id) => props.get(id)?.['cluster centroid'] === 'yes')).toHaveLength(1);
    }
    expect(members.get(1)?.length).toBe(r.largest);

    // The same clusters as the functions give in this process, on the same fingerprints.
    const fps = [...new CompoundRepo(ctx.db).fingerprints(ctx.libraries.library('esol').id)];
    const table = fingerprintTable(fps.map((f) => f.fp));
    const { clusters } = butina(mirrored(neighbourRows(table, 0.6, 0, table.n)));
    expect(clusters.map((c) => c.map((i) => fps[i]?.id).sort((a, b) => (a as number) - (b as number)))).toEqual(
      clusters.map((_, k) => [...(members.get(k + 1) as number[])].sort((a, b) => a - b)),
    );

    // The columns sort like any column: cluster 1 first.
    const page = await ctx.libraries.query({ library: 'esol', sort: [{ column: 'cluster' }], limit: 3 });
    expect(page.compounds.map((c) => c.props.cluster)).toEqual([1, 1, 1]);
  });

  it('replaces an earlier clustering, reports progress, and a cancel leaves the library as it was', async () => {
    const seen: number[] = [];
    const r = await ctx.clustering.cluster('esol', 0.8, { onProgress: (p) => seen.push(p.done) });
    expect(r.clusters).toBeGreaterThan((await ctx.clustering.cluster('esol', 0.6)).clusters);
    expect(seen.at(-1)).toBe(1117);
    const before = propsOf();
    const ac = new AbortController();
    ac.abort();
    await expect(ctx.clustering.cluster('esol', 0.3, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(propsOf()).toEqual(before);
    await expect(ctx.clustering.cluster('nope', 0.6)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('runs as a job through the contract, and picks diverse compounds as the selection', async () => {
    const api = createHandlers(ctx);
    const { jobId } = await api['library.cluster']({ library: 'esol', threshold: 0.7 });
    await ctx.jobs.wait(jobId);
    expect(ctx.jobs.get(jobId)).toMatchObject({ kind: 'cluster', state: 'done', result: { threshold: 0.7, compounds: 1117 } });

    const { ids } = await api['compound.diverse']({ library: 'esol', n: 12 });
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    const fps = [...new CompoundRepo(ctx.db).fingerprints(ctx.libraries.library('esol').id)];
    // The library's first compound first, then what MaxMin picks on the same fingerprints.
    expect(ids).toEqual(maxMin(fingerprintTable(fps.map((f) => f.fp)), 12, 0).map((i) => fps[i]?.id));
  });
});
