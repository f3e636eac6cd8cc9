import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Engine, ScoringSpec } from '../train/predict-types';
import { DOMAIN_THRESHOLD, readsDescriptors } from '../train/predict-types';
import { AppError } from '../../src-shared/errors';
import { predictionSetText } from '../../src-shared/models';
import type { Progress } from '../../src-shared/progress';
import { ChemPool } from '../chem/chem-pool';
import type { ScreenParentResult } from '../chem/standardise';
import { binaryReason, fileAccessError } from '../import/lines';
import { type RecordItem, detectFormat, openRecords } from '../import/records';
import { csvField } from '../util/csv';
import { intervalOf } from '../train/ensemble';
import { BUNDLE_FILE, type ModelBundle, readBundle, writeBundle } from './model-bundle';
import type { ScoredChunk, ScreenItem } from './scorer';
import { ScreenPool } from './screen-pool';
import { type InputFile, type Shard, type ShardState, STATE_FORMAT, ShardWriter, readState, shardFiles, topCsv, writeState, writeText } from './shard-files';
import { type MergeSummary, mergeShards } from './screen-merge';
import { TopK } from './top-k';

export interface FileScreenRequest {
  files: string[];
  /** The output folder: scores, unreadable records, the shard's state and provenance, the frozen models. */
  out: string;
  /** Models to score with; empty: the ones frozen in `out` by an earlier start. */
  models: string[];
  top: number;
  ascending?: boolean;
  shard?: Shard;
  engine?: Engine;
  smilesCol?: string;
  idCol?: string;
  /** Compounds per chunk (default 1024). */
  chunk?: number;
  /** Cores to use (chemistry workers and ONNX Runtime threads); default: every core this process may use. */
  cpus?: number;
  /** Seconds between commits (default 2). */
  commitSeconds?: number;
}

export interface FileScreenHooks {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Models by name, from the database: asked only when the output folder has none frozen yet. */
  resolveModels: (names: string[]) => Promise<ScoringSpec[]>;
}

export interface FileScreenSummary {
  out: string;
  shard: Shard;
  state: ShardState['state'];
  models: string[];
  engine: string;
  /** True when this call continued a shard started earlier. */
  resumed: boolean;
  read: number;
  taken: number;
  scored: Record<string, number>;
  unreadable: number;
  seconds: number;
  molPerSec: number;
  files: { scores: string; unreadable: string; state: string; top: string | null };
  /** A screen in one shard is its own merge (top.csv and summary.json in the folder). */
  merged: MergeSummary | null;
}

const CHUNK = 1024;

/**
 * The V8 semi-space (MiB) a file screen's threads run with. They allocate fast and keep little; V8 grows a
 * thread's young generation with its allocation rate, and a screen's memory crept up with the file's length
 * (peak RSS 406 MiB at 100k molecules, 582 MiB at 1M; 478-481 MiB at 1M with the worker threads bounded, as
 * fast: bench/results/scale.md). The CLI sets it for the workers when it starts a screen (V8 sizes a
 * thread's heap when it is made, the main thread's at start); cluster jobs start Node with it.
 */
export const SCREEN_SEMI_SPACE_MB = 4;

/** The scores file's columns: the record, then per model its score, spread, interval, domain and note. */
export function columnsOf(models: ScoringSpec[]): string[] {
  const per = (m: ScoringSpec) => {
    const c = m.calibration;
    const interval = !c ? [] : 'halfWidth' in c ? ['interval_80_low', 'interval_80_high'] : ['prediction_set_80'];
    return ['', 'uncertainty', ...interval, 'max_similarity', 'in_domain', 'note'].map((k) => csvField(k ? `${m.name}.${k}` : m.name));
  };
  return ['record', 'file', 'line', 'id', 'smiles', ...models.flatMap(per)];
}

const num = (v: number, digits?: number) => (Number.isNaN(v) ? '' : digits === undefined ? String(v) : v.toFixed(digits));

/** One compound's fields, per model, as columnsOf names them. */
function modelFields(models: ScoringSpec[], scored: ScoredChunk, k: number): string[] {
  return scored.models.flatMap((s, j) => {
    const c = (models[j] as ScoringSpec).calibration;
    const score = s.score[k] as number;
    const sim = s.maxSim[k] as number;
    const iv = c && !Number.isNaN(score) ? intervalOf(c, score, sim) : null;
    const interval = !c
      ? []
      : 'halfWidth' in c
        ? [iv && 'lower' in iv ? num(iv.lower) : '', iv && 'upper' in iv ? num(iv.upper) : '']
        : [iv && 'classes' in iv ? predictionSetText(iv.classes) : ''];
    return [
      num(score),
      num(s.uncertainty[k] as number, 4),
      ...interval,
      num(sim, 4),
      Number.isNaN(sim) ? '' : String(sim >= DOMAIN_THRESHOLD),
      csvField(s.notes[k] ?? ''),
    ];
  });
}

