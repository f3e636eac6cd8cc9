// `npm run train:base -- [options]`: reproduces the shipped base models from the pretraining corpus and
// writes their model cards. Every stage is resumable and skipped when its model is finished, so the
// command can be run again (also in later sessions) until everything is done:
//   1. pretrain delicate-base-teacher (MLM + physchem) on ../shared/data/pretrain/chembl31_150k.csv.gz
//   2. derive delicate-base-shared-teacher: one shared layer applied 12 times, distilled from the teacher
//   3. general distillation of delicate-base-student from the teacher: the shared-layer teacher's layer
//      applied 3 times, its feed-forward block pruned from 512 to 256 units to start with
//   4. export all three as float16 to resources/models/ (what every install registers on first run)
//   5. measure float16 vs float32 outputs, inference speed (student vs teacher, same run) and, with
//      --downstream, the default `delicate train` recipe on ESOL, Lipophilicity and BBBP beside ECFP4+RF
//   6. write resources/models/<name>.md and cards.json
// Options: --db PATH (default .tmp/base/base.db), --teacher-steps N, --shared-steps N, --student-steps N,
//          --student-ff N (default 256), --cards-only,
//          --downstream esol,lipophilicity,bbbp, --epochs N, --seeds N, --split scaffold|random,
//          --ship-task esol  (also ship the downstream ESOL student as delicate-esol-student: the
//          task model `delicate screen` uses when no model is named)
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { main } from '../src-main/cli/main';
import type { EncoderConfig } from '../src-main/model/encoder';
import { exportOnnx } from '../src-main/model/onnx-export';
import { OrtModel } from '../src-main/model/ort-engine';
import { SmilesTokenizer, type TokenizerJson } from '../src-main/model/tokenizer';
import { AppContext } from '../src-main/services/app-context';
import { BASE_SHARED_TEACHER, BASE_STUDENT, BASE_TEACHER } from '../src-main/services/models';
import { machine } from '../bench/_report';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BASE_MODELS = [BASE_TEACHER, BASE_SHARED_TEACHER, BASE_STUDENT];
const data = resolve(root, '../shared/data');
const corpus = join(data, 'pretrain/chembl31_150k.csv.gz');
const out = join(root, 'resources/models');

