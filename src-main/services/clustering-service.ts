import type { ClusterResult } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import { butina, fingerprintTable, mirrored } from '../chem/clustering';
import { ColumnRepo, columnPath } from '../db/column-repo';
import { CompoundRepo } from '../db/compound-repo';
import type { Db } from '../db/database';
import type { LibraryService } from './library-service';
import { type PartsOptions, inParts } from './pool-parts';

/** The columns a clustering writes into the library (each compound's first record). */
export const CLUSTER_COLUMNS = { id: 'cluster', size: 'cluster size', centroid: 'cluster centroid' } as const;

/** Rows of neighbour lists per chemistry task: progress and cancel between tasks. */
const ROWS_PER_TASK = 500;

/**
 * Clustering and diversity over a library's ECFP4 fingerprints, on the chemistry workers: Taylor–Butina
 * clusters as columns of the library (sortable, filterable, exportable like the file's own), and a MaxMin
 * diverse pick as compound ids (the table's selection).
 */
export class ClusteringService {
  private readonly compounds: CompoundRepo;
  private readonly columns: ColumnRepo;

  constructor(
    private readonly db: Db,
    private readonly chem: ChemPool,
    private readonly libraries: LibraryService,
  ) {
    this.compounds = new CompoundRepo(db);
    this.columns = new ColumnRepo(db);
  }

  private table(library: string) {
    const lib = this.libraries.library(library);
    const ids: number[] = [];
    const fps: Uint8Array[] = [];
    for (const c of this.compounds.fingerprints(lib.id)) {
      ids.push(c.id);
      fps.push(c.fp);
    }
    if (ids.length === 0) throw new AppError('INVALID_INPUT', `library '${library}' has no compounds to cluster`);
    return { lib, ids, table: fingerprintTable(fps) };
  }

  /**
   * Butina clusters at Tanimoto ≥ `threshold`: writes `cluster` (1 = the largest, numbered as found),
   * `cluster size` and `cluster centroid` (yes/no) into the library, replacing an earlier clustering's.
   */
  async cluster(library: string, threshold: number, opts: PartsOptions = {}): Promise<ClusterResult> {
    const started = performance.now();
    const { lib, ids, table } = this.table(library);
    const n = ids.length;
    const rows = await inParts(this.chem, n, ROWS_PER_TASK, (from, to) => this.chem.run({ op: 'neighbours', table, threshold, from, to }, 'bulk'), {
      ...opts,
      cancelled: 'clustering cancelled; the library is unchanged',
    });
    const { clusters } = butina(mirrored(rows.flat()));
    const set = this.db.prepare(
      `UPDATE library_members SET props = json_set(props, @idPath, @cluster, @sizePath, @size, @centroidPath, @centroid)
        WHERE library_id = @library AND compound_id = @compound AND duplicate_of IS NULL`,
    );
    const paths = { idPath: columnPath(CLUSTER_COLUMNS.id), sizePath: columnPath(CLUSTER_COLUMNS.size), centroidPath: columnPath(CLUSTER_COLUMNS.centroid) };
    this.db.transaction(() => {
      clusters.forEach((members, c) =>
        members.forEach((m, k) =>
          set.run({ ...paths, library: lib.id, compound: ids[m], cluster: c + 1, size: members.length, centroid: k === 0 ? 'yes' : 'no' }),
        ),
      );
    })();
    this.columns.detect(lib.id);
    return {
      library,
      threshold,
      compounds: n,
      clusters: clusters.length,
      singletons: clusters.filter((c) => c.length === 1).length,
      largest: clusters[0]?.length ?? 0,
      columns: Object.values(CLUSTER_COLUMNS),
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** A MaxMin pick of `n` diverse compounds (ids, in picking order), starting from the library's first compound. */
  async diverse(library: string, n: number): Promise<number[]> {
    const { ids, table } = this.table(library);
    const picks = await this.chem.run({ op: 'maxMin', table, k: n, first: 0 }, 'interactive');
    return picks.map((i) => ids[i] as number);
  }
}
