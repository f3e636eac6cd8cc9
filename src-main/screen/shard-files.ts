import { open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImportFormat } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { TopEntry } from './top-k';

export const STATE_FORMAT = 'delicate-file-screen-v1';

export interface Shard {
  index: number;
  count: number;
}

export interface InputFile {
  path: string;
  size: number;
  mtimeMs: number;
  format: ImportFormat;
  /** Of the whole file, once it has been read to its end (null before). */
  sha256: string | null;
}

export interface ModelProvenance {
  name: string;
  kind: string;
  sha256: string;
  target: string | null;
}

/** What a shard has committed: everything before `nextRecord` is in its files, nothing after. */
export interface ShardProgress {
  /** The global number (over every input, in order) of the first record not yet committed. */
  nextRecord: number;
  scoresBytes: number;
  unreadableBytes: number;
  /** Records read (every shard reads them all) and those that are this shard's. */
  read: number;
  taken: number;
  /** Structures RDKit could not read (their reasons are in the unreadable file). */
  unreadable: number;
  /** Per model, the compounds it gave a score (the rest carry a note in the scores file). */
  scored: Record<string, number>;
  seconds: number;
}

/** A shard's provenance and progress (`shard-I-of-N.json`), rewritten atomically at every commit. */
export interface ShardState {
  format: typeof STATE_FORMAT;
  state: 'running' | 'stopped' | 'complete';
  shard: Shard;
  models: ModelProvenance[];
  bundleSha256: string;
  inputs: InputFile[];
  top: number;
  ascending: boolean;
  /** The model whose score ranks (the first). */
  rankBy: string;
  columns: string[];
  engine: string;
  started: string;
  finished: string | null;
  progress: ShardProgress;
  heap: TopEntry[];
}

const tag = (s: Shard) => `${s.index}-of-${s.count}`;
export const shardFiles = (dir: string, s: Shard) => ({
  state: join(dir, `shard-${tag(s)}.json`),
  scores: join(dir, `scores-${tag(s)}.csv.gz`),
  unreadable: join(dir, `unreadable-${tag(s)}.csv`),
  top: join(dir, `top-${tag(s)}.csv`),
});
export const SHARD_STATE = /^shard-(\d+)-of-(\d+)\.json$/;

export async function readState(path: string): Promise<ShardState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const s = JSON.parse(text) as ShardState;
    if (s.format !== STATE_FORMAT) throw new Error(`not ${STATE_FORMAT}`);
    return s;
  } catch (err) {
    throw new AppError('PARSE_ERROR', `${path}: not a readable shard state (${(err as Error).message})`);
  }
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export const writeState = (path: string, s: ShardState) => writeAtomic(path, `${JSON.stringify(s)}\n`);

/** Appends bytes and flushes them to disk; returns the file's new length. */
async function appendSynced(path: string, data: Buffer): Promise<number> {
  const fh = await open(path, 'a');
  try {
    if (data.length) {
      await fh.write(data);
      await fh.sync();
    }
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/**
 * The shard's output files. Rows go to the scores file as one gzip member per commit (a gzip file may hold
 * several, and every reader takes them in turn), so a commit never rewrites what came before; a resume cuts
 * the files back to the lengths the state recorded, dropping whatever a killed process wrote after it.
 */
export class ShardWriter {
  private rows: string[] = [];
  private bad: string[] = [];

  constructor(private readonly files: ReturnType<typeof shardFiles>) {}

  /** Creates the files with their headers (a fresh shard); returns their lengths. */
  async create(columns: string[]): Promise<{ scoresBytes: number; unreadableBytes: number }> {
    await writeFile(this.files.scores, gzipSync(`${columns.join(',')}\n`));
    await writeFile(this.files.unreadable, 'record,file,line,id,reason,input\n');
    return { scoresBytes: (await stat(this.files.scores)).size, unreadableBytes: (await stat(this.files.unreadable)).size };
  }

  /** Cuts both files back to a committed state. */
  async rewind(p: Pick<ShardProgress, 'scoresBytes' | 'unreadableBytes'>): Promise<void> {
    for (const [path, bytes] of [
      [this.files.scores, p.scoresBytes],
      [this.files.unreadable, p.unreadableBytes],
    ] as const) {
      const size = (await stat(path).catch(() => null))?.size ?? -1;
      if (size < bytes)
        throw new AppError('PARSE_ERROR', `${path} is shorter (${size} bytes) than its shard state says (${bytes}): delete the shard's files to start it over`);
      if (size > bytes) await truncate(path, bytes);
    }
  }

  row(line: string): void {
    this.rows.push(line);
  }

  unreadable(line: string): void {
    this.bad.push(line);
  }

  get pending(): number {
    return this.rows.length + this.bad.length;
  }

  /** Writes the rows held since the last flush; returns the files' lengths, to be recorded in the state. */
  async flush(): Promise<{ scoresBytes: number; unreadableBytes: number }> {
    const rows = this.rows.length ? gzipSync(this.rows.join('')) : Buffer.alloc(0);
    const bad = Buffer.from(this.bad.join(''), 'utf8');
    this.rows = [];
    this.bad = [];
    return { scoresBytes: await appendSynced(this.files.scores, rows), unreadableBytes: await appendSynced(this.files.unreadable, bad) };
  }
}

export const writeText = writeAtomic;

/** The shard's top K as CSV (rank, then the scores file's columns). */
export function topCsv(s: Pick<ShardState, 'columns' | 'heap'>): string {
  return `rank,${s.columns.join(',')}\n${s.heap.map((e, i) => `${i + 1},${e.fields.join(',')}\n`).join('')}`;
}
