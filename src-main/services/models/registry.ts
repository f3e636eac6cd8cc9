import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { IntervalSummary, ModelSummary } from '../../../src-shared/dto';
import { AppError } from '../../../src-shared/errors';
import type { Db } from '../../db/database';
import { type ModelRow, ModelRepo, manifestOf, metricsOf, parentsOf } from '../../db/model-repo';
import { readModelFile, writeModelFile } from '../../model/model-file';
import { exportOnnx, onnxGraph } from '../../model/onnx-export';
import { packArrays, unpackArrays } from '../../model/weights-io';
import { type Calibration, isCalibration } from '../../train/ensemble';
import type { ForestJson } from '../../train/forest';
import { type ConsensusManifest, type ModelManifest, isTaskManifest } from '../../train/manifests';
import { checkHeader, fileHeader, importConsensus, scoringModelFile, scoringParams } from './model-files';
import { renameModel } from './rename';
import { type ShippedRegistration, ShippedModels } from './shipped';
import type { ConsensusModelSpec, EncoderSpec, ForestModelSpec, ScoringSpec, TaskModelSpec } from '../../train/predict-types';

/** The registered model `delicate train` fine-tunes when no --teacher is given (shipped, issue 8). */
export const BASE_TEACHER = 'delicate-base-teacher';
/** The shipped general-distilled DeLiCaTe student: `delicate train --distill` starts its student from it with the base teacher. */
export const BASE_STUDENT = 'delicate-base-student';
/** The shipped shared-layer teacher (DeLiCaTe stage 2): one layer applied at the base teacher's depth, distilled from it; the base student starts from its layer. */
export const BASE_SHARED_TEACHER = 'delicate-base-shared-teacher';

/** The kinds a model file may hold. */
const FILE_KINDS: Record<ModelSummary['kind'], true> = { pretrained: true, shared: true, student: true, teacher: true, baseline: true, consensus: true };

/** Transformer kinds: what an encoder, a teacher or a starting model must be. */
export const TRANSFORMERS = ['pretrained', 'shared', 'student', 'teacher'] as const;

/**
 * Whether a screen with no model named scores with this model: a shipped task model (delicate-*, ready,
 * with a task head, not a retired version). The manifest (which can be large) is read only for such names.
 */
function screensByDefault(r: ModelRow, retired: boolean, manifest: () => ReturnType<typeof manifestOf>): boolean {
  if (!r.name.startsWith('delicate-') || retired || r.state !== 'ready' || (r.kind !== 'student' && r.kind !== 'teacher')) return false;
  const m = manifest();
  return m.format === 'delicate-model-v1' && Boolean(m.config.task);
}

function summary(r: ModelRow, retired = false, m = manifestOf(r)): ModelSummary {
  return {
    name: r.name,
    kind: r.kind,
    state: r.state,
    params: r.params,
    layers: r.layers,
    shareLayers: r.shareLayers === 1,
    hidden: r.hidden,
    task: 'task' in m && m.task ? { target: m.task.target, type: m.task.type } : null,
    fpHead: 'config' in m && Boolean(m.config.task?.fp),
    descHead: 'config' in m && Boolean(m.config.task?.desc),
    parent: parentsOf(r),
    metrics: metricsOf(r),
    steps: r.steps,
    totalSteps: r.totalSteps,
    createdAt: r.createdAt,
    ...(retired ? { retired: true as const } : {}),
    ...(screensByDefault(r, retired, () => m) ? { screensByDefault: true as const } : {}),
    intervals: intervalsOf('calibration' in m ? m.calibration : null),
  };
}

/** What a model's calibration says of its intervals' widths (null: none, or one a screen could not use). */
function intervalsOf(c: unknown): IntervalSummary | null {
  if (!isCalibration(c)) return null;
  const regression = 'halfWidth' in c;
  return {
    level: c.level,
    kind: regression ? 'interval' : 'set',
    overall: regression ? c.halfWidth : c.threshold,
    bands: (c.bins ?? []).map((b) => ({ from: b.from, q: b.q })),
  };
}

/** The model registry: what is stored, its import and export, and the specs the scorers load. */
export class ModelRegistry {
  readonly repo: ModelRepo;
  private readonly shipped: ShippedModels;

  constructor(
    private readonly db: Db,
    private readonly isJobLive: (jobId: string) => boolean = () => false,
  ) {
    this.repo = new ModelRepo(db);
    this.shipped = new ShippedModels(db, (buf, file, name) => this.importBuffer(buf, file, name), isJobLive);
  }

  list(): ModelSummary[] {
    const retired = this.shipped.retired();
    return this.repo.list().map((r) => summary(r, retired.has(r.name)));
  }

  /**
   * Deletes a model that is not training, with its checkpoints; models made from it keep their lineage
   * (by name). False when there is no such model.
   */
  delete(name: string): boolean {
    const r = this.repo.byName(name);
    if (!r) return false;
    if (r.state === 'training' && r.jobId && this.isJobLive(r.jobId)) throw new AppError('CONFLICT', `model '${name}' is training; cancel its job first`);
    this.db.transaction(() => this.repo.delete(r.id))();
    return true;
  }

