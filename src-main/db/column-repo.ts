import type { ColumnFilter, ColumnType, LibraryColumn, PropValue } from '../../src-shared/dto';
import type { Db } from './database';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const BOOLEAN = /^(true|false|yes|no)$/i;

/** Values counted per type while a column is scanned. */
interface Tally {
  position: number;
  values: number;
  numbers: number;
  booleans: number;
  dates: number;
}

/**
 * The type a column's values suggest: number when (nearly) all are numbers (up to 5% may be notes such as
 * "n.d." or "<10", which then have no numeric value), boolean when all are true/false/yes/no, date when
 * all are ISO dates (YYYY-MM-DD, optionally with a time), else text. 0/1 columns stay numbers (the
 * chemist can make them booleans).
 */
export function detectType(t: Omit<Tally, 'position'>): ColumnType {
  if (t.values === 0) return 'text';
  if (t.numbers === t.values || (t.numbers >= 0.95 * t.values && t.values >= 20)) return 'number';
  if (t.booleans === t.values) return 'boolean';
  if (t.dates === t.values) return 'date';
  return 'text';
}

function tally(t: Tally, v: PropValue): void {
  if (v === null || v === '') return;
  t.values++;
  if (typeof v === 'number') t.numbers++;
  else if (BOOLEAN.test(v)) t.booleans++;
  else if (ISO_DATE.test(v)) t.dates++;
}

/** The JSON path of a column in library_members.props (names with a double quote cannot be addressed). */
export function columnPath(name: string): string {
  if (name.includes('"')) throw new Error(`column names with a double quote cannot be sorted or filtered: ${name}`);
  return `$."${name}"`;
}

/**
 * The SQL value of a column in its type (parameter `@${param}` holds its JSON path): numbers only for
 * number columns (a note such as "n.d." is no value), 1/0 for booleans, the text for text and dates.
 */
export function columnExpr(type: ColumnType, param: string): string {
  const v = `json_extract(m.props, @${param})`;
  const t = `json_type(m.props, @${param})`;
  switch (type) {
    case 'number':
      return `(CASE WHEN ${t} IN ('integer', 'real') THEN ${v} END)`;
    case 'boolean':
      return `(CASE lower(CAST(${v} AS TEXT)) WHEN 'true' THEN 1 WHEN 'yes' THEN 1 WHEN '1' THEN 1 WHEN 'false' THEN 0 WHEN 'no' THEN 0 WHEN '0' THEN 0 END)`;
    default:
      return `(CASE WHEN ${t} IN ('text', 'integer', 'real') THEN CAST(${v} AS TEXT) END)`;
  }
}

/** SQL conditions (ANDed) for column filters, binding their parameters into `params`. */
export function filterConditions(filters: ColumnFilter[] | undefined, types: Map<string, ColumnType>, params: Record<string, unknown>): string[] {
  const where: string[] = [];
  (filters ?? []).forEach((f, i) => {
    const type = types.get(f.column);
    if (!type) throw new Error(`no column '${f.column}' in this library`);
    const p = `fcol${i}`;
    params[p] = columnPath(f.column);
    const e = columnExpr(type, p);
    where.push(`${e} IS NOT NULL`);
    if (f.min !== undefined) {
      where.push(`${e} >= @fmin${i}`);
      params[`fmin${i}`] = type === 'number' ? Number(f.min) : String(f.min);
    }
    if (f.max !== undefined) {
      where.push(`${e} <= @fmax${i}`);
      // A date's upper bound takes the whole day (2024-05-01 includes 2024-05-01T17:00).
      params[`fmax${i}`] = type === 'number' ? Number(f.max) : type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(String(f.max)) ? `${f.max}\uffff` : String(f.max);
    }
    if (f.equals !== undefined) {
      if (type === 'boolean') {
        const b = /^(true|yes|1)$/i.test(f.equals) ? 1 : /^(false|no|0)$/i.test(f.equals) ? 0 : null;
        if (b === null) throw new Error(`'${f.column}' is a yes/no column: filter it with true or false, not '${f.equals}'`);
        where.push(`${e} = ${b}`);
      } else if (type === 'number') {
        where.push(`${e} = @feq${i}`);
        params[`feq${i}`] = Number(f.equals);
      } else {
        where.push(f.exact ? `${e} = @feq${i}` : `lower(${e}) = lower(@feq${i})`);
        params[`feq${i}`] = f.equals;
      }
    }
    if (f.contains !== undefined) {
      where.push(`instr(lower(${e}), lower(@fhas${i})) > 0`);
      params[`fhas${i}`] = f.contains;
    }
  });
  return where;
}

/** A library's own columns: detected from the members' properties, typed by the chemist. */
export class ColumnRepo {
  constructor(private readonly db: Db) {}

  /** The columns in the order first seen (detected on first use for a library imported before columns were). */
  list(libraryId: number): LibraryColumn[] {
    const rows = this.rows(libraryId);
    if (rows.length) return rows;
    const any = this.db.prepare("SELECT 1 FROM library_members WHERE library_id = ? AND props != '{}' LIMIT 1").get(libraryId);
    if (!any) return [];
    this.detect(libraryId);
    return this.rows(libraryId);
  }

  /** Name → type, for queries. */
  types(libraryId: number): Map<string, ColumnType> {
    return new Map(this.list(libraryId).map((c) => [c.name, c.type]));
  }

  private rows(libraryId: number): LibraryColumn[] {
    return this.db.prepare('SELECT name, type, detected, filled FROM library_columns WHERE library_id = ? ORDER BY position').all(libraryId) as LibraryColumn[];
  }

  /**
   * (Re)detects the columns from every distinct compound's properties (the first record of each): a
   * type the chemist changed is kept, the others follow the values.
   */
  detect(libraryId: number): void {
    const tallies = new Map<string, Tally>();
    const stmt = this.db.prepare("SELECT m.props FROM library_members m WHERE m.library_id = ? AND m.duplicate_of IS NULL AND m.props != '{}' ORDER BY m.id");
    for (const r of stmt.iterate(libraryId) as Iterable<{ props: string }>) {
      const props = JSON.parse(r.props) as Record<string, PropValue>;
      for (const [k, v] of Object.entries(props)) {
        let t = tallies.get(k);
        if (!t) tallies.set(k, (t = { position: tallies.size, values: 0, numbers: 0, booleans: 0, dates: 0 }));
        tally(t, v);
      }
    }
    this.db.transaction(() => {
      const old = new Map(this.rows(libraryId).map((c) => [c.name, c]));
      this.db.prepare('DELETE FROM library_columns WHERE library_id = ?').run(libraryId);
      const insert = this.db.prepare('INSERT INTO library_columns (library_id, name, type, detected, position, filled) VALUES (?, ?, ?, ?, ?, ?)');
      for (const [name, t] of tallies) {
        const detected = detectType(t);
        const before = old.get(name);
        const type = before && before.type !== before.detected ? before.type : detected;
        insert.run(libraryId, name, type, detected, t.position, t.values);
      }
    })();
  }

  /** Sets a column's type; false when the library has no such column. */
  setType(libraryId: number, name: string, type: ColumnType): boolean {
    this.list(libraryId);
    return this.db.prepare('UPDATE library_columns SET type = ? WHERE library_id = ? AND name = ?').run(type, libraryId, name).changes > 0;
  }
}
