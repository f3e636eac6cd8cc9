import { createHash } from 'node:crypto';
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../db/database';
import { ModelRepo, manifestOf, parentsOf } from '../../db/model-repo';
import { writeModelFile } from '../../model/model-file';
import { packArrays } from '../../model/weights-io';
import { tempDir } from '../../test/helpers';
import type { StoredManifest } from '../../train/manifests';
import { DEFAULT_QSAR } from '../../train/qsar-settings';
import { BASE_STUDENT, BASE_TEACHER, ModelRegistry } from '.';
import { renamedManifest, renamedRequest } from './rename';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const config = { vocabSize: 8, maxLen: 16, layers: 1, hidden: 4, heads: 1, ff: 8, dropout: 0, shareLayers: false, mlm: { tied: true }, physchem: 0 };
const encoder = (training: Record<string, unknown>) =>
  ({ format: 'delicate-model-v1', config, tokenizer: { vocab: [] }, physchem: null, training }) as unknown as StoredManifest;
const task = (teacher: string | null) =>
  ({ ...encoder({ kind: 'finetune', teacher, settings: DEFAULT_QSAR }), task: { target: 'y', type: 'regression', norm: null } }) as unknown as StoredManifest;

/** A shipped-model file whose weights depend on `seed` (float16, as shipped). */
function modelFile(name: string, seed: number): Buffer {
  const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(seed * 100 + i));
  const weights = packArrays(new Map([['w', { shape: [8, 8], values }]]), 'float16');
  return writeModelFile(
    {
      format: 'delicate-model-file-v1',
      name,
      kind: 'pretrained',
      parents: [],
      metrics: {},
      steps: seed,
      manifest: encoder({ kind: 'pretrain', settings: {} }),
    },
    weights,
  );
}

/** A ready model row made in place (its weights do not matter to a rename). */
function addModel(db: Db, name: string, kind: 'teacher' | 'student' | 'pretrained' | 'consensus', manifest: unknown, parents: string[]): void {
  const repo = new ModelRepo(db);
  const id = repo.create({ name, kind, state: 'ready', manifest, params: 1, layers: 1, shareLayers: false, hidden: 4, parents, totalSteps: 1, jobId: null });
  repo.finish(id, { weights: Buffer.alloc(4), metrics: {}, steps: 1 });
}

/** A screen of one compound by `models`, with a prediction per model. */
function addScreen(db: Db, models: string[]): number {
  const lib =
    db.prepare(`INSERT OR IGNORE INTO libraries (name) VALUES ('lib')`).run() &&
    (db.prepare(`SELECT id FROM libraries WHERE name = 'lib'`).get() as { id: number }).id;
  db.prepare(`INSERT OR IGNORE INTO compounds (id, inchikey, smiles, fp) VALUES (1, 'K', 'CCO', x'00')`).run();
  const id = Number(
    db.prepare(`INSERT INTO screens (library_id, models, state, domain_threshold, total) VALUES (?, ?, 'done', 0.3, 1)`).run(lib, JSON.stringify(models))
      .lastInsertRowid,
  );
  for (const m of models) db.prepare(`INSERT INTO predictions (screen_id, model, compound_id, score) VALUES (?, ?, 1, 0.5)`).run(id, m);
  return id;
}

const row = (db: Db, name: string) => new ModelRepo(db).byName(name);

