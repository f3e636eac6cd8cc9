/** One ranked row of a file screen: its global record number, the ranking score and the row as written. */
export interface TopEntry {
  record: number;
  score: number;
  fields: string[];
}

/**
 * The K best rows by score (highest first, or lowest with `ascending`); ties go to the earlier record, so
 * the result does not depend on the order rows arrive in: a merge of shards equals one process's top K.
 * A binary heap whose root is the worst row kept.
 */
export class TopK {
  private readonly heap: TopEntry[] = [];

  constructor(
    readonly k: number,
    readonly ascending = false,
  ) {}

  /** Whether a is ranked above b. */
  better(a: TopEntry, b: TopEntry): boolean {
    if (a.score !== b.score) return this.ascending ? a.score < b.score : a.score > b.score;
    return a.record < b.record;
  }

  get size(): number {
    return this.heap.length;
  }

  add(e: TopEntry): void {
    if (this.k <= 0 || Number.isNaN(e.score)) return;
    const h = this.heap;
    if (h.length < this.k) {
      h.push(e);
      this.up(h.length - 1);
    } else if (this.better(e, h[0] as TopEntry)) {
      h[0] = e;
      this.down(0);
    }
  }

  /** The rows kept, best first. */
  sorted(): TopEntry[] {
    return [...this.heap].sort((a, b) => (this.better(a, b) ? -1 : this.better(b, a) ? 1 : 0));
  }

  // The root is the worst: a parent is never better than its children.
  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(h[p] as TopEntry, h[i] as TopEntry)) break;
      [h[p], h[i]] = [h[i] as TopEntry, h[p] as TopEntry];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && this.better(h[worst] as TopEntry, h[l] as TopEntry)) worst = l;
      if (r < h.length && this.better(h[worst] as TopEntry, h[r] as TopEntry)) worst = r;
      if (worst === i) return;
      [h[worst], h[i]] = [h[i] as TopEntry, h[worst] as TopEntry];
      i = worst;
    }
  }
}
