import type { Descriptors } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import type { LateChemistryResult } from '../chem/standardise';
import { CompoundRepo } from '../db/compound-repo';
import type { Db } from '../db/database';

/**
 * The second step of an import: the descriptors and substructure pattern fingerprints of the compounds
 * stored without them (an import stores identity, SMILES and ECFP4 first: that is under half of RDKit's
 * work per molecule, and the library can be browsed, searched and screened while the rest comes). The
 * state is the compounds' `descriptors_pending` flag, so a fill that was cancelled or cut off by a crash
 * simply goes on at the next one; two processes filling at once store each compound once.
 */

export interface FillProgress {
  done: number;
  total: number;
  rate: number;
  etaSeconds: number | null;
}

export interface FillSummary {
  computed: number;
  /** Compounds RDKit could not compute descriptors for (their columns stay empty; not tried again). */
  failed: number;
  seconds: number;
}

const CHUNK = 256;

export async function fillDescriptors(
  db: Db,
  chem: ChemPool,
  opts: { signal?: AbortSignal | undefined; onProgress?: ((p: FillProgress) => void) | undefined } = {},
): Promise<FillSummary> {
  const repo = new CompoundRepo(db);
  const started = performance.now();
  const total = repo.pendingDescriptors();
  const summary = { computed: 0, failed: 0 };
  let lastProgress = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!opts.onProgress || (!force && now - lastProgress < 250)) return;
    lastProgress = now;
    const done = summary.computed + summary.failed;
    const elapsed = (now - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    opts.onProgress({ done, total, rate, etaSeconds: rate > 0 && done < total ? (total - done) / rate : null });
  };
  const save = (rows: Array<{ id: number }>, results: LateChemistryResult[]) => {
    const out = rows.map((r, i) => {
      const res = results[i] ?? { ok: false as const, reason: 'no result' };
      if (res.ok) summary.computed++;
      else summary.failed++;
      return { id: r.id, descriptors: res.ok ? res.descriptors : (null as Descriptors | null), patternFp: res.ok ? res.patternFp : null };
    });
    repo.saveDescriptors(out);
    report();
  };
  // Up to two chunks per worker in flight, saved in order as they come back.
  const inFlight: Array<{ rows: Array<{ id: number; smiles: string }>; results: Promise<LateChemistryResult[]> }> = [];
  let after = 0;
  try {
    for (;;) {
      if (opts.signal?.aborted) break;
      const rows = repo.waitingForDescriptors(after, CHUNK);
      if (!rows.length) break;
      after = (rows[rows.length - 1] as { id: number }).id;
      const results = chem.run({ op: 'late', inputs: rows.map((r) => r.smiles) }, 'bulk');
      results.catch(() => undefined);
      inFlight.push({ rows, results });
      while (inFlight.length >= chem.size * 2) {
        const b = inFlight.shift() as (typeof inFlight)[number];
        save(b.rows, await b.results);
      }
    }
    // What was computed before a cancel is kept.
    while (inFlight.length) {
      const b = inFlight.shift() as (typeof inFlight)[number];
      save(b.rows, await b.results);
    }
  } catch (err) {
    await Promise.allSettled(inFlight.map((b) => b.results));
    throw err;
  }
  report(true);
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  if (opts.signal?.aborted)
    throw new AppError(
      'CANCELLED',
      `computing descriptors cancelled after ${summary.computed + summary.failed} of ${total} compounds; the rest follow at the next start or import`,
    );
  return { ...summary, seconds };
}
