// The streaming part of `npm run bench -- scale` (issue 35): `delicate screen --file … --out DIR` as the user
// runs it (a child process of the CLI), against pure ONNX Runtime inference in the same run.
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { OrtModel } from '../src-main/model/ort-engine';
import { onnxGraph } from '../src-main/model/onnx-export';
import { BUNDLE_FILE, writeBundle } from '../src-main/screen/model-bundle';
import type { TaskModelSpec } from '../src-main/train/predict-types';
import { builtCliIsFresh } from '../bin/built-cli.mjs';
import { modelInputs } from './_scale-int8';
import { engineRates } from './_scale-engine';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/delicate.mjs');

interface ShardRun {
  wallSeconds: number;
  /** The shard's own seconds (from starting its workers to its last commit) and rate. */
  seconds: number;
  molPerSec: number;
  taken: number;
  peakRssMiB: number;
  /** The largest resident memory (VmRSS) in each tenth of the run's wall time, MiB: whether it grows with length. */
  rssTenthsMiB: number[];
}

/** The peak (VmHWM) and current (VmRSS) resident memory of a running process, in MiB; null once it has exited. */
function memory(pid: number): { peak: number; now: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
    return { peak: kb('VmHWM'), now: kb('VmRSS') };
  } catch {
    return null;
  }
}

/** The largest of `samples` (time, value) in each tenth of the time from 0 to `end`. */
function tenths(samples: Array<[number, number]>, end: number): number[] {
  const out = new Array<number>(10).fill(0);
  for (const [t, v] of samples) {
    const k = Math.min(9, Math.floor((10 * t) / end));
    out[k] = Math.max(out[k] as number, v);
  }
  return out;
}

/** Runs `delicate screen …` and follows its peak memory until it exits. */
async function screenProcess(args: string[], env: Record<string, string> = {}): Promise<ShardRun> {
  const t0 = performance.now();
  // The built CLI whatever this shell says (DELICATE_CLI=sources would time the sources).
  const { DELICATE_CLI: _sources, ...inherited } = process.env;
  const child = spawn(process.execPath, [cli, 'screen', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err = (err + d).slice(-4000)));
  let peak = 0;
  const samples: Array<[number, number]> = [];
  const poll = setInterval(() => {
    const m = memory(child.pid as number);
    if (!m) return;
    peak = Math.max(peak, m.peak);
    samples.push([(performance.now() - t0) / 1000, m.now]);
  }, 200);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(poll);
  if (code !== 0) throw new Error(`delicate screen ${args.join(' ')} failed (${code}):\n${err}`);
  const s = JSON.parse(out) as { seconds: number; molPerSec: number; taken: number };
  const wallSeconds = (performance.now() - t0) / 1000;
  return { wallSeconds, seconds: s.seconds, molPerSec: s.molPerSec, taken: s.taken, peakRssMiB: peak, rssTenthsMiB: tenths(samples, wallSeconds) };
}

