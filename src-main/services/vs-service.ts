import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import type { ScreenRow } from '../db/screen-repo';
import { embedOnWorker } from '../screen/screen-pool';
import type { VsData, VsMethod, VsResult } from '../screen/vs';
import { evaluateVsOnWorker } from '../screen/vs-thread';
import type { Engine } from '../train/predict-types';
import type { LibraryService } from './library-service';
import type { ModelRegistry } from './models';
import type { ScreenProgress, ScreenService } from './screen-service';
import { readStructures } from './structures';

export interface VsRequest {
  library: string;
  /** Library property holding the activity label (1/0, true/false, active/inactive). */
  labelCol?: string;
  /** File of known actives (the queries); without it, the labelled actives are the queries. */
  actives?: string;
  smilesCol?: string;
  method: VsMethod;
  /** Task model (classifier) that ranks by its probability: method 'model'. */
  model?: string;
  /** Model whose pooled output is the embedding (methods embedding and fusion). */
  embeddingModel?: string;
  folds?: number;
  /** The few-query protocol: this many query actives drawn at random, `draws` times (instead of folds). */
  queries?: number;
  draws?: number;
  seed?: number;
  engine?: Engine;
}

export interface VsOutcome extends VsResult {
  library: string;
  /** Compounds the ranking model could not read (ranked last). */
  unreadable: number;
  model: string | null;
}

const ACTIVE = new Set(['1', 'true', 'yes', 'y', 'active']);
const INACTIVE = new Set(['0', 'false', 'no', 'n', 'inactive', 'decoy']);

/** A label value → 1/0, or null when it is neither. */
function labelOf(v: unknown): 0 | 1 | null {
  if (typeof v === 'number') return v > 0 ? 1 : 0;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (ACTIVE.has(s)) return 1;
  if (INACTIVE.has(s)) return 0;
  const n = Number(s);
  return s !== '' && Number.isFinite(n) ? (n > 0 ? 1 : 0) : null;
}

/** Compounds standardised per chemistry-pool call when model SMILES are filled in. */
const MODEL_SMILES_PAGE = 2000;

/** Virtual screening: how well a ranking method finds known actives in a labelled library. */
export class VirtualScreening {
  constructor(
    private readonly chem: ChemPool,
    private readonly libraries: LibraryService,
    private readonly models: ModelRegistry,
    private readonly screens: ScreenService,
  ) {}

