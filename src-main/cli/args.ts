import { parseArgs } from 'node:util';
import { DESCRIPTOR_NAMES } from '../../src-shared/descriptors';
import type { ColumnFilter, CompoundSort, DescriptorName, DescriptorRanges, SortKey } from '../../src-shared/dto';

/** Argument parsing shared by the `delicate` commands. */

/** Exit codes: 0 success (also with rejected records), 1 bad input that stops the command, 2 usage. */
export class UsageError extends Error {}

export const COMMON = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean }>>(
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function need(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing ${flag}`);
  return value;
}

export function int(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got '${String(value)}'`);
  return n;
}

/** A whole number of at least 1 (a count, a size), or undefined when the flag is absent. */
export function positive(value: string | boolean | undefined, flag: string): number | undefined {
  const n = int(value, flag);
  if (n === 0) throw new UsageError(`${flag} must be at least 1`);
  return n;
}

export function engineOf(value: string | boolean | undefined): 'auto' | 'onnxruntime' | 'onnxruntime-int8' | 'tfjs' {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'onnxruntime' || value === 'onnxruntime-int8' || value === 'tfjs') return value;
  throw new UsageError('--engine must be auto, onnxruntime, onnxruntime-int8 or tfjs');
}

export function nonNegative(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0) || typeof value !== 'string' || value.trim() === '') throw new UsageError(`${flag} must be a non-negative number, got '${String(value)}'`);
  return n;
}

export function fraction(value: string | boolean | undefined, flag: string): number | undefined {
  const n = nonNegative(value, flag);
  if (n !== undefined && n > 1) throw new UsageError(`${flag} must be between 0 and 1`);
  return n;
}

export const DESCRIPTORS: DescriptorName[] = [...DESCRIPTOR_NAMES];

/** `--range mw:200:500` (either bound may be empty) → descriptor ranges. */
export function rangesOf(values: string[] | undefined): DescriptorRanges | undefined {
  if (!values?.length) return undefined;
  const out: DescriptorRanges = {};
  for (const v of values) {
    const [name, lo, hi, extra] = v.split(':');
    if (extra !== undefined || hi === undefined || !DESCRIPTORS.includes(name as DescriptorName)) {
      throw new UsageError(`--range takes NAME:MIN:MAX with NAME one of ${DESCRIPTORS.join(', ')}, got '${v}'`);
    }
    const num = (x: string) => {
      if (x === '') return undefined;
      const n = Number(x);
      if (!Number.isFinite(n)) throw new UsageError(`--range ${v}: '${x}' is not a number`);
      return n;
    };
    out[name as DescriptorName] = { ...(num(lo ?? '') !== undefined ? { min: num(lo ?? '') } : {}), ...(num(hi) !== undefined ? { max: num(hi) } : {}) };
  }
  return out;
}

/**
 * `compounds --range NAME:MIN:MAX` (repeatable): a descriptor range, or a range on one of the library's
 * own columns (numbers, or dates as YYYY-MM-DD); either bound may be empty.
 */
export function compoundRangesOf(values: string[] | undefined): { ranges?: DescriptorRanges; filters: ColumnFilter[] } {
  const ranges: DescriptorRanges = {};
  const filters: ColumnFilter[] = [];
  for (const v of values ?? []) {
    const parts = v.split(':');
    if (parts.length < 3)
      throw new UsageError(`--range takes NAME:MIN:MAX (a descriptor, ${DESCRIPTORS.join(', ')}, or one of the library's columns), got '${v}'`);
    const hi = parts.pop() as string;
    const lo = parts.pop() as string;
    const name = parts.join(':');
    if (DESCRIPTORS.includes(name as DescriptorName)) {
      Object.assign(ranges, rangesOf([`${name}:${lo}:${hi}`]));
      continue;
    }
    const bound = (x: string) => (x === '' ? undefined : Number.isFinite(Number(x)) ? Number(x) : x);
    const min = bound(lo);
    const max = bound(hi);
    if (min === undefined && max === undefined) throw new UsageError(`--range ${v}: give a lower or an upper bound`);
    filters.push({ column: name, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
  }
  return { ...(Object.keys(ranges).length ? { ranges } : {}), filters };
}

/** `--where COL=VALUE` (equals, case-insensitive; true/false for yes/no columns) or `--where COL~TEXT` (contains). */
export function whereOf(values: string[] | undefined): ColumnFilter[] {
  return (values ?? []).map((v) => {
    const m = /^([^=~]+)([=~])(.*)$/.exec(v);
    if (!m) throw new UsageError(`--where takes COLUMN=VALUE or COLUMN~TEXT, got '${v}'`);
    const [, column, op, value] = m as unknown as [string, string, string, string];
    return op === '=' ? { column, equals: value } : { column, contains: value };
  });
}

/**
 * `--sort logS:desc,mw`: keys in order of precedence, each KEY or KEY:desc; KEY a descriptor, import,
 * similarity, or one of the library's own columns.
 */
export function sortKeysOf(value: string | undefined): SortKey[] | undefined {
  if (value === undefined) return undefined;
  const keys = ['import', 'similarity', ...DESCRIPTORS];
  return value.split(',').map((part) => {
    const m = /^(.+?)(?::(asc|desc))?$/.exec(part.trim());
    const key = m?.[1] ?? '';
    if (!key) throw new UsageError(`--sort takes KEY[:desc][,KEY[:desc]…], got '${value}'`);
    const desc = m?.[2] === 'desc';
    return keys.includes(key) ? { by: key as CompoundSort['by'], desc } : { column: key, desc };
  });
}

/** Runs a long job with Ctrl-C as its cancel: `say` tells the user what cancelling keeps. */
export async function withCtrlC<T>(
  say: (s: string) => void,
  note: string,
  run: (signal: AbortSignal) => Promise<T>,
  signals: NodeJS.Signals[] = ['SIGINT'],
): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => {
    say(`\n${note}\n`);
    abort.abort();
  };
  for (const s of signals) process.once(s, onSignal);
  try {
    return await run(abort.signal);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
