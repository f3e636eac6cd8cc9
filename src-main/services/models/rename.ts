import { AppError } from '../../../src-shared/errors';
import type { Db } from '../../db/database';
import { type ModelRow, ModelRepo, manifestOf, parentsOf } from '../../db/model-repo';
import type { StoredManifest } from '../../train/manifests';
import { BASE_STUDENT, BASE_TEACHER } from './registry';
import { startingStudent, type TrainRequest } from './training';

/**
 * A stored manifest with every name of the model `from` replaced by `to`: a task model's teacher, a
 * consensus's members, a pretrained or distilled model's teacher and starting models (`init`). Null when
 * the manifest names no such model.
 */
export function renamedManifest(m: StoredManifest, from: string, to: string): StoredManifest | null {
  const swap = (n: string | null | undefined) => (n === from ? to : n);
  const text = JSON.stringify(m);
  const copy = JSON.parse(text) as StoredManifest;
  if (copy.format === 'delicate-consensus-v1') {
    for (const member of copy.members) member.name = swap(member.name) as string;
  } else if (copy.format === 'delicate-model-v1') {
    const t = copy.training as { kind: string; teacher?: string | null; settings?: { init?: string; distill?: { teacher: string; init?: string } } };
    if (t.teacher !== undefined) t.teacher = swap(t.teacher) ?? null;
    // A pretrained or general-distilled model's settings name the models it started from; a task model's
    // settings (the QSAR recipe: `distill` is a flag there) name none.
    const s = t.kind === 'pretrain' || t.kind === 'general-distill' ? t.settings : undefined;
    if (s?.init !== undefined) s.init = swap(s.init) as string;
    if (s?.distill) {
      s.distill.teacher = swap(s.distill.teacher) as string;
      if (s.distill.init !== undefined) s.distill.init = swap(s.distill.init) as string;
    }
  }
  const out = JSON.stringify(copy);
  return out === text ? null : copy;
}

type StoredRequest = Pick<TrainRequest, 'teacher' | 'student' | 'settings'>;

/**
 * An interrupted training run's stored request with the model `from` renamed `to`, null when it does not
 * start from it. A request that left the teacher or the student to the default (the shipped base models)
 * names the renamed model outright: resuming it continues from the model it started with, not from a
 * newer model that took the default name.
 */
export function renamedRequest(req: StoredRequest, from: string, to: string, baseStudentLayers: number | null): StoredRequest | null {
  const teacher = req.teacher ?? BASE_TEACHER;
  const student = startingStudent(req, teacher, baseStudentLayers);
  if (teacher !== from && student !== from) return null;
  return {
    ...req,
    ...(teacher === from ? { teacher: to } : {}),
    ...(student === from ? { student: to } : {}),
  };
}

/** The id of a running screen that scores with the model `name` (its job live in any process: `isJobLive`), or null. */
export function screenScoringWith(db: Db, name: string, isJobLive: (jobId: string) => boolean): number | null {
  const running = db
    .prepare(`SELECT s.id, s.job_id AS jobId FROM screens s WHERE s.state = 'running' AND EXISTS (SELECT 1 FROM json_each(s.models) m WHERE m.value = ?)`)
    .all(name) as Array<{ id: number; jobId: string | null }>;
  return running.find((s) => s.jobId !== null && isJobLive(s.jobId))?.id ?? null;
}

/**
 * Renames a model and every reference to it, in one transaction: other models' lineage (parents) and
 * manifests (teacher, consensus members, starting models), interrupted training runs' requests, screens'
 * model lists and their predictions, and the record of shipped models. A library column a screen wrote
 * (`pred logS (NAME)`) keeps its name: it is the chemist's data, written when it was scored.
 * A model a running screen scores with (its job live in any process: `isJobLive`) is not renamed: that
 * screen would go on writing predictions under the old name.
 */
export function renameModel(db: Db, from: string, to: string, isJobLive: (jobId: string) => boolean = () => false): ModelRow {
  const repo = new ModelRepo(db);
  return db.transaction(() => {
    const row = repo.byName(from);
    if (!row) throw new AppError('NOT_FOUND', `no model named '${from}'`, { model: from, remedy: 'list-models' });
    if (repo.byName(to)) throw new AppError('CONFLICT', `a model named '${to}' already exists`, { model: to });
    if (row.state === 'training')
      throw new AppError('CONFLICT', `model '${from}' is still training (or was interrupted): finish or delete it before renaming it`, { model: from });
    const screening = screenScoringWith(db, from, isJobLive);
    if (screening !== null)
      throw new AppError('CONFLICT', `model '${from}' is scoring screen ${screening}: rename it when that screen has finished, or cancel the screen`, {
        model: from,
      });
    const both = db
      .prepare(
        `SELECT s.id FROM screens s WHERE EXISTS (SELECT 1 FROM json_each(s.models) a WHERE a.value = ?) AND EXISTS (SELECT 1 FROM json_each(s.models) b WHERE b.value = ?)`,
      )
      .get(from, to) as { id: number } | undefined;
    if (both)
      throw new AppError('CONFLICT', `screen ${both.id} holds predictions of both '${from}' and a former model named '${to}'; choose another name`, {
        model: to,
      });

    db.prepare(`UPDATE models SET name = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`).run(to, row.id);
    const setModel = db.prepare(`UPDATE models SET parents = ?, manifest = ? WHERE id = ?`);
    for (const r of repo.list()) {
      const parents = parentsOf(r);
      const manifest = renamedManifest(manifestOf(r), from, to);
      if (!parents.includes(from) && !manifest) continue;
      setModel.run(JSON.stringify(parents.map((p) => (p === from ? to : p))), manifest ? JSON.stringify(manifest) : r.manifest, r.id);
    }

    const setRequest = db.prepare(`UPDATE run_checkpoints SET request = ? WHERE name = ?`);
    const baseStudent = repo.byName(BASE_STUDENT === from ? to : BASE_STUDENT);
    for (const run of db.prepare(`SELECT name, request FROM run_checkpoints`).all() as Array<{ name: string; request: string }>) {
      const renamed = renamedRequest(JSON.parse(run.request) as StoredRequest, from, to, baseStudent?.layers ?? null);
      if (renamed) setRequest.run(JSON.stringify({ ...(JSON.parse(run.request) as object), ...renamed }), run.name);
    }

    const setScreen = db.prepare(`UPDATE screens SET models = ? WHERE id = ?`);
    const screens = db.prepare(`SELECT id, models FROM screens s WHERE EXISTS (SELECT 1 FROM json_each(s.models) m WHERE m.value = ?)`).all(from) as Array<{
      id: number;
      models: string;
    }>;
    // A screen's predictions are keyed by (screen, model, compound): only the screens that list the model hold any.
    const setPredictions = db.prepare(`UPDATE predictions SET model = ? WHERE screen_id = ? AND model = ?`);
    for (const s of screens) {
      setScreen.run(JSON.stringify((JSON.parse(s.models) as string[]).map((m) => (m === from ? to : m))), s.id);
      setPredictions.run(to, s.id, from);
    }
    db.prepare(`UPDATE shipped_models SET name = ? WHERE name = ?`).run(to, from);
    return repo.byName(to) as ModelRow;
  })();
}
