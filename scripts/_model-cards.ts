// The model cards of the shipped base models (scripts/train-base.ts writes them after training).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EncoderConfig } from '../src-main/model/encoder';
import { exportOnnx } from '../src-main/model/onnx-export';
import { OrtModel } from '../src-main/model/ort-engine';
import { SmilesTokenizer } from '../src-main/model/tokenizer';
import { AppContext } from '../src-main/services/app-context';
import { BASE_STUDENT, BASE_TEACHER } from '../src-main/services/models';
import { machine } from '../bench/_report';
import { BASE_MODELS, corpus, out, stored } from './_base';

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

/**
 * The largest difference between the float32 and float16 models' pooled and physchem outputs, absolute
 * and relative to the outputs' root mean square (the size of the error against the size of the signal).
 */
async function float16Gap(full: OrtModel, half: OrtModel, seqs: Int32Array[]): Promise<{ maxDiff: number; maxRel: number }> {
  let maxDiff = 0;
  let sumSq = 0;
  let count = 0;
  for (const output of ['pooled', 'physchem'] as const) {
    const a = await full.rows(seqs, output);
    const b = await half.rows(seqs, output);
    a.forEach((row, i) =>
      row.forEach((v, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - ((b[i] as Float32Array)[j] as number)));
        sumSq += v * v;
        count++;
      }),
    );
  }
  return { maxDiff, maxRel: maxDiff / Math.sqrt(sumSq / Math.max(1, count)) };
}

type Machine = ReturnType<typeof machine>;

/** downstream.json (train:base --downstream) as the cards show it. */
function readDownstream(): Card['downstream'] {
  const downstreamFile = join(out, 'downstream.json');
  const downstream = existsSync(downstreamFile)
    ? (JSON.parse(readFileSync(downstreamFile, 'utf8')) as Record<
        string,
        {
          models: Array<{ name: string; role: string; params: number; metrics: Record<string, number>; trainSeconds: number }>;
          split: string;
          seeds: number;
          recipe: unknown;
          teacherSource?: string;
          machine?: Machine;
        }
      >)
    : {};
  return Object.fromEntries(
    Object.entries(downstream).map(([set, r]) => [
      set,
      {
        split: r.split,
        seeds: r.seeds,
        recipe: r.recipe,
        // The task head the run's models had (train's default has changed: the older rows read the embedding only).
        head: /descriptor/.test(r.teacherSource ?? '')
          ? 'embedding, ECFP4, descriptors'
          : /fingerprint/.test(r.teacherSource ?? '')
            ? 'embedding, ECFP4'
            : 'embedding',
        ...(r.machine ? { machine: r.machine } : {}),
        models: r.models.map((x) => ({ role: x.role, params: x.params, metrics: x.metrics, trainSeconds: x.trainSeconds })),
      },
    ]),
  );
}

