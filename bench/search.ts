// `npm run bench -- search [--size 150000] [--sample 10000]`: substructure search on a large library.
//
// 1. End to end through the library service (what the table and `delicate compounds --substructure` call),
//    on the ChEMBL corpus imported as one library (shared with `bench -- screen` and `bench -- ui`): the first
//    page in import order (a search stops once the page is full) and every match sorted by MW (all of them),
//    each on fresh workers (cold: the library's first search, which reads and indexes the chunks it needs)
//    and again on the same workers (warm: any later search of the library, whatever its query).
// 2. The method, same molecules, same thread, one run: RDKit's SubstructLibrary over the stored pattern
//    fingerprints with the query's bonds written out (chem/query-plan: what the search does now), with the
//    query as typed, and parsing and matching every molecule (what it did first).
import { cpus, loadavg } from 'node:os';
import { AppContext } from '../src-main/services/app-context';
import { ChemPool } from '../src-main/chem/chem-pool';
import { LibraryService } from '../src-main/services/library-service';
import { hasSubstructure, loadRdkit, parseQuery } from '../src-main/chem/rdkit';
import { SearchCache, type SearchItem, packChunk } from '../src-main/chem/substructure';
import { freePlan, planQuery } from '../src-main/chem/query-plan';
import { CompoundRepo } from '../src-main/db/compound-repo';
import { LibraryRepo } from '../src-main/db/library-repo';
import { report } from './_report';
import { benchDb, chemblLibrary } from './screen';

const QUERIES: Array<[string, string]> = [
  ['pyridine', 'c1ccncc1'],
  ['benzene', 'c1ccccc1'],
  ['sulfonamide', 'S(=O)(=O)N'],
  ['spiroketal', 'C1CCOC12CCCO2'],
  ['amide (SMARTS)', '[#6]C(=O)N[#6]'],
];

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const ms = (t0: number) => performance.now() - t0;

export async function run(args: string[]): Promise<void> {
  const size = option(args, '--size', 150000);
  const sample = option(args, '--sample', 10000);
  const app = new AppContext(benchDb, { shippedModels: false });
  const rows: string[][] = [
    [
      'query',
      'first 100 rows, cold / warm (ms)',
      'every match by MW, cold / warm (ms)',
      'matches',
      `SubstructLibrary, bonds written out, ${sample.toLocaleString('en')} mols, 1 thread (ms)`,
      'SubstructLibrary, query as typed (ms)',
      'parse + match each (ms)',
      'written out vs as typed',
    ],
  ];
  const results: unknown[] = [];
  const built = new SearchCache(sample);
  try {
    const library = await chemblLibrary(app, size);
    // Compounds imported before the fingerprints were kept get theirs here, once (not timed below).
    await app.libraries.query({ library, substructure: 'C', limit: 1 << 20 });
    const rd = await loadRdkit();
    const items: SearchItem[] = [];
    const libraryId = new LibraryRepo(app.db).byName(library)?.id as number;
    for (const it of new CompoundRepo(app.db).structures(libraryId)) {
      if (items.length >= sample) break;
      items.push(it);
    }
    // The sample indexed once, as a worker keeps a chunk: the method columns time matching only.
    let t0 = performance.now();
    built.add(rd, 'sample', packChunk(items));
    const buildMs = ms(t0);
    /** A library service on fresh workers (RDKit loaded in each, nothing of the library kept). */
    const fresh = async (): Promise<{ svc: LibraryService; pool: ChemPool }> => {
      const pool = new ChemPool(2);
      const warmUp = () => pool.run({ op: 'depict', smiles: 'C', width: 10, height: 10 });
      await Promise.all([warmUp(), warmUp()]);
      return { svc: new LibraryService(app.db, pool), pool };
    };
    const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const t0 = performance.now();
      return [await fn(), ms(t0)];
    };
    for (const [name, q] of QUERIES) {
      const a = await fresh();
      const [, firstCold] = await timed(() => a.svc.query({ library, substructure: q, limit: 100 }));
      await a.pool.close();
      const b = await fresh();
      const [, everyCold] = await timed(() => b.svc.query({ library, substructure: q, sort: { by: 'mw' }, limit: 100 }));
      const [, first] = await timed(() => b.svc.query({ library, substructure: q, limit: 100 }));
      const [all, every] = await timed(() => b.svc.query({ library, substructure: q, sort: { by: 'mw' }, limit: 100 }));
      await b.pool.close();
      const query = parseQuery(rd, q);
      const plan = planQuery(rd, q);
      if (!query || !plan) throw new Error(`query ${q} does not parse`);
      t0 = performance.now();
      const lib = built.match(rd, 'sample', undefined, plan).hits;
      const viaLib = ms(t0);
      t0 = performance.now();
      const typed = built.match(rd, 'sample', undefined, { all: query }).hits;
      const viaTyped = ms(t0);
      t0 = performance.now();
      const scan = items.filter((i) => hasSubstructure(rd, i.smiles, query)).map((i) => i.id);
      const viaScan = ms(t0);
      query.delete();
      freePlan(plan);
      for (const other of [typed, scan])
        if (lib.length !== other.length || lib.some((id, k) => id !== other[k]))
          throw new Error(`${q}: the methods disagree (${lib.length} vs ${other.length})`);
      results.push({
        query: q,
        name,
        firstPageColdMs: firstCold,
        firstPageMs: first,
        everyMatchColdMs: everyCold,
        everyMatchMs: every,
        matched: all.matched,
        sample,
        substructLibraryMs: viaLib,
        typedQueryMs: viaTyped,
        parseAndMatchMs: viaScan,
        sampleHits: lib.length,
      });
      rows.push([
        `${name} \`${q}\``,
        `${firstCold.toFixed(0)} / ${first.toFixed(0)}`,
        `${everyCold.toFixed(0)} / ${every.toFixed(0)}`,
        all.matched.toLocaleString('en'),
        viaLib.toFixed(0),
        viaTyped.toFixed(0),
        viaScan.toFixed(0),
        `${(viaTyped / viaLib).toFixed(1)}x`,
      ]);
    }
    report('search', { library, size, results }, rows, [
      `Library: ${size.toLocaleString('en')} ChEMBL compounds (${library} in bench/.cache/screen-bench.db), searched on the chemistry pool's 2 workers.`,
      `The method columns time the same first ${sample.toLocaleString('en')} compounds on the main thread, the three methods in this run; their hits are checked equal. The two SubstructLibrary columns match a sample indexed once beforehand (as a worker keeps its chunks; indexing it took ${buildMs.toFixed(0)} ms), so they time matching alone. Bonds written out: an unwritten SMARTS bond (single or aromatic) is written \`-\` where an end is aliphatic and \`:\` between aromatic atoms, and molecules whose SMILES writes a bond out (biaryls) are also matched with every single/aromatic choice (chem/query-plan.ts), so RDKit's pattern-fingerprint prefilter sees those bonds.`,
      `One run; load average ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores at the end (other work beside it slows the absolute times): compare the method columns of one row.`,
      "Cold: fresh workers, the library's first search (the chunks it needs are read from SQLite and indexed as SubstructLibraries on the workers, which keep them). Warm: the same workers again (what every later search of the library costs, whatever its query): nothing is read or built, only matched.",
    ]);
  } finally {
    built.clear();
    await app.close();
  }
}
