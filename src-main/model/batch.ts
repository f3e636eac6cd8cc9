import { PAD } from './tokenizer';

export interface PaddedBatch {
  ids: Int32Array;
  mask: Float32Array;
  b: number;
  t: number;
}

/** Pads token sequences to the longest one in the batch ([PAD], mask 0). */
export function padBatch(seqs: ReadonlyArray<ArrayLike<number>>): PaddedBatch {
  const b = seqs.length;
  const t = seqs.reduce((m, s) => Math.max(m, s.length), 1);
  const ids = new Int32Array(b * t).fill(PAD);
  const mask = new Float32Array(b * t);
  seqs.forEach((s, i) => {
    for (let j = 0; j < s.length; j++) {
      ids[i * t + j] = s[j] as number;
      mask[i * t + j] = 1;
    }
  });
  return { ids, mask, b, t };
}

/**
 * Groups item indices into batches of similar token length (length bucketing), so little compute goes
 * to padding. Returns batches of at most `batchSize` indices, shortest first; every index appears once.
 */
export function lengthBatches(lengths: ArrayLike<number>, batchSize: number): number[][] {
  if (!(batchSize >= 1)) throw new Error('batch size must be at least 1');
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/**
 * Random training batches with little padding (bucketing with noise, like tf.data's
 * bucket_by_sequence_length): the shuffled order is cut into pools of `pool` batches, each pool is sorted
 * by length and cut into batches, and the batches are shuffled. `pool` 1 gives plain random batches; 8
 * computes ~80-90% real tokens on the MoleculeNet sets against 40-65% for plain random batches of 32.
 * Every index appears once; `rand` (uniform in [0, 1)) makes it reproducible.
 */
export function shuffledLengthBatches(lengths: ArrayLike<number>, batchSize: number, rand: () => number, pool = 1): number[][] {
  if (!(batchSize >= 1)) throw new Error('batch size must be at least 1');
  if (!(pool >= 1) || !Number.isInteger(pool)) throw new Error(`length pool must be a whole number of batches >= 1 (got ${pool})`);
  const shuffle = <T>(a: T[]): T[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j] as T, a[i] as T];
    }
    return a;
  };
  const order = shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  if (pool === 1) return Array.from({ length: Math.ceil(order.length / batchSize) }, (_, s) => order.slice(s * batchSize, (s + 1) * batchSize));
  const out: number[][] = [];
  for (let p = 0; p < order.length; p += pool * batchSize) {
    const chunk = order.slice(p, p + pool * batchSize).sort((a, b) => (lengths[a] as number) - (lengths[b] as number));
    for (let i = 0; i < chunk.length; i += batchSize) out.push(chunk.slice(i, i + batchSize));
  }
  return shuffle(out);
}

/** Padding fraction of a batching: padded tokens / all tokens computed. */
export function paddingFraction(lengths: ArrayLike<number>, batches: number[][]): number {
  let real = 0;
  let total = 0;
  for (const batch of batches) {
    const t = Math.max(...batch.map((i) => lengths[i] as number));
    for (const i of batch) real += lengths[i] as number;
    total += t * batch.length;
  }
  return total === 0 ? 0 : 1 - real / total;
}