function option(args: string[], name: string, fallback?: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

/** Runs a `delicate` command in-process; throws on a non-zero exit. */
async function delicate(...argv: string[]): Promise<string> {
  let stdout = '';
  const code = await main(argv, { out: (s) => (stdout += s), err: (s) => process.stderr.write(s), isTTY: false });
  if (code !== 0) throw new Error(`delicate ${argv.join(' ')} exited with ${code}`);
  return stdout;
}

/** Finished, still training (resumable) or absent. */
function stateOf(db: string, name: string): 'ready' | 'training' | 'absent' {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  const m = app.models.list().find((x) => x.name === name);
  void app.close();
  return m?.state === 'ready' ? 'ready' : m ? 'training' : 'absent';
}

interface Stored {
  name: string;
  kind: string;
  params: number;
  steps: number;
  metrics: Record<string, number | null>;
  parent: string[];
  manifest: { config: EncoderConfig; tokenizer: TokenizerJson; training: { kind: string; settings: { batch: number; lr: number; maxSteps: number | null; distill?: { init?: string } }; corpus: { file: string; sha256: string; molecules: number; used: number; heldOut: number }; teacher?: string; layerMap?: number[] } };
  weights: Uint8Array;
}

function stored(app: AppContext, name: string): Stored {
  const row = app.models.repo.byName(name);
  const weights = row ? app.models.repo.weights(row.id) : null;
  if (!row || !weights) throw new Error(`model ${name} is missing`);
  const s = app.models.get(name);
  return { name, kind: row.kind, params: row.params, steps: row.steps, metrics: s.metrics, parent: s.parent, manifest: JSON.parse(row.manifest) as Stored['manifest'], weights: new Uint8Array(weights) };
}

export async function run(args: string[]): Promise<void> {
  const db = resolve(option(args, '--db', join(root, '.tmp/base/base.db')) as string);
  mkdirSync(dirname(db), { recursive: true });
  const cardsOnly = args.includes('--cards-only');
  if (!cardsOnly) {
    const teacherSteps = option(args, '--teacher-steps', '1400') as string;
    const sharedSteps = option(args, '--shared-steps', '451') as string;
    const studentSteps = option(args, '--student-steps', '1583') as string;
    const studentFf = option(args, '--student-ff', '256') as string;
    const t = stateOf(db, BASE_TEACHER);
    if (t !== 'ready') {
      await delicate('pretrain', '--corpus', corpus, '--out', BASE_TEACHER, '--layers', '12', '--hidden', '128', '--heads', '4', '--ff', '512', '--lr', '0.0007', '--max-steps', teacherSteps, '--checkpoint-every', '100', '--grad-checkpointing', '--db', db, ...(t === 'training' ? ['--resume'] : []));
    }
    const sh = stateOf(db, BASE_SHARED_TEACHER);
    if (sh !== 'ready') {
      await delicate('distill', '--teacher', BASE_TEACHER, '--corpus', corpus, '--student-layers', '12', '--out', BASE_SHARED_TEACHER, '--max-steps', sharedSteps, '--checkpoint-every', '50', '--grad-checkpointing', '--db', db, ...(sh === 'training' ? ['--resume'] : []));
    }
    const s = stateOf(db, BASE_STUDENT);
    if (s !== 'ready') {
      await delicate('distill', '--teacher', BASE_TEACHER, '--init', BASE_SHARED_TEACHER, '--student-ff', studentFf, '--corpus', corpus, '--student-layers', '3', '--out', BASE_STUDENT, '--max-steps', studentSteps, '--checkpoint-every', '100', '--db', db, ...(s === 'training' ? ['--resume'] : []));
    }
    mkdirSync(out, { recursive: true });
    for (const name of BASE_MODELS) await delicate('model', 'export', name, '--out', join(out, `${name}.dlcm`), '--dtype', 'float16', '--db', db);
    const downstream = option(args, '--downstream');
    if (downstream) await runDownstream(db, downstream.split(','), args);
  }
  const ship = option(args, '--ship-task');
  if (ship) await shipTask(db, ship);
  await writeCards(db);
}

const DOWNSTREAM: Record<string, { file: string; target: string; task: 'regression' | 'classification' }> = {
  esol: { file: 'qsar/esol.csv', target: 'logS', task: 'regression' },
  lipophilicity: { file: 'qsar/lipophilicity.csv', target: 'logD', task: 'regression' },
  bbbp: { file: 'qsar/bbbp.csv', target: 'p_np', task: 'classification' },
};

/** The default `delicate train` recipe (base teacher, base student) per data set; results kept in downstream.json. */
async function runDownstream(db: string, sets: string[], args: string[]): Promise<void> {
  const file = join(out, 'downstream.json');
  const done = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  for (const set of sets) {
    const d = DOWNSTREAM[set];
    if (!d) throw new Error(`unknown data set ${set} (${Object.keys(DOWNSTREAM).join(', ')})`);
    if (done[set]) continue;
    const extra = ['--epochs', '--seeds', '--split'].flatMap((f) => (option(args, f) ? [f, option(args, f) as string] : []));
    const json = await delicate('train', '--data', join(data, d.file), '--target', d.target, '--task', d.task, '--out', `base-${set}`, '--distill', ...extra, '--db', db, '--json');
    const r = JSON.parse(json) as Record<string, unknown>;
    delete r.predictions;
    done[set] = { ...r, recipe: { epochs: option(args, '--epochs') ?? 'default', seeds: option(args, '--seeds') ?? 'default', split: option(args, '--split') ?? 'default' } };
    // Re-read before writing: another invocation (one set per core) may have finished a set meanwhile.
    const onDisk = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(file, `${JSON.stringify({ ...onDisk, [set]: done[set] }, null, 2)}\n`);
  }
}

/** Ships the downstream student of a data set (`base-SET-student`) as `delicate-SET-student`, float16, with a card. */
async function shipTask(db: string, set: string): Promise<void> {
  const d = DOWNSTREAM[set];
  if (!d) throw new Error(`unknown data set ${set}`);
  const name = `delicate-${set}-student`;
  const file = join(out, `${name}.dlcm`);
  await delicate('model', 'export', `base-${set}-student`, '--out', file, '--dtype', 'float16', '--db', db);
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    const s = app.models.get(`base-${set}-student`);
    const row = app.models.repo.byName(`base-${set}-student`);
    const manifest = JSON.parse(row?.manifest ?? '{}') as { task: { target: string; type: string }; training: { data: { file: string; sha256: string }; split: string; settings: { epochs: number; seeds: number } }; config: EncoderConfig };
    const metrics = Object.entries(s.metrics).filter(([k]) => !k.endsWith('Sd')).map(([k, v]) => `${k} ${(v as number).toFixed(3)}`).join(', ');
    writeFileSync(
      join(out, `${name}.md`),
      [
        `# Model card: ${name}`,
        '',
        `A DeLiCaTe student for ${d.task} of \`${manifest.task.target}\` (${set}): one shared transformer layer applied ${manifest.config.layers} times, ${s.params.toLocaleString('en')} parameters, distilled from a teacher fine-tuned from delicate-base-teacher and started from delicate-base-student (the default \`delicate train\` recipe). \`delicate screen\` uses it when no model is named.`,
        '',
        `- data: ${basename(manifest.training.data.file)} (sha256 \`${manifest.training.data.sha256}\`), ${manifest.training.split} split, ${manifest.training.settings.epochs} epochs`,
        `- test-split metrics (first seed): ${metrics}`,
        `- applicability domain: max ECFP4 Tanimoto ≥ 0.3 to its training set (stored with the model)`,
        `- made from: ${s.parent.join(' and ')} (the fine-tuned teacher it was distilled from stays in the database that trained it; only the student ships)`,
        '',
        'See delicate-base-teacher.md for the downstream comparison with the teacher and ECFP4 + random forest.',
        '',
      ].join('\n'),
    );
  } finally {
    await app.close();
  }
}

