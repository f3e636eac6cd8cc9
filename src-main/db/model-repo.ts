import type { ModelState, ModelSummary } from '../../src-shared/dto';
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

const COLS = `id, name, kind, state, manifest, params, layers, share_layers AS shareLayers, hidden, parents, metrics, steps,
  total_steps AS totalSteps, job_id AS jobId, created_at AS createdAt`;

/** How many training checkpoints are kept per model (the newest). */
export const KEEP_CHECKPOINTS = 2;

/** Models and their training checkpoints. */
export class ModelRepo {
  constructor(private readonly db: Db) {}

  byName(name: string): ModelRow | null {
    return (this.db.prepare(`SELECT ${COLS} FROM models WHERE name = ?`).get(name) as ModelRow | undefined) ?? null;
  }

  list(): ModelRow[] {
    return this.db.prepare(`SELECT ${COLS} FROM models ORDER BY created_at, id`).all() as ModelRow[];
  }

  create(m: { name: string; kind: ModelRow['kind']; state: ModelState; manifest: unknown; params: number; layers: number; shareLayers: boolean; hidden: number; parents: string[]; totalSteps: number; jobId: string | null }): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO models (name, kind, state, manifest, params, layers, share_layers, hidden, parents, total_steps, job_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(m.name, m.kind, m.state, JSON.stringify(m.manifest), m.params, m.layers, m.shareLayers ? 1 : 0, m.hidden, JSON.stringify(m.parents), m.totalSteps, m.jobId).lastInsertRowid,
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
      this.db.prepare(`INSERT OR REPLACE INTO checkpoints (model_id, step, state, weights, optimizer) VALUES (?, ?, ?, ?, ?)`).run(id, c.step, c.state, c.weights, c.optimizer);
      this.db
        .prepare(`DELETE FROM checkpoints WHERE model_id = ? AND step NOT IN (SELECT step FROM checkpoints WHERE model_id = ? ORDER BY step DESC LIMIT ?)`)
        .run(id, id, KEEP_CHECKPOINTS);
      this.db.prepare(`UPDATE models SET steps = ?, total_steps = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`).run(c.step, c.totalSteps, id);
    })();
  }

  latestCheckpoint(id: number): StoredCheckpoint | null {
    return (this.db.prepare(`SELECT step, state, weights, optimizer FROM checkpoints WHERE model_id = ? ORDER BY step DESC LIMIT 1`).get(id) as StoredCheckpoint | undefined) ?? null;
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
