import { basename } from 'node:path';
import { AppError } from '../../src-shared/errors';
import { givenColumns } from '../../src-shared/assay-columns';
import { intervalText, metricsText, sizeText } from '../../src-shared/models';
import { describeRun } from '../../src-shared/runs';
import type { AppContext } from '../services/app-context';
import type { TrainRequest, TrainResult } from '../services/models';
import { qsarSettingsOf } from '../train/qsar-settings';
import type { ArgsOf } from '../../src-shared/schemas';
import { UsageError, engineOf, need, parse, withCtrlC } from './args';
import { checked, num } from './contract';
import type { Progress } from '../../src-shared/progress';
import { assayProgress, trainProgress } from '../services/job-progress';
import type { BatchPoint } from '../train/qsar';
import { type CommandEnv, progressPrinter } from './command-env';

/** The flags of `delicate train`. */
const TRAIN_FLAGS = {
  data: { type: 'string' },
  assay: { type: 'string' },
  target: { type: 'string' },
  task: { type: 'string' },
  out: { type: 'string' },
  teacher: { type: 'string' },
  student: { type: 'string' },
  distill: { type: 'boolean', default: false },
  'consensus-teacher': { type: 'boolean', default: false },
  'fp-head': { type: 'boolean', default: false },
  'plain-head': { type: 'boolean', default: false },
  'desc-head': { type: 'boolean', default: false },
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
} as const;

type TrainFlags = ReturnType<typeof parse<typeof TRAIN_FLAGS>>['values'];
type StoredAssayFile = Awaited<ReturnType<AppContext['assays']['assayFile']>>;

/** A finished run for people: where it resumed, the data, each model's metrics, the consensus and the recommendation. */
function trainedText(result: TrainResult): string {
  return [
    ...(result.resumedFrom ? [`resumed after ${describeRun(result.resumedFrom)}`] : []),
    `${result.teacherSource}; ${result.split} split, ${result.seeds} seed(s), ${result.n.compounds} compounds (${result.n.train}/${result.n.valid}/${result.n.test}), ${result.n.rejected} rejected`,
    ...result.models.map(
      (m) =>
        `${m.name}\t${m.role}\t${sizeText(m.role, m.params)}\t${m.role === 'baseline' || m.role === 'consensus' ? '-' : `${m.layers} layers`}\t${metricsText(m.metrics, result.seeds)}\t${m.trainSeconds.toFixed(0)} s`,
    ),
    ...(result.consensus
      ? [`consensus: ${result.consensus.members.map((m) => `${m.name} × ${m.weight.toFixed(2)}`).join(' + ')} (weights from the validation split)`]
      : []),
    ...(result.recommended ? [`recommended: ${result.recommended.name} (${result.recommended.why})`] : []),
    `registered: ${result.registered.join(', ')}`,
  ].join('\n');
}

type TrainArgs = ArgsOf<'model.train'>;
type CheckedTrain = Pick<TrainRequest, 'data' | 'target' | 'task' | 'out' | 'dateCol' | 'settings'>;

/**
 * The flags of a training run as the contract's `model.train` arguments, checked by its schema (the rules the
 * app's form meets too), and turned into its request's core (a stored assay brings its target, task and dates).
 */
