import type { DescriptorName, RGroupResult, ScaffoldResult, ScaffoldRow } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import { ColumnRepo, columnExpr, columnPath } from '../db/column-repo';
import { CompoundRepo, DESCRIPTOR_COLUMN } from '../db/compound-repo';
import type { Db } from '../db/database';
import type { LibraryService } from './library-service';
import { type PartsOptions, inParts } from './pool-parts';

/** The columns a scaffold analysis writes into the library (each compound's first record). */
export const SCAFFOLD_COLUMNS = { scaffold: 'scaffold', size: 'scaffold size' } as const;

/** Compounds per chemistry task. */
const PER_TASK = 500;

/**
 * Bemis–Murcko scaffolds of a library as columns (`scaffold`: canonical SMILES, empty for acyclic
 * compounds; `scaffold size`: compounds sharing it), computed on the chemistry workers, and the scaffold
 * view: compounds per scaffold with a column's mean, min and max.
 */
export class ScaffoldService {
  private readonly columns: ColumnRepo;

  constructor(
    private readonly db: Db,
    private readonly chem: ChemPool,
    private readonly libraries: LibraryService,
  ) {
    this.columns = new ColumnRepo(db);
  }

  async scaffolds(library: string, opts: PartsOptions = {}): Promise<ScaffoldResult> {
    const started = performance.now();
    const lib = this.libraries.library(library);
    const rows = this.db
      .prepare(
        'SELECT c.id, c.smiles FROM library_members m JOIN compounds c ON c.id = m.compound_id WHERE m.library_id = ? AND m.duplicate_of IS NULL ORDER BY m.id',
      )
      .all(lib.id) as Array<{ id: number; smiles: string }>;
    if (rows.length === 0) throw new AppError('INVALID_INPUT', `library '${library}' has no compounds`);
    const scaffolds = (
      await inParts(
        this.chem,
        rows.length,
        PER_TASK,
        (from, to) => this.chem.run({ op: 'scaffolds', smiles: rows.slice(from, to).map((r) => r.smiles) }, 'bulk'),
        {
          ...opts,
          cancelled: 'scaffold analysis cancelled; the library is unchanged',
        },
      )
    ).flat();
    const count = new Map<string, number>();
    for (const s of scaffolds) if (s) count.set(s, (count.get(s) ?? 0) + 1);
    const set = this.db.prepare(
      `UPDATE library_members SET props = json_set(props, @scaffoldPath, @scaffold, @sizePath, @size)
        WHERE library_id = @library AND compound_id = @compound AND duplicate_of IS NULL`,
    );
    const paths = { scaffoldPath: columnPath(SCAFFOLD_COLUMNS.scaffold), sizePath: columnPath(SCAFFOLD_COLUMNS.size) };
    this.db.transaction(() => {
      rows.forEach((r, i) => {
        const s = scaffolds[i] ?? null;
        // Acyclic compounds share no scaffold: no size (an empty scaffold is not a series).
        set.run({ ...paths, library: lib.id, compound: r.id, scaffold: s, size: s ? (count.get(s) ?? null) : null });
      });
    })();
    this.columns.detect(lib.id);
    return {
      library,
      compounds: rows.length,
      scaffolds: count.size,
      acyclic: scaffolds.filter((s) => s === '').length,
      columns: Object.values(SCAFFOLD_COLUMNS),
      seconds: (performance.now() - started) / 1000,
    };
  }

  /**
   * The library's scaffolds, most compounds first (ties: the scaffold's SMILES), with a numeric column's
   * (the library's own or a descriptor) mean, min and max over each scaffold's compounds.
   */
  summary(library: string, column?: string, limit = 200): ScaffoldRow[] {
    const lib = this.libraries.library(library);
    const types = this.columns.types(lib.id);
    if (!types.has(SCAFFOLD_COLUMNS.scaffold))
      throw new AppError('INVALID_INPUT', `library '${library}' has no scaffolds yet: run the scaffold analysis first`);
    const params: Record<string, unknown> = { library: lib.id, scaffold: columnPath(SCAFFOLD_COLUMNS.scaffold), limit };
    let value = 'NULL';
    if (column !== undefined) {
      if (column in DESCRIPTOR_COLUMN) value = `c.${DESCRIPTOR_COLUMN[column as DescriptorName]}`;
      else if (types.get(column) === 'number') {
        params.col = columnPath(column);
        value = columnExpr('number', 'col');
      } else throw new AppError('INVALID_INPUT', `'${column}' is not a number column or a descriptor of library '${library}'`);
    }
    return this.db
      .prepare(
        `SELECT json_extract(m.props, @scaffold) AS scaffold, COUNT(*) AS compounds, AVG(${value}) AS mean, MIN(${value}) AS min, MAX(${value}) AS max
           FROM library_members m JOIN compounds c ON c.id = m.compound_id
          WHERE m.library_id = @library AND m.duplicate_of IS NULL AND COALESCE(json_extract(m.props, @scaffold), '') != ''
          GROUP BY 1 ORDER BY compounds DESC, scaffold LIMIT @limit`,
      )
      .all(params) as ScaffoldRow[];
  }

  /**
   * The SAR table of chosen compounds: RDKit's R-group decomposition around `core` (drawn), or around their
   * maximum common substructure; each matched compound with its R groups and its row (columns, descriptors).
   */
  async rgroups(library: string, ids: number[], core?: string): Promise<RGroupResult> {
    const lib = this.libraries.library(library);
    const rows = new CompoundRepo(this.db).byIds(lib.id, ids);
    if (rows.length < 2 && core === undefined) throw new AppError('INVALID_INPUT', 'choose at least two compounds of the library (or draw a core)');
    const t = await this.chem.run({ op: 'rgroups', smiles: rows.map((r) => r.smiles), ...(core !== undefined ? { core } : {}) });
    return {
      core: t.core,
      found: t.found,
      labels: t.labels,
      rows: t.rows.map((r) => ({ ...(rows[r.index] as (typeof rows)[number]), groups: r.groups })),
      unmatched: t.unmatched.map((i) => (rows[i] as (typeof rows)[number]).id),
    };
  }
}
