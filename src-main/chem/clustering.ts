/**
 * Taylor–Butina clustering and MaxMin diversity picking on packed bit fingerprints (ECFP4, 2048 bits).
 *
 * Hand-written: RDKit MinimalLib has neither (RDKit's own Butina is Python, rdkit.ML.Cluster.Butina), and
 * both are a few lines over a similarity. The neighbour search is the cost (all pairs); it is split by rows
 * across the chemistry workers (`neighbourRows`), skips pairs whose bit counts alone rule them out
 * (Tanimoto ≤ min(|a|,|b|)/max(|a|,|b|)), and counts bits 32 at a time.
 */

/** Fingerprints as 32-bit words, one row of `words` per compound (in a SharedArrayBuffer for the workers). */
export interface FingerprintTable {
  /** Compounds. */
  n: number;
  words: Uint32Array;
  /** Words per fingerprint. */
  width: number;
  /** Bits set per fingerprint. */
  counts: Uint16Array;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

/** Packs byte fingerprints (all of one length, a multiple of 4 bytes) into a shared table. */
export function fingerprintTable(fps: Uint8Array[]): FingerprintTable {
  const bytes = fps[0]?.length ?? 0;
  if (bytes % 4 !== 0) throw new Error(`fingerprints of ${bytes} bytes cannot be read as 32-bit words`);
  const width = bytes / 4;
  const words = new Uint32Array(new SharedArrayBuffer(Math.max(1, fps.length * width) * 4));
  const counts = new Uint16Array(new SharedArrayBuffer(Math.max(1, fps.length) * 2));
  fps.forEach((fp, i) => {
    if (fp.length !== bytes) throw new Error(`fingerprint ${i} has ${fp.length} bytes, not ${bytes}`);
    const view = new DataView(fp.buffer, fp.byteOffset, fp.byteLength);
    let c = 0;
    for (let w = 0; w < width; w++) {
      const v = view.getUint32(w * 4, true);
      words[i * width + w] = v;
      c += popcount32(v);
    }
    counts[i] = c;
  });
  return { n: fps.length, words, width, counts };
}

/** Tanimoto similarity of fingerprints i and j of the table. */
export function similarity(t: FingerprintTable, i: number, j: number): number {
  const { words, width, counts } = t;
  let both = 0;
  const a = i * width;
  const b = j * width;
  for (let w = 0; w < width; w++) both += popcount32((words[a + w] as number) & (words[b + w] as number));
  const union = (counts[i] as number) + (counts[j] as number) - both;
  return union === 0 ? 0 : both / union;
}

/** The compounds in order of bit count (ties by index): the rows whose counts allow a similarity are a window of it. */
export function byCount(t: FingerprintTable): Int32Array {
  return Int32Array.from({ length: t.n }, (_, i) => i).sort((a, b) => (t.counts[a] as number) - (t.counts[b] as number) || a - b);
}

/**
 * For each compound i in [from, to): the compounds j > i with Tanimoto(i, j) ≥ threshold (each pair once;
 * `mirrored` makes the full lists). Only j whose bit count allows it are looked at (Tanimoto ≤
 * min/max of the counts): a window of `order` (byCount). A worker runs one slice of rows.
 */
export function neighbourRows(t: FingerprintTable, threshold: number, from: number, to: number, onRow?: (i: number) => void, order = byCount(t)): number[][] {
  const { n, counts } = t;
  const out: number[][] = [];
  // The first position in `order` whose count is at least c.
  const lower = (c: number) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((counts[order[mid] as number] as number) < c) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let i = from; i < to; i++) {
    onRow?.(i);
    const ci = counts[i] as number;
    const row: number[] = [];
    const end = lower(Math.floor(ci / threshold + 1e-9) + 1);
    for (let k = lower(Math.ceil(ci * threshold - 1e-9)); k < end; k++) {
      const j = order[k] as number;
      if (j > i && similarity(t, i, j) >= threshold) row.push(j);
    }
    out.push(row.sort((a, b) => a - b));
  }
  return out;
}

/** Full, ascending neighbour lists from the one-sided rows of neighbourRows (row i: the neighbours j > i). */
export function mirrored(upper: number[][]): number[][] {
  const full: number[][] = upper.map(() => []);
  upper.forEach((row, i) => {
    for (const j of row) {
      (full[i] as number[]).push(j);
      (full[j] as number[]).push(i);
    }
  });
  for (const r of full) r.sort((a, b) => a - b);
  return full;
}

/** Clusters: each a centroid and its members (centroid first), in the order found (largest first). */
export interface Clusters {
  clusters: number[][];
  /** Per compound, its cluster's index in `clusters`. */
  clusterOf: Int32Array;
}

/**
 * Taylor–Butina clustering from the neighbour lists (similarity ≥ the threshold): compounds in order of
 * their neighbour count (most first; ties: the later compound first, as RDKit's Butina.ClusterData), each
 * not yet taken becomes a centroid with every neighbour not yet taken. Same clusters as RDKit's for the
 * same lists.
 */
export function butina(neighbours: number[][]): Clusters {
  const n = neighbours.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (neighbours[b] as number[]).length - (neighbours[a] as number[]).length || b - a);
  const taken = new Uint8Array(n);
  const clusters: number[][] = [];
  const clusterOf = new Int32Array(n).fill(-1);
  for (const c of order) {
    if (taken[c]) continue;
    const members = [c];
    taken[c] = 1;
    for (const j of neighbours[c] as number[]) {
      if (taken[j]) continue;
      taken[j] = 1;
      members.push(j);
    }
    for (const m of members) clusterOf[m] = clusters.length;
    clusters.push(members);
  }
  return { clusters, clusterOf };
}

/**
 * MaxMin diversity picking: starts from `first`, then repeatedly takes the compound whose nearest pick is
 * farthest (lowest maximum similarity to the picks; ties: the lower index). Returns up to `k` indices.
 */
export function maxMin(t: FingerprintTable, k: number, first = 0): number[] {
  const { n } = t;
  if (n === 0 || k <= 0) return [];
  const nearest = new Float64Array(n).fill(-1);
  const picked = new Uint8Array(n);
  const picks: number[] = [];
  let next = Math.min(Math.max(0, first), n - 1);
  while (picks.length < Math.min(k, n)) {
    picks.push(next);
    picked[next] = 1;
    let best = -1;
    let bestSim = Infinity;
    for (let j = 0; j < n; j++) {
      if (picked[j]) continue;
      const s = similarity(t, next, j);
      if (s > (nearest[j] as number)) nearest[j] = s;
      if ((nearest[j] as number) < bestSim) {
        bestSim = nearest[j] as number;
        best = j;
      }
    }
    if (best < 0) break;
    next = best;
  }
  return picks;
}
