// Structured pruning of feed-forward blocks: a narrower student starts from its teacher's layer.
import { packArrays, unpackArrays } from './weights-io';

type Arrays = Map<string, { shape: number[]; values: Float32Array }>;

/**
 * The `keep` most important intermediate units of one feed-forward block, ascending by index. A unit's
 * importance is ‖W_in[:, j]‖₂ · ‖W_out[j, :]‖₂: how much it can move the residual stream.
 */
export function ffnUnitsToKeep(inW: Float32Array, outW: Float32Array, hidden: number, ff: number, keep: number): number[] {
  if (keep > ff) throw new Error(`cannot keep ${keep} of ${ff} feed-forward units`);
  const score = new Float64Array(ff);
  for (let j = 0; j < ff; j++) {
    let a = 0;
    for (let i = 0; i < hidden; i++) a += (inW[i * ff + j] as number) ** 2;
    let b = 0;
    for (let i = 0; i < hidden; i++) b += (outW[j * hidden + i] as number) ** 2;
    score[j] = Math.sqrt(a * b);
  }
  return Array.from({ length: ff }, (_, j) => j)
    .sort((x, y) => (score[y] as number) - (score[x] as number) || x - y)
    .slice(0, keep)
    .sort((x, y) => x - y);
}

/**
 * Packed weights with every `layer.N.ffn` block narrowed to `ff` units (see ffnUnitsToKeep); other
 * parameters unchanged. The pruned block computes the same function minus the dropped units' terms.
 */
export function pruneFfn(weights: Uint8Array, ff: number): Buffer {
  const arrays: Arrays = unpackArrays(weights);
  for (const [name, inW] of [...arrays.entries()]) {
    const m = /^(layer\.\d+\.ffn)\.in\.w$/.exec(name);
    if (!m) continue;
    const prefix = m[1] as string;
    const [hidden, width] = inW.shape as [number, number];
    if (width === ff) continue;
    const inB = arrays.get(`${prefix}.in.b`);
    const outW = arrays.get(`${prefix}.out.w`);
    if (!inB || !outW) throw new Error(`${prefix} is incomplete in the stored weights`);
    const keep = ffnUnitsToKeep(inW.values, outW.values, hidden, width, ff);
    const nIn = new Float32Array(hidden * ff);
    const nOut = new Float32Array(ff * hidden);
    keep.forEach((j, k) => {
      for (let i = 0; i < hidden; i++) {
        nIn[i * ff + k] = inW.values[i * width + j] as number;
        nOut[k * hidden + i] = outW.values[j * hidden + i] as number;
      }
    });
    arrays.set(name, { shape: [hidden, ff], values: nIn });
    arrays.set(`${prefix}.in.b`, { shape: [ff], values: Float32Array.from(keep, (j) => inB.values[j] as number) });
    arrays.set(`${prefix}.out.w`, { shape: [ff, hidden], values: nOut });
  }
  return packArrays(arrays);
}
