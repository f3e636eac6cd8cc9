import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError } from '../../src-shared/errors';
import { type ShardState, SHARD_STATE, readState, shardFiles, topCsv, writeText } from './shard-files';
import { TopK } from './top-k';

export interface MergeSummary {
  out: string;
  shards: number;
  models: ShardState['models'];
  bundleSha256: string;
  inputs: Array<{ path: string; size: number; sha256: string | null }>;
  rankBy: string;
  ascending: boolean;
  /** Records in the inputs, and how many every shard together scored or could not read. */
  read: number;
  taken: number;
  scored: Record<string, number>;
  unreadable: number;
  /** Compute spent: the shards' seconds added up. */
  shardSeconds: number;
  top: number;
  files: { top: string; summary: string; scores: string[]; unreadable: string[] };
}

/** The shard states found in the folders, by shard index; a shard found twice is an error. */
async function shardsIn(dirs: string[]): Promise<Map<number, { dir: string; state: ShardState }>> {
  const found = new Map<number, { dir: string; state: ShardState }>();
  let count: number | null = null;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      throw new AppError('INVALID_INPUT', `${dir}: not a folder that can be read`);
    }
    for (const name of names.sort()) {
      const m = SHARD_STATE.exec(name);
      if (!m) continue;
      const state = (await readState(join(dir, name))) as ShardState;
      if (count !== null && state.shard.count !== count)
        throw new AppError(
          'CONFLICT',
          `${join(dir, name)} is a shard of a ${state.shard.count}-way split, the others of a ${count}-way one: merge one screen at a time`,
        );
      count = state.shard.count;
      const other = found.get(state.shard.index);
      if (other) throw new AppError('CONFLICT', `shard ${state.shard.index}/${count} is in both ${other.dir} and ${dir}: merge each shard once`);
      found.set(state.shard.index, { dir, state });
    }
  }
  if (count === null) throw new AppError('NOT_FOUND', `no shard of a file screen in ${dirs.join(', ')} (shard-I-of-N.json)`);
  return found;
}

/**
 * Merges the shards of a file screen (`delicate screen merge DIR…`): checks that every shard 0…N-1 is
 * there, complete, and screened the same inputs with the same models and settings, then writes the global
 * top K (`top.csv`: identical to one process's, ties to the earlier record) and the totals with the
 * provenance (`summary.json`) into `out` (default: the first folder). The scores stay in the shards' files.
 */
export async function mergeShards(dirs: string[], opts: { out?: string; top?: number } = {}): Promise<MergeSummary> {
  if (dirs.length === 0) throw new AppError('INVALID_INPUT', 'give the folders of the shards to merge');
  const found = await shardsIn(dirs);
  const states = [...found.values()].map((f) => f.state);
  const first = states[0] as ShardState;
  const n = first.shard.count;
  const missing = [...Array(n).keys()].filter((i) => !found.has(i));
  if (missing.length)
    throw new AppError(
      'NOT_FOUND',
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} of ${n} not found in ${dirs.join(', ')}`,
    );
  const unfinished = states.filter((s) => s.state !== 'complete');
  if (unfinished.length)
    throw new AppError(
      'CONFLICT',
      `not every shard is complete: ${unfinished.map((s) => `${s.shard.index}/${n} ${s.state} at record ${s.progress.nextRecord}`).join('; ')} (run them again: they continue)`,
    );
  const sameInputs = (s: ShardState) =>
    s.inputs.length === first.inputs.length && s.inputs.every((f, i) => f.sha256 === first.inputs[i]?.sha256 && f.size === first.inputs[i]?.size);
  for (const s of states) {
    const why =
      s.bundleSha256 !== first.bundleSha256
        ? 'other models'
        : !sameInputs(s)
          ? 'other input files'
          : s.top !== first.top || s.ascending !== first.ascending || s.columns.join() !== first.columns.join()
            ? 'other settings'
            : s.progress.read !== first.progress.read
              ? 'another count of records'
              : null;
    if (why)
      throw new AppError('CONFLICT', `shard ${s.shard.index}/${n} screened ${why} than shard ${first.shard.index}/${n}: these are not shards of one screen`);
  }
  const k = opts.top ?? first.top;
  if (k > first.top) throw new AppError('INVALID_INPUT', `--top ${k}: the shards kept their best ${first.top} each, so the merge can give at most that many`);
  const heap = new TopK(k, first.ascending);
  for (const s of states) for (const e of s.heap) heap.add(e);
  const taken = states.reduce((t, s) => t + s.progress.taken, 0);
  if (taken !== first.progress.read)
    throw new AppError('CONFLICT', `the shards hold ${taken} records of the inputs' ${first.progress.read}: some records are in no shard or in two`);
  const scored: Record<string, number> = {};
  for (const s of states) for (const [m, c] of Object.entries(s.progress.scored)) scored[m] = (scored[m] ?? 0) + c;
  const out = opts.out ?? (dirs[0] as string);
  const ordered = [...Array(n).keys()].map((i) => found.get(i) as { dir: string; state: ShardState });
  const summary: MergeSummary = {
    out: resolve(out),
    shards: n,
    models: first.models,
    bundleSha256: first.bundleSha256,
    inputs: first.inputs.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
    rankBy: first.rankBy,
    ascending: first.ascending,
    read: first.progress.read,
    taken,
    scored,
    unreadable: states.reduce((t, s) => t + s.progress.unreadable, 0),
    shardSeconds: states.reduce((t, s) => t + s.progress.seconds, 0),
    top: k,
    files: {
      top: resolve(out, 'top.csv'),
      summary: resolve(out, 'summary.json'),
      scores: ordered.map((f) => resolve(shardFiles(f.dir, f.state.shard).scores)),
      unreadable: ordered.map((f) => resolve(shardFiles(f.dir, f.state.shard).unreadable)),
    },
  };
  await mkdir(out, { recursive: true });
  await writeText(summary.files.top, topCsv({ columns: first.columns, heap: heap.sorted() }));
  await writeText(summary.files.summary, `${JSON.stringify({ format: 'delicate-file-screen-summary-v1', ...summary }, null, 2)}\n`);
  return summary;
}
