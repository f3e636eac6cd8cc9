import type { PropValue } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { loadRdkit, stereoFree } from '../chem/rdkit';
import { standardise } from '../chem/standardise';
import { detectFormat, openRecords } from '../import/records';
import type { AssayColumns } from '../../src-shared/assay-columns';

export type Qualifier = '=' | '<' | '>';
export type Task = 'regression' | 'classification';

/** One measured compound after replicate aggregation. */
export interface AssayPoint {
  /** What the model reads: standardised parent, no stereo (chem/rdkit modelSmiles). */
  smiles: string;
  inchikey: string;
  /**
   * Regression (after unit conversion): the mean of the measured replicates; bounds (`<`, `>`) count only
   * where nothing was measured: then the tightest one (the lowest `<`, the highest `>`), or the mean of
   * bounds on both sides. Classification: 0/1 (majority).
   */
  value: number;
  count: number;
  /** Spread (sd) of the replicates the value comes from; 0 for one. */
  spread: number;
  /** Any replicate was censored (< or >); with `qualifier` `<`/`>` the value is that bound. */
  censored: boolean;
  qualifier: Qualifier;
  date: string | null;
  /** First record (1-based) and line, for messages. */
  record: number;
  /** The file's compound IDs (its ID column or SDF titles) of the grouped records, distinct, comma-separated; null without. */
  id: string | null;
}

export interface AssayData {
  file: string;
  target: string;
  task: Task;
  unit: string | null;
  points: AssayPoint[];
  read: number;
  rejected: Array<{ record: number; line: number | null; reason: string }>;
  replicates: number;
  censored: number;
}

/**
 * A point's bound for the censored loss and the metrics: -1 when its value is an upper bound (every
 * replicate `<`), +1 a lower bound (every replicate `>`), 0 a measurement (also measured replicates with
 * bounds among them, or bounds on both sides: flagged censored, not a bound).
 */
export function boundOf(p: Pick<AssayPoint, 'censored' | 'qualifier'>): -1 | 0 | 1 {
  return !p.censored || p.qualifier === '=' ? 0 : p.qualifier === '<' ? -1 : 1;
}

/** Compound IDs listed per aggregated compound. */
const ID_LIST = 5;

/** Parses a measurement: 7.2, "<10", ">= 5", "=3.1e2"; null for empty. */
export function parseMeasurement(v: PropValue): { value: number; qualifier: Qualifier } | null | 'bad' {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v, qualifier: '=' } : 'bad';
  const m = /^\s*(<=?|>=?|=|~)?\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)\s*$/.exec(v);
  if (!m) return 'bad';
  const q = m[1] ?? '=';
  return { value: Number(m[2]), qualifier: q.startsWith('<') ? '<' : q.startsWith('>') ? '>' : '=' };
}

/** Factors to molar for potency units; IC50/Ki-like values in these units become p-values (-log10 M). */
const TO_MOLAR: Record<string, number> = { M: 1, mM: 1e-3, uM: 1e-6, µM: 1e-6, nM: 1e-9, pM: 1e-12 };

function classLabel(v: PropValue): number | null | 'bad' {
  if (v === null) return null;
  if (v === 0 || v === 1) return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'active', 'yes', 'p', 'pos', 'positive'].includes(s)) return 1;
    if (['0', 'false', 'inactive', 'no', 'n', 'neg', 'negative'].includes(s)) return 0;
  }
  return 'bad';
}

/** How far reading an assay got: records read, rejected so far, distinct compounds. */
export interface AssayReadProgress {
  read: number;
  rejected: number;
  compounds: number;
}

/**
 * Reads assay measurements (SMILES + target column, optional date column) and aggregates replicates
 * per compound (InChIKey of the standardised parent). Unit conversion: with `unit` (nM, µM, …) values
 * become p-values (pIC50/pKi = -log10 molar) and `<`/`>` swap. Bad records are reported, never dropped
 * silently.
 */
