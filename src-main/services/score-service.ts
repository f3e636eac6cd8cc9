import type { DescriptorName, ScoreResult } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { extent } from '../../src-shared/extent';
import { type ScoreDefinition, mpoScore } from '../../src-shared/mpo';
import { ColumnRepo, columnPath } from '../db/column-repo';
import { DESCRIPTOR_COLUMN } from '../db/compound-repo';
import type { Db } from '../db/database';
import type { LibraryService } from './library-service';

const isDescriptor = (c: string): c is DescriptorName => c in DESCRIPTOR_COLUMN;

/**
 * Desirability (MPO) scores of a library: a definition (per column a desirability function and a weight)
 * is saved with the library and its score, the weighted geometric mean, written as a number column of the
 * library (0–1), which sorts, filters, plots and exports like any other. Saving a definition again
 * rescores (after an import, say).
 */
export class ScoreService {
  private readonly columns: ColumnRepo;

  constructor(
    private readonly db: Db,
    private readonly libraries: LibraryService,
  ) {
    this.columns = new ColumnRepo(db);
  }

  /** The library's saved score definitions. */
  list(library: string): ScoreDefinition[] {
    const lib = this.libraries.library(library);
    return (this.db.prepare('SELECT definition FROM library_scores WHERE library_id = ? ORDER BY name').pluck().all(lib.id) as string[]).map(
      (d) => JSON.parse(d) as ScoreDefinition,
    );
  }

  /** Saves the definition and (re)scores every compound of the library. */
  score(library: string, def: ScoreDefinition): ScoreResult {
    const lib = this.libraries.library(library);
    const types = this.columns.types(lib.id);
    if (def.name.includes('"')) throw new AppError('INVALID_INPUT', `a score's name cannot contain a double quote: ${def.name}`);
    const saved = new Set(this.list(library).map((d) => d.name));
    if (types.has(def.name) && !saved.has(def.name))
      throw new AppError('INVALID_INPUT', `'${def.name}' is a column of the library's files already: give the score another name`);
    for (const t of def.terms) {
      if (t.column === def.name) throw new AppError('INVALID_INPUT', `the score '${def.name}' cannot use itself as a term`);
      if (!isDescriptor(t.column) && types.get(t.column) !== 'number')
        throw new AppError('INVALID_INPUT', `'${t.column}' is not a number column or a descriptor of library '${library}' (a score's terms are numbers)`);
    }
    const own = def.terms.filter((t) => !isDescriptor(t.column)).map((t) => t.column);
    const rows = this.db
      .prepare(
        `SELECT m.compound_id AS id, m.props, ${Object.entries(DESCRIPTOR_COLUMN)
          .map(([k, col]) => `c.${col} AS "${k}"`)
          .join(', ')}
           FROM library_members m JOIN compounds c ON c.id = m.compound_id WHERE m.library_id = ? AND m.duplicate_of IS NULL`,
      )
      .all(lib.id) as Array<Record<string, unknown> & { id: number; props: string }>;
    const set = this.db.prepare(
      'UPDATE library_members SET props = json_set(props, @path, @score) WHERE library_id = @library AND compound_id = @id AND duplicate_of IS NULL',
    );
    const scores: number[] = [];
    let unscored = 0;
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO library_scores (library_id, name, definition) VALUES (?, ?, ?) ON CONFLICT (library_id, name) DO UPDATE SET definition = excluded.definition, updated_at = datetime('now')",
        )
        .run(lib.id, def.name, JSON.stringify(def));
      for (const r of rows) {
        const props = own.length ? (JSON.parse(r.props) as Record<string, unknown>) : {};
        const s = mpoScore(def.terms, (c) => {
          const v = isDescriptor(c) ? r[c] : props[c];
          return typeof v === 'number' ? v : null;
        });
        if (s === null) unscored++;
        else scores.push(s);
        set.run({ path: columnPath(def.name), score: s === null ? null : Math.round(s * 10000) / 10000, library: lib.id, id: r.id });
      }
    })();
    this.columns.detect(lib.id);
    const [min, max] = extent(scores);
    return {
      library,
      name: def.name,
      scored: scores.length,
      unscored,
      min: scores.length ? min : null,
      mean: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      max: scores.length ? max : null,
    };
  }
}
