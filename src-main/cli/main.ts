import { basename } from 'node:path';
import type { ImportFormat, ImportSummary } from '../../src-shared/dto';
import { AppError, toApiError } from '../../src-shared/errors';
// The services (and through them TF.js, ONNX Runtime, RDKit and SQLite) load when a command needs them,
// not for `--help` or a usage error: a script or a cluster job pays only for what it runs.
import type { AppContext } from '../services/app-context';
import { defaultDbPath } from '../util/paths';
import type { PretrainRequest, PretrainResult, TrainRequest, TrainResult } from '../services/model-service';
import { describeRun } from '../../src-shared/runs';
import { intervalText, metricsText, sizeText } from '../../src-shared/models';
import { DEFAULT_DISTILL, DEFAULT_PRETRAIN, type PretrainSettings } from '../train/settings';
import { givenColumns } from '../../src-shared/assay-columns';
import { DEFAULT_QSAR } from '../train/qsar-settings';
import { UsageError, compoundRangesOf, engineOf, fraction, int, need, nonNegative, positive, parse, sortKeysOf, whereOf, withCtrlC } from './args';
import { type CommandEnv, screenCommand, screensCommand, vsCommand } from './screen-commands';

const USAGE = `delicate — compound libraries and compressed chemical transformers, offline

Usage: delicate <command> [options]   (every command takes --db PATH and --json)

  import FILE --library NAME [--smiles-col C] [--id-col C] [--format smi|csv|tsv|sdf]
  libraries
  compounds --library NAME [--substructure Q] [--similar SMILES --min-sim 0.5] [--range NAME:MIN:MAX]... [--where COL=V | COL~TEXT]...
            [--sort KEY[:desc][,KEY[:desc]…]] [--limit N] [--offset N]
                                        NAME and KEY: a descriptor (mw, clogp, …), or one of the library's own
                                        columns (e.g. --sort logS:desc,mw --range logS:-3:0 --where series=A)
            [--out FILE.csv|.sdf|.smi] [--save-as LIBRARY]
                                        every match, in that order: written (all columns) or kept as a library
  compounds --library NAME --columns [--set-type COL:number|text|date|boolean]
                                        the library's own columns with their types (detected at import)
  export --library NAME --out FILE.csv|FILE.sdf
  pretrain --corpus FILE --out NAME [--layers N --hidden N --heads N --ff N --share-layers --embedding-size N]
           [--max-steps N | --time-budget MINUTES] [--batch N] [--lr X] [--max-len N] [--seed N]
           [--checkpoint-every N] [--grad-checkpointing] [--no-physchem] [--length-pool N] [--backend wasm|cpu|…] [--resume]
           [--init MODEL]                continue pretraining MODEL (its architecture and vocabulary) on a fresh schedule
  train --data FILE --target COL --task regression|classification | --assay NAME  --out NAME [--teacher MODEL]
        [--distill [--student-layers K | --student MODEL] [--alpha A] [--hidden-weight W] [--augment N]] [--split random|scaffold|temporal] [--seeds N] [--epochs N]
        [--smiles-col C] [--id-col C] [--unit nM|uM|…] [--date-col C] [--batch N] [--lr X] [--length-pool N] [--backend B]
        [--consensus-teacher] [--resume | --restart]
                                        registers the teacher, the student (--distill), the ECFP4 forest and
                                        their consensus (student or teacher + forest; --consensus-teacher adds
                                        the teacher), each with 80% intervals calibrated on the validation
                                        split, and names the recommended model (best on validation).
                                        A run saves a checkpoint every epoch: after a cancel or a crash,
                                        the same command with --resume continues it (or train --out NAME
                                        --resume alone: its own request and data); --restart: start over
  runs [--discard NAME]                 interrupted training runs (where each stands); --discard drops one
  distill --teacher MODEL --corpus FILE --student-layers K --out NAME [--max-steps N | --time-budget MIN]
          [--temperature T] [--hidden-weight W] [--attention-weight W] [--soft-weight W] [--hard-weight W]
          [--student-ff N] [--init MODEL] [--batch N] [--lr X] [--length-pool N] [--grad-checkpointing] [--resume]
                                        general distillation (DeLiCaTe student); K = the teacher's depth
                                        derives the shared-layer teacher; --init starts the student from
                                        MODEL (e.g. that shared-layer teacher); --student-ff narrows its
                                        feed-forward block (units pruned by importance)
  evaluate --model NAME --data FILE --target COL [--unit nM|…] [--engine auto|onnxruntime|tfjs]
  predict --model NAME --smiles S [S…] | --data FILE [--engine auto|onnxruntime|tfjs]
                                        predictions with the applicability-domain check; says which engine ran
  screen --library NAME | --file FILE [--model NAME[,NAME…]] [--top N] [--out FILE.csv|FILE.sdf] [--resume] [--engine E]
         [--min-score X] [--max-score X] [--in-domain] [--substructure SMARTS] [--range mw:200:500 …] [--ascending]
                                        score every compound of a library, rank, flag the domain (--ascending:
                                        lowest scores first; --show-model M: another model's ranking); --resume
                                        continues a stopped screen; --id N shows/exports an existing one
  screens                               the screen runs
  vs --library NAME (--label-col COL | --actives FILE) (--model NAME | --similarity ecfp|embedding|fusion)
     [--embedding-model NAME] [--folds K] [--curve]
                                        enrichment (ROC-AUC, PR-AUC, EF1%, EF5%, BEDROC20) against known actives
  assay import FILE --target COL --task regression|classification [--as NAME] [--unit nM|uM|…] [--smiles-col C] [--id-col C] [--date-col C]
                                        reads an assay file and stores it, to inspect and to train on (train --assay)
  assay delete NAME
  assays [NAME [--only replicates|censored]]
                                        assays read by train (aggregated measurements per compound)
  models                                  the model registry (name, kind, params, layers, lineage, metrics)
  model export NAME --out FILE [--format delicate|onnx] [--dtype float32|float16]
  model import FILE [--as NAME]
  model delete NAME
  doctor
  serve [--port N] [--host ADDR --allow-remote] [--files DIR]
                                        the app in any Chromium over a loopback WebSocket; files come
                                        as uploads, or by path inside DIR only

The database is --db PATH, else $DELICATE_DB, else ${defaultDbPath()}.`;

