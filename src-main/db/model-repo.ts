import type { ModelState, ModelSummary } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { BaselineManifest, ConsensusManifest, EncoderManifest, StoredManifest } from '../train/manifests';
import type { Db } from './database';

export interface ModelRow {
  id: number;
  name: string;
  kind: ModelSummary['kind'];
  state: ModelState;
  manifest: string;
  params: number;
  layers: number;
  shareLayers: number;
  hidden: number;
  parents: string;
  metrics: string;
  steps: number;
  totalSteps: number;
  jobId: string | null;
  createdAt: string;
}

export interface StoredCheckpoint {
  step: number;
  state: string;
  weights: Buffer;
  optimizer: Buffer;
}

/** A finished model: its row, its parsed manifest and its weights. */
export interface ReadyModel<M extends StoredManifest = StoredManifest> {
  row: ModelRow;
  manifest: M;
  weights: Uint8Array;
}

/** The manifest type each model kind stores (a student is general-distilled or has a task head). */
interface ManifestByKind {
  pretrained: EncoderManifest;
  shared: EncoderManifest;
  student: EncoderManifest;
  teacher: EncoderManifest;
  baseline: BaselineManifest;
  consensus: ConsensusManifest;
}

/** A row's manifest, parsed (the one place stored manifests are read). */
export const manifestOf = (row: Pick<ModelRow, 'manifest'>): StoredManifest => JSON.parse(row.manifest) as StoredManifest;

/** A row's lineage: the models it was made from, by name. */
export const parentsOf = (row: Pick<ModelRow, 'parents'>): string[] => JSON.parse(row.parents) as string[];

/** A row's metrics. */
export const metricsOf = (row: Pick<ModelRow, 'metrics'>): Record<string, number | null> => JSON.parse(row.metrics) as Record<string, number | null>;

const COLS = `id, name, kind, state, manifest, params, layers, share_layers AS shareLayers, hidden, parents, metrics, steps,
  total_steps AS totalSteps, job_id AS jobId, created_at AS createdAt`;

/** How errors name a model kind. */
const KIND_PHRASE: Record<ModelRow['kind'], string> = {
  pretrained: 'a pretrained transformer',
  shared: 'a shared-layer transformer',
  student: 'a student transformer',
  teacher: 'a teacher transformer',
  baseline: 'an ECFP4 forest baseline',
  consensus: 'a consensus of other models',
};

/** How many training checkpoints are kept per model (the newest). */
export const KEEP_CHECKPOINTS = 2;

/** Models and their training checkpoints. */
export class ModelRepo {
  constructor(private readonly db: Db) {}

  byName(name: string): ModelRow | null {
    return (this.db.prepare(`SELECT ${COLS} FROM models WHERE name = ?`).get(name) as ModelRow | undefined) ?? null;
  }

  /**
   * A finished model with its parsed manifest and weights, as `role` names it in errors (a teacher, a
   * starting model): NOT_FOUND when there is none, CONFLICT while it is not finished, INVALID_INPUT when it
   * is not of one of `kinds` (`need` says what is needed).
   */
  ready<K extends keyof ManifestByKind = keyof ManifestByKind>(
    name: string,
    opts: { role?: string; kinds?: readonly K[]; need?: string } = {},
  ): ReadyModel<ManifestByKind[K]> {
    const role = opts.role ?? 'model';
    const row = this.byName(name);
    if (!row) throw new AppError('NOT_FOUND', `no ${role} named '${name}'`, { model: name, remedy: 'list-models' });
    if (opts.kinds && !(opts.kinds as readonly string[]).includes(row.kind)) {
      throw new AppError(
        'INVALID_INPUT',
        `${role} '${name}' is ${KIND_PHRASE[row.kind]}, ${opts.need ?? `not ${opts.kinds.map((k) => KIND_PHRASE[k]).join(' or ')}`}`,
        { model: name, kind: row.kind },
      );
    }
    const weights = this.weights(row.id);
    if (row.state !== 'ready' || !weights)
      throw new AppError('CONFLICT', `${role} '${name}' is not finished (${row.state})`, { model: name, state: row.state });
    return { row, manifest: manifestOf(row) as ManifestByKind[K], weights: new Uint8Array(weights) };
  }

