import { parseArgs } from 'node:util';

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

