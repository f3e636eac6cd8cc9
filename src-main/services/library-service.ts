import type {
  ColumnFilter,
  ColumnType,
  CompoundDetail,
  CompoundPage,
  CompoundQuery,
  CompoundRow,
  LibraryColumn,
  LibrarySummary,
  PropValue,
  SearchProgress,
  SortKey,
} from '../../src-shared/dto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compoundName } from '../../src-shared/compound-name';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import { loadRdkit, morganOf, popcount, tanimoto } from '../chem/rdkit';
import type { Db } from '../db/database';
import { ColumnRepo } from '../db/column-repo';
import { type CompoundFilter, CompoundRepo } from '../db/compound-repo';
import { LibraryRepo, type LibraryRow } from '../db/library-repo';
import { exportFormat } from './file-writers';
import { writeCompounds } from './compound-export';
import { SubstructureSearch } from './substructure-search';

const DEFAULT_LIMIT = 100;
/** A browsed library is indexed for structure search this long after its page is answered (the next pages first). */
const WARM_DELAY_MS = 300;
/** The largest selection handed to the app as one download (a string in memory on both sides). */
const MAX_DOWNLOAD_BYTES = 256 * 2 ** 20;

/** Browsing, searching, exporting and deleting libraries. */
export class LibraryService {
  private readonly libraries: LibraryRepo;
  private readonly compounds: CompoundRepo;
  private readonly columns: ColumnRepo;
  private readonly search: SubstructureSearch;

