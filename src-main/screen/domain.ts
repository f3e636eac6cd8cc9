/**
 * Applicability domain: the highest ECFP4 Tanimoto similarity of a query to a model's training set.
 * An inverted index (bit → training molecules that set it) makes one query cost the summed lengths of
 * its bits' postings instead of a full pass over every training fingerprint: screening a 150k library
 * against a few thousand training molecules stays a small share of inference time.
 */
export class DomainIndex {
  private readonly postings: Int32Array[];
  private readonly counts: Int32Array;
  private readonly shared: Int32Array;
  private readonly touched: Int32Array;
  readonly size: number;

  /** `fps`: packed fingerprints (all the same length, bit i of byte j is bit 8j+i). */
  constructor(fps: ReadonlyArray<Uint8Array>) {
    this.size = fps.length;
    const bits = (fps[0]?.length ?? 0) * 8;
    const lists: number[][] = Array.from({ length: bits }, () => []);
    this.counts = new Int32Array(fps.length);
    fps.forEach((fp, m) => {
      if (fp.length * 8 !== bits) throw new Error(`fingerprint ${m} has ${fp.length * 8} bits, expected ${bits}`);
      for (const b of onBits(fp)) {
        (lists[b] as number[]).push(m);
        (this.counts[m] as number)++;
      }
    });
    this.postings = lists.map((l) => Int32Array.from(l));
    this.shared = new Int32Array(fps.length);
    this.touched = new Int32Array(fps.length);
  }

  /** Max Tanimoto of `fp` to the training set; null when the set is empty. */
  maxSimilarity(fp: Uint8Array): number | null {
    return this.size === 0 ? null : this.maxSimilarityOfBits(onBits(fp));
  }

  /** The same from the query's set bits (computed once when several indices are asked). */
  maxSimilarityOfBits(query: ReadonlyArray<number>): number | null {
    if (this.size === 0) return null;
    let nTouched = 0;
    for (const b of query) {
      const list = this.postings[b];
      if (!list) continue;
      for (let k = 0; k < list.length; k++) {
        const m = list[k] as number;
        if (this.shared[m] === 0) this.touched[nTouched++] = m;
        (this.shared[m] as number)++;
      }
    }
    let best = 0;
    for (let k = 0; k < nTouched; k++) {
      const m = this.touched[k] as number;
      const c = this.shared[m] as number;
      const t = c / (query.length + (this.counts[m] as number) - c);
      if (t > best) best = t;
      this.shared[m] = 0;
    }
    // A query without set bits shares nothing with anything: similarity 0.
    return best;
  }
}

/** Indices of the set bits of a packed fingerprint. */
export function onBits(fp: Uint8Array): number[] {
  const out: number[] = [];
  for (let j = 0; j < fp.length; j++) {
    let v = fp[j] as number;
    while (v) {
      const low = v & -v;
      out.push(j * 8 + (31 - Math.clz32(low)));
      v ^= low;
    }
  }
  return out;
}
