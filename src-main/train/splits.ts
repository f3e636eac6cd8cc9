import { seededRandom } from '../../src-shared/random';

export type SplitKind = 'random' | 'scaffold' | 'temporal';

export interface Split {
  train: number[];
  valid: number[];
  test: number[];
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = xs.slice();
  const rand = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Random 80/10/10 split of n items. */
export function randomSplit(n: number, seed: number, frac = [0.8, 0.1, 0.1] as const): Split {
  const idx = shuffled(
    Array.from({ length: n }, (_, i) => i),
    seed,
  );
  const a = Math.round(n * frac[0]);
  const b = a + Math.round(n * frac[1]);
  return { train: idx.slice(0, a), valid: idx.slice(a, b), test: idx.slice(b) };
}

/**
 * Scaffold split (Bemis–Murcko): whole scaffold groups go to one side. Groups larger than half the test
 * size go to train first (as chemprop's balanced scaffold split does), the rest in a seeded order, so
 * test molecules have scaffolds the model never saw.
 */
export function scaffoldSplit(scaffolds: string[], seed: number, frac = [0.8, 0.1, 0.1] as const): Split {
  const n = scaffolds.length;
  const groups = new Map<string, number[]>();
  scaffolds.forEach((s, i) => {
    const g = groups.get(s);
    if (g) g.push(i);
    else groups.set(s, [i]);
  });
  const trainSize = Math.round(n * frac[0]);
  const validSize = Math.round(n * frac[1]);
  const testSize = n - trainSize - validSize;
  const all = [...groups.values()];
  const big = all.filter((g) => g.length > validSize / 2 || g.length > testSize / 2).sort((a, b) => b.length - a.length);
  const small = shuffled(
    all.filter((g) => !(g.length > validSize / 2 || g.length > testSize / 2)),
    seed,
  );
  const split: Split = { train: [], valid: [], test: [] };
  for (const g of [...big, ...small]) {
    const to = split.train.length + g.length <= trainSize ? split.train : split.valid.length + g.length <= validSize ? split.valid : split.test;
    // One by one, not push(...g): a group of over ~120k compounds (a large assay's acyclic ones) would
    // overflow the stack as arguments.
    for (const i of g) to.push(i);
  }
  return split;
}

/** Temporal split: oldest 80% train, next 10% valid, newest 10% test (undated items are refused). */
export function temporalSplit(dates: Array<string | null>, frac = [0.8, 0.1, 0.1] as const): Split {
  const missing = dates.findIndex((d) => d === null || d === '');
  if (missing >= 0) throw new Error(`temporal split needs a date for every compound (compound ${missing + 1} has none)`);
  const order = dates
    .map((d, i) => ({ d: d as string, i }))
    .sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : a.i - b.i))
    .map((x) => x.i);
  const a = Math.round(order.length * frac[0]);
  const b = a + Math.round(order.length * frac[1]);
  return { train: order.slice(0, a), valid: order.slice(a, b), test: order.slice(b) };
}
