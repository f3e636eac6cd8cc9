import type { ColumnFilter, ColumnType, CompoundRow, DescriptorName, DescriptorRanges, Descriptors, PropValue, SortKey } from '../../src-shared/dto';
import type { StandardisedCompound } from '../chem/standardise';
import type { SearchItem } from '../chem/substructure';
import { columnExpr, columnPath, filterConditions } from './column-repo';
import type { Db } from './database';

const DESCRIPTOR_COLUMNS = `c.mw, c.clogp, c.tpsa, c.hbd, c.hba, c.rotatable_bonds AS rotatableBonds, c.rings,
  c.aromatic_rings AS aromaticRings, c.fraction_sp3 AS fractionSp3, c.heavy_atoms AS heavyAtoms,
  c.lipinski_violations AS lipinskiViolations, c.descriptors_pending AS descriptorsPending`;

/** Compound columns (table alias c) by descriptor name. */
export const DESCRIPTOR_COLUMN: Record<DescriptorName, string> = {
  mw: 'mw',
  clogp: 'clogp',
  tpsa: 'tpsa',
  hbd: 'hbd',
  hba: 'hba',
  rotatableBonds: 'rotatable_bonds',
  rings: 'rings',
  aromaticRings: 'aromatic_rings',
  fractionSp3: 'fraction_sp3',
  heavyAtoms: 'heavy_atoms',
  lipinskiViolations: 'lipinski_violations',
};

/** SQL conditions on `c.<column>` for descriptor ranges, their named parameters added to `params`. */
export function rangeConditions(ranges: DescriptorRanges | undefined, params: Record<string, unknown>): string[] {
  const where: string[] = [];
  for (const [name, range] of Object.entries(ranges ?? {})) {
    const col = DESCRIPTOR_COLUMN[name as DescriptorName];
    if (!col) throw new Error(`unknown property '${name}'`);
    if (range?.min !== undefined) {
      where.push(`c.${col} >= @min_${col}`);
      params[`min_${col}`] = range.min;
    }
    if (range?.max !== undefined) {
      where.push(`c.${col} <= @max_${col}`);
      params[`max_${col}`] = range.max;
    }
  }
  return where;
}

/** Which of a library's compounds: descriptor ranges and filters on its own columns (of these types). */
export interface CompoundFilter {
  ranges?: DescriptorRanges;
  filters?: ColumnFilter[];
  /** The library's columns and their types (needed by column filters and column sorts). */
  types?: Map<string, ColumnType>;
  /** Only these compounds (a search's hits), to be sorted and paged by SQL. */
  within?: number[];
}

/** Browse options: the filter and a multi-key order (import order when empty; import order breaks ties). */
export interface BrowseOptions extends CompoundFilter {
  sort?: SortKey[];
}

/**
 * FROM/WHERE of the library's distinct compounds passing the filter (parameter @library), joined to their
 * compounds: whole rows (`rows`); only the descriptors, through their covering index (`descriptors`: all that
 * conditions and orders read of c); or not at all (only the members' own columns: ids, import order, the
 * file's columns), when a count or an order over a large library reads one index
 * (library_members_distinct_in_order) instead of every compound row.
 */
function membersWhere(f: CompoundFilter, params: Record<string, unknown>, compounds: 'rows' | 'descriptors' | false = 'rows'): string {
  const where = [
    'm.library_id = @library',
    'm.duplicate_of IS NULL',
    ...rangeConditions(f.ranges, params),
    ...filterConditions(f.filters, f.types ?? new Map(), params),
    ...(f.within ? ['m.compound_id IN (SELECT value FROM json_each(@within))'] : []),
  ];
  if (f.within) params.within = JSON.stringify(f.within);
  const join = compounds === 'rows' ? 'JOIN compounds c ' : compounds === 'descriptors' ? 'JOIN compounds c INDEXED BY compounds_descriptors ' : '';
  return `FROM library_members m ${join ? `${join}ON c.id = m.compound_id ` : ''}WHERE ${where.join(' AND ')}`;
}

/** Whether the filter or the order reads the compounds' own columns (descriptors). */
function readsCompounds(f: CompoundFilter, sort: SortKey[] = []): boolean {
  const ranged = Object.values(f.ranges ?? {}).some((r) => r?.min !== undefined || r?.max !== undefined);
  return ranged || sort.some((k) => 'by' in k && k.by !== 'import' && k.by !== 'similarity');
}

