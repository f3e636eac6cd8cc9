import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compoundName } from '../../src-shared/compound-name';
import type { CompoundPrediction, IntervalSummary, ScreenFilter, ScreenHit, ScreenSummary } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { predictionColumn, predictionExtraColumns, predictionSetText as setText } from '../../src-shared/models';
import { type Calibration, intervalOf } from '../train/ensemble';
import type { ChemPool } from '../chem/chem-pool';
import { loadRdkit } from '../chem/rdkit';
import type { Db } from '../db/database';
import { ColumnRepo, columnPath } from '../db/column-repo';
import { LibraryRepo } from '../db/library-repo';
import { ScreenRepo, type ScreenRow } from '../db/screen-repo';
import { ScreenPool } from '../screen/screen-pool';
import type { ScreenItem } from '../screen/scorer';
import { DOMAIN_THRESHOLD, type Engine, readsDescriptors } from '../train/predict-types';
import { csvField, exportFormat, sdfRecord, writeStreamed } from './file-writers';
import type { LibraryService } from './library-service';
import type { ModelRegistry } from './models';

export interface ScreenRequest {
  library: string;
  /** Task models (fine-tuned teachers or students), scored in this order; the first one ranks `top`. */
  models: string[];
  /** Continue the newest unfinished screen of this library with these models instead of starting anew. */
  resume?: boolean;
  engine?: Engine;
  /** Compounds per chunk: the unit of work, of memory and of a transaction. */
  chunkSize?: number;
  /** Worker threads (default: one for ONNX Runtime, one per core for TF.js). */
  workers?: number;
  /** How many of the first model's best compounds to return. */
  top?: number;
}

export interface ScreenProgress {
  done: number;
  total: number;
  rate: number;
  etaSeconds: number | null;
  message: string;
}

export interface ScreenResult extends ScreenSummary {
  /** True when this run continued an unfinished screen. */
  resumed: boolean;
  top: ScreenHit[];
}

const CHUNK = 1024;
/** Every descriptor a hit carries, in export column order. */
const DESCRIPTOR_LABELS: Record<keyof ScreenHit['descriptors'], true> = {
  mw: true,
  clogp: true,
  tpsa: true,
  hbd: true,
  hba: true,
  rotatableBonds: true,
  rings: true,
  aromaticRings: true,
  fractionSp3: true,
  heavyAtoms: true,
  lipinskiViolations: true,
};
const FILTER_PAGE = 2000;

function summary(r: ScreenRow): ScreenSummary {
  return {
    screen: r.id,
    library: r.library,
    models: JSON.parse(r.models) as string[],
    state: r.state,
    total: r.total,
    scored: r.scored,
    unreadable: r.unreadable,
    seconds: r.seconds,
    molPerSec: r.seconds > 0 ? (r.scored + r.unreadable) / r.seconds : 0,
    engine: r.engine,
    domainThreshold: r.domainThreshold,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  };
}

/**
 * Scores whole libraries with task models: streams the library in chunks (constant memory), scores
 * them on worker threads, writes each chunk's predictions in one transaction with the cursor, so a
 * killed screen resumes where it stopped and every compound gets exactly one row per model.
 */
/** The largest export handed to the app as one download (a string in memory on both sides). */
const MAX_DOWNLOAD_BYTES = 256 * 2 ** 20;

export class ScreenService {
  readonly repo: ScreenRepo;
  private readonly libraryRepo: LibraryRepo;

  constructor(
    private readonly db: Db,
    private readonly chem: ChemPool,
    private readonly libraries: LibraryService,
    private readonly models: ModelRegistry,
  ) {
    this.repo = new ScreenRepo(db);
    this.libraryRepo = new LibraryRepo(db);
  }

  list(): ScreenSummary[] {
    return this.repo.list().map(summary);
  }

  get(id: number): ScreenSummary {
    return summary(this.row(id));
  }

  private row(id: number): ScreenRow {
    const r = this.repo.get(id);
    if (!r) throw new AppError('NOT_FOUND', `no screen ${id}`, { screen: id, remedy: 'list-screens' });
    return r;
  }