export async function writeCards(db: string): Promise<void> {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  const f16 = new AppContext(':memory:', { chemWorkers: 1, shippedModels: false });
  const m = machine();
  const cards: Record<string, unknown> = {};
  const cardsFile = join(out, 'cards.json');
  const previous = existsSync(cardsFile) ? (JSON.parse(readFileSync(cardsFile, 'utf8')) as { machine: Machine; cards: Record<string, Card> }) : null;
  const downstreamCards = readDownstream();
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
      // A database that registered the shipped file (not the one that trained the model) has nothing new
      // to say of its training, file or speed: those stay as measured where it was trained.
      if (Buffer.compare(Buffer.from(s.weights), Buffer.from(half.weights)) === 0) {
        const before = previous?.cards[name];
        if (!before) throw new Error(`${name} in ${db} is its shipped float16 file: its card is written from the database that trained it`);
        cards[name] = { ...before, measuredOn: before.measuredOn ?? previous?.machine, downstream: downstreamCards };
        continue;
      }
      const tok = SmilesTokenizer.fromJSON(s.manifest.tokenizer);
      const seqs = sample
        .map((x) => tok.encode(x, s.manifest.config.maxLen))
        .filter((e) => e.ok)
        .map((e) => (e as { ids: Int32Array }).ids);
      const full = await OrtModel.create(exportOnnx(s.manifest.config, s.weights, name));
      const halfModel = await OrtModel.create(exportOnnx(half.manifest.config, half.weights, name));
      const { maxDiff, maxRel } = await float16Gap(full, halfModel, seqs.slice(0, 512));
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
        data: {
          file: basename(tr.corpus.file),
          sha256: tr.corpus.sha256,
          molecules: tr.corpus.molecules,
          trainingMolecules: tr.corpus.used,
          heldOut: tr.corpus.heldOut,
        },
        training: {
          kind: tr.kind,
          steps: s.steps,
          batch: tr.settings.batch,
          lr: tr.settings.lr,
          sequencesSeen: sequences,
          tokensSeen: tokens ?? Math.round(sequences * meanTokens),
          tokensSeenIsEstimate: tokens === null,
          seconds: s.metrics.trainSeconds,
          ...(tr.teacher ? { teacher: tr.teacher, layerMap: tr.layerMap } : {}),
          ...(tr.settings.distill?.init ? { init: tr.settings.distill.init, initFf: stored(app, tr.settings.distill.init).manifest.config.ff } : {}),
          ...(tr.settings.init ? { continues: continued(app, tr.settings.init) } : {}),
        },
        evaluation: {
          heldOutMolecules: s.metrics.heldOut,
          mlmAccuracy: s.metrics.mlmAccuracy,
          unigramAccuracy: s.metrics.unigramAccuracy,
          physchemR2: s.metrics.physchemR2,
        },
        file: { bytes: statSync(file).size, dtype: 'float16', float16MaxAbsDiff: maxDiff, float16MaxRelDiff: maxRel },
        speed: { engine: `onnxruntime-cpu (${full.threads} threads)`, molPerSec: speed[name] },
        measuredOn: m,
        downstream: downstreamCards,
      };
    }
    // Compute of the whole lineage: the model's own training plus its ancestors' (each counted once), those
    // that do not ship (an earlier teacher a longer pretraining continued) read from the database.
    const own = (n: string): { parents: string[]; seconds: number } => {
      const c = cards[n] as Card | undefined;
      if (c) return { parents: c.parents, seconds: c.training.seconds };
      const r = app.models.list().find((x) => x.name === n);
      return { parents: r?.parent ?? [], seconds: Number(r?.metrics.trainSeconds ?? 0) };
    };
    const ancestors = (n: string, seen = new Set<string>()): Set<string> => {
      for (const p of own(n).parents) if (!seen.has(p)) ancestors(p, seen.add(p));
      return seen;
    };
    for (const [n, c] of Object.entries(cards) as Array<[string, Card]>) c.lineageSeconds = [n, ...ancestors(n)].reduce((a, x) => a + own(x).seconds, 0);
    const t = speed[BASE_TEACHER];
    const st = speed[BASE_STUDENT];
    if (t && st) for (const n of BASE_MODELS) if (cards[n]) (cards[n] as { speed: Record<string, unknown> }).speed.studentOverTeacher = st / t;
    writeFileSync(cardsFile, `${JSON.stringify({ machine: m, cards }, null, 2)}\n`);
    for (const [name, c] of Object.entries(cards)) writeFileSync(join(out, `${name}.md`), cardMarkdown(c as Card));
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
  training: {
    kind: string;
    steps: number;
    batch: number;
    lr: number;
    sequencesSeen: number;
    tokensSeen: number;
    tokensSeenIsEstimate: boolean;
    seconds: number;
    teacher?: string;
    /** A pretraining that continued another model (pretrain --init): that model and what it had seen. */
    continues?: { name: string; steps: number; sequencesSeen: number; seconds: number };
    layerMap?: number[];
    init?: string;
    initFf?: number;
  };
  evaluation: { heldOutMolecules: number; mlmAccuracy: number; unigramAccuracy: number; physchemR2: number | null };
  file: { bytes: number; dtype: string; float16MaxAbsDiff: number; float16MaxRelDiff: number };
  speed: { engine: string; molPerSec: number; studentOverTeacher?: number };
  /** Where the training, the file check and the speed were measured (absent in cards written before 2026-12-07). */
  measuredOn?: Machine;
  /** Training seconds of the model and of every base model in its lineage. */
  lineageSeconds: number;
  downstream: Record<
    string,
    {
      split: string;
      seeds: number;
      recipe: unknown;
      /** What the task heads read. */
      head?: string;
      /** Where that set's runs were measured. */
      machine?: Machine;
      models: Array<{ role: string; params: number; metrics: Record<string, number>; trainSeconds: number }>;
    }
  >;
}

