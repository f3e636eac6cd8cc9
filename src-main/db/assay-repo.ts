import type { AssaySummary } from '../../src-shared/dto';
import type { Db } from './database';

export type { AssaySummary };

export interface StoredMeasurement {
  smiles: string;
  inchikey: string;
  value: number;
  qualifier: '=' | '<' | '>';
  count: number;
  spread: number;
  censored: boolean;
  date: string | null;
  record: number;
}

/** Assays read for training and their aggregated measurements. */
export class AssayRepo {
  constructor(private readonly db: Db) {}

  /** Stores an assay (replacing one of the same name in the same transaction as the caller's). */
  save(a: { name: string; file: string; sha256: string; target: string; task: AssaySummary['task']; unit: string | null; records: number; replicates: number; censored: number; rejected: unknown[]; points: StoredMeasurement[] }): void {
    this.db.prepare('DELETE FROM assays WHERE name = ?').run(a.name);
    const id = this.db
      .prepare('INSERT INTO assays (name, file, sha256, target, task, unit, records, replicates, censored, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(a.name, a.file, a.sha256, a.target, a.task, a.unit, a.records, a.replicates, a.censored, JSON.stringify(a.rejected)).lastInsertRowid;
    const ins = this.db.prepare('INSERT INTO measurements (assay_id, smiles, inchikey, value, qualifier, n, spread, censored, date, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const p of a.points) ins.run(id, p.smiles, p.inchikey, p.value, p.qualifier, p.count, p.spread, p.censored ? 1 : 0, p.date, p.record);
  }

  list(): AssaySummary[] {
    return this.db
      .prepare(
        `SELECT name, file, sha256, target, task, unit, records, replicates, censored, json_array_length(rejected) AS rejected, created_at AS createdAt,
                (SELECT COUNT(*) FROM measurements m WHERE m.assay_id = a.id) AS compounds
           FROM assays a ORDER BY created_at, id`,
      )
      .all() as AssaySummary[];
  }

  byName(name: string): AssaySummary | null {
    return this.list().find((a) => a.name === name) ?? null;
  }

  /** The records the assay's reading rejected, as stored (each names its record and why). */
  rejected(name: string): unknown[] {
    const row = this.db.prepare('SELECT rejected FROM assays WHERE name = ?').get(name) as { rejected: string } | undefined;
    return row ? (JSON.parse(row.rejected) as unknown[]) : [];
  }

  measurements(name: string): StoredMeasurement[] {
    return (
      this.db
        .prepare(`SELECT smiles, inchikey, value, qualifier, n AS count, spread, censored, date, record FROM measurements WHERE assay_id = (SELECT id FROM assays WHERE name = ?) ORDER BY record`)
        .all(name) as Array<Omit<StoredMeasurement, 'censored'> & { censored: number }>
    ).map((m) => ({ ...m, censored: m.censored === 1 }));
  }
}
