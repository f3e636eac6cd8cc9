import type { ClusterResult, ColumnType, ImportFormat, ImportSummary, ScaffoldResult } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ScoreTerm } from '../../src-shared/mpo';
import { UsageError, compoundRangesOf, need, parse, sortKeysOf, whereOf, withCtrlC } from './args';
import { checked, num } from './contract';
import { clusterProgress, descriptorProgress, importProgress } from '../services/job-progress';
import { type CommandEnv, progressPrinter } from './command-env';

/** `delicate import`: a SMILES/CSV/SDF file into a library, resumable, with progress and Ctrl-C as cancel. */
export async function importCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values, positionals } = parse(rest, {
    library: { type: 'string' },
    'smiles-col': { type: 'string' },
    'id-col': { type: 'string' },
    format: { type: 'string' },
  });
  env.setJson(values.json);
  if (positionals.length !== 1) throw new UsageError('import takes exactly one FILE');
  const file = positionals[0] as string;
  const args = checked('library.import', {
    source: { kind: 'path', path: file },
    library: need(values.library, '--library NAME'),
    ...(values['smiles-col'] !== undefined ? { smilesCol: values['smiles-col'] } : {}),
    ...(values['id-col'] !== undefined ? { idCol: values['id-col'] } : {}),
    ...(values.format !== undefined ? { format: values.format as ImportFormat } : {}),
  });
  const app = await env.context(values.db);
  let summary: ImportSummary;
  const print = progressPrinter(env);
  try {
    const { importFile } = await import('../services/import-service');
    summary = await withCtrlC(env.err, 'cancelling: the batches committed so far are kept; run the same command again to resume', (signal) =>
      importFile(app.db, app.chem, {
        file,
        library: args.library,
        smilesCol: args.smilesCol,
        idCol: args.idCol,
        format: args.format,
        signal,
        onProgress: (p) => print(importProgress(p)),
        onDescriptors: (p) => print(descriptorProgress(p)),
      }),
    );
  } finally {
    if (env.isTTY) env.err('\n');
  }
  env.print(summary, () => {
    const head = summary.alreadyImported
      ? `${summary.file} was already imported into '${summary.library}'; nothing added.`
      : `${summary.resumed ? 'Resumed: ' : ''}${summary.read} records read from ${summary.file} into '${summary.library}': ` +
        `${summary.imported} new compounds, ${summary.duplicates} duplicates, ${summary.rejected} rejected (${summary.seconds} s).`;
    const d = summary.descriptors;
    const late = d
      ? [
          `Descriptors and substructure fingerprints of ${d.computed} compounds (${d.seconds} s)${d.failed ? `; RDKit could not compute them for ${d.failed}` : ''}.`,
        ]
      : [];
    const errs = summary.errors.slice(0, 20).map((e) => `  record ${e.record}${e.line ? `, line ${e.line}` : ''}: ${e.reason}`);
    return [head, ...late, ...summary.warnings.map((w) => `Warning: ${w}`), ...(errs.length ? ['Rejected records:', ...errs] : [])].join('\n');
  });
  return 0;
}

/** `delicate libraries`: the libraries and their sizes. */
export async function librariesCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {});
  env.setJson(values.json);
  const { libraries } = await (await env.api(values.db))('library.list', {});
  env.print({ libraries: libraries.map((l) => ({ name: l.name, compounds: l.compounds, records: l.members, createdAt: l.createdAt })) }, () =>
    libraries.length === 0
      ? 'No libraries yet: import one with `delicate import FILE --library NAME`.'
      : libraries.map((l) => `${l.name}\t${l.compounds} compounds\t${l.createdAt}`).join('\n'),
  );
  return 0;
}

/** The most compounds one `compound.list` call returns (its schema's limit). */
const PAGE = 10_000;

