import type { CompoundQuery, DescriptorName } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { ColumnRepo, columnExpr, columnPath } from '../db/column-repo';
import { DESCRIPTOR_COLUMN } from '../db/compound-repo';
import type { Db } from '../db/database';
import type { LibraryService } from './library-service';

/** The column name of the Tanimoto to a similarity query's structure. */
export const SIMILARITY = 'similarity';

/** The values a plot draws: per compound (import order) its id and each asked column's number (null: none). */
export interface PlotValues {
  ids: number[];
  columns: string[];
  /** One array per column, aligned with `ids`. */
  values: Array<Array<number | null>>;
}

/**
 * The numbers behind the plots: any numeric columns (descriptors, the library's own number columns, scores,
 * predictions, cluster sizes; with a similarity query its Tanimoto, `similarity`) of every compound the
 * query keeps, in one call; compact, column by column.
 */
export class PlotService {
  private readonly columns: ColumnRepo;

  constructor(
    private readonly db: Db,
    private readonly libraries: LibraryService,
  ) {
    this.columns = new ColumnRepo(db);
  }

  async values(q: Omit<CompoundQuery, 'limit' | 'offset' | 'sort'> & { columns: string[] }): Promise<PlotValues> {
    const lib = this.libraries.library(q.library);
    const types = this.columns.types(lib.id);
    const params: Record<string, unknown> = { library: lib.id };
    // With a similarity query, `similarity` is each compound's Tanimoto to it (filled in below).
    const bySimilarity = q.similar !== undefined && q.columns.includes(SIMILARITY);
    const exprs = q.columns.map((c, i) => {
      if (c in DESCRIPTOR_COLUMN) return `c.${DESCRIPTOR_COLUMN[c as DescriptorName]}`;
      if (c === SIMILARITY && bySimilarity) return 'NULL';
      if (types.get(c) !== 'number') throw new AppError('INVALID_INPUT', `'${c}' is not a number column or a descriptor of library '${q.library}'`);
      params[`p${i}`] = columnPath(c);
      return columnExpr('number', `p${i}`);
    });
    const { columns: _c, ...query } = q;
    const narrowed = q.substructure !== undefined || q.similar !== undefined || q.ranges !== undefined || (q.filters?.length ?? 0) > 0;
    let within = '';
    const similarity = bySimilarity ? await this.libraries.similarities(query) : null;
    if (narrowed) {
      params.within = JSON.stringify(similarity ? [...similarity.keys()] : await this.libraries.matchingIds({ ...query, sort: { by: 'import' } }));
      within = 'AND c.id IN (SELECT value FROM json_each(@within))';
    }
    // The descriptors through their covering index: a plot of 150k compounds reads none of their wide rows.
    const rows = this.db
      .prepare(
        `SELECT c.id, ${exprs.map((e, i) => `${e} AS v${i}`).join(', ')}
           FROM library_members m JOIN compounds c INDEXED BY compounds_descriptors ON c.id = m.compound_id
          WHERE m.library_id = @library AND m.duplicate_of IS NULL ${within} ORDER BY m.id`,
      )
      .raw()
      .all(params) as Array<Array<number | null>>;
    return {
      ids: rows.map((r) => r[0] as number),
      columns: q.columns,
      values: q.columns.map((c, i) =>
        c === SIMILARITY && similarity ? rows.map((r) => similarity.get(r[0] as number) ?? null) : rows.map((r) => (r[i + 1] as number | null) ?? null),
      ),
    };
  }
}
