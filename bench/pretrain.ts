// `npm run bench -- pretrain [--quick] [--molecules N] [--steps N]`: pretraining throughput on ChEMBL with
// plain random batches against length-pooled ones (`--length-pool`, default 8), same model, corpus and
// seed, in one run: each measurement in its own process, the two kinds alternated twice so a change in
// the machine's load hits both. Rates per CPU second of the process as well as per wall second: CPU
// seconds hold up on a busy machine, wall seconds are what a chemist waits.
import { execFileSync } from 'node:child_process';
import { availableParallelism as availableCores, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './_report';

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = resolve(here, '../../shared/data/pretrain/chembl31_150k.csv.gz');

interface One {
  pool: number;
  molecules: number;
  steps: number;
}

async function measure(o: One): Promise<Record<string, number | string>> {
  const { initTf } = await import('../src-main/model/tf/backend');
  const { readCorpus } = await import('../src-main/train/corpus');
  const { DEFAULT_PRETRAIN, Pretrainer } = await import('../src-main/train/pretrain');
  const backend = (await initTf()).selected;
  const corpus = await readCorpus(CORPUS);
  const smiles = corpus.smiles.slice(0, o.molecules);
  const trainer = await Pretrainer.create(
    { file: CORPUS, sha256: corpus.sha256, smiles },
    { ...DEFAULT_PRETRAIN, maxSteps: o.steps + 3, timeBudgetSeconds: null, lengthPool: o.pool },
  );
  trainer.state.totalSteps = o.steps + 3;
  // Three warm-up steps (kernel set-up, first shapes), then the measured ones.
  for (let i = 0; i < 3; i++) await trainer.step();
  let padded = 0;
  for (let k = 3; k < o.steps + 3; k++) padded += trainer.paddedTokens(k);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tokens0 = trainer.state.tokens;
  for (let i = 0; i < o.steps; i++) await trainer.step();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1e6;
  const real = trainer.state.tokens - tokens0;
  const seqs = o.steps * trainer.settings.batch;
  const params = trainer.params;
  const mlm = trainer.state.curve.slice(-o.steps).reduce((a, p) => a + p.mlm, 0) / o.steps;
  trainer.dispose();
  return { backend, params, seqPerSec: seqs / wall, seqPerCpuSec: seqs / cpu, padding: 1 - real / padded, meanPaddedTokens: padded / o.steps, mlm };
}

export async function run(args: string[]): Promise<void> {
  if (args[0] === '--one') {
    process.stdout.write(`${JSON.stringify(await measure(JSON.parse(args[1] as string) as One))}\n`);
    return;
  }
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const quick = args.includes('--quick');
  const molecules = opt('molecules') ?? (quick ? 2000 : 20000);
  const steps = opt('steps') ?? (quick ? 5 : 40);
  const bin = join(here, '..', 'bin', 'bench.mjs');
  const one = (o: One) => {
    process.stderr.write(`measuring ${JSON.stringify(o)}\n`);
    const out = execFileSync(process.execPath, [bin, 'pretrain', '--one', JSON.stringify(o)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number | string>;
  };
  // Other work on the machine (load average before the run): the CPU-second rates hold up under it.
  const load = loadavg()[0] as number;
  const pools = [1, 8, 1, 8];
  const runs: Array<Record<string, number | string>> = pools.map((pool) => ({ pool, ...one({ pool, molecules, steps }) }));
  const mean = (pool: number, k: string) => {
    const xs = runs.filter((r) => r.pool === pool).map((r) => r[k] as number);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const f = (x: number, d = 1) => x.toFixed(d);
  const rows = [1, 8].map((pool) => [
    pool === 1 ? 'plain random batches (--length-pool 1)' : `length-pooled batches (--length-pool ${pool})`,
    f(mean(pool, 'padding') * 100, 0),
    f(mean(pool, 'meanPaddedTokens'), 0),
    f(mean(pool, 'seqPerSec')),
    f(mean(pool, 'seqPerCpuSec')),
    f(mean(pool, 'mlm'), 3),
  ]);
  report(
    'pretrain',
    { molecules, steps, batch: 32, loadBefore: load, runs },
    [['batching', 'padding %', 'padded tokens/step', 'seq/s (wall)', 'seq/CPU-s', 'MLM loss (its measured batches)'], ...rows],
    [
      `The default pretraining model (4 layers, H128, physchem head) on the first ${molecules} ChEMBL molecules, batch 32: ${steps} measured steps after 3 warm-up steps, per process; each kind measured twice, alternated, and averaged.`,
      `Load average before the run: ${f(load, 2)} on ${availableCores()} cores.`,
      `Length-pooled vs plain batches, same run: ${f(mean(8, 'seqPerCpuSec') / mean(1, 'seqPerCpuSec'), 2)}x per CPU second, ${f(mean(8, 'seqPerSec') / mean(1, 'seqPerSec'), 2)}x per wall second.`,
    ],
  );
}
