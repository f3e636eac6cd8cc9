import { seededRandom } from '../../src-shared/random';

/**
 * A random forest over binary fingerprints (bit-packed Uint8Array, e.g. ECFP4 2048): the ECFP+RF
 * baseline. Written here rather than taken from ml-random-forest, which scans every threshold of every
 * feature per split (over 10 minutes for 100 trees on 900 ESOL molecules on this machine, unfinished)
 * and samples features per tree, not per split. Binary features need one pass per candidate feature:
 * the split that maximises S₁²/n₁ + S₀²/n₀ is the best variance reduction (regression) and, for 0/1
 * labels, the best Gini reduction (classification).
 */
export interface ForestOptions {
  trees: number;
  /** Candidate features per split (default: √d for classification, d/3 for regression). */
  mtry?: number;
  minLeaf: number;
  maxDepth: number;
  seed: number;
}

export interface ForestJson {
  kind: 'ecfp-rf-v1';
  bits: number;
  trees: Array<{ feature: number[]; left: number[]; right: number[]; value: number[] }>;
}

const bit = (fp: Uint8Array, f: number) => ((fp[f >> 3] as number) >> (f & 7)) & 1;

/** The value of the leaf a fingerprint reaches in one tree. */
function leafValue(t: ForestJson['trees'][number], fp: Uint8Array): number {
  let node = 0;
  while ((t.feature[node] as number) >= 0) node = bit(fp, t.feature[node] as number) ? (t.right[node] as number) : (t.left[node] as number);
  return t.value[node] as number;
}

export class RandomForest {
  private constructor(private readonly json: ForestJson) {}

  static fromJSON(json: ForestJson): RandomForest {
    if (json.kind !== 'ecfp-rf-v1') throw new Error(`unknown forest kind ${String(json.kind)}`);
    return new RandomForest(json);
  }

  toJSON(): ForestJson {
    return this.json;
  }

  static fit(x: Uint8Array[], y: ArrayLike<number>, task: 'regression' | 'classification', opts: Partial<ForestOptions> = {}): RandomForest {
    return RandomForest.grow(x, y, task, opts).forest;
  }