  async screen(
    req: ScreenRequest,
    hooks: { signal?: AbortSignal; onProgress?: (p: ScreenProgress) => void } = {},
    jobId: string | null = null,
  ): Promise<ScreenResult> {
    if (req.models.length === 0) throw new AppError('INVALID_INPUT', 'give at least one model');
    if (new Set(req.models).size !== req.models.length) throw new AppError('INVALID_INPUT', `a model is named twice: ${req.models.join(', ')}`);
    const lib = this.libraries.library(req.library);
    const specs = req.models.map((m) => this.models.scoringSpec(m));
    const total = this.libraryRepo.countCompounds(lib.id);
    const previous = req.resume ? this.repo.resumable(lib.id, req.models) : null;
    const id = previous?.id ?? this.repo.create({ libraryId: lib.id, models: req.models, domainThreshold: DOMAIN_THRESHOLD, total, jobId });
    const start = this.row(id);
    // Stored descriptors are read only for a model that reads them.
    const descriptors = readsDescriptors(specs);
    const pool = await ScreenPool.start(specs, req.engine ?? 'auto', req.workers);
    const chunkSize = req.chunkSize ?? CHUNK;
    let cursor = start.cursor;
    let done = start.scored + start.unreadable;
    const doneAtStart = done;
    const t0 = performance.now();
    const seconds = () => start.seconds + (performance.now() - t0) / 1000;
    const inFlight: Array<{ items: ScreenItem[]; result: Promise<Awaited<ReturnType<ScreenPool['score']>>> }> = [];
    let chunkNo = 0;
    let exhausted = false;
    try {
      this.repo.setEngine(id, pool.engine, jobId);
      hooks.onProgress?.({
        done,
        total,
        rate: 0,
        etaSeconds: null,
        message: `${previous ? `resuming screen ${id} at ${done}/${total}` : `screen ${id}`}: ${req.models.join(', ')} on ${pool.engine}`,
      });
      for (;;) {
        while (!exhausted && inFlight.length < pool.capacity) {
          const items = this.repo.chunk(lib.id, cursor, chunkSize, descriptors);
          if (items.length === 0) {
            exhausted = true;
            break;
          }
          cursor = (items[items.length - 1] as ScreenItem).id;
          const result = pool.score(chunkNo++, items);
          // Rejections are taken where the chunk is awaited; this keeps a cancelled one from going unhandled.
          result.catch(() => undefined);
          inFlight.push({ items, result });
        }
        const head = inFlight.shift();
        if (!head) break;
        const scored = await head.result;
        if (hooks.signal?.aborted)
          throw new AppError('CANCELLED', `screen ${id} cancelled at ${done}/${total}; what was scored is kept`, { screen: id, remedy: 'resume' });
        this.repo.commit(id, head.items, scored, start.domainThreshold, seconds());
        done += head.items.length;
        const elapsed = (performance.now() - t0) / 1000;
        const rate = (done - doneAtStart) / Math.max(1e-9, elapsed);
        hooks.onProgress?.({
          done,
          total,
          rate,
          etaSeconds: rate > 0 ? (total - done) / rate : null,
          message: `${done}/${total} compounds, ${rate.toFixed(0)} mol/s`,
        });
      }
      this.repo.finish(id, req.models);
      this.predictionColumns(lib.id, id, req.models);
    } catch (err) {
      this.repo.setState(id, err instanceof AppError && err.code === 'CANCELLED' ? 'cancelled' : 'failed');
      throw err;
    } finally {
      this.repo.setSeconds(id, seconds());
      await pool.close();
    }
    const row = this.row(id);
    return { ...summary(row), resumed: previous !== null, top: this.repo.hits(row, req.models[0] as string, { limit: req.top ?? 10 }) };
  }

  /**
   * A finished screen's predictions as number columns of its library (see predictionColumn), with their
   * uncertainty and training similarity where the model gives them (predictionExtraColumns), so they sort,
   * filter, plot and take part in MPO scores like the file's own columns; a later screen with the same model
   * writes them again. A saved MPO score of that name is the chemist's and is left alone.
   */
  private predictionColumns(libraryId: number, screenId: number, models: string[]): void {
    const score = this.db.prepare('SELECT 1 FROM library_scores WHERE library_id = ? AND name = ?').pluck();
    // p.<value> into the column; compounds without one (a model that gives no uncertainty) get none.
    const writer = (value: 'score' | 'uncertainty' | 'max_sim') =>
      this.db.prepare(
        `UPDATE library_members SET props = json_set(props, @path, p.${value})
           FROM predictions p WHERE p.screen_id = @screen AND p.model = @model AND p.compound_id = library_members.compound_id
            AND p.${value} IS NOT NULL AND library_members.library_id = @library AND library_members.duplicate_of IS NULL`,
      );
    const write = { score: writer('score'), uncertainty: writer('uncertainty'), maxSim: writer('max_sim') };
    const columns = new ColumnRepo(this.db);
    this.db.transaction(() => {
      for (const model of models) {
        const extra = predictionExtraColumns(model);
        const at = [
          [predictionColumn(model, this.models.get(model).task), write.score],
          [extra.uncertainty, write.uncertainty],
          [extra.trainingSimilarity, write.maxSim],
        ] as const;
        for (const [name, stmt] of at) if (!score.get(libraryId, name)) stmt.run({ path: columnPath(name), screen: screenId, model, library: libraryId });
      }
      columns.detect(libraryId);
    })();
  }

