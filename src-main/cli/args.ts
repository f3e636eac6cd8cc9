import { parseArgs } from 'node:util';
import type { CompoundSort, DescriptorName, DescriptorRanges } from '../../src-shared/dto';

/** Argument parsing shared by the `delicate` commands. */

/** Exit codes: 0 success (also with rejected records), 1 bad input that stops the command, 2 usage. */
export class UsageError extends Error {}

export const COMMON = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean }>>(argv: string[], options: T) {
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

export function engineOf(value: string | boolean | undefined): 'auto' | 'onnxruntime' | 'tfjs' {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'onnxruntime' || value === 'tfjs') return value;
  throw new UsageError('--engine must be auto, onnxruntime or tfjs');
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


export const DESCRIPTORS: DescriptorName[] = ['mw', 'clogp', 'tpsa', 'hbd', 'hba', 'rotatableBonds', 'rings', 'aromaticRings', 'fractionSp3', 'heavyAtoms', 'lipinskiViolations'];

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

/** `--sort mw` or `--sort mw:desc` (also import, similarity) → a compound order. */
export function sortOf(value: string | undefined): CompoundSort | undefined {
  if (value === undefined) return undefined;
  const [by, dir, extra] = value.split(':');
  const keys = ['import', 'similarity', ...DESCRIPTORS];
  if (extra !== undefined || !keys.includes(by ?? '') || (dir !== undefined && dir !== 'asc' && dir !== 'desc')) {
    throw new UsageError(`--sort takes KEY or KEY:desc with KEY one of ${keys.join(', ')}, got '${value}'`);
  }
  return { by: by as CompoundSort['by'], desc: dir === 'desc' };
}

/** Runs a long job with Ctrl-C as its cancel: `say` tells the user what cancelling keeps. */
export async function withCtrlC<T>(say: (s: string) => void, note: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = () => {
    say(`\n${note}\n`);
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await run(abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