/** Corpus SMILES (every 50th after the first 20,000: not the held-out set's pattern, realistic lengths). */
function speedSample(n: number): string[] {
  const text = gunzipSync(readFileSync(corpus)).toString('utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((_, i) => i >= 20000 && i % 50 === 7)
    .slice(0, n)
    .map((l) => l.split(',')[0] as string);
}

async function molPerSec(model: OrtModel, seqs: Int32Array[]): Promise<number> {
  await model.rows(seqs.slice(0, 128), 'pooled');
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await model.rows(seqs, 'pooled');
    best = Math.max(best, seqs.length / ((performance.now() - t0) / 1000));
  }
  return best;
}

async function writeCards(db: string): Promise<void> {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  const f16 = new AppContext(':memory:', { chemWorkers: 1, shippedModels: false });
  const m = machine();
  const cards: Record<string, unknown> = {};
  const downstreamFile = join(out, 'downstream.json');
  const downstream = existsSync(downstreamFile) ? (JSON.parse(readFileSync(downstreamFile, 'utf8')) as Record<string, { models: Array<{ name: string; role: string; params: number; metrics: Record<string, number>; trainSeconds: number }>; split: string; seeds: number; recipe: unknown }>) : {};
  const sample = speedSample(2048);
  const speed: Record<string, number> = {};
  try {
    for (const name of BASE_MODELS) {
      if (!app.models.list().some((x) => x.name === name && x.state === 'ready')) continue;
      const s = stored(app, name);
      const file = join(out, `${name}.dlcm`);
      if (!existsSync(file)) throw new Error(`${file} is missing: run without --cards-only first`);
      // float16 as shipped vs float32 as trained: the pooled and physchem outputs on 512 molecules.
      f16.models.importBuffer(readFileSync(file), file, name);
      const half = stored(f16, name);
      const tok = SmilesTokenizer.fromJSON(s.manifest.tokenizer);
      const seqs = sample.map((x) => tok.encode(x, s.manifest.config.maxLen)).filter((e) => e.ok).map((e) => (e as { ids: Int32Array }).ids);
      const full = await OrtModel.create(exportOnnx(s.manifest.config, s.weights, name));
      const halfModel = await OrtModel.create(exportOnnx(half.manifest.config, half.weights, name));
      let maxDiff = 0;
      let sumSq = 0;
      let count = 0;
      for (const output of ['pooled', 'physchem'] as const) {
        const a = await full.rows(seqs.slice(0, 512), output);
        const b = await halfModel.rows(seqs.slice(0, 512), output);
        a.forEach((row, i) => row.forEach((v, j) => {
          maxDiff = Math.max(maxDiff, Math.abs(v - ((b[i] as Float32Array)[j] as number)));
          sumSq += v * v;
          count++;
        }));
      }
      // Relative to the outputs' root mean square: the size of the error against the size of the signal.
      const maxRel = maxDiff / Math.sqrt(sumSq / Math.max(1, count));
      speed[name] = await molPerSec(full, seqs);
      await full.release();
      await halfModel.release();
      const tr = s.manifest.training;
      const meanTokens = seqs.reduce((a, x) => a + x.length, 0) / seqs.length;
      const sequences = (s.metrics.sequencesSeen as number | undefined) ?? s.steps * tr.settings.batch;
      const tokens = (s.metrics.tokensSeen as number | undefined) ?? null;
      cards[name] = {
        name,
        kind: s.kind,
        parents: s.parent,
        architecture: { ...s.manifest.config, vocabSize: s.manifest.config.vocabSize },
        params: s.params,
        data: { file: basename(tr.corpus.file), sha256: tr.corpus.sha256, molecules: tr.corpus.molecules, trainingMolecules: tr.corpus.used, heldOut: tr.corpus.heldOut },
        training: { kind: tr.kind, steps: s.steps, batch: tr.settings.batch, lr: tr.settings.lr, sequencesSeen: sequences, tokensSeen: tokens ?? Math.round(sequences * meanTokens), tokensSeenIsEstimate: tokens === null, seconds: s.metrics.trainSeconds, ...(tr.teacher ? { teacher: tr.teacher, layerMap: tr.layerMap } : {}), ...(tr.settings.distill?.init ? { init: tr.settings.distill.init, initFf: stored(app, tr.settings.distill.init).manifest.config.ff } : {}) },
        evaluation: { heldOutMolecules: s.metrics.heldOut, mlmAccuracy: s.metrics.mlmAccuracy, unigramAccuracy: s.metrics.unigramAccuracy, physchemR2: s.metrics.physchemR2 },
        file: { bytes: statSync(file).size, dtype: 'float16', float16MaxAbsDiff: maxDiff, float16MaxRelDiff: maxRel },
        speed: { engine: `onnxruntime-cpu (${full.threads} threads)`, molPerSec: speed[name] },
        downstream: Object.fromEntries(Object.entries(downstream).map(([set, r]) => [set, { split: r.split, seeds: r.seeds, recipe: r.recipe, models: r.models.map((x) => ({ role: x.role, params: x.params, metrics: x.metrics, trainSeconds: x.trainSeconds })) }])),
      };
    }
    // Compute of the whole lineage: the model's own training plus its ancestors' (each counted once).
    const ancestors = (n: string, seen = new Set<string>()): Set<string> => {
      for (const p of (cards[n] as Card | undefined)?.parents ?? []) if (!seen.has(p) && cards[p]) ancestors(p, seen.add(p));
      return seen;
    };
    for (const [n, c] of Object.entries(cards) as Array<[string, Card]>) c.lineageSeconds = [n, ...ancestors(n)].reduce((a, x) => a + (cards[x] as Card).training.seconds, 0);
    const t = speed[BASE_TEACHER];
    const st = speed[BASE_STUDENT];
    if (t && st) for (const n of BASE_MODELS) if (cards[n]) (cards[n] as { speed: Record<string, unknown> }).speed.studentOverTeacher = st / t;
    writeFileSync(join(out, 'cards.json'), `${JSON.stringify({ machine: m, cards }, null, 2)}\n`);
    for (const [name, c] of Object.entries(cards)) writeFileSync(join(out, `${name}.md`), cardMarkdown(c as Card, m));
    process.stdout.write(`model cards written to ${out}\n`);
  } finally {
    await app.close();
    await f16.close();
  }
}

