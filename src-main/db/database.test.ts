import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { SCHEMA_VERSION, openDatabase } from './database';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('migrations', () => {
  it('rebuild the models table (migration 5) without cascading into checkpoints', () => {
    const path = join(tmp.dir, 'm.db');
    let db = openDatabase(path);
    db.prepare(
      `INSERT INTO models (name, kind, state, manifest, params, layers, share_layers, hidden) VALUES ('m', 'pretrained', 'training', '{}', 1, 1, 0, 8)`,
    ).run();
    db.prepare(`INSERT INTO checkpoints (model_id, step, state, weights, optimizer) VALUES (1, 4, '{}', x'00', x'00')`).run();
    // Turn it back into a version-4 database (before the rebuild, the assay tables, the run checkpoints,
    // the import owners, the library columns, the pattern fingerprints, the scores, the views, the import-order index and the shipped-model record), and open it again: the models table is rebuilt twice
    // (the kinds gain 'baseline', then 'consensus').
    db.exec(
      'DROP TABLE measurements; DROP TABLE assays; DROP TABLE run_checkpoints; ALTER TABLE imports DROP COLUMN owner; ALTER TABLE imports DROP COLUMN heartbeat_ms; DROP TABLE library_columns; ALTER TABLE compounds DROP COLUMN pattern_fp; DROP TABLE library_scores; DROP TABLE library_views; DROP INDEX library_members_distinct_in_order; DROP TABLE shipped_models;',
    );
    db.pragma('user_version = 4');
    db.close();
    db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT name, kind FROM models').all()).toEqual([{ name: 'm', kind: 'pretrained' }]);
    expect(db.prepare('SELECT model_id, step FROM checkpoints').all()).toEqual([{ model_id: 1, step: 4 }]);
    // The new kind is accepted, foreign keys are enforced again.
    db.prepare(
      `INSERT INTO models (name, kind, state, manifest, params, layers, share_layers, hidden) VALUES ('rf', 'baseline', 'ready', '{}', 1, 0, 0, 0)`,
    ).run();
    db.prepare(
      `INSERT INTO models (name, kind, state, manifest, params, layers, share_layers, hidden) VALUES ('c', 'consensus', 'ready', '{}', 0, 0, 0, 0)`,
    ).run();
    expect(() =>
      db
        .prepare(`INSERT INTO models (name, kind, state, manifest, params, layers, share_layers, hidden) VALUES ('x', 'magic', 'ready', '{}', 0, 0, 0, 0)`)
        .run(),
    ).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO checkpoints (model_id, step, state, weights, optimizer) VALUES (99, 1, '{}', x'00', x'00')`).run()).toThrow(
      /FOREIGN KEY/,
    );
    db.close();
  });

  it('clear the model SMILES written with explicit hydrogens (deuterated compounds), to be written again', () => {
    const path = join(tmp.dir, 'h.db');
    let db = openDatabase(path);
    const add = db.prepare("INSERT INTO compounds (inchikey, smiles, fp, model_smiles) VALUES (?, ?, x'00', ?)");
    add.run('K1', '[2H]CCO', '[H]CCO');
    add.run('K2', 'C[C@H](N)O', 'CC(N)O');
    // Back to the version before that migration (and the shipped-model record and its file stamps after it).
    db.exec('DROP TABLE shipped_models');
    db.pragma(`user_version = ${SCHEMA_VERSION - 3}`);
    db.close();
    db = openDatabase(path);
    expect(db.prepare('SELECT inchikey, model_smiles AS m FROM compounds ORDER BY inchikey').all()).toEqual([
      { inchikey: 'K1', m: null },
      { inchikey: 'K2', m: 'CC(N)O' },
    ]);
    db.close();
  });
});