function checkedTrain(values: TrainFlags, stored: StoredAssayFile | null): CheckedTrain {
  const opt = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as { [P in K]: V }));
  // The schema refuses these too; the command line says what the stored assay converted its values from.
  if (stored && (values.unit || values['smiles-col'] || values['id-col'] || values['date-col']))
    throw new UsageError(
      `--assay ${values.assay} brings its own SMILES, IDs, dates and converted values${stored.assay.unit ? ` (converted from ${stored.assay.unit})` : ''}: no --unit, --smiles-col, --id-col or --date-col`,
    );
  if (values['fp-head'] && values['plain-head']) throw new UsageError('--fp-head and --plain-head: a head reads the ECFP4 or not; give one');
  const args = checked('model.train', {
    ...(stored ? { assay: values.assay as string } : { data: need(values.data, '--data FILE (or --assay NAME)') }),
    target: stored ? stored.assay.target : need(values.target, '--target COL'),
    task: (values.task ?? stored?.assay.task ?? need(values.task, '--task regression|classification')) as TrainArgs['task'],
    out: need(values.out, '--out NAME'),
    ...opt('teacher', values.teacher),
    ...opt('student', values.student),
    distill: values.distill,
    ...opt('studentLayers', num(values['student-layers'])),
    ...opt('split', values.split as TrainArgs['split']),
    ...opt('seeds', num(values.seeds)),
    ...opt('epochs', num(values.epochs)),
    ...opt('unit', values.unit as TrainArgs['unit']),
    ...opt('smilesCol', values['smiles-col']),
    ...opt('idCol', values['id-col']),
    ...opt('dateCol', values['date-col']),
    settings: {
      ...opt('alpha', num(values.alpha)),
      ...opt('hiddenWeight', num(values['hidden-weight'])),
      ...opt('augment', num(values.augment)),
      ...opt('batch', num(values.batch)),
      ...opt('lr', num(values.lr)),
      ...opt('lengthPool', num(values['length-pool'])),
      ...(values['consensus-teacher'] ? { consensusTeacher: true } : {}),
      ...(values['fp-head'] ? { fpHead: true } : {}),
      ...(values['plain-head'] ? { fpHead: false } : {}),
      ...(values['desc-head'] ? { descHead: true } : {}),
    },
  });
  if (stored && args.split === 'temporal' && !stored.dateCol) throw new UsageError(`--split temporal: assay ${values.assay} has no dates`);
  return {
    task: args.task,
    dateCol: stored ? stored.dateCol : args.dateCol,
    data: stored?.file ?? (args.data as string),
    target: args.target,
    out: args.out,
    settings: qsarSettingsOf(args),
  };
}

/** `delicate train`: teacher, student, forest and consensus on an assay file or a stored assay; resumable. */
export async function trainCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, TRAIN_FLAGS);
  env.setJson(values.json);
  if (values.resume && values.restart) throw new UsageError('give --resume or --restart, not both');
  if (values.assay !== undefined && values.data !== undefined) throw new UsageError('give --data FILE or --assay NAME, not both');
  const app = await env.context(values.db);
  const printTrained = (result: TrainResult) => env.print(result, () => trainedText(result));
  // Each stage's messages on a line of their own, with the run's ETA in epochs; where a fit stands within
  // an epoch rewritten in place on a terminal (a log gets the epochs only).
  const lines = progressPrinter(env, true);
  const live = progressPrinter(env);
  const print = (p: Pick<Progress, 'message' | 'etaSeconds'>, batch?: BatchPoint) => (batch ? env.isTTY && live(p) : lines(p));
  if (values.resume && values.data === undefined && values.assay === undefined) {
    // By name alone: the run's own request and its copy of the data.
    const out = need(values.out, '--out NAME');
    const run = app.training.runs.list().find((r) => r.name === out);
    const settings = app.training.runSettings(out);
    const progress = settings
      ? trainProgress(settings, app.training.runs.get(out)?.progress ?? null)
      : (message: string) => ({ message, etaSeconds: null as number | null });
    const resumed = await withCtrlC(env.err, 'cancelling: the run is saved after its last finished epoch', (signal) =>
      app.training.resumeRun(out, { signal, onProgress: (m, e, b) => print(progress(m, e, b), b) }),
    );
    // Listed with the app's finished runs, as a run the app resumed would be.
    app.jobs.recordDone('train', { data: run?.data, target: run?.target, out, resume: true }, resumed);
    printTrained(resumed);
    return 0;
  }
  // A stored assay (from an earlier run) brings its own target and task.
  const stored = values.assay !== undefined ? await app.assays.assayFile(values.assay) : null;
  // Checked before training; a failed check removes the stored assay's temporary copy.
  let checked: CheckedTrain;
  try {
    checked = checkedTrain(values, stored);
  } catch (e) {
    await stored?.cleanup();
    throw e;
  }
  const progress = trainProgress(checked.settings);
  let result;
  try {
    result = await withCtrlC(env.err, 'cancelling: the run is saved after its last finished epoch', (signal) =>
      app.training.train(
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
        { signal, onProgress: (m, e, b) => print(progress(m, e, b), b) },
      ),
    );
  } finally {
    await stored?.cleanup();
  }
  // Listed with the app's finished runs (the Training view shows each one's comparison again).
  app.jobs.recordDone('train', { data: stored?.displayName ?? basename(checked.data), target: checked.target, out: checked.out }, result);
  printTrained(result);
  return 0;
}