/** Writes `n` lines of the corpus (repeated as often as needed, each line its own id) as a SMILES file. */
async function smilesFile(path: string, corpus: string[], n: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < n; i += 10_000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) lines.push(`${corpus[j % corpus.length]} R${j}\n`);
    if (!out.write(lines.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export interface StreamOptions {
  spec: TaskModelSpec;
  corpusGz: string;
  work: string;
  molecules: number;
  big: number;
}

/** The streaming rows of the scale table and their data. */
export async function streamingPart(o: StreamOptions): Promise<{ results: Record<string, unknown>; rows: string[][]; notes: string[] }> {
  // Stale, bin/delicate.mjs would run the sources through tsx: slower to start, more memory in every thread.
  if (!builtCliIsFresh()) throw new Error('out/main/cli.js is missing or older than the sources: run `npm run build` first (the bench times the built CLI)');
  mkdirSync(o.work, { recursive: true });
  try {
    return await measure(o);
  } finally {
    rmSync(o.work, { recursive: true, force: true });
  }
}

const halfMax = (tenthsMiB: number[], half: 0 | 1) => Math.max(...tenthsMiB.slice(5 * half, 5 * half + 5));
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((100 * (a - b)) / b).toFixed(1)}%`;

async function measure(o: StreamOptions): Promise<{ results: Record<string, unknown>; rows: string[][]; notes: string[] }> {
  const corpus = gunzipSync(readFileSync(o.corpusGz))
    .toString('utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0] as string)
    .filter(Boolean);
  const small = join(o.work, `chembl-${o.molecules}.smi`);
  const big = join(o.work, `chembl-${o.big}.smi`);
  await smilesFile(small, corpus, o.molecules);
  await smilesFile(big, corpus, o.big);
  // The model frozen once; every run's folder gets the same bundle (no database in the child processes).
  const bundle = join(o.work, BUNDLE_FILE);
  await writeBundle(bundle, [o.spec]);
  const folder = (name: string) => {
    const dir = join(o.work, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(bundle, join(dir, BUNDLE_FILE));
    return dir;
  };

  // Pure inference: the same number of molecules' token sequences (the corpus is canonical RDKit SMILES,
  // so its sequences are as long as the screen's), ONNX Runtime on every core, no file, no chemistry.
  // A head that reads the ECFP4 (or descriptors) gets them, made before the timing.
  const inputs = await modelInputs(o.spec, corpus.slice(0, o.molecules), true);
  const seqs = inputs.seqs;
  const ort = await OrtModel.create(onnxGraph(o.spec, false), 2, true, o.spec.config.task);
  let pure: number;
  try {
    const t0 = performance.now();
    await ort.rows(seqs, 'task', 64, inputs.fps, inputs.descs);
    pure = seqs.length / ((performance.now() - t0) / 1000);
  } finally {
    await ort.release();
  }

  // What the cores allow once each molecule is standardised: the same molecules' chemistry, alone and
  // with the scoring, in this process, no file read or written.
  const engine = await engineRates(
    [o.spec],
    Array.from({ length: o.molecules }, (_, j) => corpus[j % corpus.length] as string),
  );

  const common = ['--top', '1000', '--model', o.spec.name];
  const one = await screenProcess(['--file', small, '--out', folder('one'), ...common]);
  // The same screen with V8's own young-generation sizes (file screens bound them: file-screen-commands).
  const v8Sizes = await screenProcess(['--file', small, '--out', folder('one-v8'), ...common], { DELICATE_SCREEN_SEMI_SPACE_MB: '0' });
  // One malloc arena for all threads, as the cluster jobs run shards (cluster-jobs: SCREEN_MALLOC_ARENA_MAX).
  const oneArena = await screenProcess(['--file', small, '--out', folder('one-arena'), ...common], { MALLOC_ARENA_MAX: '1' });
  const shardsDir = folder('two');
  const t0 = performance.now();
  // Each shard on one core (--cpus 1): the two together have the machine's cores, as the one process has.
  const two = await Promise.all([0, 1].map((i) => screenProcess(['--file', small, '--out', shardsDir, ...common, '--shard', `${i}/2`, '--cpus', '1'])));
  const twoWall = (performance.now() - t0) / 1000;
  const merge = spawn(process.execPath, [cli, 'screen', 'merge', shardsDir, '--json'], { stdio: 'ignore' });
  await once(merge, 'exit');
  const sameTop = readFileSync(join(shardsDir, 'top.csv'), 'utf8') === readFileSync(join(o.work, 'one', 'top.csv'), 'utf8');
  const large = await screenProcess(['--file', big, '--out', folder('big'), ...common]);
  // The long screen as cluster jobs run it: its peak against the short one's with the same single arena.
  const largeArena = await screenProcess(['--file', big, '--out', folder('big-arena'), ...common], { MALLOC_ARENA_MAX: '1' });

  const twoRate = o.molecules / twoWall;
  const rows = [
    [`pure ONNX Runtime inference, ${seqs.length.toLocaleString('en')} sequences, 2 threads`, `${pure.toFixed(0)} mol/s`, ''],
    [
      `file screen, ${o.molecules.toLocaleString('en')} molecules, 1 process`,
      `${one.molPerSec.toFixed(0)} mol/s (${((100 * one.molPerSec) / pure).toFixed(0)}% of pure inference)`,
      `wall ${one.wallSeconds.toFixed(1)} s, peak RSS ${one.peakRssMiB.toFixed(0)} MiB`,
    ],
    [
      `chemistry alone, ${o.molecules.toLocaleString('en')} molecules (standardised parent, model SMILES, ECFP4), chemistry workers on every core`,
      `${engine.chemistryMolPerSec.toFixed(0)} mol/s`,
      `${engine.parsed.toLocaleString('en')} parsed`,
    ],
    [
      `chemistry and scoring in one process, no file (pipelined as a file screen runs them)`,
      `${engine.pipelineMolPerSec.toFixed(0)} mol/s (${((100 * engine.pipelineMolPerSec) / pure).toFixed(0)}% of pure inference)`,
      `the file screen reaches ${((100 * one.molPerSec) / engine.pipelineMolPerSec).toFixed(0)}% of it; its rate counts starting its workers and model, ${engine.startSeconds.toFixed(1)} s here, which this one leaves out`,
    ],
    [
      `file screen, ${o.molecules.toLocaleString('en')} molecules, 1 process, V8's own young-generation sizes`,
      `${v8Sizes.molPerSec.toFixed(0)} mol/s (${(one.molPerSec / v8Sizes.molPerSec).toFixed(2)}x of it with the screen's 4 MiB semi-spaces)`,
      `wall ${v8Sizes.wallSeconds.toFixed(1)} s, peak RSS ${v8Sizes.peakRssMiB.toFixed(0)} MiB`,
    ],
    [
      `file screen, ${o.molecules.toLocaleString('en')} molecules, 1 process, one malloc arena (MALLOC_ARENA_MAX=1, as cluster jobs run)`,
      `${oneArena.molPerSec.toFixed(0)} mol/s (${(oneArena.molPerSec / one.molPerSec).toFixed(2)}x of it with glibc's own arenas)`,
      `wall ${oneArena.wallSeconds.toFixed(1)} s, peak RSS ${oneArena.peakRssMiB.toFixed(0)} MiB`,
    ],
    [
      `file screen, ${o.molecules.toLocaleString('en')} molecules, 2 shard processes at once`,
      `${twoRate.toFixed(0)} mol/s together (${(twoRate / (o.molecules / one.wallSeconds)).toFixed(2)}x one process, by wall time)`,
      `wall ${twoWall.toFixed(1)} s; peak RSS ${two.map((t) => t.peakRssMiB.toFixed(0)).join(' + ')} MiB; merged top 1000 ${sameTop ? 'identical to' : 'DIFFERENT from'} one process's`,
    ],
    [
      `file screen, ${o.big.toLocaleString('en')} molecules (the corpus repeated), 1 process`,
      `${large.molPerSec.toFixed(0)} mol/s`,
      `wall ${large.wallSeconds.toFixed(1)} s, peak RSS ${large.peakRssMiB.toFixed(0)} MiB (${((100 * (large.peakRssMiB - one.peakRssMiB)) / one.peakRssMiB).toFixed(1)}% vs ${o.molecules.toLocaleString('en')})`,
    ],
    [
      `file screen, ${o.big.toLocaleString('en')} molecules, 1 process, one malloc arena (as cluster jobs run)`,
      `${largeArena.molPerSec.toFixed(0)} mol/s`,
      `wall ${largeArena.wallSeconds.toFixed(1)} s, peak RSS ${largeArena.peakRssMiB.toFixed(0)} MiB (${((100 * (largeArena.peakRssMiB - oneArena.peakRssMiB)) / oneArena.peakRssMiB).toFixed(1)}% vs ${o.molecules.toLocaleString('en')} with one arena); largest RSS per tenth: ${largeArena.rssTenthsMiB.map((v) => v.toFixed(0)).join(', ')} MiB`,
    ],
    [
      `the same ${o.big.toLocaleString('en')}-molecule screen's resident memory over its length (glibc's own arenas)`,
      `largest RSS per tenth of its wall time: ${large.rssTenthsMiB.map((v) => v.toFixed(0)).join(', ')} MiB`,
      `second half's largest ${pct(halfMax(large.rssTenthsMiB, 1), halfMax(large.rssTenthsMiB, 0))} against the first half's`,
    ],
  ];
  return {
    results: {
      stream: {
        pureOrtMolPerSec: pure,
        engine,
        sequences: seqs.length,
        one,
        v8Sizes,
        oneArena,
        two: { wallSeconds: twoWall, molPerSec: twoRate, shards: two, sameTop },
        big: large,
        bigOneArena: largeArena,
      },
    },
    rows,
    notes: [
      `Streaming: \`delicate screen --file F.smi --out DIR --top 1000\` as a child process (the built CLI: the bench refuses to run when it is older than the sources), the model frozen in the folder; its mol/s is the shard's own rate (workers started to last commit), peak RSS the process's VmHWM (all its threads); the largest run's resident memory (VmRSS) is sampled every 0.2 s and its largest value per tenth of the run shown, which tells growth with length from the warm-up and the garbage collectors' swings (a short run's peak can end before its memory has reached the level it then swings about). Each molecule is read, standardised as at import (parent, model SMILES, ECFP4 on the chemistry workers), checked against the applicability domain, scored, written (gzip CSV) and ranked. Pure inference: ONNX Runtime on the same number of token sequences (with their ECFP4 where the head reads it, made before the timing), nothing else. Chemistry alone and chemistry with scoring: the bench's own process, the same molecules as lists in memory, chunks of 1,024 through the chemistry workers (and ONNX Runtime, sharing the cores as in a file screen, the applicability domain included): what the cores allow once each molecule is standardised; the file screen against it is what reading, writing the scores and keeping the top K cost.`,
    ],
  };
}
