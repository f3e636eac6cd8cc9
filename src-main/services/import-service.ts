import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ImportFormat, ImportPreview, ImportRecordError, ImportSummary } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import type { StandardiseResult } from '../chem/standardise';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/database';
import { ColumnRepo } from '../db/column-repo';
import { CompoundRepo } from '../db/compound-repo';
import { type ImportCounts, ImportRepo } from '../db/import-repo';
import { LibraryRepo } from '../db/library-repo';
import { binaryReason, fileAccessError } from '../import/lines';
import { type FillProgress, fillDescriptors } from './descriptor-fill';
import { type RawRecord, type RecordError, type RecordItem, detectFormat, openRecords } from '../import/records';

export interface ImportOptions {
  file: string;
  library: string;
  smilesCol?: string | undefined;
  idCol?: string | undefined;
  format?: ImportFormat | undefined;
  /** Name to report instead of the path (uploads are written to a temporary file). */
  displayName?: string | undefined;
  batchSize?: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ImportProgress) => void) | undefined;
  /** Progress of the second step, the descriptors and substructure fingerprints (descriptor-fill.ts). */
  onDescriptors?: ((p: FillProgress) => void) | undefined;
}

export interface ImportProgress {
  read: number;
  imported: number;
  duplicates: number;
  rejected: number;
  /** Fraction of the file's bytes consumed (0..1). */
  fraction: number;
  rate: number;
  etaSeconds: number | null;
}

const MAX_ERRORS_REPORTED = 100;

/** An import whose owner has not committed for this long is taken to be dead (its process crashed). */
const STALE_IMPORT_MS = 120_000;