  get(name: string): ModelSummary {
    return summary(this.row(name), this.shipped.retired().has(name));
  }

  /** A model's summary with its interval calibration (null: none), from one read of its manifest (which can be large). */
  getCalibrated(name: string): { summary: ModelSummary; calibration: Calibration | null } {
    const r = this.row(name);
    const m = manifestOf(r);
    return { summary: summary(r, this.shipped.retired().has(name), m), calibration: 'calibration' in m ? (m.calibration ?? null) : null };
  }

  private row(name: string): ModelRow {
    const r = this.repo.byName(name);
    if (!r) throw new AppError('NOT_FOUND', `no model named '${name}'`, { model: name, remedy: 'list-models' });
    return r;
  }

  /**
   * Writes a finished model to one file (float16 halves a transformer's size; float32 is exact). A forest
   * is its trees; a consensus carries its members' files (model-files.ts). ONNX: transformers only.
   */
  async exportModel(name: string, out: string, dtype: 'float32' | 'float16' = 'float32', format: 'delicate' | 'onnx' = 'delicate'): Promise<{ bytes: number }> {
    const kind = this.repo.byName(name)?.kind;
    if (kind === 'baseline' || kind === 'consensus') {
      if (format === 'onnx')
        throw new AppError(
          'INVALID_INPUT',
          `'${name}' is ${kind === 'baseline' ? 'an ECFP4 forest' : 'a consensus'}: ONNX export is for transformers; export it as a Delicate model file (.dlcm)`,
        );
      const file = scoringModelFile(this.repo, name, dtype, (n, d) => this.transformerFile(n, d));
      await writeFile(out, file);
      return { bytes: file.length };
    }
    const { row: r, manifest, weights } = this.repo.ready(name, { kinds: TRANSFORMERS, need: 'not a transformer' });
    if (format === 'onnx') {
      // Task models store their graph; others (and graphs of an older version) are made from the stored weights (deterministic).
      const graph = onnxGraph({ config: manifest.config, weights, name, onnx: this.repo.onnx(r.id) }, false);
      await writeFile(out, graph);
      return { bytes: graph.length };
    }
    const file = this.transformerFile(name, dtype);
    await writeFile(out, file);
    return { bytes: file.length };
  }

  private transformerFile(name: string, dtype: 'float32' | 'float16'): Buffer {
    const { row: r, manifest, weights } = this.repo.ready(name, { kinds: TRANSFORMERS, need: 'not a transformer' });
    const blob = dtype === 'float32' ? weights : packArrays(unpackArrays(weights), 'float16');
    return writeModelFile(fileHeader(r, manifest), blob);
  }

  /** Registers a model file under its own name or `as`. */
  async importModel(file: string, as?: string): Promise<ModelSummary> {
    return this.importBuffer(await readFile(file), file, as);
  }

  /** Registers a model file's content (float16 files are stored as float32); `file` names it in errors. */
  importBuffer(buf: Buffer, file: string, as?: string): ModelSummary {
    let parsed: ReturnType<typeof readModelFile>;
    try {
      parsed = readModelFile(buf, file);
    } catch (err) {
      throw new AppError('PARSE_ERROR', (err as Error).message);
    }
    if (!Object.hasOwn(FILE_KINDS, parsed.header.kind)) throw new AppError('PARSE_ERROR', `${file}: unknown model kind '${String(parsed.header.kind)}'`);
    const name = as ?? parsed.header.name;
    if (this.repo.byName(name)) throw new AppError('CONFLICT', `a model named '${name}' already exists`, { model: name, remedy: 'import-as' });
    checkHeader(parsed.header, file);
    if (parsed.header.kind === 'consensus') importConsensus(this.db, this.repo, parsed, file, name, (p, f, n) => this.importParsed(p, f, n));
    else this.importParsed(parsed, file, name);
    return this.get(name);
  }

  /** Registers one parsed model file (a transformer or a forest) under `name`. */
  private importParsed({ header, weights }: ReturnType<typeof readModelFile>, file: string, name: string): void {
    checkHeader(header, file);
    const row = {
      name,
      kind: header.kind as ModelSummary['kind'],
      state: 'training' as const,
      manifest: header.manifest,
      parents: header.parents,
      totalSteps: header.steps,
      jobId: null,
    };
    if (header.kind === 'baseline') {
      this.db.transaction(() => {
        const id = this.repo.create({ ...row, params: scoringParams(header, weights, file), layers: 0, shareLayers: false, hidden: 0 });
        this.repo.finish(id, { weights, metrics: header.metrics, steps: header.steps });
      })();
      return;
    }
    const manifest = header.manifest as ModelManifest;
    // Stored as float32 so every model in the database loads the same way.
    let arrays: ReturnType<typeof unpackArrays>;
    try {
      arrays = unpackArrays(weights);
    } catch (err) {
      throw new AppError('PARSE_ERROR', `${file}: the weights of '${header.name}' cannot be read (${(err as Error).message})`);
    }
    const params = [...arrays.values()].reduce((n, a) => n + a.values.length, 0);
    const c = manifest.config;
    this.db.transaction(() => {
      const id = this.repo.create({ ...row, params, layers: c.layers, shareLayers: c.shareLayers, hidden: c.hidden });
      const stored = packArrays(arrays, 'float32');
      this.repo.finish(id, { weights: stored, metrics: header.metrics, steps: header.steps });
      if (c.task) this.repo.setOnnx(id, exportOnnx(c, stored, name));
    })();
  }

