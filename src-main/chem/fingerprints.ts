/** Packed bit fingerprints (RDKit's Morgan bit vectors as bytes): bit counts and Tanimoto similarity. */

const POPCOUNT8 = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (t[i >> 1] ?? 0) + (i & 1);
  return t;
})();

/** Popcount of a packed fingerprint. */
export function popcount(a: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += POPCOUNT8[a[i] as number] as number;
  return n;
}

/** Tanimoto similarity of two packed fingerprints of the same length; `countA` may be precomputed. */
export function tanimoto(a: Uint8Array, b: Uint8Array, countA = popcount(a)): number {
  let both = 0;
  let countB = 0;
  for (let i = 0; i < a.length; i++) {
    const y = b[i] as number;
    both += POPCOUNT8[(a[i] as number) & y] as number;
    countB += POPCOUNT8[y] as number;
  }
  const union = countA + countB - both;
  return union === 0 ? 0 : both / union;
}