  /**
   * Virtual screening: ranks a labelled library against known actives by ECFP4 max-similarity, by
   * embedding cosine, by their fusion (sum of z-scores), or by a classifier's probability, and reports ROC-AUC,
   * PR-AUC, EF1%, EF5% and BEDROC(20). Actives that are also queries are handled by k-fold (see evaluateVs).
   * A long job on a large library: it reports each stage (model SMILES, embedding, scoring, each fold)
   * and stops at the next step once `signal` is aborted (a model's screen is kept, and resumed next time).
   */
  async evaluate(req: VsRequest, hooks: { signal?: AbortSignal; onProgress?: (p: ScreenProgress) => void } = {}): Promise<VsOutcome> {
    const stage = (message: string, done = 0, total = 1, t0?: number) => {
      const rate = t0 === undefined || done === 0 ? 0 : done / Math.max(1e-9, (performance.now() - t0) / 1000);
      hooks.onProgress?.({ done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : null, message });
    };
    const checkCancel = (at: string) => {
      if (hooks.signal?.aborted) throw new AppError('CANCELLED', `virtual screening of '${req.library}' cancelled ${at}`);
    };
    const lib = this.libraries.library(req.library);
    if (!req.labelCol && !req.actives) throw new AppError('INVALID_INPUT', 'give the label column or a file of actives');
    stage(`reading the compounds and labels of '${req.library}'`);
    const compounds = this.screens.repo.labelled(lib.id);
    if (compounds.length === 0) throw new AppError('INVALID_INPUT', `library '${req.library}' is empty`);
    checkCancel('while reading the library');
    const keys = compounds.map((c) => c.inchikey);
    let labels: Uint8Array;
    if (req.labelCol) {
      const col = req.labelCol;
      labels = new Uint8Array(compounds.length);
      let missing = 0;
      compounds.forEach((c, i) => {
        const values = c.props.map((p) => labelOf(p[col]));
        if (values.every((v) => v === null)) missing++;
        labels[i] = values.some((v) => v === 1) ? 1 : 0;
      });
      if (missing === compounds.length)
        throw new AppError('INVALID_INPUT', `library '${req.library}' has no usable '${col}' labels (1/0, true/false, active/inactive)`);
    } else labels = new Uint8Array(compounds.length);

    // Queries: the actives file, standardised like an import, or the labelled actives.
    let queries: VsData['queries'] & { smiles: string[] };
    if (req.actives) {
      const read = await readStructures(req.actives, req.smilesCol);
      stage(`standardising ${read.length} actives from ${req.actives}`);
      const std = await this.chem.run({ op: 'standardise', inputs: read.map((r) => r.structure) }, 'bulk');
      const bad = std.findIndex((r) => !r.ok);
      if (bad >= 0) throw new AppError('PARSE_ERROR', `${req.actives}: record ${bad + 1}: ${(std[bad] as { reason: string }).reason}`);
      const ok = std.map((r) => (r as Extract<typeof r, { ok: true }>).compound);
      queries = { keys: ok.map((c) => c.inchikey), fps: ok.map((c) => c.fp), smiles: ok.map((c) => c.modelSmiles) };
      if (!req.labelCol) {
        const act = new Set(queries.keys);
        keys.forEach((k, i) => (labels[i] = act.has(k) ? 1 : 0));
      }
    } else {
      if (req.method === 'embedding' || req.method === 'fusion') await this.ensureModelSmiles(compounds, hooks.signal, stage);
      const idx = compounds.map((_, i) => i).filter((i) => labels[i] === 1);
      queries = {
        keys: idx.map((i) => keys[i] as string),
        fps: idx.map((i) => (compounds[i] as (typeof compounds)[number]).fp),
        smiles: idx.map((i) => this.modelSmilesOf(compounds[i] as (typeof compounds)[number])),
      };
    }
    if (!labels.some((v) => v === 1)) throw new AppError('INVALID_INPUT', `no actives among the ${compounds.length} compounds of '${req.library}'`);

    const data: VsData = { labels, keys, fps: compounds.map((c) => c.fp), queries };
    let unreadable = 0;
    let model: string | null = null;
    if (req.method === 'embedding' || req.method === 'fusion') {
      if (!req.embeddingModel) throw new AppError('INVALID_INPUT', 'embedding similarity needs an embedding model');
      model = req.embeddingModel;
      const spec = this.models.encoderSpec(req.embeddingModel);
      await this.ensureModelSmiles(compounds, hooks.signal, stage);
      checkCancel('before embedding');
      const t0 = performance.now();
      stage(`embedding ${compounds.length + queries.smiles.length} compounds with ${req.embeddingModel}`, 0, compounds.length + queries.smiles.length);
      const vectors = await embedOnWorker(spec, [...compounds.map((c) => this.modelSmilesOf(c)), ...queries.smiles], req.engine ?? 'auto', {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (done, total) => stage(`embedding with ${req.embeddingModel}: ${done}/${total}`, done, total, t0),
      });
      data.emb = vectors.slice(0, compounds.length);
      data.queries.emb = vectors.slice(compounds.length);
      unreadable = data.emb.filter((e) => e === null).length;
    } else if (req.method === 'model') {
      if (!req.model) throw new AppError('INVALID_INPUT', 'ranking by a model needs the model');
      model = req.model;
      // The latest finished screen with this model, else a screen now (resuming one cut short, as by a cancel here).
      const done =
        this.screens.repo.latestDone(lib.id, [req.model]) ??
        this.screens.repo.get(
          (await this.screens.screen({ library: req.library, models: [req.model], engine: req.engine ?? 'auto', resume: true }, hooks)).screen,
        );
      const scores = this.screens.repo.scores((done as ScreenRow).id, req.model);
      data.modelScores = compounds.map((c) => scores.get(c.id) ?? null);
      unreadable = data.modelScores.filter((v) => v === null).length;
    }
    checkCancel('before ranking');
    stage(`ranking ${compounds.length} compounds (${req.method})`);
    const protocol = req.queries !== undefined ? { queries: req.queries, draws: req.draws ?? 20 } : (req.folds ?? 5);
    if (req.queries !== undefined) {
      const keys = new Set(data.keys);
      const found = data.queries.keys.filter((k) => keys.has(k)).length;
      if (found <= req.queries)
        throw new AppError(
          'INVALID_INPUT',
          `the few-query protocol draws ${req.queries} of the query actives found in '${req.library}' and ranks the rest: it needs more than ${req.queries} (found ${found})`,
        );
    }
    const result = await evaluateVsOnWorker(data, req.method, protocol, req.seed ?? 1, {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onPass: (done, passes) => stage(`ranking ${compounds.length} compounds (${req.method}): pass ${done} of ${passes}`, done, passes),
    });
    return { ...result, library: req.library, unreadable, model };
  }

  private modelSmilesOf(c: { smiles: string; modelSmiles: string | null }): string {
    return c.modelSmiles ?? c.smiles;
  }

  /**
   * Fills in the model SMILES of compounds imported before they were stored (on the chemistry pool, then
   * saved page by page, so a cancel keeps what was done).
   */
  private async ensureModelSmiles(
    compounds: Array<{ id: number; smiles: string; modelSmiles: string | null }>,
    signal?: AbortSignal,
    progress?: (message: string, done: number, total: number) => void,
  ): Promise<void> {
    const missing = compounds.filter((c) => c.modelSmiles === null);
    for (let i = 0; i < missing.length; i += MODEL_SMILES_PAGE) {
      if (signal?.aborted) throw new AppError('CANCELLED', `cancelled while computing model SMILES (${i} of ${missing.length} done and kept)`);
      progress?.(`model SMILES for compounds imported without them: ${i}/${missing.length}`, i, missing.length);
      const part = missing.slice(i, i + MODEL_SMILES_PAGE);
      const std = await this.chem.run({ op: 'standardise', inputs: part.map((c) => c.smiles) }, 'bulk');
      part.forEach((c, k) => {
        const r = std[k];
        if (r?.ok) c.modelSmiles = r.compound.modelSmiles;
      });
      this.screens.repo.setModelSmiles(part.filter((c) => c.modelSmiles !== null) as Array<{ id: number; modelSmiles: string }>);
    }
  }
}
