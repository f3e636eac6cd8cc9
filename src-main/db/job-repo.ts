import type { JobInfo, JobKind, JobProgress, JobState } from '../../src-shared/dto';
import type { Db } from './database';

interface JobDbRow {
  id: string;
  kind: JobKind;
  state: JobState;
  progress: string | null;
  result: string | null;
  error: string | null;
  createdAt: string;
}

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function toInfo(r: JobDbRow): JobInfo {
  return {
    jobId: r.id,
    kind: r.kind,
    state: r.state,
    progress: parse<JobProgress>(r.progress),
    result: parse<unknown>(r.result),
    error: parse<{ code: string; message: string }>(r.error),
    createdAt: r.createdAt,
  };
}

const SELECT = 'SELECT id, kind, state, progress, result, error, created_at AS createdAt FROM jobs';

/** Long jobs: state, last progress and outcome survive a restart. */
export class JobRepo {
  constructor(private readonly db: Db) {}

  create(id: string, kind: JobKind, args: unknown): void {
    this.db.prepare(`INSERT INTO jobs (id, kind, state, args) VALUES (?, ?, 'running', ?)`).run(id, kind, JSON.stringify(args));
  }

  progress(id: string, p: JobProgress): void {
    this.db
      .prepare(`UPDATE jobs SET progress = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`)
      .run(JSON.stringify(p), id);
  }

  finish(id: string, state: JobState, result: unknown, error: { code: string; message: string } | null): void {
    this.db
      .prepare(`UPDATE jobs SET state = ?, result = ?, error = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`)
      .run(state, result === undefined ? null : JSON.stringify(result), error ? JSON.stringify(error) : null, id);
  }

  get(id: string): JobInfo | null {
    const r = this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as JobDbRow | undefined;
    return r ? toInfo(r) : null;
  }

  list(limit = 100): JobInfo[] {
    return (this.db.prepare(`${SELECT} ORDER BY created_at DESC LIMIT ?`).all(limit) as JobDbRow[]).map(toInfo);
  }

  /** Jobs left 'running' by a process that died are marked interrupted (resumable by re-running). */
  markInterrupted(): number {
    return this.db
      .prepare(`UPDATE jobs SET state = 'failed', error = '{"code":"CANCELLED","message":"interrupted: the app stopped while this job ran; run it again to resume"}' WHERE state IN ('running', 'queued')`)
      .run().changes;
  }
}
