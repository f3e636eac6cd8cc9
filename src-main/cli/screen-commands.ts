import type { ScreenFilter, ScreenHit, ScreenSummary } from '../../src-shared/dto';
import { compoundName } from '../../src-shared/compound-name';
import { basename } from 'node:path';
import { UsageError, engineOf, int, need, parse, rangesOf, withCtrlC } from './args';
import { type CommandEnv, progressPrinter } from './command-env';
import { checked } from './contract';
import { fileScreenCommand, isFileScreen, screenMergeCommand } from './file-screen-commands';

function numberOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || value.trim() === '') throw new UsageError(`${flag} must be a number, got '${value}'`);
  return n;
}

function hitLine(h: ScreenHit): string {
  const score = h.score === null ? '-' : h.score.toFixed(3);
  const domain = h.inDomain === null ? '' : h.inDomain ? 'in domain' : 'OUT of domain';
  return `${h.rank ?? '-'}\t${compoundName({ originalId: h.originalId, id: h.compoundId })}\t${score}\t${domain}${h.maxSimilarity === null ? '' : ` (${h.maxSimilarity.toFixed(2)})`}\t${h.smiles}${h.note ? `\t${h.note}` : ''}`;
}

function summaryLine(s: ScreenSummary): string {
  return `screen ${s.screen} (${s.state}): library '${s.library}', ${s.models.join(', ')} on ${s.engine ?? '?'}; ${s.scored} scored, ${s.unreadable} unreadable of ${s.total} in ${s.seconds.toFixed(1)} s (${s.molPerSec.toFixed(0)} mol/s)`;
}