interface Card {
  name: string;
  kind: string;
  parents: string[];
  architecture: EncoderConfig;
  params: number;
  data: { file: string; sha256: string; molecules: number; trainingMolecules: number; heldOut: number };
  training: { kind: string; steps: number; batch: number; lr: number; sequencesSeen: number; tokensSeen: number; tokensSeenIsEstimate: boolean; seconds: number; teacher?: string; layerMap?: number[]; init?: string; initFf?: number };
  evaluation: { heldOutMolecules: number; mlmAccuracy: number; unigramAccuracy: number; physchemR2: number | null };
  file: { bytes: number; dtype: string; float16MaxAbsDiff: number; float16MaxRelDiff: number };
  speed: { engine: string; molPerSec: number; studentOverTeacher?: number };
  /** Training seconds of the model and of every base model in its lineage. */
  lineageSeconds: number;
  downstream: Record<string, { split: string; seeds: number; recipe: unknown; models: Array<{ role: string; params: number; metrics: Record<string, number>; trainSeconds: number }> }>;
}

/** What the model is, in the card's first sentence. */
function describe(c: Card): string {
  const a = c.architecture;
  const map = `layer map ${JSON.stringify(c.training.layerMap)}`;
  if (c.kind === 'shared') return `Shared-layer teacher (DeLiCaTe stage 2) derived from ${c.training.teacher}: one transformer layer applied ${a.layers} times, distilled from the teacher (${map}; the shared layer starts as the teacher's first)`;
  if (c.kind === 'student') {
    const start = c.training.init ? `; it starts from ${c.training.init}'s shared layer${c.training.initFf && c.training.initFf !== a.ff ? `, its feed-forward block pruned from ${c.training.initFf} to ${a.ff} units by importance (‖W_in[:, j]‖·‖W_out[j, :]‖)` : ''}` : '';
    return `General-distilled DeLiCaTe student of ${c.training.teacher}: one transformer layer applied ${a.layers} times (${map})${start}`;
  }
  return `Pretrained BERT-style SMILES encoder, ${a.layers} layers`;
}

