import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export const SCHEMA_VERSION = MIGRATIONS.length;

// Kept here too for the modules that import it from the database layer.
export { defaultDbPath } from '../util/paths';

/** Opens (creating if needed) a database with WAL, foreign keys and all migrations applied. */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // The desktop app loads an Electron build of the native module (Electron's ABI differs from Node's);
  // the CLI, host mode and tests use the Node build npm installed. See scripts/electron-setup.mjs.
  const binding = process.env.DELICATE_SQLITE_BINDING;
  const db = binding ? new Database(path, { nativeBinding: binding }) : new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Another process's write transaction is waited for (commits are short; a long wait means a stuck writer).
  db.pragma('busy_timeout = 30000');
  immediateTransactions(db);
  // Foreign keys are off while migrating (a table rebuild must not cascade), checked, then on for good.
  db.pragma('foreign_keys = OFF');
  migrate(db);
  const broken = db.pragma('foreign_key_check') as unknown[];
  if (broken.length) throw new Error(`database ${path}: ${broken.length} foreign-key violation(s) after migration`);
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Makes every `db.transaction(fn)()` begin IMMEDIATE: it takes the write lock before its first read. A
 * deferred transaction that reads and then writes cannot wait for a lock another process holds (SQLite
 * answers SQLITE_BUSY at once, busy_timeout notwithstanding), and almost every transaction here writes.
 * `.deferred` stays available for read-only ones.
 */
function immediateTransactions(db: Db): void {
  const original = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const t = original(fn);
    return Object.assign((...args: never[]) => t.immediate(...args), {
      default: t.immediate,
      deferred: t.deferred,
      immediate: t.immediate,
      exclusive: t.exclusive,
      database: db,
    });
  }) as unknown as Db['transaction'];
}

function migrate(db: Db): void {
  // Each step re-reads the version inside its (immediate) transaction: two processes opening a new
  // database at once apply each migration once.
  for (;;) {
    const done = db.transaction(() => {
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v > MIGRATIONS.length) {
        throw new Error(`database schema version ${v} is newer than this Delicate (${MIGRATIONS.length}); update Delicate`);
      }
      if (v === MIGRATIONS.length) return true;
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
      return false;
    })();
    if (done) return;
  }
}