/** `delicate screen`: score a library with models, or show/export an existing screen's filtered results. */
export async function screenCommand(rest: string[], env: CommandEnv): Promise<number> {
  if (rest[0] === 'merge') return screenMergeCommand(rest.slice(1), env);
  const { values } = parse(rest, {
    library: { type: 'string' },
    file: { type: 'string' },
    'smiles-col': { type: 'string' },
    model: { type: 'string' },
    id: { type: 'string' },
    top: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean', default: false },
    engine: { type: 'string' },
    workers: { type: 'string' },
    chunk: { type: 'string' },
    'min-score': { type: 'string' },
    'max-score': { type: 'string' },
    'in-domain': { type: 'boolean', default: false },
    substructure: { type: 'string' },
    range: { type: 'string', multiple: true },
    unreadable: { type: 'boolean', default: false },
    ascending: { type: 'boolean', default: false },
    'show-model': { type: 'string' },
    'id-col': { type: 'string' },
    shard: { type: 'string' },
    slurm: { type: 'string' },
    k8s: { type: 'string' },
    image: { type: 'string' },
    cpus: { type: 'string' },
    mem: { type: 'string' },
  });
  env.setJson(values.json);
  if (isFileScreen(values)) return fileScreenCommand(values, env);
  for (const flag of ['id-col', 'image', 'cpus', 'mem'] as const)
    if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with a file screen (--file F --out DIR)`);
  const top = int(values.top, '--top');
  const minScore = numberOf(values['min-score'], '--min-score');
  const maxScore = numberOf(values['max-score'], '--max-score');
  const ranges = rangesOf(values.range);
  const filter: ScreenFilter = {
    ...(values['show-model'] ? { model: values['show-model'] } : {}),
    ...(minScore !== undefined ? { minScore } : {}),
    ...(maxScore !== undefined ? { maxScore } : {}),
    ...(values['in-domain'] ? { inDomainOnly: true } : {}),
    ...(ranges ? { ranges } : {}),
    ...(values.substructure ? { substructure: values.substructure } : {}),
    ...(values.unreadable ? { unreadable: true } : {}),
    ...(values.ascending ? { ascending: true } : {}),
  };
  const app = await env.context(values.db);
  let summary: ScreenSummary & { resumed?: boolean };
  if (values.id !== undefined) {
    if (values.library || values.file || values.model || values.resume)
      throw new UsageError('--id shows an existing screen; --library/--file, --model and --resume start or resume one');
    summary = app.screens.get(int(values.id, '--id') ?? 0);
  } else {
    const models = values.model
      ? values.model
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean)
      : app.models.defaultScreenModels();
    if (models.length === 0) throw new UsageError('give --model NAME[,NAME…]: no shipped task model is registered (train one with `delicate train`)');
    if (!values.model) env.err(`no --model given: screening with the shipped task models ${models.join(', ')}\n`);
    let library = values.library;
    if (values.file) {
      // A file is imported on the fly (again: nothing new is added) into --library or a library named after it.
      library ??= basename(values.file)
        .replace(/(\.gz)?$/i, '')
        .replace(/\.[^.]+$/, '');
      const { importFile } = await import('../services/import-service');
      const s = await importFile(app.db, app.chem, { file: values.file, library, ...(values['smiles-col'] ? { smilesCol: values['smiles-col'] } : {}) });
      env.err(
        `${values.file} → library '${library}': ${s.imported} new, ${s.duplicates} duplicates, ${s.rejected} rejected${s.alreadyImported ? ' (already imported)' : ''}\n`,
      );
    }
    const run = checked('screen.run', { library: need(library, '--library NAME or --file FILE'), models, resume: values.resume });
    try {
      const workers = int(values.workers, '--workers');
      const chunkSize = int(values.chunk, '--chunk');
      summary = await withCtrlC(env.err, 'cancelling: what is scored is kept; run the same command with --resume to continue', (signal) =>
        app.screens.screen(
          {
            library: run.library,
            models: run.models,
            resume: values.resume,
            engine: engineOf(values.engine),
            ...(workers ? { workers } : {}),
            ...(chunkSize ? { chunkSize } : {}),
          },
          { signal, onProgress: progressPrinter(env) },
        ),
      );
    } finally {
      if (env.isTTY) env.err('\n');
    }
  }
  const api = await env.api(values.db);
  const { hits } = await api('screen.results', { screen: summary.screen, ...filter, limit: top ?? 10 });
  const exported = values.out
    ? await api('screen.export', { screen: summary.screen, out: values.out, ...filter, ...(top !== undefined ? { limit: top } : {}) })
    : null;
  const { resumed, ...rest2 } = summary;
  // Several models (the shipped task models when none is named): the list is one model's ranking; say whose.
  const by =
    !filter.unreadable && summary.models.length > 1 && hits[0]
      ? ` by ${hits[0].model}${filter.model ? '' : " (--show-model NAME: another model's ranking)"}`
      : '';
  env.print({ ...rest2, ...(resumed !== undefined ? { resumed } : {}), top: hits, ...(exported ? { exported } : {}) }, () =>
    [
      summaryLine(summary),
      `${filter.unreadable ? 'unreadable' : 'top'} ${hits.length}${by}${Object.keys(filter).length ? ' (filtered)' : ''}:`,
      'rank\tid\tscore\tdomain\tsmiles',
      ...hits.map(hitLine),
      ...(exported ? [`${exported.written} written to ${exported.file}`] : []),
    ].join('\n'),
  );
  return 0;
}

/** `delicate screens`: the screen runs in the database. */
export async function screensCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {});
  env.setJson(values.json);
  const { screens } = await (await env.api(values.db))('screen.list', {});
  env.print({ screens }, () => (screens.length ? screens.map(summaryLine).join('\n') : 'No screens yet: `delicate screen --library NAME --model NAME`.'));
  return 0;
}

/** `delicate vs`: enrichment of a labelled library against known actives. */
export async function vsCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {
    library: { type: 'string' },
    'label-col': { type: 'string' },
    actives: { type: 'string' },
    'smiles-col': { type: 'string' },
    model: { type: 'string' },
    similarity: { type: 'string' },
    'embedding-model': { type: 'string' },
    folds: { type: 'string' },
    queries: { type: 'string' },
    draws: { type: 'string' },
    seed: { type: 'string' },
    engine: { type: 'string' },
    curve: { type: 'boolean', default: false },
  });
  env.setJson(values.json);
  if ((values.model === undefined) === (values.similarity === undefined))
    throw new UsageError('give --model NAME (a classifier) or --similarity ecfp|embedding|fusion');
  const method = values.model !== undefined ? 'model' : values.similarity;
  if (method !== 'model' && method !== 'ecfp' && method !== 'embedding' && method !== 'fusion')
    throw new UsageError('--similarity must be ecfp, embedding or fusion');
  if (!values['label-col'] && !values.actives) throw new UsageError('give --label-col COL or --actives FILE');
  const folds = int(values.folds, '--folds');
  if (folds === 0) throw new UsageError('--folds must be at least 1');
  const queries = int(values.queries, '--queries');
  const draws = int(values.draws, '--draws');
  if (queries !== undefined && (queries < 1 || folds)) throw new UsageError('--queries N (at least 1) runs the few-query protocol instead of --folds');
  if (queries !== undefined && method === 'model') throw new UsageError('--queries ranks by similarity to the drawn actives: use it with --similarity');
  if (draws !== undefined && (queries === undefined || draws < 1)) throw new UsageError('--draws N (at least 1) goes with --queries');
  const seed = int(values.seed, '--seed');
  const app = await env.context(values.db);
  const r = await withCtrlC(env.err, 'cancelling: model SMILES and any screen already computed are kept', (signal) =>
    app.vs.evaluate(
      {
        library: need(values.library, '--library NAME'),
        method,
        engine: engineOf(values.engine),
        ...(values['label-col'] ? { labelCol: values['label-col'] } : {}),
        ...(values.actives ? { actives: values.actives } : {}),
        ...(values['smiles-col'] ? { smilesCol: values['smiles-col'] } : {}),
        ...(values.model ? { model: values.model } : {}),
        ...(values['embedding-model'] ? { embeddingModel: values['embedding-model'] } : {}),
        ...(folds ? { folds } : {}),
        ...(queries !== undefined ? { queries, draws: draws ?? 20 } : {}),
        ...(seed !== undefined ? { seed } : {}),
      },
      { signal, onProgress: progressPrinter(env) },
    ),
  ).finally(() => env.isTTY && env.err('\n'));
  const { curve: _curve, ...rest2 } = r;
  env.print(values.curve ? r : rest2, () =>
    [
      `${r.library}: ${r.method}${r.model ? ` (${r.model})` : ''}, ${r.actives} actives among ${r.n} ranked, ${r.queries} queries per pass${r.unreadable ? `, ${r.unreadable} unreadable (ranked last)` : ''}`,
      r.protocol,
      ...Object.entries(r.metrics).map(([k, v]) => `  ${k}\t${v.toFixed(3)}${r.folds > 1 ? ` ± ${(r.sd[k as keyof typeof r.sd] ?? 0).toFixed(3)}` : ''}`),
    ].join('\n'),
  );
  return 0;
}
