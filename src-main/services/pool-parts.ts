import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';

/** Progress and cancel of a library-wide analysis (clustering, scaffolds). */
export interface PartsOptions {
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

/**
 * Runs items [0, n) in parts of `per` on the chemistry pool, one part per worker at a time, and returns each
 * part's result in order. Progress after each part; a cancel stops between parts with CANCELLED
 * (`cancelled` says what was stopped), before anything is written.
 */
export async function inParts<T>(
  chem: ChemPool,
  n: number,
  per: number,
  run: (from: number, to: number) => Promise<T>,
  opts: PartsOptions & { cancelled: string },
): Promise<T[]> {
  const out: T[] = new Array(Math.ceil(n / per));
  let done = 0;
  let next = 0;
  const stop = () => {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', opts.cancelled);
  };
  const worker = async () => {
    while (next < out.length) {
      stop();
      const k = next++;
      const from = k * per;
      const to = Math.min(n, from + per);
      out[k] = await run(from, to);
      done += to - from;
      opts.onProgress?.({ done, total: n });
    }
  };
  await Promise.all(Array.from({ length: chem.size }, worker));
  stop();
  return out;
}