/** `delicate compounds`: a library's compounds, searched, filtered and sorted; written out or kept as a library; its own columns. */
export async function compoundsCommand(rest: string[], env: CommandEnv): Promise<number> {
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
  env.setJson(values.json);
  if (values['min-sim'] !== undefined && values.similar === undefined) throw new UsageError('--min-sim needs --similar SMILES');
  const library = need(values.library, '--library NAME');
  const api = await env.api(values.db);
  if (values.columns || values['set-type'] !== undefined) {
    // The library's own columns and their types; --set-type COL:TYPE changes one first.
    let cols;
    if (values['set-type'] !== undefined) {
      const m = /^(.+):([a-z]+)$/.exec(values['set-type']);
      if (!m) throw new UsageError(`--set-type takes COLUMN:TYPE with TYPE number, text, date or boolean, got '${values['set-type']}'`);
      cols = await api('library.setColumnType', { library, column: m[1] as string, type: m[2] as ColumnType });
    } else cols = await api('library.columns', { library });
    env.print(
      { columns: cols },
      () =>
        cols.map((c) => `${c.name}\t${c.type}${c.type !== c.detected ? ` (detected: ${c.detected})` : ''}\t${c.filled} compounds with a value`).join('\n') ||
        `Library '${library}' has no columns of its own.`,
    );
    return 0;
  }
  const ranged = compoundRangesOf(values.range);
  const filters = [...ranged.filters, ...whereOf(values.where)];
  const sort = sortKeysOf(values.sort);
  const query = {
    library,
    ...(values.substructure !== undefined ? { substructure: values.substructure } : {}),
    ...(values.similar !== undefined ? { similar: values.similar } : {}),
    ...(values['min-sim'] !== undefined ? { minSim: num(values['min-sim']) } : {}),
    ...(ranged.ranges ? { ranges: ranged.ranges } : {}),
    ...(filters.length ? { filters } : {}),
    ...(sort ? { sort } : {}),
  };
  if (values.out !== undefined || values['save-as'] !== undefined) {
    // Every compound that matches, in the order asked: written to a file and/or kept as a new library.
    const libs = (await env.context(values.db)).libraries;
    const { ids } = await api('compound.ids', query);
    const result: { matched: number; written?: number; file?: string; library?: string } = { matched: ids.length };
    if (values.out !== undefined) {
      const ext = /\.(csv|sdf|smi)$/i.exec(values.out)?.[1]?.toLowerCase();
      if (!ext) throw new UsageError(`--out ${values.out}: give a .csv, .sdf or .smi file`);
      result.written = await libs.exportSelection(library, ids, values.out, ext as 'csv' | 'sdf' | 'smi');
      result.file = values.out;
    }
    if (values['save-as'] !== undefined) {
      if (ids.length === 0) throw new AppError('INVALID_INPUT', `no compound of '${library}' matched: nothing to save as '${values['save-as']}'`);
      result.library = (await api('library.fromSelection', { library, ids, name: values['save-as'] })).name;
    }
    env.print(result, () =>
      [
        `${ids.length} compounds matched`,
        ...(result.file ? [`${result.written} written to ${result.file}`] : []),
        ...(result.library ? [`saved as library '${result.library}'`] : []),
      ].join('; '),
    );
    return 0;
  }
  // The contract serves at most 10,000 compounds a call; a longer --limit is read page by page.
  const limit = num(values.limit);
  const offset = num(values.offset) ?? 0;
  let page = await api('compound.list', { ...query, ...(limit !== undefined ? { limit: Math.min(limit, PAGE) } : {}), offset });
  while (limit !== undefined && limit > page.compounds.length && page.compounds.length % PAGE === 0 && page.compounds.length > 0) {
    const next = await api('compound.list', { ...query, limit: Math.min(limit - page.compounds.length, PAGE), offset: offset + page.compounds.length });
    if (next.compounds.length === 0) break;
    page = { ...next, compounds: [...page.compounds, ...next.compounds] };
  }
  env.print(
    {
      compounds: page.compounds.map((c) => ({
        id: c.id,
        smiles: c.smiles,
        inchikey: c.inchikey,
        originalId: c.originalId,
        props: c.props,
        descriptors: c.descriptors,
        ...(c.similarity === undefined ? {} : { similarity: c.similarity }),
      })),
      total: page.total,
      matched: page.matched,
      complete: page.complete,
    },
    () => page.compounds.map((c) => [c.id, c.originalId ?? '', c.smiles, c.similarity ?? ''].join('\t')).join('\n') || 'No compounds matched.',
  );
  return 0;
}

/** `delicate export`: a whole library to CSV or SDF. */
export async function exportCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, { library: { type: 'string' }, out: { type: 'string' } });
  env.setJson(values.json);
  const { written } = await (
    await env.api(values.db)
  )('library.export', { library: need(values.library, '--library NAME'), out: need(values.out, '--out FILE') });
  env.print({ written }, () => `${written} records written to ${values.out}`);
  return 0;
}

/** `delicate cluster`: Butina clusters on ECFP4 written as the library's cluster columns. */
export async function clusterCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, { library: { type: 'string' }, threshold: { type: 'string' } });
  env.setJson(values.json);
  const args = checked('library.cluster', {
    library: need(values.library, '--library NAME'),
    ...(values.threshold !== undefined ? { threshold: num(values.threshold) as number } : {}),
  });
  const app = await env.context(values.db);
  const print = progressPrinter(env);
  const started = performance.now();
  let r: ClusterResult;
  try {
    r = await withCtrlC(env.err, 'cancelling: the library keeps its earlier columns', (signal) =>
      app.clustering.cluster(args.library, args.threshold ?? 0.6, { signal, onProgress: (p) => print(clusterProgress(p, started)) }),
    );
  } finally {
    if (env.isTTY) env.err('\n');
  }
  env.print(
    r,
    () =>
      `'${r.library}': ${r.compounds} compounds in ${r.clusters} clusters at Tanimoto ≥ ${r.threshold} (largest ${r.largest}, ${r.singletons} singletons; ${r.seconds.toFixed(1)} s); columns ${r.columns.map((c) => `'${c}'`).join(', ')}`,
  );
  return 0;
}