/** A record of this shard, with where it came from (global record number, file, line). */
interface Taken {
  record: number;
  file: string;
  item: RecordItem;
}

/** Freezes the models into the folder on the first start; later starts (and other shards) read them back. */
async function modelsOf(out: string, names: string[], resolveModels: FileScreenHooks['resolveModels']): Promise<ModelBundle> {
  const path = join(out, BUNDLE_FILE);
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (names.length === 0) throw new AppError('INVALID_INPUT', `give --model NAME[,NAME…]: ${out} holds no screen to continue`);
    return writeBundle(path, await resolveModels(names));
  }
  const bundle = await readBundle(path);
  const frozen = bundle.models.map((m) => m.name);
  if (names.length && names.join(',') !== frozen.join(','))
    throw new AppError('CONFLICT', `${out} holds a screen with ${frozen.join(', ')}, not ${names.join(', ')}: give another --out folder, or the same models`);
  return bundle;
}

/** The inputs as a shard records them; a missing, unreadable or binary file is an error naming it. */
export async function describeInputs(files: string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const f of files) {
    const st = await stat(f).catch((err: NodeJS.ErrnoException) => {
      throw fileAccessError(f, err);
    });
    if (!st.isFile()) throw new AppError('INVALID_INPUT', `${f}: not a file`);
    const binary = st.size > 0 ? await binaryReason(f) : null;
    if (binary) throw new AppError('PARSE_ERROR', `${f}: ${binary}`);
    out.push({ path: resolve(f), size: st.size, mtimeMs: st.mtimeMs, format: await detectFormat(f), sha256: null });
  }
  return out;
}

/** Refuses to continue a shard whose models, inputs or settings differ from this request's. */
function checkSame(s: ShardState, want: Pick<ShardState, 'bundleSha256' | 'inputs' | 'top' | 'ascending'>, path: string): void {
  const same = (a: InputFile, b: InputFile) => a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;
  const why =
    s.bundleSha256 !== want.bundleSha256
      ? 'other models'
      : s.inputs.length !== want.inputs.length || s.inputs.some((f, i) => !same(f, want.inputs[i] as InputFile))
        ? `other input files (it read ${s.inputs.map((f) => f.path).join(', ')}; a file changed since counts too)`
        : s.top !== want.top || s.ascending !== want.ascending
          ? `another --top or --ascending (${s.top}${s.ascending ? ', ascending' : ''})`
          : null;
  if (why) throw new AppError('CONFLICT', `${path} is a shard of a screen with ${why}: give another --out folder, or delete its files to start over`);
}

/** Every record of every input in order, numbered over all of them, with each file's sha256 once it is read. */
async function* allRecords(inputs: InputFile[], req: FileScreenRequest, onBytes: (n: number) => void): AsyncGenerator<Taken> {
  let record = 0;
  for (const f of inputs) {
    const hash = createHash('sha256');
    const source = await openRecords(
      f.path,
      f.format,
      { smilesCol: req.smilesCol, idCol: req.idCol },
      {
        onRawChunk: (c) => {
          hash.update(c);
          onBytes(c.length);
        },
      },
    );
    const file = basename(f.path);
    for await (const item of source.records) yield { record: record++, file, item };
    f.sha256 = hash.digest('hex');
  }
}

/**
 * Screens files as a stream, never importing them: records are standardised on the chemistry workers as at
 * import (parent, model SMILES, ECFP4), scored on the screening workers (ONNX Runtime), and written in
 * order to the shard's files; a top-K heap keeps the best. With `shard` i/N only every N-th record (by its
 * number over all inputs, from i) is this shard's. Commits every few seconds (files flushed, then the
 * state): a killed or stopped shard continues from its last commit when started again the same way.
 */
