import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { FileScreenSummary } from '../screen/file-screen';
import type { MergeSummary } from '../screen/screen-merge';
import { SCREEN_SEMI_SPACE_MB, mergeScreen, prepareClusterScreen, screenFile } from '../services/file-screen-service';
import { UsageError, engineOf, int, parse, positive, withCtrlC } from './args';
import { type CommandEnv, progressPrinter } from './command-env';

/** The flags of `delicate screen` a file screen reads. */
export interface FileScreenFlags {
  db?: string | undefined;
  file?: string | undefined;
  model?: string | undefined;
  out?: string | undefined;
  top?: string | undefined;
  engine?: string | undefined;
  ascending?: boolean | undefined;
  'smiles-col'?: string | undefined;
  'id-col'?: string | undefined;
  shard?: string | undefined;
  slurm?: string | undefined;
  k8s?: string | undefined;
  image?: string | undefined;
  cpus?: string | undefined;
  mem?: string | undefined;
  // The flags of a library screen, refused here.
  library?: string | undefined;
  id?: string | undefined;
  resume?: boolean | undefined;
  'min-score'?: string | undefined;
  'max-score'?: string | undefined;
  'in-domain'?: boolean | undefined;
  substructure?: string | undefined;
  range?: string[] | undefined;
  unreadable?: boolean | undefined;
  'show-model'?: string | undefined;
  workers?: string | undefined;
  chunk?: string | undefined;
}

const STORED_SCREEN_FLAGS = ['min-score', 'max-score', 'in-domain', 'substructure', 'range', 'unreadable', 'show-model', 'workers', 'chunk'] as const;

/** Whether `screen --file` streams the file (an output folder, shards, a scheduler) instead of importing it. */
export function isFileScreen(v: FileScreenFlags): boolean {
  if (!v.file) return false;
  if (v.shard !== undefined || v.slurm !== undefined || v.k8s !== undefined) return true;
  return v.out !== undefined && !/\.(csv|sdf)$/i.test(v.out);
}

const DEFAULT_TOP = 1000;

function shardOf(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new UsageError(`--shard must be i/N with 0 ≤ i < N (e.g. 0/4), got '${value}'`);
  return { index, count };
}

/** How a node runs this CLI: this Node binary and this checkout's bin/delicate.mjs, else `delicate` on the PATH. */
function cliCommand(): string[] {
  const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/delicate.mjs');
  return existsSync(bin) ? [process.execPath, bin] : ['delicate'];
}

const modelNames = (v: FileScreenFlags) =>
  (v.model ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);

