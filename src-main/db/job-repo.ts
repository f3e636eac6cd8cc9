import type { JobInfo, JobKind, JobProgress, JobState } from '../../src-shared/dto';
import type { Db } from './database';
import { pidAlive } from '../util/process';

/** A job's process is gone: none recorded, or another process that no longer exists. */
function ownerGone(pid: number | null, isAlive: (pid: number) => boolean): boolean {
  return pid === null || (pid !== process.pid && !isAlive(pid));
}

interface JobDbRow {
  id: string;
  kind: JobKind;
  state: JobState;
  args: string;
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
    args: parse<unknown>(r.args),
    progress: parse<JobProgress>(r.progress),
    result: parse<unknown>(r.result),
    error: parse<{ code: string; message: string }>(r.error),
    createdAt: r.createdAt,
  };
}

const SELECT = 'SELECT id, kind, state, args, progress, result, error, created_at AS createdAt FROM jobs';

/** Long jobs: state, last progress and outcome survive a restart. */
export class JobRepo {
  constructor(private readonly db: Db) {}

  create(id: string, kind: JobKind, args: unknown): void {
    this.db.prepare(`INSERT INTO jobs (id, kind, state, args, owner_pid) VALUES (?, ?, 'running', ?, ?)`).run(id, kind, JSON.stringify(args), process.pid);
  }

  progress(id: string, p: JobProgress): void {
    this.db.prepare(`UPDATE jobs SET progress = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`).run(JSON.stringify(p), id);
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

  /** The newest jobs first, of one kind and in one state when given. */
  list(limit = 100, kind?: JobKind, state?: JobState): JobInfo[] {
    const rows = this.db
      .prepare(`${SELECT} WHERE (@kind IS NULL OR kind = @kind) AND (@state IS NULL OR state = @state) ORDER BY created_at DESC LIMIT @limit`)
      .all({ kind: kind ?? null, state: state ?? null, limit });
    return (rows as JobDbRow[]).map(toInfo);
  }

  /**
   * Whether a job runs now, in this process or another live one: a job left 'running' by a process that is
   * gone (a crash since this process started, which `markInterrupted` has not seen) is not.
   */
  isLive(id: string, isAlive: (pid: number) => boolean = pidAlive): boolean {
    const r = this.db.prepare(`SELECT state, owner_pid AS pid FROM jobs WHERE id = ?`).get(id) as { state: JobState; pid: number | null } | undefined;
    return !!r && (r.state === 'running' || r.state === 'queued') && !ownerGone(r.pid, isAlive);
  }

  /**
   * Jobs left 'running' by a process that no longer exists are marked interrupted (re-running resumes them).
   * Jobs of other live processes (a `delicate serve` beside the CLI, say) are left alone.
   */
  markInterrupted(isAlive: (pid: number) => boolean = pidAlive): number {
    const stale = (
      this.db.prepare(`SELECT id, owner_pid AS pid FROM jobs WHERE state IN ('running', 'queued')`).all() as Array<{ id: string; pid: number | null }>
    ).filter((j) => ownerGone(j.pid, isAlive));
    const mark = this.db.prepare(
      `UPDATE jobs SET state = 'failed', error = '{"code":"CANCELLED","message":"interrupted: Delicate stopped while this job ran; run it again to resume"}' WHERE id = ?`,
    );
    this.db.transaction(() => stale.forEach((j) => mark.run(j.id)))();
    return stale.length;
  }
}