/** What the model is, in the card's first sentence. */
function describe(c: Card): string {
  const a = c.architecture;
  const map = `layer map ${JSON.stringify(c.training.layerMap)}`;
  if (c.kind === 'shared')
    return `Shared-layer teacher (DeLiCaTe stage 2) derived from ${c.training.teacher}: one transformer layer applied ${a.layers} times, distilled from the teacher (${map}; the shared layer starts as the teacher's first)`;
  if (c.kind === 'student') {
    const start = c.training.init
      ? `; it starts from ${c.training.init}'s shared layer${c.training.initFf && c.training.initFf !== a.ff ? `, its feed-forward block pruned from ${c.training.initFf} to ${a.ff} units by importance (‖W_in[:, j]‖·‖W_out[j, :]‖)` : ''}`
      : '';
    return `General-distilled DeLiCaTe student of ${c.training.teacher}: one transformer layer applied ${a.layers} times (${map})${start}`;
  }
  const from = c.training.continues;
  return `Pretrained BERT-style SMILES encoder, ${a.layers} layers${from ? ` (its pretraining continues ${from.name}'s ${from.steps.toLocaleString('en')} steps, ${from.sequencesSeen.toLocaleString('en')} sequences, ${(from.seconds / 3600).toFixed(2)} h, on a fresh learning-rate schedule)` : ''}`;
}

/** What the model a continued pretraining started from had seen (its steps, sequences and training time). */
function continued(app: AppContext, name: string): { name: string; steps: number; sequencesSeen: number; seconds: number } {
  const s = stored(app, name);
  return {
    name,
    steps: s.steps,
    sequencesSeen: (s.metrics.sequencesSeen as number | undefined) ?? s.steps * s.manifest.training.settings.batch,
    seconds: Number(s.metrics.trainSeconds ?? 0),
  };
}

function cardMarkdown(c: Card): string {
  const m = c.measuredOn as Machine;
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
          '| data set | split | seeds | epochs | task head reads | fine-tuned teacher | DeLiCaTe student | ECFP4 + RF |',
          '| --- | --- | --- | --- | --- | --- | --- | --- |',
          ...down.map(([set, r]) => {
            const metric = (role: string) => {
              const x = r.models.find((mm) => mm.role === role);
              if (!x) return '-';
              const k = 'rmse' in x.metrics ? 'rmse' : 'rocAuc';
              const sd = r.seeds > 1 ? ` ± ${(x.metrics[`${k}Sd`] ?? 0).toFixed(3)}` : '';
              const cov = x.metrics.coverage80;
              const far = x.metrics.coverage80Far;
              const covered =
                cov === undefined ? '' : `; 80% interval covers ${pct(cov)}${far === undefined ? '' : `, ${pct(far)} of the least similar third`}`;
              return `${k} ${(x.metrics[k] as number).toFixed(3)}${sd}${x.params > 0 ? ` (${x.params.toLocaleString('en')} params)` : ''}${covered}`;
            };
            const recipe = r.recipe as { epochs: string; seeds: string };
            return `| ${set} | ${r.split} | ${r.seeds} | ${recipe.epochs} epochs${recipe.epochs === 'default' ? '' : ' (default 15)'} | ${r.head ?? 'embedding'} | ${metric('teacher')} | ${metric('student')} | ${metric('baseline')} |`;
          }),
        ]
      : ['Not measured yet: `npm run train:base -- --downstream esol,lipophilicity,bbbp` fine-tunes the default recipe on each set (hours on 2 CPU cores).']),
    '',
    `Measured ${m.date} on ${m.cpu}, ${m.cores} cores, Node ${m.node}${down
      .filter(([, r]) => r.machine && r.machine.date !== m.date)
      .map(([set, r]) => `; the ${set} row ${r.machine?.date} on ${r.machine?.cpu}, ${r.machine?.cores} cores`)
      .join('')}.`,
    '',
  ].join('\n');
}