  /**
   * A regression forest on censored values (`bound[i]` 1: the true value is at least `y[i]`, a `>`;
   * -1: at most, a `<`; 0: measured). A bound taken as a value pulls its compound's neighbours toward
   * the assay's limit (the inactives "> 10 µM" read as exactly 10 µM); here each bound is replaced by the
   * forest's out-of-bag prediction where that lies beyond it (on the side the bound allows), and the
   * forest refitted, until the imputed values settle: the censored data's information (the value is past
   * the bound) without inventing values the measured neighbours do not support. Without bounds: `fit`.
   */
  static fitCensored(x: Uint8Array[], y: ArrayLike<number>, bound: ArrayLike<number>, opts: Partial<ForestOptions> & { rounds?: number } = {}): RandomForest {
    const n = x.length;
    if (bound.length !== n || y.length !== n) throw new Error(`fitCensored: ${n} fingerprints, ${y.length} values, ${bound.length} bounds`);
    const censored = Array.from({ length: n }, (_, i) => i).filter((i) => bound[i] !== 0);
    let grown = RandomForest.grow(x, y, 'regression', opts);
    if (censored.length === 0) return grown.forest;
    const target = Float64Array.from(y);
    // Settled: no imputed value moved more than a hundredth of the values' spread.
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, y[i] as number);
      hi = Math.max(hi, y[i] as number);
    }
    const tol = Math.max(1e-9, (hi - lo) / 100);
    for (let round = 0; round < (opts.rounds ?? 8); round++) {
      let moved = 0;
      for (const i of censored) {
        const p = grown.oob[i] as number;
        if (Number.isNaN(p)) continue; // in every tree's sample: no out-of-bag prediction
        const v = bound[i] === 1 ? Math.max(y[i] as number, p) : Math.min(y[i] as number, p);
        moved = Math.max(moved, Math.abs(v - (target[i] as number)));
        target[i] = v;
      }
      if (moved <= tol) break;
      grown = RandomForest.grow(x, target, 'regression', opts);
    }
    return grown.forest;
  }

  /** The forest and each sample's out-of-bag prediction (the mean over the trees whose bootstrap left it out; NaN when none did). */
  private static grow(
    x: Uint8Array[],
    y: ArrayLike<number>,
    task: 'regression' | 'classification',
    opts: Partial<ForestOptions>,
  ): { forest: RandomForest; oob: Float64Array } {
    const n = x.length;
    if (n === 0) throw new Error('no training data for the random forest');
    const bits = (x[0] as Uint8Array).length * 8;
    const o: ForestOptions = {
      trees: 100,
      minLeaf: task === 'regression' ? 3 : 1,
      maxDepth: 40,
      seed: 1,
      ...opts,
    };
    const mtry = Math.max(1, Math.min(bits, o.mtry ?? (task === 'regression' ? Math.round(bits / 3) : Math.round(Math.sqrt(bits)))));
    const rand = seededRandom(o.seed);
    const trees: ForestJson['trees'] = [];
    const oobSum = new Float64Array(n);
    const oobCount = new Int32Array(n);
    for (let t = 0; t < o.trees; t++) {
      const sample = Int32Array.from({ length: n }, () => Math.floor(rand() * n));
      const tree = { feature: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[] };
      const stack: Array<{ node: number; idx: Int32Array; depth: number }> = [];
      const newNode = () => {
        tree.feature.push(-1);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.value.push(0);
        return tree.feature.length - 1;
      };
      stack.push({ node: newNode(), idx: sample, depth: 0 });
      while (stack.length) {
        const { node, idx, depth } = stack.pop() as { node: number; idx: Int32Array; depth: number };
        let sum = 0;
        let min = Infinity;
        let max = -Infinity;
        for (const i of idx) {
          const v = y[i] as number;
          sum += v;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        tree.value[node] = sum / idx.length;
        if (idx.length < 2 * o.minLeaf || depth >= o.maxDepth || max === min) continue;
        const base = (sum * sum) / idx.length;
        let best = -1;
        let bestGain = 1e-12;
        // Like scikit-learn, keep drawing features past mtry until one gives a valid split (sparse
        // fingerprints have many bits that are constant within a node).
        for (let k = 0; k < mtry || (best < 0 && k < bits); k++) {
          const f = Math.floor(rand() * bits);
          let n1 = 0;
          let s1 = 0;
          for (const i of idx) {
            if (bit(x[i] as Uint8Array, f)) {
              n1++;
              s1 += y[i] as number;
            }
          }
          const n0 = idx.length - n1;
          if (n1 < o.minLeaf || n0 < o.minLeaf) continue;
          const s0 = sum - s1;
          const gain = (s1 * s1) / n1 + (s0 * s0) / n0 - base;
          if (gain > bestGain) {
            bestGain = gain;
            best = f;
          }
        }
        if (best < 0) continue;
        const ones: number[] = [];
        const zeros: number[] = [];
        for (const i of idx) (bit(x[i] as Uint8Array, best) ? ones : zeros).push(i);
        tree.feature[node] = best;
        const l = newNode();
        const r = newNode();
        tree.left[node] = l;
        tree.right[node] = r;
        stack.push({ node: l, idx: Int32Array.from(zeros), depth: depth + 1 }, { node: r, idx: Int32Array.from(ones), depth: depth + 1 });
      }
      trees.push(tree);
      const inBag = new Uint8Array(n);
      for (const i of sample) inBag[i] = 1;
      for (let i = 0; i < n; i++) {
        if (inBag[i]) continue;
        oobSum[i] = (oobSum[i] as number) + leafValue(tree, x[i] as Uint8Array);
        oobCount[i] = (oobCount[i] as number) + 1;
      }
    }
    const oob = Float64Array.from(oobSum, (v, i) => ((oobCount[i] as number) > 0 ? v / (oobCount[i] as number) : Number.NaN));
    return { forest: new RandomForest({ kind: 'ecfp-rf-v1', bits, trees }), oob };
  }

  /** Mean over trees (a probability for classification) and the spread (sd) across trees. */
  predict(fp: Uint8Array): { mean: number; sd: number } {
    let s = 0;
    let ss = 0;
    for (const t of this.json.trees) {
      const v = leafValue(t, fp);
      s += v;
      ss += v * v;
    }
    const k = this.json.trees.length;
    const mean = s / k;
    return { mean, sd: Math.sqrt(Math.max(0, ss / k - mean * mean)) };
  }
}