  /** A compound's predictions in every finished screen, newest first, with what each model predicts. */
  predictionsOf(compoundId: number): CompoundPrediction[] {
    const rows = this.repo.predictionsOf(compoundId);
    if (rows.length === 0) return [];
    // Only these models' manifests are read (a manifest holds the training SMILES: reading them all is slow).
    const known = new Map<string, { task: CompoundPrediction['task']; intervals: IntervalSummary | null; calibration: Calibration | null }>();
    for (const m of new Set(rows.map((p) => p.model))) {
      try {
        const { summary, calibration } = this.models.getCalibrated(m);
        known.set(m, { task: summary.task, intervals: summary.intervals, calibration: summary.intervals && calibration });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'NOT_FOUND')) throw err;
        // deleted since the screen: the prediction stays, what it predicted and its interval are unknown
      }
    }
    return rows.map((p) => {
      const k = known.get(p.model);
      const interval = k?.calibration && p.score !== null ? intervalOf(k.calibration, p.score, p.maxSimilarity) : null;
      return {
        ...p,
        task: k?.task ?? null,
        interval,
        intervals: k?.intervals ?? null,
        inDomain: p.inDomain === null ? null : p.inDomain === 1,
        ranked: p.ranked ?? 0,
      };
    });
  }

  /** The distribution of a model's scores in a screen (20 bins), for the results histogram. */
  histogram(id: number, model?: string): { model: string; min: number; max: number; counts: number[] } {
    const row = this.row(id);
    const m = model ?? ((JSON.parse(row.models) as string[])[0] as string);
    return { model: m, ...this.repo.histogram(id, m) };
  }

  /** A model's ranked predictions in a screen, filtered (substructure on the chemistry pool). */
  async results(id: number, f: ScreenFilter = {}): Promise<ScreenHit[]> {
    const out: ScreenHit[] = [];
    for await (const h of this.ranked(id, { limit: 100, ...f })) out.push(h);
    return out;
  }

  /** Streams the filtered predictions in rank order, page by page, so an export of a whole screen stays small in memory. */
  private async *ranked(id: number, f: ScreenFilter): AsyncGenerator<ScreenHit> {
    const row = this.row(id);
    const models = JSON.parse(row.models) as string[];
    const model = f.model ?? (models[0] as string);
    if (!models.includes(model)) throw new AppError('INVALID_INPUT', `screen ${id} has no model '${model}' (it has ${models.join(', ')})`);
    const { substructure, offset = 0, limit = Number.MAX_SAFE_INTEGER, ...sql } = f;
    const calibration = this.models.calibration(model);
    const withInterval = (h: ScreenHit): ScreenHit =>
      calibration && h.score !== null ? { ...h, interval: intervalOf(calibration, h.score, h.maxSimilarity) } : h;
    let skip = offset;
    let left = limit;
    for (let page = 0; left > 0; page++) {
      // Without a substructure the SQL pages are the answer; with one, pages are scanned until enough match.
      let hits = this.repo.hits(row, model, {
        ...sql,
        offset: substructure === undefined ? offset + page * FILTER_PAGE : page * FILTER_PAGE,
        limit: FILTER_PAGE,
      });
      if (hits.length === 0) return;
      if (substructure !== undefined) {
        let ids: number[];
        try {
          ids = await this.libraries.containing(
            hits.map((h) => h.compoundId),
            substructure,
          );
        } catch (err) {
          throw new AppError('INVALID_INPUT', (err as Error).message);
        }
        const keep = new Set(ids);
        hits = hits.filter((h) => keep.has(h.compoundId));
        const skipped = Math.min(skip, hits.length);
        hits = hits.slice(skipped);
        skip -= skipped;
      }
      for (const h of hits.slice(0, left)) yield withInterval(h);
      left -= Math.min(left, hits.length);
    }
  }

  /** Writes the filtered, ranked results (e.g. the top N) to CSV or SDF with scores and properties. */
  async export(id: number, out: string, f: ScreenFilter = {}): Promise<{ written: number; file: string }> {
    let format: 'csv' | 'sdf';
    try {
      format = exportFormat(out);
    } catch (err) {
      throw new AppError('INVALID_INPUT', (err as Error).message);
    }
    const rd = format === 'sdf' ? await loadRdkit() : null;
    const descriptorKeys = Object.keys(DESCRIPTOR_LABELS) as Array<keyof ScreenHit['descriptors']>;
    // The calibrated 80% interval (regression) or prediction set (classification), when the model has one.
    const calibration = this.models.calibration(f.model ?? ((JSON.parse(this.row(id).models) as string[])[0] as string));
    const intervalCols = !calibration ? [] : 'halfWidth' in calibration ? ['interval_80_low', 'interval_80_high'] : ['prediction_set_80'];
    const fixed = ['rank', 'id', 'smiles', 'model', 'score', 'uncertainty', ...intervalCols, 'max_similarity', 'in_domain', 'note', ...descriptorKeys];
    // CSV columns: the fixed ones, then the library's own columns (a first pass collects their names).
    const propKeys = new Set<string>();
    if (format === 'csv') for await (const h of this.ranked(id, f)) for (const k of Object.keys(h.props)) if (!fixed.includes(k)) propKeys.add(k);
    let written = 0;
    await writeStreamed(out, async (write) => {
      if (format === 'csv') await write(`${[...fixed, ...propKeys].map(csvField).join(',')}\n`);
      for await (const h of this.ranked(id, f)) {
        const iv = h.interval;
        const intervalFields = !calibration
          ? {}
          : 'halfWidth' in calibration
            ? { interval_80_low: iv && 'lower' in iv ? iv.lower : null, interval_80_high: iv && 'upper' in iv ? iv.upper : null }
            : { prediction_set_80: iv && 'classes' in iv ? setText(iv.classes) : null };
        const fields: Record<string, unknown> = {
          rank: h.rank,
          id: h.originalId,
          smiles: h.smiles,
          model: h.model,
          score: h.score,
          uncertainty: h.uncertainty,
          ...intervalFields,
          max_similarity: h.maxSimilarity,
          in_domain: h.inDomain === null ? null : h.inDomain ? 1 : 0,
          note: h.note,
        };
        for (const k of descriptorKeys) fields[k] = h.descriptors?.[k] ?? null;
        if (format === 'csv') for (const k of propKeys) fields[k] = h.props[k];
        else for (const [k, v] of Object.entries(h.props)) if (!(k in fields)) fields[k] = v;
        const rec = rd
          ? sdfRecord(rd, h.smiles, compoundName({ originalId: h.originalId, id: h.compoundId }), fields)
          : `${Object.values(fields).map(csvField).join(',')}\n`;
        if (!rec) continue;
        await write(rec);
        written++;
      }
    });
    return { written, file: out };
  }

  /**
   * The same export as text (the app saves it as a download): every row that passes the filter. A result
   * too large to hand over in one message is refused with the command that writes it to a file instead.
   */
  async exportText(id: number, format: 'csv' | 'sdf', f: ScreenFilter = {}): Promise<{ fileName: string; content: string; written: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'delicate-export-'));
    try {
      const summary = this.get(id);
      const fileName = `screen-${id}-${summary.library}-${f.model ?? summary.models[0]}.${format}`.replace(/[^\w.-]+/g, '_');
      const r = await this.export(id, join(dir, fileName), f);
      const bytes = (await stat(join(dir, fileName))).size;
      if (bytes > MAX_DOWNLOAD_BYTES) {
        throw new AppError(
          'INVALID_INPUT',
          `the export has ${r.written} rows (${Math.round(bytes / 2 ** 20)} MiB), too large to download; write it to a file with \`delicate screen --id ${id} --out FILE.${format}\` or narrow the filter`,
        );
      }
      return { fileName, content: await readFile(join(dir, fileName), 'utf8'), written: r.written };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
