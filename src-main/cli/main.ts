import { AppError, toApiError, withRemedy } from '../../src-shared/errors';
// The services (and through them TF.js, ONNX Runtime, RDKit and SQLite) load when a command needs them,
// not for `--help` or a usage error: a script or a cluster job pays only for what it runs.
import type { AppContext } from '../services/app-context';
import { defaultDbPath } from '../util/paths';
import { UsageError } from './args';
import type { CommandEnv } from './command-env';
import type { Client } from './contract';
import { cliRemedy } from './remedies';

type Command = (rest: string[], env: CommandEnv) => Promise<number>;
const library = () => import('./library-commands');
const models = () => import('./model-commands');
const training = () => import('./train-commands');
const screening = () => import('./screen-commands');
const app = () => import('./app-commands');

/**
 * Every command, by name: one module per group (libraries, models, training, screening, the app), loaded
 * when its command runs (`--help` loads none; a command loads its group and the contract's schemas).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  import: async () => (await library()).importCommand,
  libraries: async () => (await library()).librariesCommand,
  compounds: async () => (await library()).compoundsCommand,
  export: async () => (await library()).exportCommand,
  cluster: async () => (await library()).clusterCommand,
  diverse: async () => (await library()).diverseCommand,
  scaffolds: async () => (await library()).scaffoldsCommand,
  score: async () => (await library()).scoreCommand,
  pretrain: async () => (await models()).pretrainCommand,
  distill: async () => (await models()).distillCommand,
  models: async () => (await models()).modelsCommand,
  model: async () => (await models()).modelCommand,
  train: async () => (await training()).trainCommand,
  runs: async () => (await training()).runsCommand,
  evaluate: async () => (await training()).evaluateCommand,
  predict: async () => (await training()).predictCommand,
  assay: async () => (await training()).assayCommand,
  assays: async () => (await training()).assaysCommand,
  screen: async () => (await screening()).screenCommand,
  screens: async () => (await screening()).screensCommand,
  vs: async () => (await screening()).vsCommand,
  doctor: async () => (await app()).doctorCommand,
  serve: async () => (await app()).serveCommand,
};

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
  cluster --library NAME [--threshold 0.6]
                                        Butina clusters on ECFP4 (Tanimoto ≥ threshold) written as the library's
                                        columns 'cluster', 'cluster size', 'cluster centroid'
  diverse --library NAME --n N          a MaxMin pick of N diverse compounds (ids and SMILES)
  scaffolds --library NAME [--summary [--column COL] [--limit N]]
                                        Bemis–Murcko scaffolds as the columns 'scaffold', 'scaffold size';
                                        --summary: compounds per scaffold with COL's mean, min and max
  score --library NAME --name SCORE --term COL:FN:… [--term …] | --list
                                        a desirability (MPO) score saved with the library, written as the
                                        column SCORE (0–1): terms COL:up|down:LOW:HIGH, COL:range:LOW:HIGH[:tol=T],
                                        COL:target:T:TOL, each with an optional :w=WEIGHT (weighted geometric mean)
  pretrain --corpus FILE --out NAME [--layers N --hidden N --heads N --ff N --share-layers --embedding-size N]
           [--max-steps N | --time-budget MINUTES] [--batch N] [--lr X] [--max-len N] [--seed N]
           [--checkpoint-every N] [--grad-checkpointing] [--no-physchem] [--length-pool N] [--backend wasm|cpu|…] [--resume]
           [--init MODEL]                continue pretraining MODEL (its architecture and vocabulary) on a fresh schedule
  train --data FILE --target COL --task regression|classification | --assay NAME  --out NAME [--teacher MODEL]
        [--distill [--student-layers K | --student MODEL] [--alpha A] [--hidden-weight W] [--augment N]] [--split random|scaffold|temporal] [--seeds N] [--epochs N]
        [--smiles-col C] [--id-col C] [--unit nM|uM|…] [--date-col C] [--batch N] [--lr X] [--length-pool N] [--backend B]
        [--consensus-teacher] [--plain-head] [--desc-head] [--resume | --restart]
                                        registers the teacher, the student (--distill), the ECFP4 forest and
                                        their consensus (student or teacher + forest; --consensus-teacher adds
                                        the teacher), each with 80% intervals calibrated on the validation
                                        split (per band of similarity to the training set, each as wide
                                        as that band's validation errors: usually wider far from it), and
                                        names the recommended model (best on validation).
                                        The transformers' task heads also read the ECFP4 (substructure SAR
                                        learnt directly; the ONNX graph takes it as input); --plain-head:
                                        the SMILES embedding alone (--fp-head: the default, said outright);
                                        --desc-head: the heads also read the RDKit descriptors (standardised
                                        on the training split; screening computes them, ~1.3 ms a molecule)
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
  evaluate --model NAME --data FILE --target COL [--unit nM|…] [--engine auto|onnxruntime|onnxruntime-int8|tfjs]
  predict --model NAME --smiles S [S…] | --data FILE [--engine auto|onnxruntime|onnxruntime-int8|tfjs]
                                        predictions with the applicability-domain check; says which engine ran
  screen --library NAME | --file FILE [--model NAME[,NAME…]] [--top N] [--out FILE.csv|FILE.sdf] [--resume] [--engine E]
         [--min-score X] [--max-score X] [--in-domain] [--substructure SMARTS] [--range mw:200:500 …] [--ascending]
                                        score every compound of a library, rank, flag the domain (--ascending:
                                        lowest scores first; --show-model M: another model's ranking); --resume
                                        continues a stopped screen; --id N shows/exports an existing one
  screen --file F[,F…] --out DIR [--model NAME[,NAME…]] [--top K] [--ascending] [--engine E] [--smiles-col C] [--id-col C]
         [--shard i/N | --slurm N | --k8s N [--image IMAGE]] [--cpus N] [--mem GIB]
                                        screens files as a stream, never importing them: every score in
                                        DIR/scores-i-of-N.csv.gz, unreadable records with reasons, the top K
                                        and the provenance (models frozen in DIR, inputs' sha256); a stopped
                                        or killed shard continues when run again; --shard i/N: every N-th
                                        record from i; --cpus N: cores to use (per shard); --slurm/--k8s N:
                                        a job array (Indexed Job) of N shards and the merge as a dependent
                                        job (DIR/submit.sh), --cpus/--mem per shard
  screen merge DIR… [--top K] [--out DIR]
                                        the global top K and totals of a sharded file screen (top.csv,
                                        summary.json), identical to one process's
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
  model rename NAME NEW                   the models made from it, its screens and predictions follow
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

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  let json = rest.includes('--json');
  const print = (value: unknown, human: () => string) => io.out(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
  let ctx: AppContext | null = null;
  const context = async (db: string | boolean | undefined, opts: { warmSearch?: boolean } = {}): Promise<AppContext> => {
    if (ctx) return ctx;
    const { AppContext, defaultDbPath } = await import('../services/app-context');
    const opened = new AppContext(typeof db === 'string' ? db : defaultDbPath(), { ...opts, chemistry: opts.warmSearch ? 'now' : 'first-task' });
    ctx = opened;
    for (const w of opened.warnings) io.err(`warning: ${w}\n`);
    return opened;
  };
  // The command line is a client of the app's contract: the same handlers, the same argument schemas.
  const api = async (db: string | boolean | undefined): Promise<Client> => {
    const app = await context(db);
    const [{ createHandlers }, { checked }] = await Promise.all([import('../services/handlers'), import('./contract')]);
    const handlers = createHandlers(app);
    return (method, args) => (handlers[method] as (a: typeof args) => Promise<never>)(checked(method, args));
  };
  const env: CommandEnv = { context, api, print, setJson: (j) => (json = j), err: (s) => io.err(s), isTTY: io.isTTY };
  try {
    if (command === undefined || ['help', '--help', '-h'].includes(command)) {
      io.out(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new UsageError(`unknown command '${command}'`);
    return await (
      await load()
    )(rest, env);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`delicate: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const raw = toApiError(err);
    // The service names a remedy; the command line says it with its own flags.
    const e = { ...raw, message: withRemedy(raw.message, raw.details, cliRemedy) };
    if (json) io.out(`${JSON.stringify({ error: e })}\n`);
    io.err(`delicate: ${e.message}\n`);
    if (!(err instanceof AppError) && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return 1;
  } finally {
    await (ctx as AppContext | null)?.close();
  }
}