/** `delicate runs`: interrupted training runs; --discard drops one. */
export async function runsCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values, positionals } = parse(rest, { discard: { type: 'string' } });
  env.setJson(values.json);
  if (positionals.length) throw new UsageError('runs takes no positional arguments (--discard NAME drops a run)');
  if (values.discard !== undefined) {
    const { discarded } = await (await env.api(values.db))('model.discardRun', { name: values.discard });
    env.print({ run: values.discard, discarded }, () =>
      discarded ? `discarded the interrupted run '${values.discard}'` : `no interrupted run named '${values.discard}'`,
    );
    return discarded ? 0 : 1;
  }
  const { runs } = await (await env.api(values.db))('model.runs', {});
  env.print({ runs }, () =>
    runs.length
      ? runs
          .map((r) => `${r.name}\t${r.target} on ${r.data}\tafter ${describeRun(r.progress)}\tsaved ${r.updatedAt}\t(delicate train --out ${r.name} --resume)`)
          .join('\n')
      : 'No interrupted training runs.',
  );
  return 0;
}

/** `delicate assay import|delete`. */
export async function assayCommand(rest: string[], env: CommandEnv): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === 'delete') {
    const { values, positionals } = parse(args, {});
    env.setJson(values.json);
    if (positionals.length !== 1) throw new UsageError('assay delete takes exactly one assay NAME');
    const name = positionals[0] as string;
    const { deleted } = await (await env.api(values.db))('assay.delete', { name });
    if (!deleted) throw new AppError('NOT_FOUND', `no assay named '${name}' (see \`delicate assays\`)`);
    env.print({ assay: name, deleted }, () => `deleted assay '${name}' (models trained on it keep their own record of its data)`);
    return 0;
  }
  if (sub !== 'import') throw new UsageError(`assay takes import or delete, not '${sub ?? ''}' (\`delicate assays\` lists them)`);
  const { values, positionals } = parse(args, {
    as: { type: 'string' },
    target: { type: 'string' },
    task: { type: 'string' },
    unit: { type: 'string' },
    'smiles-col': { type: 'string' },
    'id-col': { type: 'string' },
    'date-col': { type: 'string' },
  });
  env.setJson(values.json);
  if (positionals.length !== 1) throw new UsageError('assay import takes exactly one FILE');
  const file = positionals[0] as string;
  const request = checked('assay.import', {
    source: { kind: 'path', path: file },
    name:
      values.as ??
      basename(file)
        .replace(/\.gz$/i, '')
        .replace(/\.[^.]+$/, ''),
    target: need(values.target, '--target COL'),
    task: need(values.task, '--task regression|classification') as TrainArgs['task'],
    ...(givenColumns({ smilesCol: values['smiles-col'], idCol: values['id-col'], unit: values.unit, dateCol: values['date-col'] }) as Pick<TrainArgs, 'unit'>),
  });
  const app = await env.context(values.db);
  const print = progressPrinter(env, true);
  const assay = await withCtrlC(env.err, 'cancelling: nothing is stored', (signal) =>
    app.assays.importAssay(
      {
        data: file,
        name: request.name,
        target: request.target,
        task: request.task,
        ...givenColumns(request),
      },
      { signal, onProgress: (p) => print(assayProgress(p)) },
    ),
  );
  env.print(
    { assay },
    () =>
      `stored assay '${assay.name}': ${assay.compounds} compounds from ${assay.records} records${assay.unit ? ` (converted from ${assay.unit})` : ''}, ${assay.replicates} with replicates, ${assay.censored} censored, ${assay.rejected} rejected (\`delicate assays ${assay.name}\` lists them; \`delicate train --assay ${assay.name}\` trains on it)`,
  );
  return 0;
}