function cardMarkdown(c: Card, m: ReturnType<typeof machine>): string {
  const a = c.architecture;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const down = Object.entries(c.downstream);
  return [
    `# Model card: ${c.name}`,
    '',
    `${describe(c)}, hidden ${a.hidden}, ${a.heads} heads, FF ${a.ff}, max ${a.maxLen} tokens, vocabulary ${a.vocabSize}; ${c.params.toLocaleString('en')} parameters. Trained by Delicate's own pipeline (\`npm run train:base\`) on a CPU; nothing was downloaded.`,
    '',
    '| | |',
    '| --- | --- |',
    `| data | ${c.data.file} (sha256 \`${c.data.sha256}\`), ${c.data.molecules.toLocaleString('en')} molecules, ${c.data.trainingMolecules.toLocaleString('en')} for training, ${c.data.heldOut} held out (every 50th) |`,
    `| objective | ${c.training.kind === 'general-distill' ? 'hidden-state MSE through the layer map, last-layer attention KL, soft MLM logits (T = 2), plus the hard MLM and physchem losses' : 'masked LM (15%, 80/10/10) + regression of ~40 z-scored RDKit descriptors'} |`,
    `| training | ${c.training.steps.toLocaleString('en')} steps × batch ${c.training.batch}, peak lr ${c.training.lr}; ${c.training.sequencesSeen.toLocaleString('en')} sequences, ${c.training.tokensSeenIsEstimate ? '≈' : ''}${c.training.tokensSeen.toLocaleString('en')} tokens seen${c.training.tokensSeenIsEstimate ? ' (sequences × mean tokens per molecule; the run predates the token counter)' : ''} |`,
    `| compute | ${(c.training.seconds / 3600).toFixed(2)} h of training on ${m.cpu} (${m.cores} cores), TF.js WASM backend${c.lineageSeconds > c.training.seconds ? `; ${(c.lineageSeconds / 3600).toFixed(2)} h with the models it was made from (${c.parents.join(', ')})` : ''} |`,
    `| held-out MLM accuracy | ${pct(c.evaluation.mlmAccuracy)} (unigram baseline ${pct(c.evaluation.unigramAccuracy)}) on ${c.evaluation.heldOutMolecules} molecules |`,
    `| physchem R² | ${c.evaluation.physchemR2 === null ? '-' : c.evaluation.physchemR2.toFixed(3)} (held out) |`,
    `| shipped file | ${(c.file.bytes / 2 ** 20).toFixed(2)} MiB, float16; against float32 the pooled and physchem outputs differ by at most ${c.file.float16MaxAbsDiff.toExponential(2)} (${(c.file.float16MaxRelDiff * 100).toFixed(2)}% of their RMS) on 512 molecules |`,
    `| inference | ${c.speed.molPerSec.toFixed(0)} molecules/s, ${c.speed.engine}, ChEMBL lengths${c.speed.studentOverTeacher ? `; student / teacher = ${c.speed.studentOverTeacher.toFixed(2)}x in the same run` : ''} |`,
    '',
    '## Downstream (the default `delicate train` recipe: fine-tuned teacher, DeLiCaTe student, ECFP4 + random forest)',
    '',
    ...(down.length
      ? [
          '| data set | split | seeds | epochs | fine-tuned teacher | DeLiCaTe student | ECFP4 + RF |',
          '| --- | --- | --- | --- | --- | --- | --- |',
          ...down.map(([set, r]) => {
            const metric = (role: string) => {
              const x = r.models.find((mm) => mm.role === role);
              if (!x) return '-';
              const k = 'rmse' in x.metrics ? 'rmse' : 'rocAuc';
              const sd = r.seeds > 1 ? ` ± ${(x.metrics[`${k}Sd`] ?? 0).toFixed(3)}` : '';
              return `${k} ${(x.metrics[k] as number).toFixed(3)}${sd}${x.params > 0 ? ` (${x.params.toLocaleString('en')} params)` : ''}`;
            };
            const recipe = r.recipe as { epochs: string; seeds: string };
            return `| ${set} | ${r.split} | ${r.seeds} | ${recipe.epochs} epochs${recipe.epochs === 'default' ? '' : ' (default 15)'} | ${metric('teacher')} | ${metric('student')} | ${metric('baseline')} |`;
          }),
        ]
      : ['Not measured yet: `npm run train:base -- --downstream esol,lipophilicity,bbbp` fine-tunes the default recipe on each set (hours on 2 CPU cores).']),
    '',
    `Measured ${m.date} on ${m.cpu}, ${m.cores} cores, Node ${m.node}.`,
    '',
  ].join('\n');
}

await run(process.argv.slice(2));