  /** When each library was last indexed ahead of a search. */
  private readonly warmed = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly chem: ChemPool,
    /**
     * warmSearch: browsing a library indexes it for structure search in the background (the app; not the
     * CLI). progress: where the progress of searches tagged with a searchId goes (search.progress events).
     * searchChunk: compounds per search task (default SUBSTRUCTURE_CHUNK).
     */
    private readonly opts: { warmSearch?: boolean; progress?: (p: SearchProgress) => void; searchChunk?: number } = {},
  ) {
    this.libraries = new LibraryRepo(db);
    this.compounds = new CompoundRepo(db);
    this.columns = new ColumnRepo(db);
    this.search = new SubstructureSearch(chem, this.compounds, opts.searchChunk);
  }

  list(): LibrarySummary[] {
    return this.libraries.list();
  }

  /** The library of that name, or NOT_FOUND listing the libraries there are. */
  library(name: string): LibraryRow {
    const lib = this.libraries.byName(name);
    if (!lib) {
      const known = this.libraries.list().map((l) => l.name);
      throw new AppError('NOT_FOUND', `no library named '${name}'${known.length ? ` (libraries: ${known.join(', ')})` : ''}`);
    }
    return lib;
  }

  /**
   * Compounds of a library, optionally within descriptor ranges, found by substructure and/or similarity,
   * and sorted; one page of them with the count that matched.
   */
  async query(q: CompoundQuery): Promise<CompoundPage> {
    const { lib, sort, types, filter } = this.prepared(q);
    const limit = q.limit ?? DEFAULT_LIMIT;
    const offset = q.offset ?? 0;
    const total = this.libraries.countCompounds(lib.id);

    if (q.similar === undefined && q.substructure === undefined) {
      this.warmSearch(lib.id);
      return {
        compounds: this.compounds.page(lib.id, limit, offset, { ...filter, sort }),
        total,
        matched: this.compounds.count(lib.id, filter),
        complete: true,
      };
    }

    // An order by values needs every hit; import or similarity order can stop once the page is full.
    const head = sort[0] as SortKey;
    const byValues = sort.some((k) => 'column' in k || (k.by !== 'import' && k.by !== 'similarity'));
    const need = byValues || head.desc || q.similar !== undefined ? Infinity : offset + limit;
    const { hits, complete } = await this.searchHits(q, lib.id, filter, need, true);

    let pageRows: CompoundRow[];
    if (byValues && !sort.some((k) => 'by' in k && k.by === 'similarity')) {
      // Sorted and paged by SQL over the hits: only the page's rows are read.
      pageRows = this.compounds.page(lib.id, limit, offset, { ...filter, sort, within: hits.map((c) => c.id) });
    } else if (byValues) {
      const at = new Map(hits.map((c) => [c.id, c]));
      const rows = this.compounds.byIds(
        lib.id,
        hits.map((c) => c.id),
      );
      const cmp = rowComparator(sort, types, (r) => at.get(r.id)?.similarity ?? 0);
      rows.sort((a, b) => cmp(a, b) || (at.get(a.id)?.at ?? 0) - (at.get(b.id)?.at ?? 0));
      pageRows = rows.slice(offset, offset + limit);
    } else {
      const dir = head.desc ? -1 : 1;
      const ordered = [...hits].sort(
        'by' in head && head.by === 'similarity' ? (a, b) => dir * ((a.similarity ?? 0) - (b.similarity ?? 0)) || a.at - b.at : (a, b) => dir * (a.at - b.at),
      );
      pageRows = this.compounds.byIds(
        lib.id,
        ordered.slice(offset, offset + limit).map((c) => c.id),
      );
    }
    // Similarity of the page's rows only (a similarity search can hit most of a large library).
    const onPage = new Set(pageRows.map((r) => r.id));
    const sim = new Map(q.similar === undefined ? [] : hits.filter((c) => onPage.has(c.id)).map((c) => [c.id, c.similarity]));
    const compounds = pageRows.map((r) => {
      const s = sim.get(r.id);
      return s === undefined ? r : { ...r, similarity: s };
    });
    return { compounds, total, matched: hits.length, complete };
  }

  /**
   * Stops the searches running under this id: a page (compound.list) comes back with what was found so far
   * (complete: false), "every match" (compound.ids) with CANCELLED. False when none runs.
   */
  cancelSearch(searchId: string): boolean {
    return this.search.cancel(searchId);
  }

  /** Indexes a browsed library for structure search in the background (again at most once a minute: new compounds). */
  private warmSearch(libraryId: number): void {
    const last = this.warmed.get(libraryId);
    if (!this.opts.warmSearch || (last !== undefined && Date.now() - last < 60_000)) return;
    this.warmed.set(libraryId, Date.now());
    // After the page has gone out; a failure costs nothing but speed (the search builds what it lacks).
    setTimeout(() => void this.search.warm(libraryId).catch(() => undefined), WARM_DELAY_MS).unref();
  }

  /**
   * The compounds a similarity and/or substructure search finds, each with its import position (any order
   * can be restored from it) and similarity; a substructure scan stops once `need` are found (or, `partial`,
   * when cancelled: what it found so far).
   */
  private async searchHits(
    q: Pick<CompoundQuery, 'similar' | 'minSim' | 'substructure' | 'searchId'>,
    libraryId: number,
    filter: CompoundFilter,
    need: number,
    partial = false,
  ): Promise<{ hits: Array<{ id: number; at: number; similarity?: number }>; complete: boolean }> {
    // Candidates carry their import position, so any order can be restored after filtering.
    let candidates: Array<{ id: number; at: number; similarity?: number }> | null = null;
    if (q.similar !== undefined) {
      const rd = await loadRdkit();
      const fp = morganOf(rd, q.similar);
      if (!fp) throw new AppError('INVALID_INPUT', `cannot parse the similarity query SMILES: ${q.similar}`);
      const minSim = q.minSim ?? 0.5;
      const countQ = popcount(fp);
      const hits: Array<{ id: number; at: number; similarity: number }> = [];
      let at = 0;
      for (const c of this.compounds.fingerprints(libraryId, filter)) {
        const s = tanimoto(fp, c.fp, countQ);
        if (s >= minSim) hits.push({ id: c.id, at, similarity: Math.round(s * 10000) / 10000 });
        at++;
      }
      candidates = hits;
    }

    let complete = true;
    if (q.substructure !== undefined) {
      const { end, ...run } = this.search.tracked(q.searchId, this.opts.progress);
      let found: { ids: number[]; complete: boolean };
      try {
        found = await this.search.ids(libraryId, q.substructure, candidates?.map((c) => c.id) ?? null, filter, { need, partial, ...run });
      } finally {
        end?.();
      }
      complete = found.complete;
      const keep = new Set(found.ids);
      candidates = candidates ? candidates.filter((c) => keep.has(c.id)) : found.ids.map((id, at) => ({ id, at }));
    }
    return { hits: candidates ?? [], complete };
  }

  /** The Tanimoto similarity to the query's `similar` structure of every compound the query matches. */
  async similarities(q: Omit<CompoundQuery, 'limit' | 'offset' | 'sort'>): Promise<Map<number, number>> {
    if (q.similar === undefined) throw new AppError('INVALID_INPUT', 'similarity values need a similarity query');
    const { lib, filter } = this.prepared(q);
    const { hits } = await this.searchHits(q, lib.id, filter, Infinity);
    return new Map(hits.map((h) => [h.id, h.similarity ?? 0]));
  }

  /** The ids of every compound the query matches, in its order: "select all matching". */
  async matchingIds(q: Omit<CompoundQuery, 'limit' | 'offset'>): Promise<number[]> {
    if (q.similar === undefined && q.substructure === undefined) {
      const { lib, sort, filter } = this.prepared(q);
      return this.compounds.ids(lib.id, { ...filter, sort });
    }
    const { lib, sort, filter } = this.prepared(q);
    if (sort.some((k) => 'by' in k && k.by === 'similarity'))
      return (await this.query({ ...q, offset: 0, limit: Number.MAX_SAFE_INTEGER })).compounds.map((c) => c.id);
    // The ids in the order asked, by SQL over the hits: no hit's row is read.
    const { hits } = await this.searchHits(q, lib.id, filter, Infinity);
    return this.compounds.ids(lib.id, { ...filter, sort, within: hits.map((c) => c.id) });
  }

  /** A query's library, its order (the default: similarity for a similarity search, else import order) and its checked filter. */
  private prepared(q: Omit<CompoundQuery, 'limit' | 'offset'>): { lib: LibraryRow; sort: SortKey[]; types: Map<string, ColumnType>; filter: CompoundFilter } {
    const lib = this.library(q.library);
    const given = q.sort === undefined ? [] : Array.isArray(q.sort) ? q.sort : [q.sort];
    const sort: SortKey[] = given.length ? given : [{ by: q.similar !== undefined ? 'similarity' : 'import', desc: q.similar !== undefined }];
    if (sort.some((k) => 'by' in k && k.by === 'similarity') && q.similar === undefined)
      throw new AppError('INVALID_INPUT', 'sorting by similarity needs a similarity query');
    const types = this.columns.types(lib.id);
    this.checkColumns(q.library, types, [...(q.filters ?? []).map((f) => f.column), ...sort.flatMap((k) => ('column' in k ? [k.column] : []))]);
    this.checkFilters(q.filters ?? [], types);
    return { lib, sort, types, filter: { ranges: q.ranges, filters: q.filters, types } };
  }

  /**
   * Writes these compounds of the library (a selection), in the order given, to CSV, SDF or SMILES: the
   * structure, id, InChIKey, descriptors and every column of the library; nothing is cut. Returns how
   * many were written.
   */
  async exportSelection(library: string, ids: number[], out: string, format: 'csv' | 'sdf' | 'smi'): Promise<number> {
    const lib = this.library(library);
    const own = this.columns.list(lib.id).map((c) => c.name);
    // A block at a time: memory stays flat for a selection of a whole large library.
    const rows = function* (this: LibraryService) {
      for (let at = 0; at < ids.length; at += 1000) {
        for (const c of this.compounds.byIds(lib.id, ids.slice(at, at + 1000))) yield { ...c, title: compoundName(c) };
      }
    }.call(this);
    return writeCompounds(out, format, own, rows);
  }

  /** The same as a download (the app saves it): refused, with the CLI that writes a file, when too large to hand over. */
  async downloadSelection(library: string, ids: number[], format: 'csv' | 'sdf' | 'smi'): Promise<{ fileName: string; content: string; written: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'delicate-selection-'));
    try {
      const fileName = `${library}-${ids.length}-selected.${format}`.replace(/[^\w.-]+/g, '_');
      const written = await this.exportSelection(library, ids, join(dir, fileName), format);
      const bytes = (await stat(join(dir, fileName))).size;
      if (bytes > MAX_DOWNLOAD_BYTES)
        throw new AppError(
          'INVALID_INPUT',
          `the selection is ${Math.round(bytes / 2 ** 20)} MiB as ${format.toUpperCase()}, too large to download; write it with \`delicate compounds --library ${library} … --out FILE.${format}\``,
        );
      return { fileName, content: await readFile(join(dir, fileName), 'utf8'), written };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A new library of these compounds (their records and columns, the chemist's column types kept). */
  saveSelection(library: string, ids: number[], name: string): LibrarySummary {
    const lib = this.library(library);
    if (ids.length === 0) throw new AppError('INVALID_INPUT', 'the selection is empty: select compounds first');
    if (this.libraries.byName(name)) throw new AppError('CONFLICT', `a library named '${name}' exists: choose another name`);
    this.db.transaction(() => {
      const created = this.libraries.create(name);
      const copied = this.compounds.copyMembers(lib.id, created.id, ids);
      if (copied === 0) throw new AppError('INVALID_INPUT', `none of the selected compounds is in '${library}'`);
      this.columns.detect(created.id);
      for (const c of this.columns.list(lib.id)) if (c.type !== c.detected) this.columns.setType(created.id, c.name, c.type);
    })();
    return this.libraries.list().find((l) => l.name === name) as LibrarySummary;
  }

  /** A library's own columns with their types (detected at import, changeable). */
  columnsOf(library: string): LibraryColumn[] {
    return this.columns.list(this.library(library).id);
  }

  /** Makes a column sort and filter as another type (its values are kept as they are). */
  setColumnType(library: string, column: string, type: ColumnType): LibraryColumn[] {
    const lib = this.library(library);
    if (!this.columns.setType(lib.id, column, type)) this.checkColumns(library, this.columns.types(lib.id), [column]);
    return this.columns.list(lib.id);
  }

  /** NOT_FOUND for a column the library does not have, naming the ones it has. */
  private checkColumns(library: string, types: Map<string, ColumnType>, names: string[]): void {
    for (const n of names) {
      if (types.has(n)) continue;
      const known = [...types.keys()];
      throw new AppError(
        'NOT_FOUND',
        `library '${library}' has no column '${n}'${known.length ? ` (its columns: ${known.join(', ')})` : ' (its files brought no columns)'}`,
      );
    }
    for (const n of names) {
      if (n.includes('"')) throw new AppError('INVALID_INPUT', `the column '${n}' has a double quote in its name: it cannot be sorted or filtered`);
    }
  }

  /** INVALID_INPUT for a filter its column's type cannot apply (a word on a number column, "maybe" on a yes/no one). */
  private checkFilters(filters: ColumnFilter[], types: Map<string, ColumnType>): void {
    for (const f of filters) {
      const type = types.get(f.column);
      if (type === 'number') {
        for (const [k, v] of [
          ['min', f.min],
          ['max', f.max],
          ['equals', f.equals],
        ] as const) {
          if (v !== undefined && !Number.isFinite(Number(v)))
            throw new AppError('INVALID_INPUT', `'${f.column}' is a number column: its ${k} must be a number, not '${v}'`);
        }
      }
      if (type === 'boolean' && f.equals !== undefined && !/^(true|false|yes|no|1|0)$/i.test(f.equals)) {
        throw new AppError('INVALID_INPUT', `'${f.column}' is a yes/no column: filter it with true or false, not '${f.equals}'`);
      }
      if ((type === 'number' || type === 'boolean') && f.contains !== undefined)
        throw new AppError('INVALID_INPUT', `'${f.column}' is a ${type} column: "contains" applies to text`);
    }
  }

  /** Which of these compounds contain the query (a substructure filter on a screen's hits). */
  async containing(ids: number[], query: string): Promise<number[]> {
    return (await this.search.ids(0, query, ids, {}, { need: Infinity })).ids;
  }

  /**
   * One compound with its records in every library and its structural alerts (computed on the chemistry
   * pool); its screen predictions come from the screen service.
   */
  async compound(id: number): Promise<Omit<CompoundDetail, 'predictions'>> {
    const c = this.stored(id);
    return { ...c, alerts: await this.chem.run({ op: 'alerts', smiles: c.smiles }) };
  }

  private stored(id: number) {
    const c = this.compounds.get(id);
    if (!c) throw new AppError('NOT_FOUND', `no compound with id ${id}`);
    return c;
  }

  async depict(smiles: string, width = 250, height = 200, highlight?: string): Promise<string> {
    const svg = await this.chem.run({ op: 'depict', smiles, width, height, ...(highlight ? { highlight } : {}) });
    if (svg === null) throw new AppError('INVALID_INPUT', `cannot parse SMILES for depiction: ${smiles}`);
    return svg;
  }

  /** A 3D conformer (OpenChemLib + MMFF94s+), generated on the chemistry pool once and cached in the database. */
  async conformer(id: number): Promise<{ molblock: string; cached: boolean }> {
    const cached = this.compounds.conformer(id);
    if (cached) return { molblock: cached, cached: true };
    const c = this.stored(id);
    const molblock = await this.chem.run({ op: 'conformer', smiles: c.smiles });
    if (!molblock) throw new AppError('PARSE_ERROR', `no 3D conformer could be generated for ${c.smiles}`);
    this.compounds.saveConformer(id, molblock, 'openchemlib ConformerGenerator + MMFF94s+');
    return { molblock, cached: false };
  }

  /** Writes every member of the library (duplicates included) to CSV or SDF; returns the number written. */
  async export(name: string, out: string): Promise<number> {
    const lib = this.library(name);
    let format: 'csv' | 'sdf';
    try {
      format = exportFormat(out);
    } catch (err) {
      throw new AppError('INVALID_INPUT', (err as Error).message);
    }
    // Two passes keep memory constant: first the union of property names, then the rows.
    const keys = new Set<string>();
    if (format === 'csv') for (const m of this.compounds.members(lib.id)) for (const k of Object.keys(JSON.parse(m.props) as object)) keys.add(k);
    const rows = function* (this: LibraryService) {
      for (const m of this.compounds.members(lib.id))
        yield { ...m, descriptors: m, props: JSON.parse(m.props) as Record<string, PropValue>, title: m.originalId ?? '' };
    }.call(this);
    return writeCompounds(out, format, [...keys], rows);
  }

  delete(name: string): boolean {
    const lib = this.libraries.byName(name);
    if (!lib) return false;
    this.db.transaction(() => this.libraries.delete(lib.id))();
    return true;
  }
}

/** A column value in its type (null when empty or of another type: such values sort last). */
function typedOf(v: PropValue | undefined, type: ColumnType): number | string | null {
  if (v === null || v === undefined || v === '') return null;
  if (type === 'number') return typeof v === 'number' ? v : null;
  if (type === 'boolean') {
    const t = String(v).toLowerCase();
    return t === 'true' || t === 'yes' || t === '1' ? 1 : t === 'false' || t === 'no' || t === '0' ? 0 : null;
  }
  return String(v);
}

/** A multi-key comparator of compound rows (as the SQL order: empty values last, text without case). */
export function rowComparator(
  sort: SortKey[],
  types: Map<string, ColumnType>,
  similarity: (r: CompoundRow) => number,
): (a: CompoundRow, b: CompoundRow) => number {
  const keys = sort.map((k) => {
    const dir = k.desc ? -1 : 1;
    if ('column' in k) {
      const type = types.get(k.column) ?? 'text';
      return { dir, value: (r: CompoundRow) => typedOf(r.props[k.column], type) };
    }
    if (k.by === 'similarity') return { dir, value: similarity };
    if (k.by === 'import') return null; // the callers' final tie-break
    const by = k.by;
    return { dir, value: (r: CompoundRow) => r.descriptors?.[by] ?? null };
  });
  return (a, b) => {
    for (const k of keys) {
      if (!k) continue;
      const x = k.value(a);
      const y = k.value(b);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const c =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x).toLowerCase() < String(y).toLowerCase()
            ? -1
            : String(x).toLowerCase() > String(y).toLowerCase()
              ? 1
              : 0;
      if (c !== 0) return k.dir * c;
    }
    return 0;
  };
}
