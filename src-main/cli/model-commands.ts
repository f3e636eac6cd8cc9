import { intervalsText, sizeText } from '../../src-shared/models';
import type { AppContext } from '../services/app-context';
import type { PretrainRequest, PretrainResult } from '../services/models';
import { DEFAULT_DISTILL, DEFAULT_PRETRAIN, type PretrainSettings } from '../train/settings';
import { UsageError, int, need, nonNegative, parse, positive, withCtrlC } from './args';
import { pretrainProgress } from '../services/job-progress';
import { type CommandEnv, progressPrinter } from './command-env';
import { checked, num } from './contract';

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
function pretrainRequest(
  values: { corpus?: string | boolean; out?: string | boolean; resume?: string | boolean; 'smiles-col'?: string | boolean; backend?: string | boolean },
  settings: PretrainSettings,
): PretrainRequest {
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
async function runPretrain(env: CommandEnv, app: AppContext, request: PretrainRequest): Promise<PretrainResult> {
  const print = progressPrinter(env);
  try {
    return await withCtrlC(env.err, 'cancelling: saving a checkpoint; run the same command with --resume to continue', (signal) =>
      app.pretraining.pretrain(request, {
        signal,
        onStarted: (i) =>
          env.err(
            `${i.resumedFromStep === null ? 'training' : `resuming from step ${i.resumedFromStep}`}: ${i.params.toLocaleString('en')} parameters on ${i.backend}\n` +
              i.backendReasons.map((r) => `  ${r}\n`).join(''),
          ),
        onProgress: (p) => print(pretrainProgress(p)),
      }),
    );
  } finally {
    if (env.isTTY) env.err('\n');
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

/** `delicate pretrain`: a base model (MLM + physchem) on an unlabelled corpus, or continued from one (--init). */
export async function pretrainCommand(rest: string[], env: CommandEnv): Promise<number> {
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
  env.setJson(values.json);
  if (values.init && (values.layers || values.hidden || values.heads || values.ff || values['embedding-size'] || values['max-len'] || values['share-layers'])) {
    throw new UsageError(
      '--init continues a model with its own architecture: no --layers, --hidden, --heads, --ff, --embedding-size, --max-len or --share-layers with it',
    );
  }
  // What the app's pretraining form can set is checked by the contract's schema (as the app's call is).
  checked('model.pretrain', {
    corpus: need(values.corpus, '--corpus FILE'),
    out: need(values.out, '--out NAME'),
    ...(values.layers !== undefined ? { layers: num(values.layers) } : {}),
    ...(values.hidden !== undefined ? { hidden: num(values.hidden) } : {}),
    ...(values.heads !== undefined ? { heads: num(values.heads) } : {}),
    ...(values.ff !== undefined ? { ff: num(values.ff) } : {}),
    ...(values['share-layers'] ? { shareLayers: true } : {}),
    ...(values['max-steps'] !== undefined ? { maxSteps: num(values['max-steps']) } : {}),
    ...(values['time-budget'] !== undefined ? { timeBudgetMinutes: num(values['time-budget']) } : {}),
    ...(values.batch !== undefined ? { batch: num(values.batch) } : {}),
    resume: values.resume,
  });
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
  printPretrain(env.print, await runPretrain(env, await env.context(values.db), pretrainRequest(values, settings)));
  return 0;
}

/** `delicate distill`: general distillation of a DeLiCaTe student (or the shared-layer teacher) from a teacher. */
export async function distillCommand(rest: string[], env: CommandEnv): Promise<number> {
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
  env.setJson(values.json);
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
  printPretrain(env.print, await runPretrain(env, await env.context(values.db), pretrainRequest(values, settings)));
  return 0;
}

/** `delicate models`: the model registry. */
export async function modelsCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {});
  env.setJson(values.json);
  const { models } = await (await env.api(values.db))('model.list', {});
  env.print({ models }, () =>
    models.length === 0
      ? 'No models yet: pretrain one with `delicate pretrain --corpus FILE --out NAME`.'
      : models
          .map(
            (m) =>
              `${m.name}${m.retired ? ' (earlier shipped version)' : ''}\t${m.kind}\t${m.state}\t${sizeText(m.kind, m.params)}\t${m.kind === 'baseline' || m.kind === 'consensus' ? '-' : `${m.layers} layers${m.shareLayers ? ' (shared)' : ''}`}\t${m.parent.join(',') || '-'}\t${JSON.stringify(m.metrics)}${m.intervals ? `\t${intervalsText(m.intervals)}` : ''}`,
          )
          .join('\n'),
  );
  return 0;
}

/** `delicate model export|import|delete|rename`. */
export async function modelCommand(rest: string[], env: CommandEnv): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === 'export') {
    const { values, positionals } = parse(args, { out: { type: 'string' }, dtype: { type: 'string' }, format: { type: 'string' } });
    env.setJson(values.json);
    if (positionals.length !== 1) throw new UsageError('model export takes exactly one model NAME');
    const dtype = values.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float16') throw new UsageError('--dtype must be float32 or float16');
    const format = values.format ?? 'delicate';
    if (format !== 'delicate' && format !== 'onnx') throw new UsageError('--format must be delicate or onnx');
    if (format === 'onnx' && values.dtype !== undefined) throw new UsageError('--dtype applies to the delicate format only (ONNX graphs are float32)');
    const out = need(values.out, '--out FILE');
    const r = await (await env.context(values.db)).models.exportModel(positionals[0] as string, out, dtype, format);
    env.print(
      { model: positionals[0], out, bytes: r.bytes, dtype: format === 'onnx' ? 'float32' : dtype, format },
      () => `${positionals[0]} written to ${out} (${r.bytes} bytes, ${format})`,
    );
    return 0;
  }
  if (sub === 'import') {
    const { values, positionals } = parse(args, { as: { type: 'string' } });
    env.setJson(values.json);
    if (positionals.length !== 1) throw new UsageError('model import takes exactly one FILE');
    const request = checked('model.import', {
      source: { kind: 'path', path: positionals[0] as string },
      ...(values.as !== undefined ? { as: values.as } : {}),
    });
    const m = await (await env.context(values.db)).models.importModel(positionals[0] as string, request.as);
    const what =
      m.kind === 'consensus'
        ? `a consensus of ${m.parent.join(' and ')}`
        : m.kind === 'baseline'
          ? `an ECFP4 forest, ${m.params.toLocaleString('en')} tree nodes`
          : `${m.kind}, ${m.params.toLocaleString('en')} parameters`;
    env.print({ model: m }, () => `imported '${m.name}' (${what})`);
    return 0;
  }
  if (sub === 'delete') {
    const { values, positionals } = parse(args, {});
    env.setJson(values.json);
    if (positionals.length !== 1) throw new UsageError('model delete takes exactly one model NAME');
    const { deleted } = await (await env.api(values.db))('model.delete', { name: positionals[0] as string });
    env.print({ model: positionals[0], deleted }, () => (deleted ? `deleted '${positionals[0]}'` : `no model named '${positionals[0]}'`));
    return deleted ? 0 : 1;
  }
  if (sub === 'rename') {
    const { values, positionals } = parse(args, {});
    env.setJson(values.json);
    if (positionals.length !== 2) throw new UsageError('model rename takes a model NAME and its NEW name');
    const [from, to] = positionals as [string, string];
    const { model } = await (await env.api(values.db))('model.rename', { name: from, to });
    env.print({ model, from }, () => `renamed '${from}' to '${model.name}' (the models made from it, its screens and predictions follow)`);
    return 0;
  }
  throw new UsageError(`model takes export, import, delete or rename, not '${sub ?? ''}'`);
}