/** `delicate diverse`: a MaxMin pick of N diverse compounds (ids, SMILES). */
export async function diverseCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, { library: { type: 'string' }, n: { type: 'string' } });
  env.setJson(values.json);
  const api = await env.api(values.db);
  const { ids } = await api('compound.diverse', { library: need(values.library, '--library NAME'), n: num(need(values.n, '--n N')) as number });
  const rows: Array<{ id: number; smiles: string }> = [];
  for (const id of ids) rows.push({ id, smiles: (await api('compound.get', { id })).smiles });
  env.print({ ids, compounds: rows }, () => rows.map((r) => `${r.id}\t${r.smiles}`).join('\n'));
  return 0;
}

/** `delicate scaffolds`: Bemis–Murcko scaffolds written as the library's columns; --summary: compounds per scaffold. */
export async function scaffoldsCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {
    library: { type: 'string' },
    summary: { type: 'boolean', default: false },
    column: { type: 'string' },
    limit: { type: 'string' },
  });
  env.setJson(values.json);
  const library = need(values.library, '--library NAME');
  if (values.summary) {
    const api = await env.api(values.db);
    const { rows } = await api('library.scaffoldSummary', {
      library,
      ...(values.column !== undefined ? { column: values.column } : {}),
      ...(values.limit !== undefined ? { limit: num(values.limit) as number } : {}),
    });
    const f = (x: number | null) => (x === null ? '' : x.toFixed(2));
    env.print({ rows }, () =>
      rows.map((r) => `${r.compounds}\t${r.scaffold}${values.column ? `\tmean ${f(r.mean)}\tmin ${f(r.min)}\tmax ${f(r.max)}` : ''}`).join('\n'),
    );
    return 0;
  }
  checked('library.scaffolds', { library });
  const app = await env.context(values.db);
  const print = progressPrinter(env);
  const started = performance.now();
  let r: ScaffoldResult;
  try {
    r = await withCtrlC(env.err, 'cancelling: the library keeps its earlier columns', (signal) =>
      app.scaffolds.scaffolds(library, { signal, onProgress: (p) => print(clusterProgress(p, started, 'given their scaffold')) }),
    );
  } finally {
    if (env.isTTY) env.err('\n');
  }
  env.print(
    r,
    () =>
      `'${r.library}': ${r.compounds} compounds, ${r.scaffolds} scaffolds, ${r.acyclic} acyclic (${r.seconds.toFixed(1)} s); columns ${r.columns.map((c) => `'${c}'`).join(', ')}`,
  );
  return 0;
}

/** One --term of `delicate score`: COL:up|down:LOW:HIGH, COL:range:LOW:HIGH[:tol=T] or COL:target:T:TOL, with an optional :w=WEIGHT. */
export function scoreTermOf(spec: string): ScoreTerm {
  const parts = spec.split(':');
  const opts = new Map(parts.filter((p) => /^(w|tol)=/.test(p)).map((p) => p.split('=') as [string, string]));
  const [column, fn, a, b] = parts.filter((p) => !/^(w|tol)=/.test(p));
  const weight = opts.has('w') ? Number(opts.get('w')) : 1;
  const n = (x: string | undefined) => (x === undefined || x.trim() === '' ? Number.NaN : Number(x));
  if (!column || !fn) throw new UsageError(`--term ${spec}: expected COL:FN:…, e.g. mw:down:350:500 or logS:up:-5:-2:w=2`);
  if (fn === 'up' || fn === 'down') return { column, fn, low: n(a), high: n(b), weight };
  if (fn === 'range') return { column, fn, low: n(a), high: n(b), ...(opts.has('tol') ? { tolerance: Number(opts.get('tol')) } : {}), weight };
  if (fn === 'target') return { column, fn, target: n(a), tolerance: n(b), weight };
  throw new UsageError(`--term ${spec}: the function must be up, down, range or target`);
}

/** `delicate score`: a desirability (MPO) score saved with the library and written as its column; --list: the saved ones. */
export async function scoreCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {
    library: { type: 'string' },
    name: { type: 'string' },
    term: { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
  });
  env.setJson(values.json);
  const library = need(values.library, '--library NAME');
  const api = await env.api(values.db);
  if (values.list) {
    const { scores } = await api('library.scores', { library });
    env.print({ scores }, () => scores.map((d) => `${d.name}: ${d.terms.map((t) => JSON.stringify(t)).join(' ')}`).join('\n') || 'no scores');
    return 0;
  }
  const terms = (values.term ?? []).map(scoreTermOf);
  const r = await api('library.score', { library, score: { name: need(values.name, '--name NAME'), terms } });
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  env.print(
    r,
    () => `'${r.library}': ${r.name} for ${r.scored} compounds (${r.unscored} without any term's value): min ${f(r.min)}, mean ${f(r.mean)}, max ${f(r.max)}`,
  );
  return 0;
}