describe('renaming a model', () => {
  it('rewrites the names a manifest holds, and only those', () => {
    expect(renamedManifest(task('t'), 't', 'u')).toMatchObject({ training: { teacher: 'u' } });
    expect(renamedManifest(task('other'), 't', 'u')).toBeNull();
    // A distilled task model's settings are the QSAR recipe, where `distill` is a flag, not a teacher.
    const student = { ...task('t'), training: { kind: 'distill', teacher: 't', settings: { ...DEFAULT_QSAR, distill: true } } } as unknown as StoredManifest;
    expect(renamedManifest(student, 't', 'u')).toMatchObject({ training: { teacher: 'u', settings: { distill: true } } });
    const distilled = encoder({ kind: 'general-distill', teacher: 't', settings: { init: 't', distill: { teacher: 't', init: 's', layers: 3 } } });
    expect(renamedManifest(distilled, 't', 'u')).toMatchObject({
      training: { teacher: 'u', settings: { init: 'u', distill: { teacher: 'u', init: 's' } } },
    });
    const consensus = {
      format: 'delicate-consensus-v1',
      members: [
        { name: 't', weight: 0.6 },
        { name: 'f', weight: 0.4 },
      ],
    } as unknown as StoredManifest;
    expect(renamedManifest(consensus, 't', 'u')).toMatchObject({
      members: [
        { name: 'u', weight: 0.6 },
        { name: 'f', weight: 0.4 },
      ],
    });
  });

  it("names a renamed default in an interrupted run's request, so its resume keeps the model it started with", () => {
    const distil = { ...DEFAULT_QSAR, distill: true };
    // The default teacher and the default student (the shipped ones) become explicit.
    expect(renamedRequest({ settings: distil }, BASE_TEACHER, 'old-teacher', 3)).toEqual({ settings: distil, teacher: 'old-teacher' });
    expect(renamedRequest({ settings: distil }, BASE_STUDENT, 'old-student', 3)).toEqual({ settings: distil, student: 'old-student' });
    // A run that named its own teacher, or whose student is not the shipped one, is left as it is.
    expect(renamedRequest({ settings: distil, teacher: 'mine' }, BASE_TEACHER, 'x', 3)).toBeNull();
    expect(renamedRequest({ settings: { ...distil, studentLayers: 4 } }, BASE_STUDENT, 'x', 3)).toBeNull();
    expect(renamedRequest({ settings: distil, teacher: 'mine' }, 'mine', 'yours', 3)).toEqual({ settings: distil, teacher: 'yours' });
  });

  it('carries its lineage, manifests, screens, predictions and runs, in one step; refuses a taken name or a model in training', () => {
    const db = openDatabase(join(tmp.dir, 'rename.db'));
    const models = new ModelRegistry(db);
    addModel(db, 'base', 'pretrained', encoder({ kind: 'pretrain', settings: {} }), []);
    addModel(db, 'sol-teacher', 'teacher', task('base'), ['base']);
    addModel(db, 'sol-forest', 'consensus', { format: 'delicate-consensus-v1', members: [{ name: 'sol-teacher', weight: 1 }] }, ['sol-teacher']);
    addModel(db, 'longer', 'pretrained', encoder({ kind: 'pretrain', settings: { init: 'base' } }), ['base']);
    const screen = addScreen(db, ['sol-teacher', 'sol-forest']);
    db.prepare(`INSERT INTO run_checkpoints (name, run_key, request, data_file, progress, data) VALUES ('run', 'k', ?, x'00', '{}', x'00')`).run(
      JSON.stringify({ target: 'y', teacher: 'sol-teacher', settings: DEFAULT_QSAR }),
    );

    expect(models.rename('sol-teacher', 'logS-teacher')).toMatchObject({ name: 'logS-teacher', kind: 'teacher', parent: ['base'] });
    expect(row(db, 'sol-teacher')).toBeNull();
    expect(parentsOf(row(db, 'sol-forest')!)).toEqual(['logS-teacher']);
    expect(manifestOf(row(db, 'sol-forest')!)).toMatchObject({ members: [{ name: 'logS-teacher', weight: 1 }] });
    expect(db.prepare(`SELECT models FROM screens WHERE id = ?`).get(screen)).toEqual({ models: '["logS-teacher","sol-forest"]' });
    expect(db.prepare(`SELECT model FROM predictions WHERE screen_id = ? ORDER BY model`).all(screen)).toEqual([
      { model: 'logS-teacher' },
      { model: 'sol-forest' },
    ]);
    expect(JSON.parse((db.prepare(`SELECT request FROM run_checkpoints`).get() as { request: string }).request)).toMatchObject({
      target: 'y',
      teacher: 'logS-teacher',
    });

    models.rename('base', 'base-v1');
    expect(parentsOf(row(db, 'logS-teacher')!)).toEqual(['base-v1']);
    expect(manifestOf(row(db, 'logS-teacher')!)).toMatchObject({ training: { teacher: 'base-v1' } });
    expect(manifestOf(row(db, 'longer')!)).toMatchObject({ training: { settings: { init: 'base-v1' } } });

    expect(() => models.rename('nothing', 'x')).toThrow(/no model named 'nothing'/);
    expect(() => models.rename('longer', 'sol-forest')).toThrow(/'sol-forest' already exists/);
    new ModelRepo(db).create({
      name: 'busy',
      kind: 'pretrained',
      state: 'training',
      manifest: {},
      params: 1,
      layers: 1,
      shareLayers: false,
      hidden: 4,
      parents: [],
      totalSteps: 9,
      jobId: null,
    });
    expect(() => models.rename('busy', 'idle')).toThrow(/still training/);
    // A screen that scored a former model of the new name with this one would merge two models' rows.
    addScreen(db, ['longer', 'gone']);
    expect(() => models.rename('longer', 'gone')).toThrow(/holds predictions of both/);
    expect(row(db, 'longer')).not.toBeNull();
    db.close();
  });

  it('refuses a model that a running screen scores with, in this process or another; a crashed screen does not hold it', () => {
    const db = openDatabase(join(tmp.dir, 'rename-screening.db'));
    const live = new Set(['job-live']);
    const models = new ModelRegistry(db, (id) => live.has(id));
    addModel(db, 'sol-student', 'student', task(null), []);
    const running = (job: string) => {
      db.prepare(`INSERT INTO jobs (id, kind, state) VALUES (?, 'screen', 'running')`).run(job);
      const id = addScreen(db, ['sol-student']);
      db.prepare(`UPDATE screens SET state = 'running', job_id = ? WHERE id = ?`).run(job, id);
      return id;
    };
    const crashed = running('job-gone');
    const screen = running('job-live');
    expect(() => models.rename('sol-student', 'logS-student')).toThrow(`model 'sol-student' is scoring screen ${screen}`);
    expect(row(db, 'sol-student')).not.toBeNull();
    live.clear(); // the screen finished (or its process is gone)
    expect(models.rename('sol-student', 'logS-student')).toMatchObject({ name: 'logS-student' });
    expect(db.prepare(`SELECT models FROM screens WHERE id = ?`).get(crashed)).toEqual({ models: '["logS-student"]' });
    db.close();
  });
});

