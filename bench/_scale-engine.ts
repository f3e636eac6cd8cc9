// The work a file screen cannot avoid, timed in the bench's own process for `npm run bench -- scale`
// (issue 35): the chemistry alone, and the chemistry with the scoring, as a file screen runs them (the
// chemistry workers and ONNX Runtime sharing the cores, chunks in flight), without a file to read, scores to
// write or a top-K to keep. Beside the file screen of the same molecules, it says what the streaming path
// itself costs, and what the cores allow once each molecule is standardised.
import { ChemPool } from '../src-main/chem/chem-pool';
import type { ScreenParentResult } from '../src-main/chem/standardise';
import type { ScreenItem } from '../src-main/screen/scorer';
import { ScreenPool } from '../src-main/screen/screen-pool';
import type { ScoringSpec } from '../src-main/train/predict-types';
import { readsDescriptors } from '../src-main/train/predict-types';

/** The file screen's chunk size (file-screen.ts CHUNK). */
const CHUNK = 1024;

export interface EngineRates {
  /** Standardised parents (model SMILES, ECFP4) per second on the chemistry workers, every core. */
  chemistryMolPerSec: number;
  /** Molecules per second standardised and scored (domain included), as a file screen pipelines them. */
  pipelineMolPerSec: number;
  /** Molecules the chemistry read (the rest: unparseable). */
  parsed: number;
  /** Seconds to start the chemistry workers (RDKit loaded) and the scoring (the model's session made and run once): not in the rates, in a file screen's. */
  startSeconds: number;
}

/** Runs `chunks` through `work` with at most `capacity` in flight, in order, like the file screen's loop. */
async function pipelined<T>(chunks: string[][], capacity: number, work: (c: string[], i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  const inFlight: Array<Promise<T>> = [];
  for (let i = 0; i < chunks.length; i++) {
    const p = work(chunks[i] as string[], i);
    p.catch(() => undefined);
    inFlight.push(p);
    while (inFlight.length >= capacity) out.push(await (inFlight.shift() as Promise<T>));
  }
  while (inFlight.length) out.push(await (inFlight.shift() as Promise<T>));
  return out;
}

/** Times the chemistry alone, then the chemistry with the scoring, on `smiles` (every core). */
export async function engineRates(models: ScoringSpec[], smiles: string[]): Promise<EngineRates> {
  const chunks: string[][] = [];
  for (let i = 0; i < smiles.length; i += CHUNK) chunks.push(smiles.slice(i, i + CHUNK));
  const descriptors = readsDescriptors(models);
  let started = performance.now();
  const chem = new ChemPool();
  let pool: ScreenPool | null = null;
  try {
    const parents = (inputs: string[]) => chem.run({ op: 'parents', inputs, ...(descriptors ? { descriptors } : {}) }, 'bulk') as Promise<ScreenParentResult[]>;
    // RDKit loaded in every worker before the timing.
    await Promise.all(Array.from({ length: chem.size }, () => parents(['CCO'])));
    const chemStartSeconds = (performance.now() - started) / 1000;
    let t0 = performance.now();
    const alone = await pipelined(chunks, chem.size * 2, parents);
    const chemistryMolPerSec = smiles.length / ((performance.now() - t0) / 1000);
    const parsed = alone.reduce((n, rs) => n + rs.filter((r) => r.ok).length, 0);

    started = performance.now();
    pool = await ScreenPool.start(models, 'auto', undefined, { shared: true });
    const scorer = pool;
    // Its sessions made and run once before the timing.
    const first = alone.flat().find((r) => r.ok);
    if (first?.ok) await scorer.score(-1, [{ id: -1, ...first.compound }]);
    const startSeconds = chemStartSeconds + (performance.now() - started) / 1000;
    t0 = performance.now();
    await pipelined(chunks, chem.size + scorer.capacity, async (c, i) => {
      const items: ScreenItem[] = [];
      (await parents(c)).forEach((r, k) => r.ok && items.push({ id: i * CHUNK + k, ...r.compound }));
      return items.length ? scorer.score(i, items) : null;
    });
    const pipelineMolPerSec = smiles.length / ((performance.now() - t0) / 1000);
    return { chemistryMolPerSec, pipelineMolPerSec, parsed, startSeconds };
  } finally {
    await pool?.close();
    await chem.close();
  }
}
