// `npm run bench -- screen [--sizes 10000,150000] [--skip-vs] [--skip-throughput] [--models-db DB --embedding-model NAME] [--few-query-only]`
//
// 1. Throughput: the ChEMBL corpus imported as libraries of each size, screened end to end by a
//    teacher-sized (12 layers) and a student-sized (one shared layer x3) task model, each screen in its
//    own process: molecules/s end to end, pure ONNX Runtime inference molecules/s on the same molecules
//    (the pipeline's share of it), and peak memory (RSS of all threads) per library size.
//    The throughput models have random weights (speed depends on the architecture only; their scores
//    mean nothing), so the benchmark needs no trained models.
// 2. Virtual screening on DUD-E ADA and FAK1: ECFP4 max-sim and embedding cosine (k-fold over the
//    actives), and an ECFP4 random-forest classifier (5-fold, out-of-fold scores), one table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadRdkit, morganOf } from '../src-main/chem/rdkit';
import { countParams, createModel, disposeModel } from '../src-main/model/encoder';
import { exportOnnx } from '../src-main/model/onnx-export';
import { initTf } from '../src-main/model/tf/backend';
import { SmilesTokenizer } from '../src-main/model/tokenizer';
import { packTensors } from '../src-main/model/weights-tf';
import { ModelRepo } from '../src-main/db/model-repo';
import { AppContext } from '../src-main/services/app-context';
import { importFile } from '../src-main/services/import-service';
import { vsMetrics } from '../src-main/screen/vs-metrics';
import { RandomForest } from '../src-main/train/forest';
import { seededRandom } from '../src-shared/random';
import { report } from './_report';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data');
const cache = join(here, '.cache');

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Registers a random-weight task model of the given shape (throughput only). */
async function throughputModel(app: AppContext, name: string, tokenizer: SmilesTokenizer, layers: number, shared: boolean): Promise<number> {
  const repo = new ModelRepo(app.db);
  const existing = repo.byName(name);
  if (existing) return existing.params;
  await initTf('wasm');
  const config = {
    vocabSize: tokenizer.size,
    maxLen: 128,
    layers,
    hidden: 128,
    heads: 4,
    ff: 512,
    dropout: 0,
    shareLayers: shared,
    mlm: null,
    physchem: 0,
    task: { type: 'regression' as const, outputs: 1 },
  };
  const model = createModel(config, 7);
  const weights = new Uint8Array(packTensors(model.params));
  const params = countParams(model);
  disposeModel(model);
  const manifest = {
    format: 'delicate-model-v1',
    config,
    tokenizer: tokenizer.toJSON(),
    physchem: null,
    task: { target: 'throughput', type: 'regression', norm: null },
    training: { kind: 'finetune', note: 'random weights: throughput benchmark only' },
    domain: { smiles: [], threshold: 0.3 },
  };
  const id = repo.create({
    name,
    kind: shared ? 'student' : 'teacher',
    state: 'training',
    manifest,
    params,
    layers,
    shareLayers: shared,
    hidden: 128,
    parents: [],
    totalSteps: 0,
    jobId: null,
  });
  repo.finish(id, { weights: Buffer.from(weights), metrics: {}, steps: 0 });
  repo.setOnnx(id, exportOnnx(config, weights, name));
  return params;
}

async function ensureLibrary(app: AppContext, name: string, file: string): Promise<void> {
  if (app.libraries.list().some((l) => l.name === name)) return;
  process.stderr.write(`importing ${file} as '${name}'\n`);
  await importFile(app.db, app.chem, { file, library: name });
}

