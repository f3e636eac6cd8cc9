import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AssayPage, AssaySummary } from '../../../src-shared/dto';
import { AppError } from '../../../src-shared/errors';
import { type AssayColumns, givenColumns } from '../../../src-shared/assay-columns';
import type { Db } from '../../db/database';
import { AssayRepo } from '../../db/assay-repo';
import type { AssayReadProgress, Task } from '../../train/assay';
import type { QsarResult } from '../../train/qsar';
import { assayCsv } from '../file-writers';
import { runTrainJob } from './train-job';

/** Stored assays: read once (units converted, replicates aggregated, censored values and bad records kept), then inspected and trained on. */
export class Assays {
  readonly repo: AssayRepo;

  constructor(private readonly db: Db) {
    this.repo = new AssayRepo(db);
  }

  list(): AssaySummary[] {
    return this.repo.list();
  }

  /** Deletes a stored assay (models trained on it keep their own record of its data); false when there is none. */
  delete(name: string): boolean {
    return this.repo.delete(name);
  }

  /**
   * Reads an assay file (unit conversion, replicates aggregated, censored values flagged, bad records
   * listed) on a worker and stores it under `name`, to inspect and to train on without reading the file
   * again. A name already taken is a conflict.
   */
  async importAssay(
    req: { data: string; dataName?: string; name: string; target: string; task: Task } & AssayColumns,
    hooks: { signal?: AbortSignal; onProgress?: (p: AssayReadProgress) => void } = {},
  ): Promise<AssaySummary> {
    if (this.repo.byName(req.name))
      throw new AppError('CONFLICT', `an assay named '${req.name}' exists: choose another name`, { assay: req.name, remedy: 'list-assays' });
    const opts = { target: req.target, task: req.task, ...givenColumns(req) };
    const { assay: read, sha256 } = await runTrainJob(
      `reading the assay ${req.dataName ?? req.data}`,
      { type: 'read-assay', file: req.data, opts },
      (e) => (e.type === 'assay-read' ? e : undefined),
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onEvent: (e) => e.type === 'assay-progress' && hooks.onProgress?.(e),
      },
    );
    this.db.transaction(() => {
      if (this.repo.byName(req.name)) throw new AppError('CONFLICT', `an assay named '${req.name}' was stored while this one was read: choose another name`);
      this.repo.save({ name: req.name, file: req.dataName ?? req.data, sha256, target: req.target, task: req.task, ...this.asRead(read, undefined) });
    })();
    return this.repo.byName(req.name) as AssaySummary;
  }

  /**
   * What a run stores of the assay it read. Read from a stored assay's copy (one row per compound, values
   * already converted), each compound keeps the stored assay's replicate count, spread, record number and
   * InChIKey, and the assay its records, unit and rejected records: the replicates stay visible on every
   * run trained from them.
   */
  asRead(read: QsarResult['assay'], fromAssay: string | undefined) {
    const own = { unit: read.unit, records: read.read, replicates: read.replicates, censored: read.censored, rejected: read.rejected, points: read.points };
    const source = fromAssay === undefined ? null : this.repo.byName(fromAssay);
    if (!source) return own;
    // By SMILES, the key replicates are grouped by: the stored SMILES is stereo-free, so its InChIKey
    // read back would lose the stereo the stored one (of the first record) has.
    const stored = new Map(this.repo.measurements(source.name).map((m) => [m.smiles, m]));
    const points = read.points.map((p) => {
      const m = stored.get(p.smiles);
      return m ? { ...p, inchikey: m.inchikey, count: m.count, spread: m.spread, record: m.record, id: m.id } : p;
    });
    // The stored assay's rejected records, and the run's own (molecules too long for the model), by the
    // stored assay's record numbers rather than the copy's rows.
    const recordOf = new Map(read.points.map((p) => [p.record, stored.get(p.smiles)?.record ?? p.record]));
    const ownRejects = read.rejected.map((r) => ({ ...r, record: recordOf.get(r.record) ?? r.record, line: null }));
    return {
      ...own,
      unit: source.unit,
      records: source.records,
      replicates: source.replicates,
      rejected: [...this.repo.rejected(source.name), ...ownRejects],
      points,
    };
  }

  /** A stored assay, or an error naming the ones there are. */
  stored(name: string): AssaySummary {
    const assay = this.repo.byName(name);
    if (assay) return assay;
    const known = this.repo.list().map((a) => a.name);
    throw new AppError(
      'NOT_FOUND',
      `no assay named '${name}'${known.length ? ` (assays: ${known.join(', ')})` : ' (an assay is stored when it is imported, or when a model is trained on a file)'}`,
      { assay: name, remedy: 'list-assays' },
    );
  }

  /** A page of a stored assay's compounds (100 unless `limit`), with how many match and its rejected records. */
  assayPage(name: string, opts: { only?: 'replicates' | 'censored'; offset?: number; limit?: number } = {}): AssayPage {
    const assay = this.stored(name);
    const page = { offset: opts.offset ?? 0, limit: opts.limit ?? 100, ...(opts.only ? { only: opts.only } : {}) };
    return {
      assay,
      total: this.repo.count(name, opts.only),
      measurements: this.repo.measurements(name, page),
      rejected: this.repo.rejected(name).slice(0, 100),
    };
  }

  /** A stored assay written to a temporary CSV that training reads back to the same values (remove it with cleanup). */
  async assayFile(
    name: string,
  ): Promise<{ file: string; displayName: string; fromAssay: string; dateCol: string | undefined; assay: AssaySummary; cleanup: () => Promise<void> }> {
    const assay = this.stored(name);
    const dir = await mkdtemp(join(tmpdir(), 'delicate-assay-'));
    const file = join(dir, `assay-${name.replace(/[^\w.-]+/g, '_')}.csv`);
    const measurements = this.repo.measurements(name);
    await writeFile(file, assayCsv(assay, measurements));
    // The copy's columns are smiles, the target and date: the date column is read when the assay has dates.
    const dateCol = measurements.some((m) => m.date) ? 'date' : undefined;
    return {
      file,
      displayName: `assay '${name}' (read from ${assay.file})`,
      fromAssay: name,
      dateCol,
      assay,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
}