  /**
   * Registers the models shipped in `dir` (resources/models/*.dlcm) that the database does not hold yet,
   * or holds as an earlier file of the same name (that version is kept under a versioned name: shipped.ts),
   * so a fresh install screens and fine-tunes offline at once; says what it registered and retired.
   */
  registerShipped(dir: string): ShippedRegistration[] {
    return this.shippedPending(dir).map((name) => this.registerShippedOne(dir, name));
  }

  /** The shipped models of `dir` not registered in this database yet, or shipped since as another file. */
  shippedPending(dir: string): string[] {
    return this.shipped.pending(dir);
  }

  /** Registers one shipped model file (`dir/NAME.dlcm`) under its name, retiring the version held before. */
  registerShippedOne(dir: string, name: string): ShippedRegistration {
    return this.shipped.registerOne(dir, name);
  }

  /**
   * Renames a model and every reference to it (lineage, manifests, interrupted runs, screens and their
   * predictions: rename.ts); not while it trains.
   */
  rename(from: string, to: string): ModelSummary {
    const r = this.repo.byName(from);
    if (r?.state === 'training' && r.jobId && this.isJobLive(r.jobId)) throw new AppError('CONFLICT', `model '${from}' is training; cancel its job first`);
    const renamed = renameModel(this.db, from, to, this.isJobLive);
    return summary(renamed, this.shipped.retired().has(renamed.name));
  }

  /** A stored task model (fine-tuned teacher or student) ready for prediction. */
  taskSpec(name: string): TaskModelSpec {
    const { spec, manifest, kind } = this.stored(name);
    if (!isTaskManifest(manifest) || !manifest.config.task)
      throw new AppError('INVALID_INPUT', `model '${name}' has no task head (it is a ${kind} model): train one first`, { model: name, remedy: 'train' });
    return { ...spec, task: manifest.task, domain: manifest.domain?.smiles ?? [], calibration: manifest.calibration ?? null };
  }

  /** What a screen uses when no model is named: the shipped task models (delicate-*, with a task head; not a retired version). */
  defaultScreenModels(): string[] {
    const retired = this.shipped.retired();
    return this.repo
      .list()
      .filter((r) => screensByDefault(r, retired.has(r.name), () => manifestOf(r)))
      .map((r) => r.name);
  }

  /** A scoring model's interval calibration (null: none, or no such model any more). */
  calibration(name: string): Calibration | null {
    const row = this.repo.byName(name);
    if (!row) return null;
    const m = manifestOf(row);
    return 'calibration' in m ? (m.calibration ?? null) : null;
  }

  /** A model that scores compounds: a transformer task model, an ECFP4 forest baseline or a consensus of them. */
  scoringSpec(name: string): ScoringSpec {
    const row = this.repo.byName(name);
    if (row?.kind === 'consensus') return this.consensusSpec(name, manifestOf(row) as ConsensusManifest);
    return this.memberSpec(name);
  }

  private memberSpec(name: string): TaskModelSpec | ForestModelSpec {
    if (this.repo.byName(name)?.kind !== 'baseline') return this.taskSpec(name);
    const { manifest: m, weights } = this.repo.ready(name, { kinds: ['baseline'] });
    return {
      name,
      kind: 'forest',
      forest: JSON.parse(gunzipSync(weights).toString('utf8')) as ForestJson,
      task: m.task,
      domain: m.domain.smiles,
      calibration: m.calibration ?? null,
    };
  }

  /** A consensus with its members loaded (the members with weight); a deleted member is named. */
  private consensusSpec(name: string, m: ConsensusManifest): ConsensusModelSpec {
    const members = m.members
      .filter((x) => x.weight > 0)
      .map((x) => {
        if (!this.repo.byName(x.name))
          throw new AppError('NOT_FOUND', `the consensus '${name}' combines '${x.name}', which was deleted: retrain, or use another model`, {
            model: x.name,
            remedy: 'train',
          });
        return { spec: this.memberSpec(x.name), weight: x.weight };
      });
    return { name, kind: 'consensus', members, task: m.task, domain: m.domain.smiles, calibration: m.calibration };
  }

  /** Any finished model as an encoder (embeddings: the pooled [CLS] output), task head or not. */
  encoderSpec(name: string): EncoderSpec {
    return this.stored(name).spec;
  }

  private stored(name: string) {
    const { row, manifest, weights } = this.repo.ready(name, { kinds: TRANSFORMERS, need: 'not a transformer' });
    const onnx = this.repo.onnx(row.id);
    const spec: EncoderSpec = { name, config: manifest.config, tokenizer: manifest.tokenizer, weights, ...(onnx ? { onnx: new Uint8Array(onnx) } : {}) };
    return { spec, manifest, kind: row.kind };
  }
}
