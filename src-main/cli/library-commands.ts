import type { ImportFormat, ImportSummary } from '../../src-shared/dto';
import { UsageError, compoundRangesOf, int, need, parse, sortKeysOf, whereOf, withCtrlC } from './args';
import { importProgress } from '../services/job-progress';
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
  const format = values.format;
  if (format !== undefined && !['smi', 'csv', 'tsv', 'sdf'].includes(format)) throw new UsageError(`--format must be smi, csv, tsv or sdf`);
  const app = await env.context(values.db);
  let summary: ImportSummary;
  const print = progressPrinter(env);
  try {
    const { importFile } = await import('../services/import-service');
    summary = await withCtrlC(env.err, 'cancelling: the batches committed so far are kept; run the same command again to resume', (signal) =>
      importFile(app.db, app.chem, {
        file: positionals[0] as string,
        library: need(values.library, '--library NAME'),
        smilesCol: values['smiles-col'],
        idCol: values['id-col'],
        format: format as ImportFormat | undefined,
        signal,
        onProgress: (p) => print(importProgress(p)),
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
    const errs = summary.errors.slice(0, 20).map((e) => `  record ${e.record}${e.line ? `, line ${e.line}` : ''}: ${e.reason}`);
    return [head, ...summary.warnings.map((w) => `Warning: ${w}`), ...(errs.length ? ['Rejected records:', ...errs] : [])].join('\n');
  });
  return 0;
}

/** `delicate libraries`: the libraries and their sizes. */
export async function librariesCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {});
  env.setJson(values.json);
  const libraries = (await env.context(values.db)).libraries.list();
  env.print({ libraries: libraries.map((l) => ({ name: l.name, compounds: l.compounds, records: l.members, createdAt: l.createdAt })) }, () =>
    libraries.length === 0
      ? 'No libraries yet: import one with `delicate import FILE --library NAME`.'
      : libraries.map((l) => `${l.name}\t${l.compounds} compounds\t${l.createdAt}`).join('\n'),
  );
  return 0;
}

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
  const minSim = values['min-sim'] === undefined ? undefined : Number(values['min-sim']);
  if (minSim !== undefined && !(minSim >= 0 && minSim <= 1)) throw new UsageError('--min-sim must be between 0 and 1');
  if (minSim !== undefined && values.similar === undefined) throw new UsageError('--min-sim needs --similar SMILES');
  const library = need(values.library, '--library NAME');
  if (values.columns || values['set-type'] !== undefined) {
    // The library's own columns and their types; --set-type COL:TYPE changes one first.
    const libs = (await env.context(values.db)).libraries;
    let cols;
    if (values['set-type'] !== undefined) {
      const m = /^(.+):(number|text|date|boolean)$/.exec(values['set-type']);
      if (!m) throw new UsageError(`--set-type takes COLUMN:TYPE with TYPE number, text, date or boolean, got '${values['set-type']}'`);
      cols = libs.setColumnType(library, m[1] as string, m[2] as 'number' | 'text' | 'date' | 'boolean');
    } else cols = libs.columnsOf(library);
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
    const libs = (await env.context(values.db)).libraries;
    const ids = await libs.matchingIds(query);
    const result: { matched: number; written?: number; file?: string; library?: string } = { matched: ids.length };
    if (values.out !== undefined) {
      const ext = /\.(csv|sdf|smi)$/i.exec(values.out)?.[1]?.toLowerCase();
      if (!ext) throw new UsageError(`--out ${values.out}: give a .csv, .sdf or .smi file`);
      result.written = await libs.exportSelection(library, ids, values.out, ext as 'csv' | 'sdf' | 'smi');
      result.file = values.out;
    }
    if (values['save-as'] !== undefined) result.library = libs.saveSelection(library, ids, values['save-as']).name;
    env.print(result, () =>
      [
        `${ids.length} compounds matched`,
        ...(result.file ? [`${result.written} written to ${result.file}`] : []),
        ...(result.library ? [`saved as library '${result.library}'`] : []),
      ].join('; '),
    );
    return 0;
  }
  const page = await (await env.context(values.db)).libraries.query({ ...query, limit: int(values.limit, '--limit'), offset: int(values.offset, '--offset') });
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
  const written = await (await env.context(values.db)).libraries.export(need(values.library, '--library NAME'), need(values.out, '--out FILE'));
  env.print({ written }, () => `${written} records written to ${values.out}`);
  return 0;
}
