import type { ImportFormat, ImportRecordError } from '../../src-shared/dto';
import type { Db } from './database';

export interface ImportRow {
  id: number;
  libraryId: number;
  file: string;
  sha256: string;
  format: ImportFormat;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  nextRecord: number;
  read: number;
  imported: number;
  duplicates: number;
  rejected: number;
  seconds: number;
  /** host:pid:run of the process running it, and its last commit (ms since the epoch). */
  owner: string | null;
  heartbeatMs: number | null;
}

export interface ImportCounts {
  nextRecord: number;
  read: number;
  imported: number;
  duplicates: number;
  rejected: number;
  seconds: number;
}

const COLUMNS = `id, library_id AS libraryId, file, sha256, format, state, next_record AS nextRecord, read, imported,
  duplicates, rejected, seconds, owner, heartbeat_ms AS heartbeatMs`;

/** Import runs: one per (library, file content), with counters that make a re-run resume. */
export class ImportRepo {
  constructor(private readonly db: Db) {}

  find(libraryId: number, sha256: string): ImportRow | null {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM imports WHERE library_id = ? AND sha256 = ?`).get(libraryId, sha256);
    return (r as ImportRow | undefined) ?? null;
  }

  create(libraryId: number, file: string, sha256: string, format: ImportFormat, options: unknown, owner: string): ImportRow {
    const info = this.db
      .prepare(`INSERT INTO imports (library_id, file, sha256, format, options, state, owner, heartbeat_ms) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`)
      .run(libraryId, file, sha256, format, JSON.stringify(options), owner, Date.now());
    return this.db.prepare(`SELECT ${COLUMNS} FROM imports WHERE id = ?`).get(Number(info.lastInsertRowid)) as ImportRow;
  }

  setState(id: number, state: ImportRow['state']): void {
    this.db
      .prepare(`UPDATE imports SET state = ?, finished_at = CASE WHEN ? = 'running' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE id = ?`)
      .run(state, state, id);
  }

  saveCounts(id: number, c: ImportCounts): void {
    this.db
      .prepare(
        `UPDATE imports SET next_record = @nextRecord, read = @read, imported = @imported, duplicates = @duplicates,
                rejected = @rejected, seconds = @seconds, heartbeat_ms = @now WHERE id = @id`,
      )
      .run({ id, ...c, now: Date.now() });
  }

  /** Makes `owner` the process running this import (a resume, or a take-over from a dead process). */
  claim(id: number, owner: string): void {
    this.db.prepare(`UPDATE imports SET state = 'running', finished_at = NULL, owner = ?, heartbeat_ms = ? WHERE id = ?`).run(owner, Date.now(), id);
  }

  addError(importId: number, e: ImportRecordError & { raw: string | null }): void {
    this.db
      .prepare('INSERT OR IGNORE INTO import_errors (import_id, record, line, reason, raw) VALUES (?, ?, ?, ?, ?)')
      .run(importId, e.record, e.line, e.reason, e.raw);
  }

  errors(importId: number, limit: number): ImportRecordError[] {
    return this.db
      .prepare('SELECT record, line, reason FROM import_errors WHERE import_id = ? ORDER BY record LIMIT ?')
      .all(importId, limit) as ImportRecordError[];
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM imports WHERE id = ?').run(id);
  }
}
