import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ImportFormat, ImportPreview, ImportRecordError, ImportSummary } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import type { StandardiseResult } from '../chem/rdkit';
import type { Db } from '../db/database';
import { ColumnRepo } from '../db/column-repo';
import { CompoundRepo } from '../db/compound-repo';
import { type ImportCounts, ImportRepo } from '../db/import-repo';
import { LibraryRepo } from '../db/library-repo';
import { binaryReason } from '../import/lines';
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

/** Why a path cannot be read, in the user's terms. */
function unreadable(file: string, err: NodeJS.ErrnoException): AppError {
  switch (err.code) {
    case 'ENOENT':
      return new AppError('INVALID_INPUT', `${file}: file not found`);
    case 'ELOOP':
      return new AppError('INVALID_INPUT', `${file}: too many levels of symbolic links (a link loop)`);
    case 'EACCES':
    case 'EPERM':
      return new AppError('INVALID_INPUT', `${file}: permission denied`);
    case 'ENOTDIR':
      return new AppError('INVALID_INPUT', `${file}: part of the path is not a folder`);
    case 'ENAMETOOLONG':
      return new AppError('INVALID_INPUT', `${file}: the path is too long`);
    default:
      return new AppError('INVALID_INPUT', `${file}: cannot read it (${err.code ?? err.message})`);
  }
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

/**
 * Imports a compound file into a library. Streams the file, standardises on the chemistry pool while the
 * next batches are read, and commits each batch in one transaction together with the resume point. Every
 * record ends up imported, a duplicate, or rejected with a reason; a file with no readable record writes
 * nothing and fails.
 */
export async function importFile(db: Db, chem: ChemPool, opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const file = opts.displayName ?? opts.file;
  const st = await stat(opts.file).catch((err: NodeJS.ErrnoException) => {
    throw unreadable(file, err);
  });
  if (!st.isFile()) throw new AppError('INVALID_INPUT', `${file}: not a file`);
  if (st.size === 0) throw new AppError('PARSE_ERROR', `${file}: the file is empty`);
  const binary = await binaryReason(opts.file);
  if (binary) throw new AppError('PARSE_ERROR', `${file}: ${binary}`);
  const format = await detectFormat(opts.file, opts.format);
  const sha256 = await sha256File(opts.file);

  const libraries = new LibraryRepo(db);
  const imports = new ImportRepo(db);
  const compounds = new CompoundRepo(db);
  const columns = new ColumnRepo(db);

  // Library and import row are created together; a failed import removes both again. The transaction
  // takes the write lock first, so two processes starting the same import see each other's row.
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const { library, createdLibrary, run } = db.transaction(() => {
    let lib = libraries.byName(opts.library);
    const created = !lib;
    lib ??= libraries.create(opts.library);
    const existing = imports.find(lib.id, sha256);
    if (existing && existing.state === 'running' && ownerAlive(existing.owner, existing.heartbeatMs)) {
      throw new AppError('CONFLICT', `${file} is being imported into '${opts.library}' right now (by another window or process); wait for it to finish`);
    }
    if (existing && existing.state !== 'done') imports.claim(existing.id, owner);
    return { library: lib, createdLibrary: created, run: existing ?? imports.create(lib.id, file, sha256, format, { smilesCol: opts.smilesCol, idCol: opts.idCol }, owner) };
  })();

  const warnings: string[] = [];
  const summaryOf = (c: ImportCounts, extra: { alreadyImported: boolean; resumed: boolean }): ImportSummary => ({
    library: library.name,
    file,
    format,
    read: c.read,
    imported: c.imported,
    duplicates: c.duplicates,
    rejected: c.rejected,
    errors: imports.errors(run.id, MAX_ERRORS_REPORTED),
    seconds: Math.round(c.seconds * 1000) / 1000,
    warnings,
    ...extra,
  });

  if (run.state === 'done') return summaryOf(run, { alreadyImported: true, resumed: false });
  const resumed = run.nextRecord > 1;

  const counts: ImportCounts = {
    nextRecord: run.nextRecord,
    read: run.read,
    imported: run.imported,
    duplicates: run.duplicates,
    rejected: run.rejected,
    seconds: run.seconds,
  };
  const priorSeconds = run.seconds;

  const insertMember = db.prepare(
    `INSERT OR IGNORE INTO library_members (library_id, compound_id, import_id, record, line, original_id, original, props, duplicate_of)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  const recordError = (e: RecordError) => {
    imports.addError(run.id, e);
    counts.rejected++;
  };

  const commit = db.transaction((batch: RecordItem[], results: StandardiseResult[]) => {
    let k = 0;
    for (const item of batch) {
      counts.read++;
      if (!item.ok) {
        recordError(item.err);
        continue;
      }
      const rec: RawRecord = item.rec;
      const res = results[k++] as StandardiseResult;
      if (!res.ok) {
        recordError({ record: rec.record, line: rec.line, reason: `${res.reason}: ${clipStructure(rec.structure)}`, raw: rec.original });
        continue;
      }
      const compoundId = compounds.upsert(res.compound);
      const first = compounds.firstMember(library.id, compoundId);
      insertMember.run(library.id, compoundId, run.id, rec.record, rec.line, rec.id, rec.original, JSON.stringify(rec.props), first);
      if (first === null) counts.imported++;
      else counts.duplicates++;
    }
    const last = batch[batch.length - 1];
    if (last) counts.nextRecord = (last.ok ? last.rec.record : last.err.record) + 1;
    counts.seconds = priorSeconds + (performance.now() - started) / 1000;
    imports.saveCounts(run.id, counts);
  });

  const batchSize = opts.batchSize ?? 256;
  const inFlightMax = chem.size * 2;
  let bytesRead = 0;
  const source = await openRecords(opts.file, format, { smilesCol: opts.smilesCol, idCol: opts.idCol }, {
    onRawBytes: (n) => {
      bytesRead += n;
    },
    onWarning: (w) => warnings.push(w),
  });
  const queue: Batch[] = [];
  const progressEvery = 250;
  let lastProgress = 0;

  const report = () => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (now - lastProgress < progressEvery) return;
    lastProgress = now;
    const elapsed = (now - started) / 1000;
    const doneThisRun = counts.read - run.read;
    const rate = elapsed > 0 ? doneThisRun / elapsed : 0;
    const bytesFraction = Math.min(1, bytesRead / st.size);
    const eta = bytesFraction > 0.01 && bytesFraction < 1 ? (elapsed * (1 - bytesFraction)) / bytesFraction : null;
    opts.onProgress({ read: counts.read, imported: counts.imported, duplicates: counts.duplicates, rejected: counts.rejected, fraction: bytesFraction, rate, etaSeconds: eta });
  };

  const drainOne = async () => {
    const b = queue.shift() as Batch;
    commit(b.items, await b.results);
    report();
  };

  const dispatch = (items: RecordItem[]) => {
    const inputs = items.flatMap((it) => (it.ok ? [it.rec.structure] : []));
    const results = inputs.length ? chem.run({ op: 'standardise', inputs }, 'bulk') : Promise.resolve([]);
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
    if (counts.read === run.read && !resumed) cleanUp();
    else {
      imports.setState(run.id, 'failed');
      columns.detect(library.id);
    }
    throw err;
  }

  // The library's columns follow what it holds now (kept records of a cancelled import included).
  if (counts.imported + counts.duplicates > 0) columns.detect(library.id);
  if (opts.signal?.aborted) {
    imports.setState(run.id, 'cancelled');
    throw new AppError('CANCELLED', `import of ${file} cancelled after ${counts.read} records; run it again to resume`, summaryOf(counts, { alreadyImported: false, resumed }));
  }

  if (counts.imported + counts.duplicates === 0) {
    const reasons = imports.errors(run.id, 5);
    cleanUp();
    if (counts.read === 0) throw new AppError('PARSE_ERROR', `${file}: no records found (format ${format})`);
    throw new AppError('PARSE_ERROR', `${file}: none of the ${counts.read} records could be read as ${format}; first errors: ${describe(reasons)}`, { errors: reasons });
  }

  imports.setState(run.id, 'done');
  return summaryOf(counts, { alreadyImported: false, resumed });

  function cleanUp() {
    db.transaction(() => {
      imports.delete(run.id);
      if (createdLibrary) libraries.delete(library.id);
    })();
  }
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
export async function previewFile(chem: ChemPool, file: string, opts: { displayName?: string; format?: ImportFormat; smilesCol?: string; idCol?: string; rows?: number } = {}): Promise<ImportPreview> {
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
    return { record: r.record, structure: r.structure.split('\n')[0] ?? '', id: r.id, props: r.props, smiles: res.ok ? res.compound.smiles : null, reason: res.ok ? null : res.reason };
  });
  const all = [...(source.columns.smiles ? [source.columns.smiles] : []), ...(source.columns.id && !source.columns.id.startsWith('(') ? [source.columns.id] : []), ...columns];
  return { format, smilesCol: source.columns.smiles, idCol: source.columns.id, columns: [...new Set(all)], rows, errors };
}
