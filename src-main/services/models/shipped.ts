import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Db } from '../../db/database';
import { ModelRepo } from '../../db/model-repo';
import { readModelFile } from '../../model/model-file';
import { unpackArrays } from '../../model/weights-io';
import { renameModel, screenScoringWith } from './rename';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * The name a replaced shipped model NAME keeps: NAME-<first 10 hex of the sha256 of its stored weights>
 * (free in this database). Every database that registered the same file stores the same float32 weights,
 * so they all give the same name, and a release can name it in its new models' lineage
 * (scripts/_ship.ts).
 */
export function retiredName(repo: ModelRepo, name: string): string {
  const row = repo.byName(name);
  const weights = row ? repo.weights(row.id) : null;
  const tag = weights ? weightsTag(weights) : (row?.createdAt ?? 'old').replace(/[^0-9]/g, '').slice(0, 14);
  let as = `${name}-${tag}`;
  for (let i = 2; repo.byName(as); i++) as = `${name}-${tag}-${i}`;
  return as;
}

/** The tag a retired shipped model's name ends in: the first 10 hex of the sha256 of its stored weights. */
export function weightsTag(weights: Uint8Array): string {
  return sha256(weights).slice(0, 10);
}

/** Whether two sets of named arrays hold the same shapes and values (a float16 file against its float32 copy: exactly). */
function sameArrays(a: ReturnType<typeof unpackArrays>, b: ReturnType<typeof unpackArrays>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || x.shape.join() !== y.shape.join() || x.values.length !== y.values.length) return false;
    for (let i = 0; i < x.values.length; i++) if (x.values[i] !== y.values[i]) return false;
  }
  return true;
}

/**
 * What registering one shipped model did: registered it, or also kept the version it replaces as `retiredAs`;
 * or left it for a later start (`waitsForScreen`: the version held is scoring that running screen).
 */
export interface ShippedRegistration {
  name: string;
  retiredAs: string | null;
  waitsForScreen?: number;
}

/**
 * The shipped models (resources/models/NAME.dlcm) in a database. A model is registered under its file's
 * name the first time a database meets it. When a release ships another file under a name the database
 * holds (a better base teacher, say), the registered model is renamed NAME-<hash of its weights> with every
 * reference to it (the models made from it, screens, predictions: services/models/rename.ts), marked
 * retired (no longer a default screen model), and the new file is registered as NAME. The file's sha256,
 * size and modification time are recorded, so an unchanged file costs one stat per start.
 */
export class ShippedModels {
  private readonly repo: ModelRepo;

  constructor(
    private readonly db: Db,
    private readonly register: (buf: Buffer, file: string, name: string) => void,
    private readonly isJobLive: (jobId: string) => boolean = () => false,
  ) {
    this.repo = new ModelRepo(db);
  }

  /** The shipped models of `dir` to register: absent from this database, or shipped since as another file. */
  pending(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((x) => x.endsWith('.dlcm'))
      .sort()
      .map((f) => f.slice(0, -'.dlcm'.length))
      .filter((name) => this.state(dir, name).pending);
  }

  /**
   * Registers `dir/NAME.dlcm` as NAME, first retiring the version the database holds when the file differs.
   * A held version that a running screen scores with (in another process: the CLI beside the app) is left
   * as it is until a start finds that screen finished; renaming it would orphan the screen's predictions.
   */
  registerOne(dir: string, name: string): ShippedRegistration {
    const { pending, file } = this.state(dir, name);
    if (!pending) return { name, retiredAs: null };
    const screen = this.repo.byName(name) ? screenScoringWith(this.db, name, this.isJobLive) : null;
    if (screen !== null) return { name, retiredAs: null, waitsForScreen: screen };
    const buf = readFileSync(file);
    // One transaction: the retired version and the new file are both in, or neither is.
    let retiredAs: string | null = null;
    this.db.transaction(() => {
      if (this.repo.byName(name)) retiredAs = this.retire(name);
      this.register(buf, file, name);
      this.record(name, file, sha256(buf));
    })();
    return { name, retiredAs };
  }

  /** Names of shipped versions a newer file replaced (kept, but not a default screen model). */
  retired(): Set<string> {
    return new Set((this.db.prepare(`SELECT name FROM shipped_models WHERE retired = 1`).all() as Array<{ name: string }>).map((r) => r.name));
  }

  /**
   * Whether `dir/NAME.dlcm` is still to be registered. A file whose size and modification time are those
   * recorded with its sha256 is not read again. A database that registered the file before the record
   * existed has no sha256 for it: the stored weights are compared with the file's (as registering stores
   * them) and, when equal, the file is recorded.
   */
  private state(dir: string, name: string): { pending: boolean; file: string } {
    const file = join(dir, `${name}.dlcm`);
    const row = this.repo.byName(name);
    if (!row) return { pending: true, file };
    const st = statSync(file);
    const known = this.db.prepare(`SELECT sha256, size, mtime_ms AS mtimeMs FROM shipped_models WHERE name = ? AND retired = 0`).get(name) as
      { sha256: string; size: number | null; mtimeMs: number | null } | undefined;
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return { pending: false, file };
    // A model of this name in training was not registered from a file: left alone.
    if (!known && row.state !== 'ready') return { pending: false, file };
    const buf = readFileSync(file);
    const hash = sha256(buf);
    const same = known ? known.sha256 === hash : this.holds(row.id, buf, file);
    if (same) this.record(name, file, hash);
    return { pending: !same, file };
  }

  /** Whether the model `id` stores the weights of the model file `buf` (its arrays' shapes and values). */
  private holds(id: number, buf: Buffer, file: string): boolean {
    const stored = this.repo.weights(id);
    try {
      return stored !== null && sameArrays(unpackArrays(readModelFile(buf, file).weights), unpackArrays(stored));
    } catch {
      return false;
    }
  }

  /** Records `name` as registered from `file` (its sha256, size and modification time). */
  private record(name: string, file: string, hash: string): void {
    const st = statSync(file);
    this.db
      .prepare(
        `INSERT INTO shipped_models (name, file, sha256, retired, size, mtime_ms) VALUES (?, ?, ?, 0, ?, ?)
         ON CONFLICT (name) DO UPDATE SET file = excluded.file, sha256 = excluded.sha256, retired = 0, size = excluded.size,
           mtime_ms = excluded.mtime_ms, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(name, basename(file, '.dlcm'), hash, st.size, st.mtimeMs);
  }

  /** Renames the held version of NAME to its retired name (retiredName), marked retired. */
  private retire(name: string): string {
    const as = retiredName(this.repo, name);
    renameModel(this.db, name, as, this.isJobLive);
    this.db
      .prepare(
        `INSERT INTO shipped_models (name, file, sha256, retired) VALUES (?, ?, '', 1)
         ON CONFLICT (name) DO UPDATE SET retired = 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(as, name);
    return as;
  }
}
