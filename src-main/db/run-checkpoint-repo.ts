import type { RunProgress } from '../../src-shared/dto';
import type { Db } from './database';

export type { RunProgress };

export interface StoredRunCheckpoint {
  name: string;
  /** What the run is (data, settings, models): a checkpoint resumes only the same run. */
  key: string;
  progress: RunProgress;
  updatedAt: string;
}

/**
 * The latest checkpoint of each unfinished training run, one row per run name, with the run's request
 * and a copy of its data file (so the run resumes by name, after the upload or the file is gone).
 */
export class RunCheckpointRepo {
  constructor(private readonly db: Db) {}

  /** Replaces the run's checkpoint (one UPDATE: the previous one stays until the new one is in); the request and file are written by the run's first save only. */
  save(name: string, key: string, progress: RunProgress, data: Buffer, first: () => { request: unknown; file: Buffer }): void {
    const exists = this.db.prepare('SELECT 1 FROM run_checkpoints WHERE name = ? AND run_key = ?').get(name, key) !== undefined;
    if (exists) {
      this.db
        .prepare(`UPDATE run_checkpoints SET progress = ?, data = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?`)
        .run(JSON.stringify(progress), data, name);
      return;
    }
    const { request, file } = first();
    this.db
      .prepare('INSERT OR REPLACE INTO run_checkpoints (name, run_key, request, data_file, progress, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, key, JSON.stringify(request), file, JSON.stringify(progress), data);
  }

  /** Where the run stands, without its checkpoint (tens of MB for a large teacher). */
  get(name: string): StoredRunCheckpoint | null {
    const row = this.db.prepare('SELECT name, run_key AS key, progress, updated_at AS updatedAt FROM run_checkpoints WHERE name = ?').get(name) as
      (Omit<StoredRunCheckpoint, 'progress'> & { progress: string }) | undefined;
    return row ? { ...row, progress: JSON.parse(row.progress) as RunProgress } : null;
  }

  /** The run's latest checkpoint (serialised). */
  checkpoint(name: string): Buffer | null {
    return (this.db.prepare('SELECT data FROM run_checkpoints WHERE name = ?').get(name) as { data: Buffer } | undefined)?.data ?? null;
  }

  /** The request a run was started with and its data file's content. */
  request(name: string): { request: unknown; file: Buffer } | null {
    const row = this.db.prepare('SELECT request, data_file AS file FROM run_checkpoints WHERE name = ?').get(name) as
      { request: string; file: Buffer } | undefined;
    return row ? { request: JSON.parse(row.request) as unknown, file: row.file } : null;
  }

  /** The interrupted runs, newest first, without their checkpoints. */
  list(): Array<Omit<StoredRunCheckpoint, 'key'> & { target: string; data: string }> {
    const rows = this.db
      .prepare(
        `SELECT name, progress, updated_at AS updatedAt, json_extract(request, '$.target') AS target, json_extract(request, '$.dataName') AS data FROM run_checkpoints ORDER BY updated_at DESC`,
      )
      .all() as Array<{ name: string; progress: string; updatedAt: string; target: string; data: string }>;
    return rows.map((r) => ({ ...r, progress: JSON.parse(r.progress) as RunProgress }));
  }

  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM run_checkpoints WHERE name = ?').run(name).changes > 0;
  }
}
