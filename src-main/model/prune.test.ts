import { describe, expect, it } from 'vitest';
import { ffnUnitsToKeep, pruneFfn } from './prune';
import { packArrays, unpackArrays } from './weights-io';

/** y = relu(x·W_in + b_in)·W_out + b_out for one row x. */
function ffn(x: number[], a: Map<string, { shape: number[]; values: Float32Array }>, p: string): number[] {
  const inW = a.get(`${p}.in.w`)!;
  const [h, f] = inW.shape as [number, number];
  const inB = a.get(`${p}.in.b`)!.values;
  const outW = a.get(`${p}.out.w`)!.values;
  const outB = a.get(`${p}.out.b`)!.values;
  const mid = Array.from({ length: f }, (_, j) =>
    Math.max(
      0,
      x.reduce((s, xi, i) => s + xi * (inW.values[i * f + j] as number), inB[j] as number),
    ),
  );
  return Array.from({ length: h }, (_, i) => mid.reduce((s, m, j) => s + m * (outW[j * h + i] as number), outB[i] as number));
}

describe('feed-forward pruning', () => {
  it('ranks units by ‖W_in[:, j]‖·‖W_out[j, :]‖ (hand-computed)', () => {
    // hidden 2, ff 3. Column norms of W_in: unit0 √(1+0)=1, unit1 √(9+16)=5, unit2 √(0.25+0)=0.5;
    // row norms of W_out: unit0 √(4+0)=2, unit1 √(0.01+0)=0.1, unit2 √(36+64)=10.
    // Importance: 2, 0.5, 5 → keep 2 of 3 = units {0, 2}, in index order.
    const inW = Float32Array.from([1, 3, 0.5, 0, 4, 0]); // [h=2, ff=3] row-major
    const outW = Float32Array.from([2, 0, 0.1, 0, 6, 8]); // [ff=3, h=2]
    expect(ffnUnitsToKeep(inW, outW, 2, 3, 2)).toEqual([0, 2]);
    expect(ffnUnitsToKeep(inW, outW, 2, 3, 1)).toEqual([2]);
    expect(() => ffnUnitsToKeep(inW, outW, 2, 3, 4)).toThrow(/4 of 3/);
  });

  it('keeps the block’s function when the dropped units contribute nothing', () => {
    const h = 3;
    const ff = 4;
    // Units 1 and 3 have zero output rows: the block computes the same with only units 0 and 2.
    const arrays = new Map([
      ['layer.0.ffn.in.w', { shape: [h, ff], values: Float32Array.from([0.5, -1, 0.2, 2, 1, 0.3, -0.4, 1, -0.2, 0.7, 0.9, -3]) }],
      ['layer.0.ffn.in.b', { shape: [ff], values: Float32Array.from([0.1, 0.2, -0.1, 0.3]) }],
      ['layer.0.ffn.out.w', { shape: [ff, h], values: Float32Array.from([1, -2, 0.5, 0, 0, 0, 0.3, 0.8, -1, 0, 0, 0]) }],
      ['layer.0.ffn.out.b', { shape: [h], values: Float32Array.from([0.05, -0.05, 0]) }],
      ['emb.token', { shape: [2, h], values: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ]);
    const pruned = unpackArrays(pruneFfn(packArrays(arrays), 2));
    expect(pruned.get('layer.0.ffn.in.w')?.shape).toEqual([h, 2]);
    expect(pruned.get('layer.0.ffn.out.w')?.shape).toEqual([2, h]);
    expect(Array.from(pruned.get('layer.0.ffn.in.b')!.values)).toEqual([Math.fround(0.1), Math.fround(-0.1)]);
    expect(pruned.get('emb.token')).toEqual(arrays.get('emb.token'));
    for (const x of [
      [1, 0, -1],
      [0.3, 2, 0.5],
      [-1, -1, 2],
    ]) {
      const full = ffn(x, arrays, 'layer.0.ffn');
      const small = ffn(x, pruned, 'layer.0.ffn');
      small.forEach((v, i) => expect(v).toBeCloseTo(full[i] as number, 5));
    }
  });
});