describe('a shipped model whose file changed', () => {
  const dir = join(tmp.dir, 'shipped');
  mkdirSync(dir);
  const file = join(dir, `${BASE_TEACHER}.dlcm`);
  const weightsHash = (db: Db, name: string) =>
    createHash('sha256')
      .update(new ModelRepo(db).weights(row(db, name)!.id)!)
      .digest('hex');

  it('keeps the version held under a versioned name with everything made from it, and registers the new file', () => {
    writeFileSync(file, modelFile(BASE_TEACHER, 1));
    const db = openDatabase(join(tmp.dir, 'upgrade.db'));
    const models = new ModelRegistry(db);
    expect(models.registerShipped(dir)).toEqual([{ name: BASE_TEACHER, retiredAs: null }]);
    expect(models.shippedPending(dir)).toEqual([]);
    const v1 = weightsHash(db, BASE_TEACHER);
    addModel(db, 'sol-teacher', 'teacher', task(BASE_TEACHER), [BASE_TEACHER]);
    const screen = addScreen(db, [BASE_TEACHER]);

    writeFileSync(file, modelFile(BASE_TEACHER, 2));
    expect(models.shippedPending(dir)).toEqual([BASE_TEACHER]);
    const kept = `${BASE_TEACHER}-${v1.slice(0, 10)}`;
    expect(models.registerShipped(dir)).toEqual([{ name: BASE_TEACHER, retiredAs: kept }]);
    expect(weightsHash(db, kept)).toBe(v1);
    // The registry says which is the earlier shipped version.
    expect(models.get(kept).retired).toBe(true);
    expect(
      models
        .list()
        .filter((m) => m.retired)
        .map((m) => m.name),
    ).toEqual([kept]);
    expect(models.get(BASE_TEACHER).retired).toBeUndefined();
    expect(weightsHash(db, BASE_TEACHER)).not.toBe(v1);
    expect(row(db, BASE_TEACHER)?.steps).toBe(2);
    expect(parentsOf(row(db, 'sol-teacher')!)).toEqual([kept]);
    expect(manifestOf(row(db, 'sol-teacher')!)).toMatchObject({ training: { teacher: kept } });
    expect(db.prepare(`SELECT DISTINCT model FROM predictions WHERE screen_id = ?`).all(screen)).toEqual([{ model: kept }]);
    // Once: the next start finds the file registered.
    expect(models.registerShipped(dir)).toEqual([]);
    // The same content with a new modification time (a reinstall): hashed again, found the same, stamped.
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    expect(models.shippedPending(dir)).toEqual([]);
    expect(db.prepare(`SELECT mtime_ms AS m FROM shipped_models WHERE name = ?`).get(BASE_TEACHER)).toEqual({ m: statSync(file).mtimeMs });
    db.close();
  });

  it('waits while the version held is scoring a running screen, and installs the new file once it has finished', () => {
    writeFileSync(file, modelFile(BASE_TEACHER, 5));
    const db = openDatabase(join(tmp.dir, 'upgrade-screening.db'));
    const live = new Set(['job-live']);
    const models = new ModelRegistry(db, (id) => live.has(id));
    models.registerShipped(dir);
    const v1 = weightsHash(db, BASE_TEACHER);
    db.prepare(`INSERT INTO jobs (id, kind, state) VALUES ('job-live', 'screen', 'running')`).run();
    const screen = addScreen(db, [BASE_TEACHER]);
    db.prepare(`UPDATE screens SET state = 'running', job_id = 'job-live' WHERE id = ?`).run(screen);
    writeFileSync(file, modelFile(BASE_TEACHER, 6));
    expect(models.registerShipped(dir)).toEqual([{ name: BASE_TEACHER, retiredAs: null, waitsForScreen: screen }]);
    expect(weightsHash(db, BASE_TEACHER)).toBe(v1);
    expect(db.prepare(`SELECT DISTINCT model FROM predictions WHERE screen_id = ?`).all(screen)).toEqual([{ model: BASE_TEACHER }]);
    expect(models.shippedPending(dir)).toEqual([BASE_TEACHER]);
    live.clear();
    expect(models.registerShipped(dir)[0]?.retiredAs).toBe(`${BASE_TEACHER}-${v1.slice(0, 10)}`);
    expect(weightsHash(db, BASE_TEACHER)).not.toBe(v1);
    db.close();
  });

  it('is told apart from the same file in a database registered before the record existed', () => {
    writeFileSync(file, modelFile(BASE_TEACHER, 3));
    const db = openDatabase(join(tmp.dir, 'legacy.db'));
    const models = new ModelRegistry(db);
    models.registerShipped(dir);
    db.prepare(`DELETE FROM shipped_models`).run();
    // The same file: recognised by its weights, recorded, nothing renamed.
    expect(models.shippedPending(dir)).toEqual([]);
    expect(db.prepare(`SELECT name, retired FROM shipped_models`).all()).toEqual([{ name: BASE_TEACHER, retired: 0 }]);
    db.prepare(`DELETE FROM shipped_models`).run();
    writeFileSync(file, modelFile(BASE_TEACHER, 4));
    expect(models.shippedPending(dir)).toEqual([BASE_TEACHER]);
    expect(models.registerShipped(dir)[0]?.retiredAs).toMatch(new RegExp(`^${BASE_TEACHER}-[0-9a-f]{10}$`));
    db.close();
  });

  it('leaves the default screen models: a retired version is not one', () => {
    const db = openDatabase(join(tmp.dir, 'defaults.db'));
    const models = new ModelRegistry(db);
    addModel(db, 'delicate-sol', 'student', { ...task(null), config: { ...config, task: { outputs: 1 } } }, []);
    addModel(db, 'delicate-sol-0123456789', 'student', { ...task(null), config: { ...config, task: { outputs: 1 } } }, []);
    expect(models.defaultScreenModels()).toEqual(['delicate-sol', 'delicate-sol-0123456789']);
    db.prepare(`INSERT INTO shipped_models (name, file, sha256, retired) VALUES ('delicate-sol-0123456789', 'delicate-sol', '', 1)`).run();
    expect(models.defaultScreenModels()).toEqual(['delicate-sol']);
    // The app's model list says the same (the Screening view ticks these).
    expect(models.list().map((m) => [m.name, m.screensByDefault ?? false])).toEqual([
      ['delicate-sol', true],
      ['delicate-sol-0123456789', false],
    ]);
    db.close();
  });
});