export async function screenFiles(req: FileScreenRequest, hooks: FileScreenHooks): Promise<FileScreenSummary> {
  const shard = req.shard ?? { index: 0, count: 1 };
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
    throw new AppError('INVALID_INPUT', `--shard must be i/N with 0 ≤ i < N, got ${shard.index}/${shard.count}`);
  if (req.files.length === 0) throw new AppError('INVALID_INPUT', 'give at least one --file');
  const inputs = await describeInputs(req.files);
  await mkdir(req.out, { recursive: true });
  const bundle = await modelsOf(req.out, req.models, hooks.resolveModels);
  const files = shardFiles(req.out, shard);
  const previous = await readState(files.state);
  const want = { bundleSha256: bundle.sha256, inputs, top: req.top, ascending: req.ascending ?? false };
  if (previous) checkSame(previous, want, files.state);
  if (previous?.state === 'complete') return finished(previous, files, true);
  const writer = new ShardWriter(files);
  let state: ShardState;
  if (previous) {
    await writer.rewind(previous.progress);
    state = { ...previous, inputs, state: 'running' };
  } else {
    const columns = columnsOf(bundle.models);
    state = {
      format: STATE_FORMAT,
      state: 'running',
      shard,
      models: bundle.models.map((m) => ({ name: m.name, kind: m.kind ?? 'transformer', sha256: bundle.hashes[m.name] as string, target: m.task.target })),
      ...want,
      rankBy: (bundle.models[0] as ScoringSpec).name,
      columns,
      engine: '',
      started: new Date().toISOString(),
      finished: null,
      progress: {
        nextRecord: 0,
        read: 0,
        taken: 0,
        unreadable: 0,
        scored: Object.fromEntries(bundle.models.map((m) => [m.name, 0])),
        seconds: 0,
        ...(await writer.create(columns)),
      },
      heap: [],
    };
    await writeState(files.state, state);
  }
  const heap = new TopK(state.top, state.ascending);
  for (const e of state.heap) heap.add(e);
  await run(req, hooks, { state, bundle, writer, heap, files, resumed: previous !== null });
  return finished(state, files, previous !== null);
}

async function finished(s: ShardState, files: ReturnType<typeof shardFiles>, resumed: boolean): Promise<FileScreenSummary> {
  const merged = s.shard.count === 1 ? await mergeShards([resolve(files.state, '..')]) : null;
  return { ...summaryOf(s, files, resumed), merged };
}

interface RunParts {
  state: ShardState;
  bundle: ModelBundle;
  writer: ShardWriter;
  heap: TopK;
  files: ReturnType<typeof shardFiles>;
  resumed: boolean;
}

type Chunk = { taken: Taken[]; result: Promise<{ parents: ScreenParentResult[]; scored: ScoredChunk | null }> };

/** The reading, scoring and committing loop of screenFiles. */
async function run(req: FileScreenRequest, hooks: FileScreenHooks, parts: RunParts): Promise<void> {
  const { state, bundle, writer, heap, files } = parts;
  const p = state.progress;
  const shard = state.shard;
  const chem = new ChemPool(req.cpus);
  let pool: ScreenPool | null = null;
  const t0 = performance.now();
  const secondsAtStart = p.seconds;
  const takenAtStart = p.taken;
  const totalBytes = state.inputs.reduce((n, f) => n + f.size, 0);
  let bytes = 0;
  /** Records read so far (every shard reads them all). */
  let seen = 0;
  let lastCommit = performance.now();
  const commit = async (final: ShardState['state']) => {
    Object.assign(p, await writer.flush());
    p.seconds = secondsAtStart + (performance.now() - t0) / 1000;
    p.read = Math.max(p.read, seen);
    state.heap = heap.sorted();
    state.state = final;
    await writeState(files.state, state);
    lastCommit = performance.now();
  };
  const report = () => {
    const elapsed = (performance.now() - t0) / 1000;
    const rate = (p.taken - takenAtStart) / Math.max(1e-9, elapsed);
    const fraction = totalBytes ? bytes / totalBytes : 0;
    hooks.onProgress?.({
      done: p.taken,
      total: null,
      rate,
      etaSeconds: fraction > 0.01 && fraction < 1 ? (elapsed * (1 - fraction)) / fraction : null,
      message: `shard ${shard.index}/${shard.count}: ${p.taken.toLocaleString('en')} compounds of ${p.read.toLocaleString('en')} records read (${(100 * fraction).toFixed(1)}% of the input), ${rate.toFixed(0)} mol/s`,
    });
  };
  const inFlight: Chunk[] = [];
  let chunkNo = 0;
  // A descriptor-aware model's descriptors come with the parent, on the chemistry workers (parsed once).
  const descriptors = readsDescriptors(bundle.models);
  const launch = (taken: Taken[]) => {
    const ok = taken.flatMap((t) => (t.item.ok ? [t] : []));
    const result = (async () => {
      const inputs = ok.map((t) => (t.item.ok ? t.item.rec.structure : ''));
      const parents = ok.length ? await chem.run({ op: 'parents', inputs, ...(descriptors ? { descriptors } : {}) }, 'bulk') : [];
      const items: ScreenItem[] = [];
      parents.forEach((r, i) => r.ok && items.push({ id: (ok[i] as Taken).record, ...r.compound }));
      return { parents, scored: items.length ? await (pool as ScreenPool).score(chunkNo++, items) : null };
    })();
    result.catch(() => undefined);
    inFlight.push({ taken, result });
  };
  const drain = async () => {
    const c = inFlight.shift() as Chunk;
    land(c.taken, await c.result, parts);
    if (performance.now() - lastCommit > (req.commitSeconds ?? 2) * 1000) {
      await commit('running');
      report();
    }
  };
  try {
    // The chemistry workers standardise while ONNX Runtime scores, on the same cores.
    pool = await ScreenPool.start(bundle.models, req.engine ?? 'auto', undefined, { shared: true, ...(req.cpus ? { cores: req.cpus } : {}) });
    state.engine = pool.engine;
    hooks.onProgress?.({
      done: p.taken,
      total: null,
      rate: 0,
      etaSeconds: null,
      message: `${parts.resumed ? `resuming at record ${p.nextRecord}` : 'screening'} with ${state.models.map((m) => m.name).join(', ')} on ${pool.engine}`,
    });
    const capacity = chem.size + pool.capacity;
    let batch: Taken[] = [];
    for await (const t of allRecords(state.inputs, req, (n) => (bytes += n))) {
      seen = t.record + 1;
      if (t.record < p.nextRecord || t.record % shard.count !== shard.index) continue;
      batch.push(t);
      if (batch.length < (req.chunk ?? CHUNK)) continue;
      if (hooks.signal?.aborted) break;
      launch(batch);
      batch = [];
      while (inFlight.length >= capacity) await drain();
    }
    if (!hooks.signal?.aborted && batch.length) launch(batch);
    while (inFlight.length) await drain();
    if (hooks.signal?.aborted) {
      await commit('stopped');
      throw new AppError(
        'CANCELLED',
        `shard ${shard.index}/${shard.count} stopped at record ${p.nextRecord}; what is scored is kept: run the same command again to continue`,
      );
    }
    // Every record was read: the count is the total whatever a resume skipped.
    p.read = p.nextRecord = seen;
    state.finished = new Date().toISOString();
    await commit('complete');
    await writeText(files.top, topCsv(state));
    report();
  } catch (err) {
    await Promise.allSettled(inFlight.map((c) => c.result));
    if (state.state === 'running') await commit('stopped').catch(() => undefined);
    throw err;
  } finally {
    await pool?.close();
    await chem.close();
  }
}