/** True when the import's owner (host:pid:run) is still running it. */
function ownerAlive(owner: string | null, heartbeatMs: number | null): boolean {
  if (!owner || heartbeatMs === null) return false;
  const [host, pid] = owner.split(':');
  if (host === hostname()) {
    try {
      process.kill(Number(pid), 0);
    } catch (err) {
      // ESRCH: no such process; EPERM: it exists but belongs to someone else.
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    }
  }
  return Date.now() - heartbeatMs < STALE_IMPORT_MS;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

interface Batch {
  items: RecordItem[];
  /** Standardisation results for the ok items, in order. */
  results: Promise<StandardiseResult[]>;
}

/** The file an import reads, checked: a readable, non-empty text file, its format and its content hash. */
async function checkedFile(opts: ImportOptions): Promise<{ file: string; size: number; format: ImportFormat; sha256: string }> {
  const file = opts.displayName ?? opts.file;
  const st = await stat(opts.file).catch((err: NodeJS.ErrnoException) => {
    throw fileAccessError(file, err);
  });
  if (!st.isFile()) throw new AppError('INVALID_INPUT', `${file}: not a file`);
  if (st.size === 0) throw new AppError('PARSE_ERROR', `${file}: the file is empty`);
  const binary = await binaryReason(opts.file);
  if (binary) throw new AppError('PARSE_ERROR', `${file}: ${binary}`);
  return { file, size: st.size, format: await detectFormat(opts.file, opts.format), sha256: await sha256File(opts.file) };
}

/**
 * One import of a file into a library: its `imports` row (the resume point), the counts, and the commit
 * of each standardised batch in one transaction with the resume point.
 */
class ImportRun {
  readonly libraries: LibraryRepo;
  readonly imports: ImportRepo;
  private readonly compounds: CompoundRepo;
  readonly columns: ColumnRepo;
  readonly library: { id: number; name: string };
  readonly createdLibrary: boolean;
  readonly run: ReturnType<ImportRepo['create']>;
  readonly counts: ImportCounts;
  readonly warnings: string[] = [];
  private readonly priorSeconds: number;
  readonly commit: (batch: RecordItem[], results: StandardiseResult[]) => void;
  private readonly insertMember: Statement<unknown[]>;

  constructor(
    private readonly db: Db,
    readonly opts: ImportOptions,
    readonly source: { file: string; size: number; format: ImportFormat; sha256: string },
    private readonly started: number,
  ) {
    this.libraries = new LibraryRepo(db);
    this.imports = new ImportRepo(db);
    this.compounds = new CompoundRepo(db);
    this.columns = new ColumnRepo(db);
    // Library and import row are created together; a failed import removes both again. The transaction
    // takes the write lock first, so two processes starting the same import see each other's row.
    const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const claimed = db.transaction(() => {
      let lib = this.libraries.byName(opts.library);
      const created = !lib;
      lib ??= this.libraries.create(opts.library);
      const existing = this.imports.find(lib.id, source.sha256);
      if (existing && existing.state === 'running' && ownerAlive(existing.owner, existing.heartbeatMs)) {
        throw new AppError(
          'CONFLICT',
          `${source.file} is being imported into '${opts.library}' right now (by another window or process); wait for it to finish`,
        );
      }
      if (existing && existing.state !== 'done') this.imports.claim(existing.id, owner);
      return {
        library: lib,
        createdLibrary: created,
        run: existing ?? this.imports.create(lib.id, source.file, source.sha256, source.format, { smilesCol: opts.smilesCol, idCol: opts.idCol }, owner),
      };
    })();
    ({ library: this.library, createdLibrary: this.createdLibrary, run: this.run } = claimed);
    const r = this.run;
    this.counts = { nextRecord: r.nextRecord, read: r.read, imported: r.imported, duplicates: r.duplicates, rejected: r.rejected, seconds: r.seconds };
    this.priorSeconds = r.seconds;
    this.insertMember = db.prepare<unknown[]>(
      `INSERT OR IGNORE INTO library_members (library_id, compound_id, import_id, record, line, original_id, original, props, duplicate_of)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.commit = db.transaction((batch: RecordItem[], results: StandardiseResult[]) => this.write(batch, results));
  }

  /** Whether an earlier, interrupted run of this import committed records already. */
  get resumed(): boolean {
    return this.run.nextRecord > 1;
  }

  summary(c: ImportCounts, extra: { alreadyImported: boolean; resumed: boolean }): ImportSummary {
    const { imported, duplicates, rejected } = c;
    const seconds = Math.round(c.seconds * 1000) / 1000;
    return {
      library: this.library.name,
      file: this.source.file,
      format: this.source.format,
      read: c.read,
      imported,
      duplicates,
      rejected,
      errors: this.imports.errors(this.run.id, MAX_ERRORS_REPORTED),
      seconds,
      warnings: this.warnings,
      ...extra,
    };
  }

  /** Removes what a failed first run made: its import row and, when it created it, the library. */
  cleanUp(): void {
    this.db.transaction(() => {
      this.imports.delete(this.run.id);
      if (this.createdLibrary) this.libraries.delete(this.library.id);
    })();
  }

  private write(batch: RecordItem[], results: StandardiseResult[]): void {
    const { counts, library, run } = this;
    const rejected = (e: RecordError) => {
      this.imports.addError(run.id, e);
      counts.rejected++;
    };
    let k = 0;
    for (const item of batch) {
      counts.read++;
      if (!item.ok) {
        rejected(item.err);
        continue;
      }
      const rec: RawRecord = item.rec;
      const res = results[k++] as StandardiseResult;
      if (!res.ok) {
        rejected({ record: rec.record, line: rec.line, reason: `${res.reason}: ${clipStructure(rec.structure)}`, raw: rec.original });
        continue;
      }
      const compoundId = this.compounds.upsert(res.compound);
      const first = this.compounds.firstMember(library.id, compoundId);
      this.insertMember.run(library.id, compoundId, run.id, rec.record, rec.line, rec.id, rec.original, JSON.stringify(rec.props), first);
      if (first === null) counts.imported++;
      else counts.duplicates++;
    }
    const last = batch[batch.length - 1];
    if (last) counts.nextRecord = (last.ok ? last.rec.record : last.err.record) + 1;
    counts.seconds = this.priorSeconds + (performance.now() - this.started) / 1000;
    this.imports.saveCounts(run.id, counts);
  }

  /** Progress, at most every 250 ms: counts, the share of the file's bytes read, rate and ETA. */
  reporter(bytesRead: () => number): () => void {
    let lastProgress = 0;
    return () => {
      const on = this.opts.onProgress;
      const now = performance.now();
      if (!on || now - lastProgress < 250) return;
      lastProgress = now;
      const elapsed = (now - this.started) / 1000;
      const c = this.counts;
      const rate = elapsed > 0 ? (c.read - this.run.read) / elapsed : 0;
      const fraction = Math.min(1, bytesRead() / this.source.size);
      const eta = fraction > 0.01 && fraction < 1 ? (elapsed * (1 - fraction)) / fraction : null;
      on({ read: c.read, imported: c.imported, duplicates: c.duplicates, rejected: c.rejected, fraction, rate, etaSeconds: eta });
    };
  }
}

/**
 * Streams the file's records not committed yet, standardises them on the chemistry pool while the next
 * batches are read (at most two batches per worker in flight), and commits each batch in order. On a
 * failure the first run's traces are removed, a resumed one is marked failed.
 */
async function pump(r: ImportRun, chem: ChemPool): Promise<void> {
  const { opts, counts } = r;
  const batchSize = opts.batchSize ?? 256;
  const inFlightMax = chem.size * 2;
  let bytesRead = 0;
  const source = await openRecords(
    opts.file,
    r.source.format,
    { smilesCol: opts.smilesCol, idCol: opts.idCol },
    {
      onRawBytes: (n) => {
        bytesRead += n;
      },
      onWarning: (w) => r.warnings.push(w),
    },
  );
  const report = r.reporter(() => bytesRead);
  const queue: Batch[] = [];
  const drainOne = async () => {
    const b = queue.shift() as Batch;
    r.commit(b.items, await b.results);
    report();
  };
  const dispatch = (items: RecordItem[]) => {
    const inputs = items.flatMap((it) => (it.ok ? [it.rec.structure] : []));
    // Descriptors and pattern fingerprints follow once every record is in (fillDescriptors).
    const results = inputs.length ? chem.run({ op: 'standardise', inputs, defer: true }, 'bulk') : Promise.resolve([]);
    // Avoid an unhandled rejection while the batch waits its turn; the error surfaces in drainOne.
    results.catch(() => undefined);
    queue.push({ items, results });
  };
  try {
    let items: RecordItem[] = [];
    for await (const item of source.records) {
      const recNo = item.ok ? item.rec.record : item.err.record;
      if (recNo < counts.nextRecord) continue; // committed by an earlier, interrupted run
      items.push(item);
      if (items.length >= batchSize) {
        if (opts.signal?.aborted) break;
        dispatch(items);
        items = [];
        while (queue.length >= inFlightMax) await drainOne();
      }
    }
    if (!opts.signal?.aborted && items.length) dispatch(items);
    while (queue.length) await drainOne();
  } catch (err) {
    await Promise.allSettled(queue.map((b) => b.results));
    if (counts.read === r.run.read && !r.resumed) r.cleanUp();
    else {
      r.imports.setState(r.run.id, 'failed');
      r.columns.detect(r.library.id);
    }
    throw err;
  }
}

/**
 * Imports a compound file into a library. Streams the file, standardises on the chemistry pool while the
 * next batches are read, and commits each batch in one transaction together with the resume point. Every
 * record ends up imported, a duplicate, or rejected with a reason; a file with no readable record writes
 * nothing and fails. Then the compounds' descriptors and pattern fingerprints are computed (withDescriptors).
 */
export async function importFile(db: Db, chem: ChemPool, opts: ImportOptions): Promise<ImportSummary> {
  return withDescriptors(db, chem, opts, await importRecords(db, chem, opts));
}

/**
 * The second step: the descriptors and pattern fingerprints of every compound still waiting for them (this
 * import's, and any an earlier, interrupted step left). A cancel keeps what is done and says so.
 */
async function withDescriptors(db: Db, chem: ChemPool, opts: ImportOptions, summary: ImportSummary): Promise<ImportSummary> {
  if (new CompoundRepo(db).pendingDescriptors() === 0) return summary;
  try {
    return { ...summary, descriptors: await fillDescriptors(db, chem, { signal: opts.signal, onProgress: opts.onDescriptors }) };
  } catch (err) {
    if (err instanceof AppError && err.code === 'CANCELLED')
      throw new AppError('CANCELLED', `${summary.file}: every record is in '${summary.library}'; ${err.message}`, summary);
    throw err;
  }
}

/** The first step: every record of the file, standardised and committed in batches (resumable). */
async function importRecords(db: Db, chem: ChemPool, opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const r = new ImportRun(db, opts, await checkedFile(opts), started);
  const { counts, run, source } = r;
  if (run.state === 'done') return r.summary(run, { alreadyImported: true, resumed: false });
  const resumed = r.resumed;
  await pump(r, chem);
  // The library's columns follow what it holds now (kept records of a cancelled import included).
  if (counts.imported + counts.duplicates > 0) r.columns.detect(r.library.id);
  if (opts.signal?.aborted) {
    r.imports.setState(run.id, 'cancelled');
    throw new AppError(
      'CANCELLED',
      `import of ${source.file} cancelled after ${counts.read} records; run it again to resume`,
      r.summary(counts, { alreadyImported: false, resumed }),
    );
  }
  if (counts.imported + counts.duplicates === 0) {
    const reasons = r.imports.errors(run.id, 5);
    r.cleanUp();
    if (counts.read === 0) throw new AppError('PARSE_ERROR', `${source.file}: no records found (format ${source.format})`);
    throw new AppError(
      'PARSE_ERROR',
      `${source.file}: none of the ${counts.read} records could be read as ${source.format}; first errors: ${describe(reasons)}`,
      { errors: reasons },
    );
  }
  r.imports.setState(run.id, 'done');
  return r.summary(counts, { alreadyImported: false, resumed });
}

function describe(errors: ImportRecordError[]): string {
  return errors.map((e) => `record ${e.record}${e.line ? ` (line ${e.line})` : ''}: ${e.reason}`).join('; ');
}

function clipStructure(s: string): string {
  const one = s.split('\n')[0] ?? '';
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
}

/**
 * The first records of a file as the import would read them: the format, the SMILES and id columns it
 * would use (detected, or as given), every column name, and the first rows and rejected records. Each row
 * is standardised as the import would: the SMILES it would store, or why it would reject the record. For
 * the import dialog's preview; a file cut short (the head of a large upload) is fine.
 */
export async function previewFile(
  chem: ChemPool,
  file: string,
  opts: { displayName?: string; format?: ImportFormat; smilesCol?: string; idCol?: string; rows?: number } = {},
): Promise<ImportPreview> {
  const name = opts.displayName ?? file;
  const format = await detectFormat(file, opts.format);
  const source = await openRecords(file, format, { smilesCol: opts.smilesCol, idCol: opts.idCol });
  const read: RawRecord[] = [];
  const errors: ImportPreview['errors'] = [];
  const columns = new Set<string>();
  const want = opts.rows ?? 10;
  try {
    for await (const item of source.records) {
      if (item.ok) {
        read.push(item.rec);
        for (const k of Object.keys(item.rec.props)) columns.add(k);
      } else errors.push({ record: item.err.record, line: item.err.line, reason: item.err.reason });
      if (read.length + errors.length >= want) break;
    }
  } catch (err) {
    // A truncated head (e.g. of a gzip upload) ends in a read error: the rows before it still count.
    if (read.length === 0) throw err instanceof AppError ? err : new AppError('PARSE_ERROR', `${name}: ${(err as Error).message}`);
  }
  const std = read.length ? await chem.run({ op: 'standardise', inputs: read.map((r) => r.structure) }) : [];
  const rows: ImportPreview['rows'] = read.map((r, i) => {
    const res = std[i] as StandardiseResult;
    return {
      record: r.record,
      structure: r.structure.split('\n')[0] ?? '',
      id: r.id,
      props: r.props,
      smiles: res.ok ? res.compound.smiles : null,
      reason: res.ok ? null : res.reason,
    };
  });
  const all = [
    ...(source.columns.smiles ? [source.columns.smiles] : []),
    ...(source.columns.id && !source.columns.id.startsWith('(') ? [source.columns.id] : []),
    ...columns,
  ];
  return { format, smilesCol: source.columns.smiles, idCol: source.columns.id, columns: [...new Set(all)], rows, errors };
}
