import { padBatch, shuffledLengthBatches } from '../model/batch';
import { CLS, MASK, PAD, SEP, SPECIAL_TOKENS } from '../model/tokenizer';

/**
 * One epoch's order of the training molecules: length-pooled batches (see `shuffledLengthBatches`)
 * laid end to end, the one short batch (when the batch size does not divide the set) last, so every
 * step but an epoch's last takes one whole pooled batch. With pool 1 it is a plain seeded permutation.
 */
export function epochOrder(lengths: ArrayLike<number>, batch: number, rand: () => number, pool: number): Int32Array {
  const batches = shuffledLengthBatches(lengths, batch, rand, pool);
  const short = batches.findIndex((x) => x.length < batch);
  if (short >= 0) batches.push(...batches.splice(short, 1));
  return Int32Array.from(batches.flat());
}

/** A masked batch: model input, labels at masked positions and their flat row indices. */
export interface MaskedBatch {
  ids: Int32Array;
  mask: Float32Array;
  b: number;
  t: number;
  positions: Int32Array;
  labels: Int32Array;
}

/**
 * BERT masking: maskRate of the real tokens (at least one per molecule) are predicted; of those 80%
 * become [MASK], 10% a random token, 10% stay. Deterministic given `random`.
 */
export function maskBatch(seqs: Int32Array[], vocabSize: number, maskRate: number, random: () => number): MaskedBatch {
  const { ids, mask, b, t } = padBatch(seqs);
  const positions: number[] = [];
  const labels: number[] = [];
  const firstReal = SPECIAL_TOKENS.length;
  seqs.forEach((s, i) => {
    const candidates: number[] = [];
    for (let j = 0; j < s.length; j++) if (s[j] !== CLS && s[j] !== SEP && s[j] !== PAD) candidates.push(j);
    if (candidates.length === 0) return;
    let chosen = candidates.filter(() => random() < maskRate);
    if (chosen.length === 0) chosen = [candidates[Math.floor(random() * candidates.length)] as number];
    for (const j of chosen) {
      const flat = i * t + j;
      positions.push(flat);
      labels.push(ids[flat] as number);
      const r = random();
      if (r < 0.8) ids[flat] = MASK;
      else if (r < 0.9) ids[flat] = firstReal + Math.floor(random() * (vocabSize - firstReal));
    }
  });
  return { ids, mask, b, t, positions: Int32Array.from(positions), labels: Int32Array.from(labels) };
}

/** Linear warmup then linear decay to zero. */
export function learningRate(step: number, total: number, peak: number, warmupFraction: number): number {
  const warm = Math.max(1, Math.round(total * warmupFraction));
  if (step < warm) return (peak * (step + 1)) / warm;
  return Math.max(0, (peak * (total - step)) / Math.max(1, total - warm));
}