/** ORDER BY terms of a multi-key order: empty values last whatever the direction, import order last. */
function orderTerms(sort: SortKey[], types: Map<string, ColumnType>, params: Record<string, unknown>): string {
  const terms: string[] = [];
  sort.forEach((k, i) => {
    const dir = k.desc ? 'DESC' : 'ASC';
    if ('column' in k) {
      const type = types.get(k.column);
      if (!type) throw new Error(`no column '${k.column}' in this library`);
      params[`scol${i}`] = columnPath(k.column);
      const e = columnExpr(type, `scol${i}`);
      terms.push(`${e} IS NULL`, type === 'text' ? `${e} COLLATE NOCASE ${dir}` : `${e} ${dir}`);
    } else if (k.by === 'import') terms.push(`m.id ${dir}`);
    // Descriptors still being computed (NULL) come last either way, as a file column's empty cells do.
    else if (k.by !== 'similarity') terms.push(`c.${DESCRIPTOR_COLUMN[k.by]} IS NULL`, `c.${DESCRIPTOR_COLUMN[k.by]} ${dir}`);
  });
  return [...terms, 'm.id'].join(', ');
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

interface FlatRow extends Nullable<Descriptors> {
  descriptorsPending: number;
  id: number;
  smiles: string;
  inchikey: string;
  formula: string | null;
  originalId: string | null;
  props: string;
}

/** Turns a flat SQL row into the wire shape. */
function toCompound(r: FlatRow): CompoundRow {
  const { id, smiles, inchikey, formula, originalId, props, descriptorsPending, ...d } = r;
  return {
    ...(descriptorsPending ? { descriptorsPending: true } : {}),
    id,
    smiles,
    inchikey,
    formula,
    originalId,
    props: JSON.parse(props) as Record<string, PropValue>,
    // All or none: they are computed and stored together.
    descriptors: d.mw === null ? null : (d as Descriptors),
  };
}

const NO_DESCRIPTORS: Nullable<Descriptors> = {
  mw: null,
  clogp: null,
  tpsa: null,
  hbd: null,
  hba: null,
  rotatableBonds: null,
  rings: null,
  aromaticRings: null,
  fractionSp3: null,
  heavyAtoms: null,
  lipinskiViolations: null,
};

/** Compounds (one per standardised structure) and their membership in libraries. */
export class CompoundRepo {
  private readonly upsertStmt;
  private readonly firstMemberStmt;

  constructor(private readonly db: Db) {
    // DO UPDATE (a no-op) instead of DO NOTHING so RETURNING gives the id of an existing row too.
    this.upsertStmt = db.prepare(
      `INSERT INTO compounds (inchikey, smiles, formula, mw, clogp, tpsa, hbd, hba, rotatable_bonds, rings, aromatic_rings,
                              fraction_sp3, heavy_atoms, lipinski_violations, fp, model_smiles, pattern_fp, descriptors_pending)
       VALUES (@inchikey, @smiles, @formula, @mw, @clogp, @tpsa, @hbd, @hba, @rotatableBonds, @rings, @aromaticRings,
               @fractionSp3, @heavyAtoms, @lipinskiViolations, @fp, @modelSmiles, @patternFp, @pending)
       ON CONFLICT (inchikey) DO UPDATE SET inchikey = excluded.inchikey
       RETURNING id`,
    );
    this.firstMemberStmt = db.prepare('SELECT id FROM library_members WHERE library_id = ? AND compound_id = ? ORDER BY id LIMIT 1');
  }

  /**
   * Inserts the compound unless one with the same InChIKey exists; returns its id either way. Without
   * descriptors (a deferred standardisation) it is marked as waiting for them (see descriptor-fill.ts).
   */
  upsert(c: StandardisedCompound): number {
    const row = this.upsertStmt.get({
      inchikey: c.inchikey,
      smiles: c.smiles,
      formula: c.formula,
      ...(c.descriptors ?? NO_DESCRIPTORS),
      pending: c.descriptors ? 0 : 1,
      fp: Buffer.from(c.fp.buffer, c.fp.byteOffset, c.fp.byteLength),
      modelSmiles: c.modelSmiles,
      patternFp: c.patternFp ? Buffer.from(c.patternFp.buffer, c.patternFp.byteOffset, c.patternFp.byteLength) : null,
    }) as { id: number };
    return row.id;
  }

  /** The first member of the library holding this compound, if any. */
  firstMember(libraryId: number, compoundId: number): number | null {
    const row = this.firstMemberStmt.get(libraryId, compoundId) as { id: number } | undefined;
    return row?.id ?? null;
  }

  /** A page of the library's compounds (first member's id and properties), in the order asked (import order by default). */
  page(libraryId: number, limit: number, offset: number, opts: BrowseOptions = {}): CompoundRow[] {
    const params: Record<string, unknown> = { library: libraryId, limit, offset };
    const sort = opts.sort ?? [];
    const order = orderTerms(sort, opts.types ?? new Map(), params);
    const columns = `c.id, c.smiles, c.inchikey, c.formula, m.original_id AS originalId, m.props, ${DESCRIPTOR_COLUMNS}`;
    // The page's members first (on the members alone, or with the descriptors' index), then only their
    // compounds (not those of every row an offset skips), put back in the page's order.
    const members = this.db
      .prepare(`SELECT m.id ${membersWhere(opts, params, readsCompounds(opts, sort) && 'descriptors')} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
      .pluck()
      .all(params) as number[];
    const rows = this.db
      .prepare(`SELECT m.id AS mid, ${columns} FROM library_members m JOIN compounds c ON c.id = m.compound_id WHERE m.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(members)) as Array<FlatRow & { mid: number }>;
    const byMember = new Map(rows.map(({ mid, ...r }) => [mid, r]));
    return members.flatMap((id) => {
      const r = byMember.get(id);
      return r ? [toCompound(r)] : [];
    });
  }

  /** The ids of every compound passing the filter, in the order asked (a selection of all that match). */
  ids(libraryId: number, opts: BrowseOptions = {}): number[] {
    const params: Record<string, unknown> = { library: libraryId };
    const from = membersWhere(opts, params, readsCompounds(opts, opts.sort) && 'descriptors');
    const order = orderTerms(opts.sort ?? [], opts.types ?? new Map(), params);
    return this.db.prepare(`SELECT m.compound_id ${from} ORDER BY ${order}`).pluck().all(params) as number[];
  }

  /**
   * Copies the library's records of these compounds (the first record of each, with its properties) into
   * another library, in the order given; returns how many were copied.
   */
  copyMembers(fromLibrary: number, toLibrary: number, ids: number[]): number {
    const stmt = this.db.prepare(
      `INSERT INTO library_members (library_id, compound_id, import_id, record, line, original_id, original, props, duplicate_of)
       SELECT @to, m.compound_id, NULL, @record, m.line, m.original_id, m.original, m.props, NULL
         FROM library_members m WHERE m.library_id = @from AND m.compound_id = @id AND m.duplicate_of IS NULL ORDER BY m.id LIMIT 1`,
    );
    let n = 0;
    for (const id of ids) n += stmt.run({ to: toLibrary, from: fromLibrary, id, record: n + 1 }).changes;
    return n;
  }

  /** How many of the library's distinct compounds pass the filter. */
  count(libraryId: number, f: CompoundFilter = {}): number {
    const params: Record<string, unknown> = { library: libraryId };
    return (this.db.prepare(`SELECT COUNT(*) AS n ${membersWhere(f, params, readsCompounds(f) && 'descriptors')}`).get(params) as { n: number }).n;
  }

  /** The library's compounds with these ids, in the order given. */
  byIds(libraryId: number, ids: number[]): CompoundRow[] {
    if (ids.length === 0) return [];
    const stmt = this.db.prepare(
      `SELECT c.id, c.smiles, c.inchikey, c.formula, m.original_id AS originalId, m.props, ${DESCRIPTOR_COLUMNS}
         FROM library_members m JOIN compounds c ON c.id = m.compound_id
        WHERE m.library_id = ? AND m.compound_id = ? AND m.duplicate_of IS NULL`,
    );
    return ids.flatMap((id) => {
      const r = stmt.get(libraryId, id) as FlatRow | undefined;
      return r ? [toCompound(r)] : [];
    });
  }

  /** Streams (id, fingerprint) of the library's distinct compounds. */
  *fingerprints(libraryId: number, f: CompoundFilter = {}): Generator<{ id: number; fp: Uint8Array }> {
    const params: Record<string, unknown> = { library: libraryId };
    const stmt = this.db.prepare(`SELECT c.id, c.fp ${membersWhere(f, params)} ORDER BY m.id`);
    for (const r of stmt.iterate(params) as Iterable<{ id: number; fp: Buffer }>) yield { id: r.id, fp: r.fp };
  }

  /** Streams (id, smiles, pattern fingerprint) of the library's distinct compounds in import order: what a substructure search reads. */
  *structures(libraryId: number, f: CompoundFilter = {}): Generator<SearchItem> {
    const params: Record<string, unknown> = { library: libraryId };
    const stmt = this.db.prepare(`SELECT c.id, c.smiles, c.pattern_fp AS patternFp ${membersWhere(f, params)} ORDER BY m.id`);
    yield* stmt.iterate(params) as Iterable<SearchItem>;
  }

  /** (id, smiles, pattern fingerprint) of these compounds, in the order given (unknown ids left out). */
  structuresOf(ids: number[]): SearchItem[] {
    const stmt = this.db.prepare('SELECT id, smiles, pattern_fp AS patternFp FROM compounds WHERE id = ?');
    return ids.flatMap((id) => {
      const r = stmt.get(id) as SearchItem | undefined;
      return r ? [r] : [];
    });
  }

  /** Stores pattern fingerprints computed by a search for compounds imported before they were kept. */
  setPatternFps(fps: Array<{ id: number; patternFp: Uint8Array }>): void {
    if (fps.length === 0) return;
    const stmt = this.db.prepare('UPDATE compounds SET pattern_fp = ? WHERE id = ? AND pattern_fp IS NULL');
    this.db.transaction(() => {
      for (const f of fps) stmt.run(Buffer.from(f.patternFp.buffer, f.patternFp.byteOffset, f.patternFp.byteLength), f.id);
    })();
  }

  /** How many compounds still wait for their descriptors (a library's count: LibraryRepo.list). */
  pendingDescriptors(): number {
    return this.db.prepare('SELECT COUNT(*) FROM compounds WHERE descriptors_pending = 1').pluck().get() as number;
  }

  /** The next compounds (by id, after `afterId`) that wait for their descriptors, with their SMILES. */
  waitingForDescriptors(afterId: number, limit: number): Array<{ id: number; smiles: string }> {
    return this.db.prepare('SELECT id, smiles FROM compounds WHERE descriptors_pending = 1 AND id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Array<{
      id: number;
      smiles: string;
    }>;
  }

  /**
   * Stores computed descriptors and pattern fingerprints (a pattern fingerprint a search stored meanwhile is
   * kept); `descriptors` null: RDKit could not compute them, and they are not tried again.
   */
  saveDescriptors(rows: Array<{ id: number; descriptors: Descriptors | null; patternFp: Uint8Array | null }>): void {
    const stmt = this.db.prepare(
      `UPDATE compounds SET mw = @mw, clogp = @clogp, tpsa = @tpsa, hbd = @hbd, hba = @hba, rotatable_bonds = @rotatableBonds, rings = @rings,
              aromatic_rings = @aromaticRings, fraction_sp3 = @fractionSp3, heavy_atoms = @heavyAtoms, lipinski_violations = @lipinskiViolations,
              pattern_fp = COALESCE(pattern_fp, @patternFp), descriptors_pending = 0
        WHERE id = @id AND descriptors_pending = 1`,
    );
    this.db.transaction(() => {
      for (const r of rows)
        stmt.run({
          id: r.id,
          ...(r.descriptors ?? NO_DESCRIPTORS),
          patternFp: r.patternFp ? Buffer.from(r.patternFp.buffer, r.patternFp.byteOffset, r.patternFp.byteLength) : null,
        });
    })();
  }

  /** One compound with every library record that refers to it. */
  get(
    id: number,
  ):
    | (CompoundRow & { members: Array<{ library: string; originalId: string | null; record: number; original: string; props: Record<string, PropValue> }> })
    | null {
    const r = this.db
      .prepare(
        `SELECT c.id, c.smiles, c.inchikey, c.formula, m.original_id AS originalId, COALESCE(m.props, '{}') AS props, ${DESCRIPTOR_COLUMNS}
           FROM compounds c LEFT JOIN library_members m ON m.compound_id = c.id
          WHERE c.id = ? ORDER BY m.id LIMIT 1`,
      )
      .get(id) as FlatRow | undefined;
    if (!r) return null;
    const members = (
      this.db
        .prepare(
          `SELECT l.name AS library, m.original_id AS originalId, m.record, m.original, m.props
             FROM library_members m JOIN libraries l ON l.id = m.library_id WHERE m.compound_id = ? ORDER BY m.id`,
        )
        .all(id) as Array<{ library: string; originalId: string | null; record: number; original: string; props: string }>
    ).map((m) => ({ ...m, props: JSON.parse(m.props) as Record<string, PropValue> }));
    return { ...toCompound(r), members };
  }

  /** Every member of a library (duplicates included) for export. */
  *members(libraryId: number): Generator<FlatRow & { record: number }> {
    const stmt = this.db.prepare(
      `SELECT c.id, c.smiles, c.inchikey, c.formula, m.original_id AS originalId, m.props, m.record, ${DESCRIPTOR_COLUMNS}
         FROM library_members m JOIN compounds c ON c.id = m.compound_id
        WHERE m.library_id = ? ORDER BY m.id`,
    );
    yield* stmt.iterate(libraryId) as Iterable<FlatRow & { record: number }>;
  }

  conformer(id: number): string | null {
    const r = this.db.prepare('SELECT molblock FROM conformers WHERE compound_id = ?').get(id) as { molblock: string } | undefined;
    return r?.molblock ?? null;
  }

  saveConformer(id: number, molblock: string, method: string): void {
    this.db
      .prepare('INSERT INTO conformers (compound_id, molblock, method) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET molblock = excluded.molblock')
      .run(id, molblock, method);
  }
}