/** `delicate screen --file F[,F…] --out DIR [--top K] [--shard i/N | --slurm N | --k8s N]`. */
export async function fileScreenCommand(v: FileScreenFlags, env: CommandEnv): Promise<number> {
  if (v.library || v.id !== undefined || v.resume)
    throw new UsageError(
      'a file screen (--file with --out DIR, --shard, --slurm or --k8s) reads the file as it is: no --library, --id or --resume (it continues by itself)',
    );
  // The filters and views of a stored screen have no meaning for a stream: say so rather than ignore them.
  const stored = STORED_SCREEN_FLAGS.filter((f) => (Array.isArray(v[f]) ? (v[f] as string[]).length > 0 : v[f] !== undefined && v[f] !== false));
  if (stored.length)
    throw new UsageError(
      `${stored.map((f) => `--${f}`).join(', ')}: for a screen of a library; a file screen writes every score (filter its CSV, or import the file)`,
    );
  const files = (v.file ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!v.out) throw new UsageError('a file screen writes to a folder: give --out DIR');
  if ([v.shard, v.slurm, v.k8s].filter((x) => x !== undefined).length > 1) throw new UsageError('give one of --shard, --slurm and --k8s');
  const top = int(v.top, '--top') ?? DEFAULT_TOP;
  const engine = engineOf(v.engine);
  const out = resolve(v.out);
  const jobs = v.slurm ?? v.k8s;
  const registry = async () => (await env.context(v.db)).models;
  const onNotice = (m: string) => env.err(`${m}\n`);
  if (jobs !== undefined) {
    const scheduler = v.slurm !== undefined ? 'slurm' : 'kubernetes';
    const shards = positive(jobs, v.slurm !== undefined ? '--slurm' : '--k8s') as number;
    const written = await prepareClusterScreen(
      scheduler,
      {
        cli: cliCommand(),
        files: files.map((f) => resolve(f)),
        out,
        models: modelNames(v),
        top,
        shards,
        ascending: v.ascending ?? false,
        engine,
        ...(v['smiles-col'] ? { smilesCol: v['smiles-col'] } : {}),
        ...(v['id-col'] ? { idCol: v['id-col'] } : {}),
        ...(v.cpus ? { cpus: positive(v.cpus, '--cpus') as number } : {}),
        ...(v.mem ? { memGiB: positive(v.mem, '--mem') as number } : {}),
      },
      { registry, onNotice, ...(v.image ? { image: v.image } : {}) },
    );
    env.print({ shards, out, ...written }, () =>
      [
        `${shards} shards of ${files.join(', ')} with ${written.models.join(', ')} → ${out}`,
        `  ${written.screen}\n  ${written.merge}`,
        `submit with: ${written.submit}`,
        scheduler === 'slurm'
          ? '(or: sbatch screen.sbatch, then sbatch --dependency=afterok:JOBID merge.sbatch)'
          : '(the image must see the files and the folder at these paths)',
      ].join('\n'),
    );
    return 0;
  }
  const shard = shardOf(v.shard);
  const cpus = positive(v.cpus, '--cpus');
  if (v.mem !== undefined || v.image !== undefined) throw new UsageError('--mem and --image go with --slurm or --k8s');
  // The workers' young generation (see SCREEN_SEMI_SPACE_MB); DELICATE_SCREEN_SEMI_SPACE_MB=0 keeps V8's own
  // sizes (the scale bench measures both in one run).
  const semiSpace = Number(process.env.DELICATE_SCREEN_SEMI_SPACE_MB ?? SCREEN_SEMI_SPACE_MB);
  if (semiSpace > 0) setFlagsFromString(`--max-semi-space-size=${semiSpace}`);
  let summary: FileScreenSummary;
  try {
    summary = await withCtrlC(
      env.err,
      'stopping: what is scored is kept; the same command continues it',
      (signal) =>
        screenFile(
          {
            files,
            out,
            models: modelNames(v),
            top,
            ascending: v.ascending ?? false,
            engine,
            ...(shard ? { shard } : {}),
            ...(cpus ? { cpus } : {}),
            ...(v['smiles-col'] ? { smilesCol: v['smiles-col'] } : {}),
            ...(v['id-col'] ? { idCol: v['id-col'] } : {}),
          },
          { signal, onProgress: progressPrinter(env), registry, onNotice },
        ),
      ['SIGINT', 'SIGTERM'],
    );
  } finally {
    if (env.isTTY) env.err('\n');
  }
  env.print(summary, () => fileScreenText(summary));
  return 0;
}

function totalsText(s: Pick<FileScreenSummary, 'read' | 'unreadable' | 'scored'>, taken: number): string {
  const scored = Object.entries(s.scored)
    .map(([m, n]) => `${n.toLocaleString('en')} scored by ${m}`)
    .join(', ');
  return `${taken.toLocaleString('en')} of ${s.read.toLocaleString('en')} records: ${scored}; ${s.unreadable.toLocaleString('en')} unreadable`;
}

function fileScreenText(s: FileScreenSummary): string {
  return [
    `shard ${s.shard.index}/${s.shard.count} ${s.state}${s.resumed ? ' (continued)' : ''}: ${totalsText(s, s.taken)} in ${s.seconds.toFixed(1)} s (${s.molPerSec.toFixed(0)} mol/s) on ${s.engine}`,
    `scores: ${s.files.scores}`,
    `unreadable: ${s.files.unreadable}`,
    ...(s.merged
      ? [`top ${s.merged.top}: ${s.merged.files.top}`, `summary: ${s.merged.files.summary}`]
      : [`merge the shards with: delicate screen merge ${s.out}`]),
  ].join('\n');
}

/** `delicate screen merge DIR… [--top K] [--out DIR]`. */
export async function screenMergeCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values, positionals } = parse(rest, { top: { type: 'string' }, out: { type: 'string' } });
  env.setJson(values.json);
  if (positionals.length === 0) throw new UsageError('screen merge takes the folders of the shards: delicate screen merge DIR…');
  const top = int(values.top, '--top');
  const m: MergeSummary = await mergeScreen(positionals, { ...(values.out ? { out: values.out } : {}), ...(top !== undefined ? { top } : {}) });
  env.print(m, () =>
    [
      `${m.shards} shard${m.shards > 1 ? 's' : ''} merged: ${totalsText(m, m.taken)}; ${m.shardSeconds.toFixed(0)} s of shard time`,
      `top ${m.top} by ${m.rankBy}${m.ascending ? ' (lowest first)' : ''}: ${m.files.top}`,
      `summary: ${m.files.summary}`,
    ].join('\n'),
  );
  return 0;
}