/** The ChEMBL pretraining corpus, one CSV line per molecule (no header). */
function chemblLines(): string[] {
  return gunzipSync(readFileSync(join(data, 'pretrain/chembl31_150k.csv.gz')))
    .toString('utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean);
}

/** The first `size` molecules of the corpus as library `chembl-SIZE` (imported once, cached in bench/.cache). */
export async function chemblLibrary(app: AppContext, size: number, lines?: string[], opts: { columns?: boolean } = {}): Promise<string> {
  // With columns: the corpus's own column (source_split, text) comes along, as a chemist's file brings its data.
  const name = `chembl-${size}${opts.columns ? '-cols' : ''}`;
  const file = join(cache, `${name}.csv`);
  mkdirSync(cache, { recursive: true });
  if (!existsSync(file)) writeFileSync(file, `${opts.columns ? 'smiles,source_split' : 'smiles'}\n${(lines ?? chemblLines()).slice(0, size).join('\n')}\n`);
  await ensureLibrary(app, name, file);
  return name;
}

/** The benchmarks' cached database (libraries imported by earlier runs are reused). */
export const benchDb = join(cache, 'screen-bench.db');

async function throughput(args: string[]): Promise<{ rows: string[][]; results: unknown[] }> {
  const sizes = (option(args, '--sizes') ?? '10000,150000').split(',').map(Number);
  mkdirSync(cache, { recursive: true });
  const db = benchDb;
  const app = new AppContext(db);
  const lines = chemblLines();
  const tokenizer = SmilesTokenizer.fromCorpus(lines.slice(0, 20000).map((l) => l.split(',')[0] as string));
  const params = {
    teacher: await throughputModel(app, 'bench-teacher', tokenizer, 12, false),
    student: await throughputModel(app, 'bench-student', tokenizer, 3, true),
  };
  for (const size of sizes) await chemblLibrary(app, size, lines);
  await app.close();
  const rows: string[][] = [];
  const results: unknown[] = [];
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  for (const size of sizes) {
    for (const role of ['student', 'teacher'] as const) {
      process.stderr.write(`screening chembl-${size} with the ${role}\n`);
      const child = spawnSync(process.execPath, [tsx, join(here, '_screen-child.ts'), db, `chembl-${size}`, `bench-${role}`], {
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
      });
      const line = child.stdout.trim().split('\n').at(-1) ?? '';
      if (child.status !== 0 || !line.startsWith('{')) throw new Error(`screen child failed: ${child.stderr.slice(-2000)}`);
      const r = JSON.parse(line) as {
        total: number;
        unreadable: number;
        seconds: number;
        wall: number;
        molPerSec: number;
        pureMolPerSec: number;
        engine: string;
        maxRssMiB: number;
      };
      results.push({ library: size, role, params: params[role], ...r });
      rows.push([
        `${size.toLocaleString('en')}`,
        role,
        params[role].toLocaleString('en'),
        r.engine,
        r.total.toLocaleString('en'),
        `${r.unreadable}`,
        r.seconds.toFixed(1),
        r.molPerSec.toFixed(0),
        r.pureMolPerSec.toFixed(0),
        `${((100 * r.molPerSec) / r.pureMolPerSec).toFixed(0)}%`,
        r.maxRssMiB.toFixed(0),
      ]);
    }
  }
  return {
    rows: [
      [
        'library',
        'model',
        'params',
        'engine',
        'compounds',
        'unreadable',
        'seconds',
        'end-to-end mol/s',
        'pure inference mol/s',
        'pipeline / pure',
        'peak RSS MiB',
      ],
      ...rows,
    ],
    results,
  };
}

/** Out-of-fold probabilities of an ECFP4 random forest (stratified k folds). */
function forestOutOfFold(fps: Uint8Array[], y: Uint8Array, k: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  const fold = new Int32Array(y.length);
  for (const cls of [0, 1]) {
    const idx = Array.from(y.keys()).filter((i) => y[i] === cls);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    idx.forEach((i, n) => (fold[i] = n % k));
  }
  const out = new Float64Array(y.length);
  for (let f = 0; f < k; f++) {
    const train = Array.from(y.keys()).filter((i) => fold[i] !== f);
    const forest = RandomForest.fit(
      train.map((i) => fps[i] as Uint8Array),
      Float64Array.from(train, (i) => y[i] as number),
      'classification',
      { seed: seed + f },
    );
    for (let i = 0; i < y.length; i++) if (fold[i] === f) out[i] = forest.predict(fps[i] as Uint8Array).mean;
  }
  return out;
}

async function virtualScreening(args: string[]): Promise<{ rows: string[][]; results: unknown[]; notes: string[] }> {
  const fewOnly = args.includes('--few-query-only');
  const app = new AppContext(':memory:');
  const notes: string[] = [];
  let embeddingModel = option(args, '--embedding-model');
  const modelsDb = option(args, '--models-db');
  if (embeddingModel && modelsDb) {
    const from = new AppContext(modelsDb);
    const file = join(cache, `${embeddingModel}.dlcm`);
    mkdirSync(cache, { recursive: true });
    await from.models.exportModel(embeddingModel, file);
    await from.close();
    await app.models.importModel(file);
  } else if (!embeddingModel) {
    embeddingModel = app.models.list().find((m) => m.name === 'delicate-base-student')?.name;
  }
  if (!embeddingModel) notes.push('Embedding similarity skipped: no pretrained model given (--models-db DB --embedding-model NAME).');
  const rows: string[][] = [];
  const results: unknown[] = [];
  const rd = await loadRdkit();
  const fmt = (m: Record<string, number>, sd?: Record<string, number>) =>
    ['rocAuc', 'prAuc', 'ef1', 'ef5', 'bedroc20'].map((k) => `${(m[k] as number).toFixed(3)}${sd ? ` ± ${(sd[k] as number).toFixed(3)}` : ''}`);
  for (const target of ['ada', 'fak1']) {
    const file = join(data, `vs/dude_${target}.csv`);
    await ensureLibrary(app, target, file);
    const methods: Array<{
      label: string;
      run: () => Promise<{ metrics: Record<string, number>; sd?: Record<string, number>; n: number; actives: number; protocol: string }>;
    }> = [
      { label: 'ECFP4 max-sim', run: () => app.vs.evaluate({ library: target, labelCol: 'active', method: 'ecfp' }) as never },
      ...(embeddingModel
        ? [
            {
              label: `embedding cosine (${embeddingModel})`,
              run: () => app.vs.evaluate({ library: target, labelCol: 'active', method: 'embedding', embeddingModel }) as never,
            },
            {
              label: 'fusion (ECFP4 + embedding z-scores)',
              run: () => app.vs.evaluate({ library: target, labelCol: 'active', method: 'fusion', embeddingModel }) as never,
            },
          ]
        : []),
      {
        label: 'ECFP4 random forest (5-fold out-of-fold)',
        run: async () => {
          const text = readFileSync(file, 'utf8').trim().split('\n').slice(1);
          const fps: Uint8Array[] = [];
          const y: number[] = [];
          for (const l of text) {
            const [smi, act] = l.split(',');
            const f = morganOf(rd, smi as string);
            if (!f) continue;
            fps.push(f);
            y.push(Number(act) > 0 ? 1 : 0);
          }
          const yy = Uint8Array.from(y);
          return {
            metrics: { ...vsMetrics(yy, forestOutOfFold(fps, yy, 5, 1)) },
            n: yy.length,
            actives: y.filter((v) => v === 1).length,
            protocol: 'stratified 5-fold; each compound scored by the forest that did not see it',
          };
        },
      },
    ];
    // The few-query protocol: 1 and 5 actives drawn at random, 20 draws each (what a chemist with a new
    // target has), for every similarity method.
    const similarity: Array<{ label: string; method: 'ecfp' | 'embedding' | 'fusion' }> = [
      { label: 'ECFP4 max-sim', method: 'ecfp' },
      ...(embeddingModel
        ? [
            { label: `embedding cosine (${embeddingModel})`, method: 'embedding' as const },
            { label: 'fusion (ECFP4 + embedding z-scores)', method: 'fusion' as const },
          ]
        : []),
    ];
    const few = FEW_QUERIES.flatMap((q) =>
      similarity.map((m) => ({
        label: `${m.label}, ${q} quer${q === 1 ? 'y' : 'ies'} × ${FEW_DRAWS} draws`,
        run: () =>
          app.vs.evaluate({
            library: target,
            labelCol: 'active',
            method: m.method,
            queries: q,
            draws: FEW_DRAWS,
            ...(m.method === 'ecfp' ? {} : { embeddingModel }),
          }) as never,
      })),
    );
    for (const m of [...(fewOnly ? [] : methods), ...few] as typeof methods) {
      const t0 = performance.now();
      const r = await m.run();
      const seconds = (performance.now() - t0) / 1000;
      results.push({ target, method: m.label, ...r, seconds });
      rows.push([`DUD-E ${target.toUpperCase()}`, m.label, `${r.actives}/${r.n}`, ...fmt(r.metrics, r.sd), seconds.toFixed(1)]);
    }
  }
  await app.close();
  if (!fewOnly)
    notes.push(
      'Similarity methods without a query count: 5-fold over the actives (each fold\'s actives ranked among all decoys by similarity to the other folds\' actives); "actives/n" is per fold.',
    );
  notes.push(
    `Few-query rows: ${FEW_QUERIES.join(' and ')} actives drawn at random (seeded) ${FEW_DRAWS} times; each draw ranks every other compound; mean ± sd over the draws.`,
  );
  return { rows: [['target', 'method', 'actives/n', 'ROC-AUC', 'PR-AUC', 'EF1%', 'EF5%', 'BEDROC20', 'seconds'], ...rows], results, notes };
}

const FEW_QUERIES = [1, 5];
const FEW_DRAWS = 20;

export async function run(args: string[]): Promise<void> {
  if (args.includes('--few-query-only')) {
    // Only the few-query table, in a report of its own (the full run's screen.json keeps its other sections).
    const v = await virtualScreening(args);
    report('screen-fewquery', { virtualScreening: v.results }, v.rows, v.notes);
    return;
  }
  const table: string[][] = [];
  const out: Record<string, unknown> = {};
  const notes: string[] = [];
  if (!args.includes('--skip-throughput')) {
    const t = await throughput(args);
    table.push(...t.rows);
    out.throughput = t.results;
    notes.push(
      'Throughput models: random weights at the teacher (12 layers, H128) and student (one shared layer x3, H128) sizes; speed depends on the architecture only.',
      'End-to-end = the whole screen job (read chunks from SQLite, tokenise, domain check, inference on a worker thread, write predictions in transactions, rank) / compounds; pure inference = ONNX Runtime on the first 10k of the same library, same process.',
      'Peak RSS: the screening process with all its threads; each screen runs in its own process.',
    );
  }
  if (!args.includes('--skip-vs')) {
    const v = await virtualScreening(args);
    out.virtualScreening = v.results;
    if (table.length === 0) table.push(...v.rows);
    else {
      // A second table under the first.
      const [head, ...rows] = v.rows;
      notes.push(
        '',
        '## Virtual screening',
        '',
        `| ${(head ?? []).join(' | ')} |`,
        `| ${(head ?? []).map(() => '---').join(' | ')} |`,
        ...rows.map((r) => `| ${r.join(' | ')} |`),
        '',
      );
    }
    notes.push(...v.notes);
  }
  report('screen', out, table, notes);
}