interface Io {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

/** --max-steps N or --time-budget MINUTES (not both) as settings; the default is DEFAULT_PRETRAIN's. */
function budgetOf(maxSteps: string | boolean | undefined, minutes: string | boolean | undefined): Pick<PretrainSettings, 'maxSteps' | 'timeBudgetSeconds'> {
  if (maxSteps !== undefined && minutes !== undefined) throw new UsageError('give --max-steps or --time-budget, not both');
  const steps = int(maxSteps, '--max-steps');
  if (steps === 0) throw new UsageError('--max-steps must be at least 1');
  if (steps !== undefined) return { maxSteps: steps, timeBudgetSeconds: null };
  if (minutes === undefined) return { maxSteps: null, timeBudgetSeconds: DEFAULT_PRETRAIN.timeBudgetSeconds };
  const m = Number(minutes);
  if (!(m > 0)) throw new UsageError('--time-budget must be a positive number of minutes');
  return { maxSteps: null, timeBudgetSeconds: m * 60 };
}

/** The shared part of `pretrain` and `distill` requests. */
function pretrainRequest(values: { corpus?: string | boolean; out?: string | boolean; resume?: string | boolean; 'smiles-col'?: string | boolean; backend?: string | boolean }, settings: PretrainSettings): PretrainRequest {
  const backend = values.backend;
  if (backend !== undefined && (typeof backend !== 'string' || !['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'].includes(backend))) {
    throw new UsageError('--backend must be auto, tfjs-node-gpu, tfjs-node, wasm or cpu');
  }
  const smilesCol = values['smiles-col'];
  return {
    corpus: need(values.corpus, '--corpus FILE'),
    out: need(values.out, '--out NAME'),
    settings,
    resume: values.resume === true,
    ...(typeof smilesCol === 'string' && smilesCol ? { smilesCol } : {}),
    ...(backend ? { backend: backend as 'auto' } : {}),
  };
}

/** Runs a pretraining or general-distillation job with progress on stderr and Ctrl-C as cancel. */
async function runPretrain(io: Io, app: AppContext, request: PretrainRequest): Promise<PretrainResult> {
  try {
    return await withCtrlC(io.err, 'cancelling: saving a checkpoint; run the same command with --resume to continue', (signal) =>
      app.models.pretrain(request, {
        signal,
        onStarted: (i) =>
          io.err(
            `${i.resumedFromStep === null ? 'training' : `resuming from step ${i.resumedFromStep}`}: ${i.params.toLocaleString('en')} parameters on ${i.backend}\n` +
              i.backendReasons.map((r) => `  ${r}\n`).join(''),
          ),
        onProgress: (p) => {
          const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
          const extra = p.distill === undefined ? '' : `, distill ${p.distill.toFixed(3)}`;
          const line = `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} (mlm ${p.mlm.toFixed(3)}, physchem ${p.physchem.toFixed(3)}${extra}) mlm acc ${(p.mlmAccuracy * 100).toFixed(1)}% ${p.seqPerSec.toFixed(1)} seq/s${eta}`;
          io.err(io.isTTY ? `\r${line}   ` : `${line}\n`);
        },
      }),
    );
  } finally {
    if (io.isTTY) io.err('\n');
  }
}

function printPretrain(print: (value: unknown, human: () => string) => void, result: PretrainResult): void {
  const { curve, ...rest } = result;
  print({ ...rest, curve: curve.map((c) => [c.step, c.loss]) }, () =>
    [
      `model '${result.model}': ${result.steps} steps in ${result.seconds.toFixed(0)} s on ${result.backend}, ${result.params.toLocaleString('en')} parameters`,
      `held-out MLM accuracy ${(result.mlmAccuracy * 100).toFixed(1)}% (unigram baseline ${(result.unigramAccuracy * 100).toFixed(1)}%) on ${result.heldOut} molecules` +
        (result.physchemR2 === null ? '' : `; physchem R² ${result.physchemR2.toFixed(3)}`),
    ].join('\n'),
  );
}

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  let json = rest.includes('--json');
  const print = (value: unknown, human: () => string) => io.out(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
  let ctx: AppContext | null = null;
  const context = async (db: string | boolean | undefined) => {
    const { AppContext, defaultDbPath } = await import('../services/app-context');
    ctx = new AppContext(typeof db === 'string' ? db : defaultDbPath());
    for (const w of ctx.warnings) io.err(`warning: ${w}\n`);
    return ctx;
  };
  const env: CommandEnv = { context, print, setJson: (j) => (json = j), err: (s) => io.err(s), isTTY: io.isTTY };
  try {
    switch (command) {
      case 'import': {
        const { values, positionals } = parse(rest, {
          library: { type: 'string' },
          'smiles-col': { type: 'string' },
          'id-col': { type: 'string' },
          format: { type: 'string' },
        });
        json = values.json;
        if (positionals.length !== 1) throw new UsageError('import takes exactly one FILE');
        const format = values.format;
        if (format !== undefined && !['smi', 'csv', 'tsv', 'sdf'].includes(format)) throw new UsageError(`--format must be smi, csv, tsv or sdf`);
        const app = await context(values.db);
        let summary: ImportSummary;
        try {
          const { importFile } = await import('../services/import-service');
          summary = await withCtrlC(io.err, 'cancelling: the batches committed so far are kept; run the same command again to resume', (signal) => importFile(app.db, app.chem, {
            file: positionals[0] as string,
            library: need(values.library, '--library NAME'),
            smilesCol: values['smiles-col'],
            idCol: values['id-col'],
            format: format as ImportFormat | undefined,
            signal,
            onProgress: (p) => {
              const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
              const line = `${p.read} records (${p.imported} new, ${p.duplicates} duplicates, ${p.rejected} rejected) ${Math.round(p.rate)} rec/s, ${Math.round(p.fraction * 100)}%${eta}`;
              io.err(io.isTTY ? `\r${line}   ` : `${line}\n`);
            },
          }));
        } finally {
          if (io.isTTY) io.err('\n');
        }
        print(summary, () => {
          const head = summary.alreadyImported
            ? `${summary.file} was already imported into '${summary.library}'; nothing added.`
            : `${summary.resumed ? 'Resumed: ' : ''}${summary.read} records read from ${summary.file} into '${summary.library}': ` +
              `${summary.imported} new compounds, ${summary.duplicates} duplicates, ${summary.rejected} rejected (${summary.seconds} s).`;
          const errs = summary.errors.slice(0, 20).map((e) => `  record ${e.record}${e.line ? `, line ${e.line}` : ''}: ${e.reason}`);
          return [head, ...summary.warnings.map((w) => `Warning: ${w}`), ...(errs.length ? ['Rejected records:', ...errs] : [])].join('\n');
        });
        return 0;
      }
      case 'libraries': {
        const { values } = parse(rest, {});
        json = values.json;
        const libraries = (await context(values.db)).libraries.list();
        print({ libraries: libraries.map((l) => ({ name: l.name, compounds: l.compounds, records: l.members, createdAt: l.createdAt })) }, () =>
          libraries.length === 0 ? 'No libraries yet: import one with `delicate import FILE --library NAME`.' : libraries.map((l) => `${l.name}\t${l.compounds} compounds\t${l.createdAt}`).join('\n'),
        );
        return 0;
      }
      case 'compounds': {
        const { values } = parse(rest, {
          library: { type: 'string' },
          substructure: { type: 'string' },
          similar: { type: 'string' },
          'min-sim': { type: 'string' },
          range: { type: 'string', multiple: true },
          where: { type: 'string', multiple: true },
          sort: { type: 'string' },
          limit: { type: 'string' },
          offset: { type: 'string' },
          columns: { type: 'boolean', default: false },
          'set-type': { type: 'string' },
          out: { type: 'string' },
          'save-as': { type: 'string' },
        });
        json = values.json;
        const minSim = values['min-sim'] === undefined ? undefined : Number(values['min-sim']);
        if (minSim !== undefined && !(minSim >= 0 && minSim <= 1)) throw new UsageError('--min-sim must be between 0 and 1');
        if (minSim !== undefined && values.similar === undefined) throw new UsageError('--min-sim needs --similar SMILES');
        const library = need(values.library, '--library NAME');
        if (values.columns || values['set-type'] !== undefined) {
          // The library's own columns and their types; --set-type COL:TYPE changes one first.
          const libs = (await context(values.db)).libraries;
          let cols;
          if (values['set-type'] !== undefined) {
            const m = /^(.+):(number|text|date|boolean)$/.exec(values['set-type']);
            if (!m) throw new UsageError(`--set-type takes COLUMN:TYPE with TYPE number, text, date or boolean, got '${values['set-type']}'`);
            cols = libs.setColumnType(library, m[1] as string, m[2] as 'number' | 'text' | 'date' | 'boolean');
          } else cols = libs.columnsOf(library);
          print({ columns: cols }, () => cols.map((c) => `${c.name}\t${c.type}${c.type !== c.detected ? ` (detected: ${c.detected})` : ''}\t${c.filled} compounds with a value`).join('\n') || `Library '${library}' has no columns of its own.`);
          return 0;
        }
        const ranged = compoundRangesOf(values.range);
        const filters = [...ranged.filters, ...whereOf(values.where)];
        const query = {
          library,
          substructure: values.substructure,
          similar: values.similar,
          minSim,
          ranges: ranged.ranges,
          ...(filters.length ? { filters } : {}),
          sort: sortKeysOf(values.sort),
        };
        if (values.out !== undefined || values['save-as'] !== undefined) {
          // Every compound that matches, in the order asked: written to a file and/or kept as a new library.
          const libs = (await context(values.db)).libraries;
          const ids = await libs.matchingIds(query);
          const result: { matched: number; written?: number; file?: string; library?: string } = { matched: ids.length };
          if (values.out !== undefined) {
            const ext = /\.(csv|sdf|smi)$/i.exec(values.out)?.[1]?.toLowerCase();
            if (!ext) throw new UsageError(`--out ${values.out}: give a .csv, .sdf or .smi file`);
            result.written = await libs.exportSelection(library, ids, values.out, ext as 'csv' | 'sdf' | 'smi');
            result.file = values.out;
          }
          if (values['save-as'] !== undefined) result.library = libs.saveSelection(library, ids, values['save-as']).name;
          print(result, () => [`${ids.length} compounds matched`, ...(result.file ? [`${result.written} written to ${result.file}`] : []), ...(result.library ? [`saved as library '${result.library}'`] : [])].join('; '));
          return 0;
        }
        const page = await (await context(values.db)).libraries.query({ ...query, limit: int(values.limit, '--limit'), offset: int(values.offset, '--offset') });
        print(
          {
            compounds: page.compounds.map((c) => ({ id: c.id, smiles: c.smiles, inchikey: c.inchikey, originalId: c.originalId, props: c.props, descriptors: c.descriptors, ...(c.similarity === undefined ? {} : { similarity: c.similarity }) })),
            total: page.total,
            matched: page.matched,
            complete: page.complete,
          },
          () => page.compounds.map((c) => [c.id, c.originalId ?? '', c.smiles, c.similarity ?? ''].join('\t')).join('\n') || 'No compounds matched.',
        );
        return 0;
      }
      case 'export': {
        const { values } = parse(rest, { library: { type: 'string' }, out: { type: 'string' } });
        json = values.json;
        const written = await (await context(values.db)).libraries.export(need(values.library, '--library NAME'), need(values.out, '--out FILE'));
        print({ written }, () => `${written} records written to ${values.out}`);
        return 0;
      }
      case 'pretrain': {
        const { values } = parse(rest, {
          corpus: { type: 'string' },
          out: { type: 'string' },
          'smiles-col': { type: 'string' },
          layers: { type: 'string' },
          hidden: { type: 'string' },
          heads: { type: 'string' },
          ff: { type: 'string' },
          'embedding-size': { type: 'string' },
          'max-len': { type: 'string' },
          'share-layers': { type: 'boolean', default: false },
          'max-steps': { type: 'string' },
          'time-budget': { type: 'string' },
          batch: { type: 'string' },
          lr: { type: 'string' },
          seed: { type: 'string' },
          'checkpoint-every': { type: 'string' },
          'grad-checkpointing': { type: 'boolean', default: false },
          'length-pool': { type: 'string' },
          'no-physchem': { type: 'boolean', default: false },
          init: { type: 'string' },
          backend: { type: 'string' },
          resume: { type: 'boolean', default: false },
        });
        json = values.json;
        if (values.init && (values.layers || values.hidden || values.heads || values.ff || values['embedding-size'] || values['max-len'] || values['share-layers'])) {
          throw new UsageError('--init continues a model with its own architecture: no --layers, --hidden, --heads, --ff, --embedding-size, --max-len or --share-layers with it');
        }
        const budget = budgetOf(values['max-steps'], values['time-budget']);
        const lr = values.lr === undefined ? undefined : Number(values.lr);
        if (lr !== undefined && !(lr > 0 && lr < 1)) throw new UsageError('--lr must be between 0 and 1');
        const d = DEFAULT_PRETRAIN;
        const settings: PretrainSettings = {
          ...d,
          architecture: {
            layers: positive(values.layers, '--layers') ?? d.architecture.layers,
            hidden: positive(values.hidden, '--hidden') ?? d.architecture.hidden,
            heads: positive(values.heads, '--heads') ?? d.architecture.heads,
            ff: positive(values.ff, '--ff') ?? d.architecture.ff,
            maxLen: positive(values['max-len'], '--max-len') ?? d.architecture.maxLen,
            dropout: d.architecture.dropout,
            shareLayers: values['share-layers'],
            ...(values['embedding-size'] ? { embeddingSize: positive(values['embedding-size'], '--embedding-size') as number } : {}),
          },
          batch: positive(values.batch, '--batch') ?? d.batch,
          lr: lr ?? d.lr,
          ...budget,
          seed: int(values.seed, '--seed') ?? d.seed,
          checkpointEvery: positive(values['checkpoint-every'], '--checkpoint-every') ?? d.checkpointEvery,
          gradientCheckpointing: values['grad-checkpointing'],
          lengthPool: positive(values['length-pool'], '--length-pool') ?? d.lengthPool,
          physchemWeight: values['no-physchem'] ? 0 : d.physchemWeight,
          ...(values.init ? { init: values.init } : {}),
        };
        if (settings.architecture.hidden % settings.architecture.heads !== 0) throw new UsageError('--hidden must be divisible by --heads');
        printPretrain(print, await runPretrain(io, await context(values.db), pretrainRequest(values, settings)));
        return 0;
      }
      case 'distill': {
        const { values } = parse(rest, {
          teacher: { type: 'string' },
          corpus: { type: 'string' },
          out: { type: 'string' },
          'student-layers': { type: 'string' },
          'student-ff': { type: 'string' },
          init: { type: 'string' },
          'grad-checkpointing': { type: 'boolean', default: false },
          'length-pool': { type: 'string' },
          'smiles-col': { type: 'string' },
          'max-steps': { type: 'string' },
          'time-budget': { type: 'string' },
          batch: { type: 'string' },
          lr: { type: 'string' },
          temperature: { type: 'string' },
          'hidden-weight': { type: 'string' },
          'attention-weight': { type: 'string' },
          'soft-weight': { type: 'string' },
          'hard-weight': { type: 'string' },
          seed: { type: 'string' },
          'checkpoint-every': { type: 'string' },
          backend: { type: 'string' },
          resume: { type: 'boolean', default: false },
        });
        json = values.json;
        const budget = budgetOf(values['max-steps'], values['time-budget']);
        const temperature = values.temperature === undefined ? DEFAULT_DISTILL.temperature : Number(values.temperature);
        if (!(temperature > 0)) throw new UsageError('--temperature must be positive');
        const lr = values.lr === undefined ? DEFAULT_PRETRAIN.lr : Number(values.lr);
        if (!(lr > 0 && lr < 1)) throw new UsageError('--lr must be between 0 and 1');
        const layers = int(values['student-layers'], '--student-layers');
        if (!layers) throw new UsageError('--student-layers K (at least 1) is required');
        const settings: PretrainSettings = {
          ...DEFAULT_PRETRAIN,
          batch: int(values.batch, '--batch') || DEFAULT_PRETRAIN.batch,
          lr,
          ...budget,
          seed: int(values.seed, '--seed') ?? DEFAULT_PRETRAIN.seed,
          checkpointEvery: int(values['checkpoint-every'], '--checkpoint-every') || DEFAULT_PRETRAIN.checkpointEvery,
          gradientCheckpointing: values['grad-checkpointing'],
          lengthPool: positive(values['length-pool'], '--length-pool') ?? DEFAULT_PRETRAIN.lengthPool,
          distill: {
            teacher: need(values.teacher, '--teacher MODEL'),
            layers,
            temperature,
            hidden: nonNegative(values['hidden-weight'], '--hidden-weight') ?? DEFAULT_DISTILL.hidden,
            attention: nonNegative(values['attention-weight'], '--attention-weight') ?? DEFAULT_DISTILL.attention,
            soft: nonNegative(values['soft-weight'], '--soft-weight') ?? DEFAULT_DISTILL.soft,
            hard: nonNegative(values['hard-weight'], '--hard-weight') ?? DEFAULT_DISTILL.hard,
            ...(values['student-ff'] ? { ff: int(values['student-ff'], '--student-ff') as number } : {}),
            ...(values.init ? { init: values.init } : {}),
          },
        };
        printPretrain(print, await runPretrain(io, await context(values.db), pretrainRequest(values, settings)));
        return 0;
      }
      case 'train': {
        const { values } = parse(rest, {
          data: { type: 'string' },
          assay: { type: 'string' },
          target: { type: 'string' },
          task: { type: 'string' },
          out: { type: 'string' },
          teacher: { type: 'string' },
          student: { type: 'string' },
          distill: { type: 'boolean', default: false },
          'consensus-teacher': { type: 'boolean', default: false },
          alpha: { type: 'string' },
          'hidden-weight': { type: 'string' },
          augment: { type: 'string' },
          'student-layers': { type: 'string' },
          split: { type: 'string' },
          seeds: { type: 'string' },
          epochs: { type: 'string' },
          batch: { type: 'string' },
          lr: { type: 'string' },
          'length-pool': { type: 'string' },
          'smiles-col': { type: 'string' },
          'id-col': { type: 'string' },
          unit: { type: 'string' },
          'date-col': { type: 'string' },
          backend: { type: 'string' },
          resume: { type: 'boolean', default: false },
          restart: { type: 'boolean', default: false },
        });
        json = values.json;
        if (values.resume && values.restart) throw new UsageError('give --resume or --restart, not both');
        if (values.assay !== undefined && values.data !== undefined) throw new UsageError('give --data FILE or --assay NAME, not both');
        const app = await context(values.db);
        const printTrained = (result: TrainResult) =>
          print(result, () =>
            [
              ...(result.resumedFrom ? [`resumed after ${describeRun(result.resumedFrom)}`] : []),
              `${result.teacherSource}; ${result.split} split, ${result.seeds} seed(s), ${result.n.compounds} compounds (${result.n.train}/${result.n.valid}/${result.n.test}), ${result.n.rejected} rejected`,
              ...result.models.map((m) => `${m.name}\t${m.role}\t${sizeText(m.role, m.params)}\t${m.role === 'baseline' || m.role === 'consensus' ? '-' : `${m.layers} layers`}\t${metricsText(m.metrics, result.seeds)}\t${m.trainSeconds.toFixed(0)} s`),
              ...(result.consensus ? [`consensus: ${result.consensus.members.map((m) => `${m.name} × ${m.weight.toFixed(2)}`).join(' + ')} (weights from the validation split)`] : []),
              ...(result.recommended ? [`recommended: ${result.recommended.name} (${result.recommended.why})`] : []),
              `registered: ${result.registered.join(', ')}`,
            ].join('\n'),
          );
        if (values.resume && values.data === undefined && values.assay === undefined) {
          // By name alone: the run's own request and its copy of the data.
          const out = need(values.out, '--out NAME');
          printTrained(await withCtrlC(io.err, 'cancelling: the run is saved after its last finished epoch', (signal) => app.models.resumeRun(out, { signal, onProgress: (m) => io.err(`${m}\n`) })));
          return 0;
        }
        // A stored assay (from an earlier run) brings its own target and task.
        const stored = values.assay !== undefined ? await app.models.assayFile(values.assay) : null;
        // Checked before training; a failed check removes the stored assay's temporary copy.
        let checked: Pick<TrainRequest, 'data' | 'target' | 'task' | 'out' | 'dateCol' | 'settings'>;
        try {
          const task = values.task ?? stored?.assay.task ?? need(values.task, '--task regression|classification');
          if (task !== 'regression' && task !== 'classification') throw new UsageError('--task must be regression or classification');
          const split = values.split ?? DEFAULT_QSAR.split;
          if (split !== 'random' && split !== 'scaffold' && split !== 'temporal') throw new UsageError('--split must be random, scaffold or temporal');
          if (stored && (values.unit || values['smiles-col'] || values['id-col'] || values['date-col']))
            throw new UsageError(`--assay ${values.assay} brings its own SMILES, IDs, dates and converted values${stored.assay.unit ? ` (converted from ${stored.assay.unit})` : ''}: no --unit, --smiles-col, --id-col or --date-col`);
          const dateCol = stored ? stored.dateCol : values['date-col'];
          if (split === 'temporal' && !dateCol) throw new UsageError(stored ? `--split temporal: assay ${values.assay} has no dates` : '--split temporal needs --date-col C');
          if (values.student && !values.distill) throw new UsageError('--student needs --distill');
          if (values.student && values['student-layers'] !== undefined) throw new UsageError(`--student ${values.student} brings its own depth: give --student MODEL or --student-layers K, not both`);
          const lr = values.lr === undefined ? DEFAULT_QSAR.lr : Number(values.lr);
          if (!(lr > 0 && lr < 1)) throw new UsageError('--lr must be between 0 and 1');
          const n = {
            studentLayers: positive(values['student-layers'], '--student-layers') ?? DEFAULT_QSAR.studentLayers,
            seeds: positive(values.seeds, '--seeds') ?? DEFAULT_QSAR.seeds,
            epochs: positive(values.epochs, '--epochs') ?? DEFAULT_QSAR.epochs,
            batch: positive(values.batch, '--batch') ?? DEFAULT_QSAR.batch,
            lengthPool: positive(values['length-pool'], '--length-pool') ?? DEFAULT_QSAR.lengthPool,
          };
          checked = {
            task,
            dateCol,
            data: stored?.file ?? need(values.data, '--data FILE (or --assay NAME)'),
            target: stored ? stored.assay.target : need(values.target, '--target COL'),
            out: need(values.out, '--out NAME'),
            settings: {
              ...DEFAULT_QSAR,
              alpha: fraction(values.alpha, '--alpha') ?? DEFAULT_QSAR.alpha,
              hiddenWeight: nonNegative(values['hidden-weight'], '--hidden-weight') ?? DEFAULT_QSAR.hiddenWeight,
              augment: int(values.augment, '--augment') ?? DEFAULT_QSAR.augment,
              split,
              distill: values.distill,
              ...(values['consensus-teacher'] ? { consensusTeacher: true } : {}),
              ...n,
              lr,
            },
          };
        } catch (e) {
          await stored?.cleanup();
          throw e;
        }
        let result;
        try {
          result = await withCtrlC(io.err, 'cancelling: the run is saved after its last finished epoch', (signal) => app.models.train(
            {
              data: checked.data,
              ...(stored ? { dataName: stored.displayName, fromAssay: stored.fromAssay } : {}),
              target: checked.target,
              task: checked.task,
              out: checked.out,
              ...(values.teacher ? { teacher: values.teacher } : {}),
              ...(values.student ? { student: values.student } : {}),
              ...givenColumns({ smilesCol: values['smiles-col'], idCol: values['id-col'], unit: values.unit, dateCol: checked.dateCol }),
              ...(values.backend ? { backend: values.backend as 'auto' } : {}),
              settings: checked.settings,
              resume: values.resume,
              restart: values.restart,
            },
            { signal, onProgress: (m) => io.err(`${m}\n`) },
          ));
        } finally {
          await stored?.cleanup();
        }
        printTrained(result);
        return 0;
      }
      case 'evaluate': {
        const { values } = parse(rest, { model: { type: 'string' }, data: { type: 'string' }, target: { type: 'string' }, 'smiles-col': { type: 'string' }, unit: { type: 'string' }, engine: { type: 'string' } });
        json = values.json;
        const r = await (await context(values.db)).models.evaluate(need(values.model, '--model NAME'), need(values.data, '--data FILE'), need(values.target, '--target COL'), {
          ...(values['smiles-col'] ? { smilesCol: values['smiles-col'] } : {}),
          ...(values.unit ? { unit: values.unit } : {}),
          engine: engineOf(values.engine),
        });
        print(r, () => `${r.model} on ${values.data}: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')} (n=${r.n}${r.censored ? `, ${r.censored} censored left out` : ''}, ${r.unreadable} unreadable, ${r.inDomain} in domain; ${r.engine})`);
        return 0;
      }
      case 'predict': {
        const { values, positionals } = parse(rest, { model: { type: 'string' }, smiles: { type: 'string' }, data: { type: 'string' }, 'smiles-col': { type: 'string' }, engine: { type: 'string' } });
        json = values.json;
        if ((values.smiles === undefined) === (values.data === undefined)) throw new UsageError('give --smiles S [S…] or --data FILE');
        let inputs: string[];
        let ids: Array<string | null> = [];
        if (values.smiles !== undefined) {
          inputs = [values.smiles, ...positionals];
        } else {
          const { readStructures } = await import('../services/structures');
          const read = await readStructures(values.data as string, values['smiles-col']);
          inputs = read.map((r) => r.structure);
          ids = read.map((r) => r.id);
        }
        const r = await (await context(values.db)).models.predict(need(values.model, '--model NAME'), inputs, engineOf(values.engine));
        const rows = r.rows.map((row, i) => ({ ...(ids[i] ? { id: ids[i] } : {}), ...row }));
        print({ ...r, rows }, () =>
          [
            `${r.model} (${r.task.type}, ${r.task.target}) on ${r.engine}`,
            ...rows.map((x) => `${x.input}\t${x.prediction === null ? '-' : x.prediction.toFixed(3)}${x.interval ? `\t${intervalText(x.interval)}` : ''}\t${x.inDomain === null ? '' : x.inDomain ? 'in domain' : `OUT of domain`} ${x.maxSimilarity === null ? '' : `(max sim ${x.maxSimilarity.toFixed(2)})`}${x.note ? `\t${x.note}` : ''}`),
          ].join('\n'),
        );
        return 0;
      }
      case 'models': {
        const { values } = parse(rest, {});
        json = values.json;
        const models = (await context(values.db)).models.list();
        print({ models }, () =>
          models.length === 0
            ? 'No models yet: pretrain one with `delicate pretrain --corpus FILE --out NAME`.'
            : models
                .map((m) => `${m.name}\t${m.kind}\t${m.state}\t${sizeText(m.kind, m.params)}\t${m.kind === 'baseline' || m.kind === 'consensus' ? '-' : `${m.layers} layers${m.shareLayers ? ' (shared)' : ''}`}\t${m.parent.join(',') || '-'}\t${JSON.stringify(m.metrics)}`)
                .join('\n'),
        );
        return 0;
      }
      case 'assay': {
        const [sub, ...args] = rest;
        if (sub === 'delete') {
          const { values, positionals } = parse(args, {});
          json = values.json;
          if (positionals.length !== 1) throw new UsageError('assay delete takes exactly one assay NAME');
          const name = positionals[0] as string;
          const deleted = (await context(values.db)).models.assays.delete(name);
          if (!deleted) throw new AppError('NOT_FOUND', `no assay named '${name}' (see \`delicate assays\`)`);
          print({ assay: name, deleted }, () => `deleted assay '${name}' (models trained on it keep their own record of its data)`);
          return 0;
        }
        if (sub !== 'import') throw new UsageError(`assay takes import or delete, not '${sub ?? ''}' (\`delicate assays\` lists them)`);
        const { values, positionals } = parse(args, { as: { type: 'string' }, target: { type: 'string' }, task: { type: 'string' }, unit: { type: 'string' }, 'smiles-col': { type: 'string' }, 'id-col': { type: 'string' }, 'date-col': { type: 'string' } });
        json = values.json;
        if (positionals.length !== 1) throw new UsageError('assay import takes exactly one FILE');
        const file = positionals[0] as string;
        const task = need(values.task, '--task regression|classification');
        if (task !== 'regression' && task !== 'classification') throw new UsageError('--task must be regression or classification');
        const name = values.as ?? basename(file).replace(/\.gz$/i, '').replace(/\.[^.]+$/, '');
        const target = need(values.target, '--target COL');
        const app = await context(values.db);
        const assay = await withCtrlC(io.err, 'cancelling: nothing is stored', (signal) =>
          app.models.importAssay(
            { data: file, name, target, task, ...givenColumns({ smilesCol: values['smiles-col'], idCol: values['id-col'], unit: values.unit, dateCol: values['date-col'] }) },
            { signal, onProgress: (p) => io.err(`${p.read} records: ${p.compounds} compounds, ${p.rejected} rejected\n`) },
          ),
        );
        print({ assay }, () => `stored assay '${assay.name}': ${assay.compounds} compounds from ${assay.records} records${assay.unit ? ` (converted from ${assay.unit})` : ''}, ${assay.replicates} with replicates, ${assay.censored} censored, ${assay.rejected} rejected (\`delicate assays ${assay.name}\` lists them; \`delicate train --assay ${assay.name}\` trains on it)`);
        return 0;
      }
      case 'model': {
        const [sub, ...args] = rest;
        if (sub === 'export') {
          const { values, positionals } = parse(args, { out: { type: 'string' }, dtype: { type: 'string' }, format: { type: 'string' } });
          json = values.json;
          if (positionals.length !== 1) throw new UsageError('model export takes exactly one model NAME');
          const dtype = values.dtype ?? 'float32';
          if (dtype !== 'float32' && dtype !== 'float16') throw new UsageError('--dtype must be float32 or float16');
          const format = values.format ?? 'delicate';
          if (format !== 'delicate' && format !== 'onnx') throw new UsageError('--format must be delicate or onnx');
          if (format === 'onnx' && values.dtype !== undefined) throw new UsageError('--dtype applies to the delicate format only (ONNX graphs are float32)');
          const out = need(values.out, '--out FILE');
          const r = await (await context(values.db)).models.exportModel(positionals[0] as string, out, dtype, format);
          print({ model: positionals[0], out, bytes: r.bytes, dtype: format === 'onnx' ? 'float32' : dtype, format }, () => `${positionals[0]} written to ${out} (${r.bytes} bytes, ${format})`);
          return 0;
        }
        if (sub === 'import') {
          const { values, positionals } = parse(args, { as: { type: 'string' } });
          json = values.json;
          if (positionals.length !== 1) throw new UsageError('model import takes exactly one FILE');
          const m = await (await context(values.db)).models.importModel(positionals[0] as string, values.as);
          print({ model: m }, () => `imported '${m.name}' (${m.kind}, ${m.params.toLocaleString('en')} parameters)`);
          return 0;
        }
        if (sub === 'delete') {
          const { values, positionals } = parse(args, {});
          json = values.json;
          if (positionals.length !== 1) throw new UsageError('model delete takes exactly one model NAME');
          const deleted = (await context(values.db)).models.delete(positionals[0] as string);
          print({ model: positionals[0], deleted }, () => (deleted ? `deleted '${positionals[0]}'` : `no model named '${positionals[0]}'`));
          return deleted ? 0 : 1;
        }
        throw new UsageError(`model takes export, import or delete, not '${sub ?? ''}'`);
      }
      case 'assays': {
        const { values, positionals } = parse(rest, { only: { type: 'string' } });
        json = values.json;
        const app = await context(values.db);
        if (positionals.length > 1) throw new UsageError('assays takes at most one assay NAME');
        const only = values.only;
        if (only !== undefined && only !== 'replicates' && only !== 'censored') throw new UsageError('--only must be replicates or censored');
        if (only !== undefined && !positionals[0]) throw new UsageError('--only needs an assay NAME');
        if (positionals[0]) {
          const { total, measurements, rejected } = app.models.assayPage(positionals[0], { limit: Number.MAX_SAFE_INTEGER, ...(only ? { only } : {}) });
          print({ assay: positionals[0], total, measurements, rejected }, () =>
            [
              ...measurements.map((m) => `${m.id ?? '-'}\t${m.smiles}\t${m.qualifier === '=' ? '' : m.qualifier}${m.value.toFixed(3)}\tn=${m.count}\tsd=${m.spread.toFixed(3)}${m.censored ? '\tcensored' : ''}`),
              ...rejected.map((r) => `rejected: record ${r.record}${r.line === null ? '' : ` (line ${r.line})`}: ${r.reason}`),
            ].join('\n'),
          );
          return 0;
        }
        const assays = app.models.assays.list();
        print({ assays }, () => (assays.length ? assays.map((a) => `${a.name}\t${a.target} (${a.task}${a.unit ? `, from ${a.unit}` : ''})\t${a.compounds} compounds from ${a.records} records, ${a.replicates} replicates, ${a.censored} censored, ${a.rejected} rejected\t${a.file}`).join('\n') : 'No assays yet: `delicate train` stores the assay it reads.'));
        return 0;
      }
      case 'runs': {
        const { values, positionals } = parse(rest, { discard: { type: 'string' } });
        json = values.json;
        if (positionals.length) throw new UsageError('runs takes no positional arguments (--discard NAME drops a run)');
        const app = await context(values.db);
        if (values.discard !== undefined) {
          const discarded = app.models.discardRun(values.discard);
          print({ run: values.discard, discarded }, () => (discarded ? `discarded the interrupted run '${values.discard}'` : `no interrupted run named '${values.discard}'`));
          return discarded ? 0 : 1;
        }
        const runs = app.models.runs.list();
        print({ runs }, () =>
          runs.length
            ? runs.map((r) => `${r.name}\t${r.target} on ${r.data}\tafter ${describeRun(r.progress)}\tsaved ${r.updatedAt}\t(delicate train --out ${r.name} --resume)`).join('\n')
            : 'No interrupted training runs.',
        );
        return 0;
      }
      case 'screen':
        return await screenCommand(rest, env);
      case 'screens':
        return await screensCommand(rest, env);
      case 'vs':
        return await vsCommand(rest, env);
      case 'doctor': {
        const { values } = parse(rest, {});
        json = values.json;
        const app = await context(values.db);
        const { doctor } = await import('../services/doctor');
        const report = await doctor(app.db, app.dbPath);
        print(report, () =>
          [
            `Delicate ${report.delicate} on Node ${report.node} (${report.platform})`,
            `database: ${report.database} (SQLite ${report.sqlite})`,
            `RDKit: ${report.rdkit ?? 'not loadable'}; OpenChemLib: ${report.openchemlib ?? 'not loadable'}`,
            'compute backends:',
            ...report.computeBackends.map((b) => `  ${b.selected ? '*' : b.available ? '+' : '-'} ${b.name}: ${b.reason}`),
            'inference (ONNX Runtime execution providers):',
            ...report.inferenceProviders.map((b) => `  ${b.selected ? '*' : b.available ? '+' : '-'} ${b.name}: ${b.reason}`),
            `shared data: ${report.data.sharedData ?? 'not found'}`,
          ].join('\n'),
        );
        return 0;
      }
      case 'serve': {
        const { values } = parse(rest, { port: { type: 'string' }, host: { type: 'string' }, 'allow-remote': { type: 'boolean', default: false }, files: { type: 'string' } });
        json = values.json;
        const { serve } = await import('../host/server');
        const app = await context(values.db);
        // A long-lived server logs a failure nobody awaited instead of dying of it.
        const logFailure = (msg: string, err: unknown) => io.err(`delicate serve: ${msg}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        const onRejection = (err: unknown) => logFailure('unhandled rejection', err);
        process.on('unhandledRejection', onRejection);
        const server = await serve(app, {
          port: int(values.port, '--port') ?? 0,
          host: values.host,
          allowRemote: values['allow-remote'],
          filesDir: values.files,
          warn: (m) => io.err(`warning: ${m}\n`),
          log: logFailure,
        });
        print({ url: server.url, ...(server.lanUrls.length ? { lanUrls: server.lanUrls } : {}) }, () =>
          [`Delicate is serving at ${server.url}`, ...server.lanUrls.map((u) => `  on the network: ${u}`), 'Open it in Chromium; Ctrl-C stops.'].join('\n'),
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
        process.off('unhandledRejection', onRejection);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`delicate: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const e = toApiError(err);
    if (json) io.out(`${JSON.stringify({ error: e })}\n`);
    io.err(`delicate: ${e.message}\n`);
    if (!(err instanceof AppError) && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return 1;
  } finally {
    await (ctx as AppContext | null)?.close();
  }
}