export async function readAssay(
  file: string,
  opts: { target: string; task: Task } & AssayColumns,
  hooks: { signal?: AbortSignal; onProgress?: (p: AssayReadProgress) => void } = {},
): Promise<AssayData> {
  const rd = await loadRdkit();
  const format = await detectFormat(file);
  const source = await openRecords(file, format, { smilesCol: opts.smilesCol, idCol: opts.idCol });
  const factor = opts.unit === undefined ? null : TO_MOLAR[opts.unit];
  if (opts.unit !== undefined && !factor) throw new AppError('INVALID_INPUT', `unknown unit '${opts.unit}': use one of ${Object.keys(TO_MOLAR).join(', ')}`);
  const groups = new Map<
    string,
    { smiles: string; inchikey: string; values: number[]; quals: Qualifier[]; date: string | null; record: number; ids: Set<string> }
  >();
  const rejected: AssayData['rejected'] = [];
  let read = 0;
  let seen = 0;
  let sawTarget = false;
  for await (const item of source.records) {
    if (hooks.signal?.aborted) throw new AppError('CANCELLED', `${file}: reading the assay was cancelled after ${seen} records`);
    seen++;
    if (seen % 500 === 0) hooks.onProgress?.({ read: seen, rejected: rejected.length, compounds: groups.size });
    if (!item.ok) {
      rejected.push({ record: item.err.record, line: item.err.line, reason: item.err.reason });
      continue;
    }
    read++;
    const rec = item.rec;
    if (!(opts.target in rec.props)) {
      if (!sawTarget) throw new AppError('INVALID_INPUT', `${file}: no column '${opts.target}' (columns: ${Object.keys(rec.props).join(', ') || 'none'})`);
      rejected.push({ record: rec.record, line: rec.line, reason: `no value for '${opts.target}'` });
      continue;
    }
    sawTarget = true;
    const raw = rec.props[opts.target] ?? null;
    let value: number;
    let qualifier: Qualifier = '=';
    if (opts.task === 'classification') {
      const l = classLabel(raw);
      if (l === null || l === 'bad') {
        rejected.push({
          record: rec.record,
          line: rec.line,
          reason: l === null ? `empty '${opts.target}'` : `'${String(raw)}' is not a class label (0/1, active/inactive, true/false)`,
        });
        continue;
      }
      value = l;
    } else {
      const m = parseMeasurement(raw);
      if (m === null || m === 'bad') {
        rejected.push({ record: rec.record, line: rec.line, reason: m === null ? `empty '${opts.target}'` : `'${String(raw)}' is not a number` });
        continue;
      }
      value = m.value;
      qualifier = m.qualifier;
      if (factor) {
        if (!(value > 0)) {
          rejected.push({ record: rec.record, line: rec.line, reason: `${value} ${opts.unit} cannot be converted to a p-value (must be > 0)` });
          continue;
        }
        value = -Math.log10(value * factor);
        qualifier = qualifier === '<' ? '>' : qualifier === '>' ? '<' : '=';
      }
    }
    const std = standardise(rd, rec.structure);
    const smiles = std.ok ? stereoFree(rd, std.compound.smiles) : null;
    if (!std.ok || smiles === null) {
      rejected.push({ record: rec.record, line: rec.line, reason: `unparseable structure '${rec.structure.slice(0, 80)}'` });
      continue;
    }
    const date = opts.dateCol ? String(rec.props[opts.dateCol] ?? '') || null : null;
    // Replicates are grouped by what the model reads, so stereoisomers (one input to the model) never
    // land on both sides of a split.
    const key = smiles;
    const g = groups.get(key);
    if (g) {
      g.values.push(value);
      g.quals.push(qualifier);
      if (date && (!g.date || date < g.date)) g.date = date;
      if (rec.id) g.ids.add(rec.id);
    } else
      groups.set(key, {
        smiles,
        inchikey: std.compound.inchikey,
        values: [value],
        quals: [qualifier],
        date,
        record: rec.record,
        ids: new Set(rec.id ? [rec.id] : []),
      });
  }
  if (groups.size === 0) throw new AppError('PARSE_ERROR', `${file}: no usable measurements of '${opts.target}' (${rejected.length} records rejected)`);
  const points: AssayPoint[] = [];
  let replicates = 0;
  let censored = 0;
  for (const g of groups.values()) {
    const n = g.values.length;
    if (n > 1) replicates++;
    const isCensored = g.quals.some((q) => q !== '=');
    if (isCensored) censored++;
    // A bound says less than a measurement: measured replicates make the value; bounds alone, the
    // tightest of one direction (below every `<`: the lowest), or the mean of bounds on both sides.
    const measured = g.values.filter((_, i) => g.quals[i] === '=');
    const sameBounds = measured.length === 0 && g.quals.every((q) => q === g.quals[0]);
    const used = measured.length ? measured : g.values;
    const mean = used.reduce((a, b) => a + b, 0) / used.length;
    const spread = used.length > 1 ? Math.sqrt(used.reduce((a, b) => a + (b - mean) ** 2, 0) / (used.length - 1)) : 0;
    const tightest = g.quals[0] === '<' ? Math.min(...g.values) : Math.max(...g.values);
    const value = opts.task === 'classification' ? Number(mean >= 0.5) : sameBounds ? tightest : mean;
    const qualifier: Qualifier = sameBounds ? (g.quals[0] as Qualifier) : '=';
    const ids = [...g.ids];
    // Stereoisomers and salts of one parent can carry several IDs: the first few, then how many more.
    const id = ids.length === 0 ? null : ids.length <= ID_LIST ? ids.join(', ') : `${ids.slice(0, ID_LIST).join(', ')} (+${ids.length - ID_LIST} more)`;
    points.push({ smiles: g.smiles, inchikey: g.inchikey, value, count: n, spread, censored: isCensored, qualifier, date: g.date, record: g.record, id });
  }
  return { file, target: opts.target, task: opts.task, unit: opts.unit ?? null, points, read, rejected, replicates, censored };
}

/** How many readable records the column check looks at (SDF data fields may be missing from some). */
const COLUMN_CHECK_RECORDS = 100;

/**
 * Checks before a training or assay job starts that the file has the columns the request names (SMILES,
 * ID, target, date): a wrong pick is refused at once, naming the file and the columns it has.
 */
export async function checkAssayColumns(path: string, opts: { target: string; name?: string } & AssayColumns): Promise<void> {
  const file = opts.name ?? path;
  const source = await openRecords(path, await detectFormat(path), { smilesCol: opts.smilesCol, idCol: opts.idCol });
  const seen = new Set<string>();
  let records = 0;
  for await (const item of source.records) {
    if (!item.ok) continue;
    for (const k of Object.keys(item.rec.props)) seen.add(k);
    if (opts.target in item.rec.props && (!opts.dateCol || opts.dateCol in item.rec.props)) return;
    if (++records >= COLUMN_CHECK_RECORDS) break;
  }
  if (records === 0) return; // nothing readable: the job's reader reports why, record by record
  const named = [source.columns.smiles, source.columns.id].filter((c): c is string => c !== null && !c.startsWith('('));
  const columns = [...new Set([...named, ...seen])].join(', ') || 'none';
  if (!seen.has(opts.target)) throw new AppError('INVALID_INPUT', `${file}: no column '${opts.target}' to train on (columns: ${columns})`);
  if (opts.dateCol && !seen.has(opts.dateCol)) throw new AppError('INVALID_INPUT', `${file}: no date column '${opts.dateCol}' (columns: ${columns})`);
}