  list(): ModelRow[] {
    return this.db.prepare(`SELECT ${COLS} FROM models ORDER BY created_at, id`).all() as ModelRow[];
  }

  create(m: {
    name: string;
    kind: ModelRow['kind'];
    state: ModelState;
    manifest: unknown;
    params: number;
    layers: number;
    shareLayers: boolean;
    hidden: number;
    parents: string[];
    totalSteps: number;
    jobId: string | null;
  }): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO models (name, kind, state, manifest, params, layers, share_layers, hidden, parents, total_steps, job_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          m.name,
          m.kind,
          m.state,
          JSON.stringify(m.manifest),
          m.params,
          m.layers,
          m.shareLayers ? 1 : 0,
          m.hidden,
          JSON.stringify(m.parents),
          m.totalSteps,
          m.jobId,
        ).lastInsertRowid,
    );
  }

  setState(id: number, state: ModelState, jobId?: string | null): void {
    this.db
      .prepare(`UPDATE models SET state = ?, job_id = COALESCE(?, job_id), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`)
      .run(state, jobId ?? null, id);
  }

  /** Stores a checkpoint and the progress it represents in one transaction; prunes older checkpoints. */
  saveCheckpoint(id: number, c: StoredCheckpoint & { totalSteps: number }): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT OR REPLACE INTO checkpoints (model_id, step, state, weights, optimizer) VALUES (?, ?, ?, ?, ?)`)
        .run(id, c.step, c.state, c.weights, c.optimizer);
      this.db
        .prepare(`DELETE FROM checkpoints WHERE model_id = ? AND step NOT IN (SELECT step FROM checkpoints WHERE model_id = ? ORDER BY step DESC LIMIT ?)`)
        .run(id, id, KEEP_CHECKPOINTS);
      this.db
        .prepare(`UPDATE models SET steps = ?, total_steps = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`)
        .run(c.step, c.totalSteps, id);
    })();
  }

  latestCheckpoint(id: number): StoredCheckpoint | null {
    return (
      (this.db.prepare(`SELECT step, state, weights, optimizer FROM checkpoints WHERE model_id = ? ORDER BY step DESC LIMIT 1`).get(id) as
        StoredCheckpoint | undefined) ?? null
    );
  }

  /** Marks a model ready with its final weights and metrics; its training checkpoints are dropped. */
  finish(id: number, f: { weights: Buffer; metrics: Record<string, number | null>; steps: number; manifest?: unknown }): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE models SET state = 'ready', weights = ?, metrics = ?, steps = ?, manifest = COALESCE(?, manifest),
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
        )
        .run(f.weights, JSON.stringify(f.metrics), f.steps, f.manifest === undefined ? null : JSON.stringify(f.manifest), id);
      this.db.prepare(`DELETE FROM checkpoints WHERE model_id = ?`).run(id);
    })();
  }

  setOnnx(id: number, graph: Uint8Array): void {
    this.db.prepare(`UPDATE models SET onnx = ? WHERE id = ?`).run(Buffer.from(graph), id);
  }

  onnx(id: number): Buffer | null {
    return (this.db.prepare(`SELECT onnx FROM models WHERE id = ?`).get(id) as { onnx: Buffer | null } | undefined)?.onnx ?? null;
  }

  weights(id: number): Buffer | null {
    return (this.db.prepare(`SELECT weights FROM models WHERE id = ?`).get(id) as { weights: Buffer | null } | undefined)?.weights ?? null;
  }

  delete(id: number): void {
    this.db.prepare(`DELETE FROM models WHERE id = ?`).run(id);
  }
}
