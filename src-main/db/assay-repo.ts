import type { AssayMeasurement, AssayPage, AssaySummary } from '../../src-shared/dto';
import type { Db } from './database';

export type { AssaySummary };

/** A stored compound of an assay (the contract's AssayMeasurement). */
export type StoredMeasurement = AssayMeasurement;

/** Assays read for training and their aggregated measurements. */
export class AssayRepo {
  constructor(private readonly db: Db) {}

  /** Stores an assay (replacing one of the same name in the same transaction as the caller's). */
  save(a: {
    name: string;
    file: string;
    sha256: string;
    target: string;
    task: AssaySummary['task'];
    unit: string | null;
    records: number;
    replicates: number;
    censored: number;
    rejected: unknown[];
    points: StoredMeasurement[];
  }): void {
    this.db.prepare('DELETE FROM assays WHERE name = ?').run(a.name);
    const id = this.db
      .prepare('INSERT INTO assays (name, file, sha256, target, task, unit, records, replicates, censored, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(a.name, a.file, a.sha256, a.target, a.task, a.unit, a.records, a.replicates, a.censored, JSON.stringify(a.rejected)).lastInsertRowid;
    const ins = this.db.prepare(
      'INSERT INTO measurements (assay_id, smiles, inchikey, value, qualifier, n, spread, censored, date, record, compound_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const p of a.points) ins.run(id, p.smiles, p.inchikey, p.value, p.qualifier, p.count, p.spread, p.censored ? 1 : 0, p.date, p.record, p.id);
  }

  list(): AssaySummary[] {
    return this.summaries('');
  }

  byName(name: string): AssaySummary | null {
    return this.summaries('WHERE a.name = ?', name)[0] ?? null;
  }

  /** Summaries of the assays `where` selects: one assay's counts are not computed for every other one. */
  private summaries(where: string, ...params: unknown[]): AssaySummary[] {
    return this.db
      .prepare(
        `SELECT name, file, sha256, target, task, unit, records, replicates, censored, json_array_length(rejected) AS rejected, created_at AS createdAt,
                (SELECT COUNT(*) FROM measurements m WHERE m.assay_id = a.id) AS compounds,
                (SELECT COUNT(*) FROM measurements m WHERE m.assay_id = a.id AND m.date IS NOT NULL) AS dated
           FROM assays a ${where} ORDER BY created_at, id`,
      )
      .all(...params) as AssaySummary[];
  }

  /** Deletes an assay with its measurements (ON DELETE CASCADE); false when there is none. */
  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM assays WHERE name = ?').run(name).changes > 0;
  }

  /** The records the assay's reading rejected, as stored (each names its record and why). */
  rejected(name: string): AssayPage['rejected'] {
    const row = this.db.prepare('SELECT rejected FROM assays WHERE name = ?').get(name) as { rejected: string } | undefined;
    return row ? (JSON.parse(row.rejected) as AssayPage['rejected']) : [];
  }

  /** The assay's compounds in file order (`only`: those measured more than once, or censored), a page of them. */
  measurements(name: string, opts: { only?: 'replicates' | 'censored'; offset?: number; limit?: number } = {}): StoredMeasurement[] {
    return (
      this.db
        .prepare(
          `SELECT smiles, inchikey, value, qualifier, n AS count, spread, censored, date, record, compound_id AS id FROM measurements WHERE ${this.where(opts.only)} ORDER BY record LIMIT ? OFFSET ?`,
        )
        .all(name, opts.limit ?? -1, opts.offset ?? 0) as Array<Omit<StoredMeasurement, 'censored'> & { censored: number }>
    ).map((m) => ({ ...m, censored: m.censored === 1 }));
  }

  /** How many of the assay's compounds `measurements` gives with the same filter. */
  count(name: string, only?: 'replicates' | 'censored'): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM measurements WHERE ${this.where(only)}`).get(name) as { n: number }).n;
  }

  private where(only: 'replicates' | 'censored' | undefined): string {
    const filter = only === 'replicates' ? ' AND n > 1' : only === 'censored' ? ' AND censored = 1' : '';
    return `assay_id = (SELECT id FROM assays WHERE name = ?)${filter}`;
  }
}
