import type { ScreenFilter, ScreenHit, ScreenSummary } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import { loadRdkit } from '../chem/rdkit';
import type { Db } from '../db/database';
import { LibraryRepo } from '../db/library-repo';
import { ScreenRepo, type ScreenRow } from '../db/screen-repo';
import { ScreenPool } from '../screen/screen-pool';
import type { ScreenItem } from '../screen/scorer';
import { DOMAIN_THRESHOLD, type Engine } from '../train/predict-types';
import { csvField, exportFormat, sdfRecord, writeStreamed } from './file-writers';
import type { LibraryService } from './library-service';
import type { ModelService } from './model-service';

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
export class ScreenService {
  readonly repo: ScreenRepo;
  private readonly libraryRepo: LibraryRepo;

  constructor(
    db: Db,
    private readonly chem: ChemPool,
    private readonly libraries: LibraryService,
    private readonly models: ModelService,
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
    if (!r) throw new AppError('NOT_FOUND', `no screen ${id} (see \`delicate screens\`)`);
    return r;
  }

  async screen(req: ScreenRequest, hooks: { signal?: AbortSignal; onProgress?: (p: ScreenProgress) => void } = {}, jobId: string | null = null): Promise<ScreenResult> {
    if (req.models.length === 0) throw new AppError('INVALID_INPUT', 'give at least one model');
    if (new Set(req.models).size !== req.models.length) throw new AppError('INVALID_INPUT', `a model is named twice: ${req.models.join(', ')}`);
    const lib = this.libraries.library(req.library);
    const specs = req.models.map((m) => this.models.taskSpec(m));
    const total = this.libraryRepo.countCompounds(lib.id);
    const previous = req.resume ? this.repo.resumable(lib.id, req.models) : null;
    const id = previous?.id ?? this.repo.create({ libraryId: lib.id, models: req.models, domainThreshold: DOMAIN_THRESHOLD, total, jobId });
    const start = this.row(id);
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
      hooks.onProgress?.({ done, total, rate: 0, etaSeconds: null, message: `${previous ? `resuming screen ${id} at ${done}/${total}` : `screen ${id}`}: ${req.models.join(', ')} on ${pool.engine}` });
      for (;;) {
        while (!exhausted && inFlight.length < pool.capacity) {
          const items = this.repo.chunk(lib.id, cursor, chunkSize);
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
        if (hooks.signal?.aborted) throw new AppError('CANCELLED', `screen ${id} cancelled at ${done}/${total}; \`--resume\` continues it`);
        this.repo.commit(id, head.items, scored, start.domainThreshold, seconds());
        done += head.items.length;
        const elapsed = (performance.now() - t0) / 1000;
        const rate = (done - doneAtStart) / Math.max(1e-9, elapsed);
        hooks.onProgress?.({ done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : null, message: `${done}/${total} compounds, ${rate.toFixed(0)} mol/s` });
      }
      this.repo.finish(id, req.models);
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
    let skip = offset;
    let left = limit;
    for (let page = 0; left > 0; page++) {
      // Without a substructure the SQL pages are the answer; with one, pages are scanned until enough match.
      let hits = this.repo.hits(row, model, { ...sql, offset: substructure === undefined ? offset + page * FILTER_PAGE : page * FILTER_PAGE, limit: FILTER_PAGE });
      if (hits.length === 0) return;
      if (substructure !== undefined) {
        let ids: number[];
        try {
          ids = await this.chem.run({ op: 'substructure', query: substructure, items: hits.map((h) => ({ id: h.compoundId, smiles: h.smiles })) });
        } catch (err) {
          throw new AppError('INVALID_INPUT', (err as Error).message);
        }
        const keep = new Set(ids);
        hits = hits.filter((h) => keep.has(h.compoundId));
        const skipped = Math.min(skip, hits.length);
        hits = hits.slice(skipped);
        skip -= skipped;
      }
      for (const h of hits.slice(0, left)) yield h;
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
    let written = 0;
    await writeStreamed(out, async (write) => {
      if (format === 'csv') await write(`${['rank', 'id', 'smiles', 'model', 'score', 'max_similarity', 'in_domain', 'note', ...descriptorKeys].map(csvField).join(',')}\n`);
      for await (const h of this.ranked(id, f)) {
        const fields: Record<string, unknown> = { rank: h.rank, id: h.originalId, smiles: h.smiles, model: h.model, score: h.score, max_similarity: h.maxSimilarity, in_domain: h.inDomain === null ? null : h.inDomain ? 1 : 0, note: h.note };
        for (const k of descriptorKeys) fields[k] = h.descriptors[k];
        const rec = rd ? sdfRecord(rd, h.smiles, h.originalId ?? `compound ${h.compoundId}`, fields) : `${Object.values(fields).map(csvField).join(',')}\n`;
        if (!rec) continue;
        await write(rec);
        written++;
      }
    });
    return { written, file: out };
  }
}