/** `delicate assays [NAME]`: stored assays, or one assay's aggregated measurements. */
export async function assaysCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values, positionals } = parse(rest, { only: { type: 'string' } });
  env.setJson(values.json);
  const app = await env.context(values.db);
  if (positionals.length > 1) throw new UsageError('assays takes at most one assay NAME');
  const only = values.only;
  if (only !== undefined && only !== 'replicates' && only !== 'censored') throw new UsageError('--only must be replicates or censored');
  if (only !== undefined && !positionals[0]) throw new UsageError('--only needs an assay NAME');
  if (positionals[0]) {
    const { total, measurements, rejected } = app.assays.assayPage(positionals[0], { limit: Number.MAX_SAFE_INTEGER, ...(only ? { only } : {}) });
    env.print({ assay: positionals[0], total, measurements, rejected }, () =>
      [
        ...measurements.map(
          (m) =>
            `${m.id ?? '-'}\t${m.smiles}\t${m.qualifier === '=' ? '' : m.qualifier}${m.value.toFixed(3)}\tn=${m.count}\tsd=${m.spread.toFixed(3)}${m.censored ? '\tcensored' : ''}`,
        ),
        ...rejected.map((r) => `rejected: record ${r.record}${r.line === null ? '' : ` (line ${r.line})`}: ${r.reason}`),
      ].join('\n'),
    );
    return 0;
  }
  const { assays } = await (await env.api(values.db))('assay.list', {});
  env.print({ assays }, () =>
    assays.length
      ? assays
          .map(
            (a) =>
              `${a.name}\t${a.target} (${a.task}${a.unit ? `, from ${a.unit}` : ''})\t${a.compounds} compounds from ${a.records} records, ${a.replicates} replicates, ${a.censored} censored, ${a.rejected} rejected\t${a.file}`,
          )
          .join('\n')
      : 'No assays yet: `delicate train` stores the assay it reads.',
  );
  return 0;
}

/** `delicate evaluate`: a model's metrics on a labelled file. */
export async function evaluateCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {
    model: { type: 'string' },
    data: { type: 'string' },
    target: { type: 'string' },
    'smiles-col': { type: 'string' },
    unit: { type: 'string' },
    engine: { type: 'string' },
  });
  env.setJson(values.json);
  const r = await (
    await env.context(values.db)
  ).inference.evaluate(need(values.model, '--model NAME'), need(values.data, '--data FILE'), need(values.target, '--target COL'), {
    ...(values['smiles-col'] ? { smilesCol: values['smiles-col'] } : {}),
    ...(values.unit ? { unit: values.unit } : {}),
    engine: engineOf(values.engine),
  });
  env.print(
    r,
    () =>
      `${r.model} on ${values.data}: ${Object.entries(r.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')} (n=${r.n}${r.censored ? `, ${r.censored} censored left out` : ''}, ${r.unreadable} unreadable, ${r.inDomain} in domain; ${r.engine})`,
  );
  return 0;
}

/** `delicate predict`: predictions with the domain check for SMILES or a file. */
export async function predictCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values, positionals } = parse(rest, {
    model: { type: 'string' },
    smiles: { type: 'string' },
    data: { type: 'string' },
    'smiles-col': { type: 'string' },
    engine: { type: 'string' },
  });
  env.setJson(values.json);
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
  const r = await (await env.context(values.db)).inference.predict(need(values.model, '--model NAME'), inputs, engineOf(values.engine));
  const rows = r.rows.map((row, i) => ({ ...(ids[i] ? { id: ids[i] } : {}), ...row }));
  env.print({ ...r, rows }, () =>
    [
      `${r.model} (${r.task.type}, ${r.task.target}) on ${r.engine}`,
      ...rows.map(
        (x) =>
          `${x.input}\t${x.prediction === null ? '-' : x.prediction.toFixed(3)}${x.interval ? `\t${intervalText(x.interval)}` : ''}\t${x.inDomain === null ? '' : x.inDomain ? 'in domain' : `OUT of domain`} ${x.maxSimilarity === null ? '' : `(max sim ${x.maxSimilarity.toFixed(2)})`}${x.note ? `\t${x.note}` : ''}`,
      ),
    ].join('\n'),
  );
  return 0;
}