/** Writes a chunk's rows and unreadable records, and moves the committed point past it. */
function land(taken: Taken[], r: { parents: ScreenParentResult[]; scored: ScoredChunk | null }, parts: RunParts): void {
  const { state, bundle, writer, heap } = parts;
  const p = state.progress;
  let parent = 0;
  let scoredAt = 0;
  for (const t of taken) {
    const id = t.item.ok ? (t.item.rec.id ?? '') : '';
    const at = t.item.ok ? t.item.rec.line : t.item.err.line;
    const head = [String(t.record), csvField(t.file), at === null ? '' : String(at), csvField(id)];
    const res = t.item.ok ? (r.parents[parent++] as ScreenParentResult) : null;
    if (!t.item.ok || !res?.ok) {
      const reason = t.item.ok ? (res && !res.ok ? res.reason : 'not read') : t.item.err.reason;
      const input = t.item.ok ? t.item.rec.structure : (t.item.err.raw ?? '');
      writer.unreadable(`${[...head, csvField(reason), csvField(input.length > 500 ? `${input.slice(0, 500)}…` : input)].join(',')}\n`);
      p.unreadable++;
    } else {
      const k = scoredAt++;
      const scored = r.scored as ScoredChunk;
      const fields = [...head, csvField(res.compound.smiles), ...modelFields(bundle.models, scored, k)];
      writer.row(`${fields.join(',')}\n`);
      scored.models.forEach((m) => {
        if (!Number.isNaN(m.score[k] as number)) p.scored[m.model] = (p.scored[m.model] ?? 0) + 1;
      });
      heap.add({ record: t.record, score: (scored.models[0] as ScoredChunk['models'][number]).score[k] as number, fields });
    }
    p.taken++;
  }
  const last = taken[taken.length - 1];
  if (last) p.nextRecord = last.record + 1;
}

function summaryOf(s: ShardState, files: ReturnType<typeof shardFiles>, resumed: boolean): Omit<FileScreenSummary, 'merged'> {
  const p = s.progress;
  return {
    out: resolve(files.state, '..'),
    shard: s.shard,
    state: s.state,
    models: s.models.map((m) => m.name),
    engine: s.engine,
    resumed,
    read: p.read,
    taken: p.taken,
    scored: p.scored,
    unreadable: p.unreadable,
    seconds: p.seconds,
    molPerSec: p.seconds > 0 ? p.taken / p.seconds : 0,
    files: { scores: files.scores, unreadable: files.unreadable, state: files.state, top: s.state === 'complete' ? files.top : null },
  };
}
