// Shipping a longer-trained base chain (issue 34): the models were trained under other names (NAME + a
// suffix, e.g. delicate-base-teacher-long, continuing the shipped delicate-base-teacher) in a database of
// their own. The release is made from a copy of it in which the shipped models it holds take the names an
// installed Delicate will give them when the new files arrive (services/models/shipped.ts: retiredName),
// and the new models take the shipped names, so the new files' lineage names what every install keeps.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from '../src-main/db/database';
import { ModelRegistry } from '../src-main/services/models';
import { retiredName } from '../src-main/services/models/shipped';

/**
 * Writes `target` from `source` with NAME+suffix (or `sources[NAME]`, e.g. the last segment of a teacher
 * trained in segments) renamed NAME for each of `names`; returns what was renamed, in order.
 */
export function prepareShip(source: string, target: string, suffix: string, names: string[], sources: Record<string, string> = {}): Array<[string, string]> {
  if (existsSync(target)) throw new Error(`${target} exists: remove it, or go on with --db ${target} and without --ship-from`);
  const src = new Database(source, { readonly: true, fileMustExist: true });
  try {
    // A consistent copy, whatever the source's WAL holds.
    src.prepare('VACUUM INTO ?').run(target);
  } finally {
    src.close();
  }
  const db = openDatabase(target);
  const models = new ModelRegistry(db);
  const done: Array<[string, string]> = [];
  try {
    for (const name of names) {
      const from = sources[name] ?? `${name}${suffix}`;
      const next = models.repo.byName(from);
      if (!next) {
        if (sources[name]) throw new Error(`${source} has no model named ${from}`);
        continue;
      }
      if (next.state !== 'ready') throw new Error(`${from} is not finished (${next.state})`);
      if (models.repo.byName(name)) {
        const kept = retiredName(models.repo, name);
        models.rename(name, kept);
        done.push([name, kept]);
      }
      models.rename(from, name);
      done.push([from, name]);
    }
  } finally {
    db.close();
  }
  return done;
}
