/**
 * Atom-level SMILES tokenizer (the regex of Schwaller et al., Molecular Transformer): bracket atoms, two-letter
 * elements, `%nn` ring closures, bonds, branches and stereo marks are single tokens. The vocabulary is built
 * from a corpus and saved with the model; unknown tokens and over-long molecules are reported, never hidden.
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD = 0;
export const UNK = 1;
export const CLS = 2;
export const SEP = 3;
export const MASK = 4;

const TOKEN_RE = /(\[[^\]]+\]|Br|Cl|Si|Se|se|B|C|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|%\d{2}|\d)/y;

/** Splits a SMILES string into tokens; characters outside the grammar become single-character tokens. */
export function tokenize(smiles: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < smiles.length) {
    TOKEN_RE.lastIndex = i;
    const m = TOKEN_RE.exec(smiles);
    if (m) {
      out.push(m[0]);
      i += m[0].length;
    } else {
      out.push(smiles[i] as string);
      i++;
    }
  }
  return out;
}

export interface TokenizerJson {
  kind: 'smiles-regex-v1';
  vocab: string[];
}

export type Encoded = { ok: true; ids: Int32Array; unknown: number } | { ok: false; reason: 'too long'; tokens: number; maxLength: number };

export interface CorpusStats {
  molecules: number;
  tokens: number;
  unknownTokens: number;
  /** Unknown tokens / all tokens. */
  unknownRate: number;
  /** Molecules with at least one unknown token. */
  moleculesWithUnknown: number;
  /** Molecules longer than maxLength (with [CLS] and [SEP]). */
  tooLong: number;
  maxLength: number;
  lengthPercentiles: { p50: number; p95: number; p99: number; max: number };
  unknownExamples: string[];
}

export class SmilesTokenizer {
  private readonly index: Map<string, number>;

  private constructor(readonly vocab: readonly string[]) {
    this.index = new Map(vocab.map((t, i) => [t, i]));
  }

  /** Builds a vocabulary from a corpus: special tokens first, then tokens seen ≥ minCount, most frequent first. */
  static fromCorpus(smiles: Iterable<string>, opts: { minCount?: number; maxVocab?: number } = {}): SmilesTokenizer {
    const counts = new Map<string, number>();
    for (const s of smiles) for (const t of tokenize(s)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const ranked = [...counts.entries()]
      .filter(([, c]) => c >= (opts.minCount ?? 1))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([t]) => t)
      .slice(0, (opts.maxVocab ?? Number.POSITIVE_INFINITY) - SPECIAL_TOKENS.length);
    return new SmilesTokenizer([...SPECIAL_TOKENS, ...ranked]);
  }

  static fromJSON(json: TokenizerJson): SmilesTokenizer {
    if (json.kind !== 'smiles-regex-v1') throw new Error(`unknown tokenizer kind ${String(json.kind)}`);
    SPECIAL_TOKENS.forEach((t, i) => {
      if (json.vocab[i] !== t) throw new Error(`tokenizer vocabulary must start with ${SPECIAL_TOKENS.join(' ')}`);
    });
    return new SmilesTokenizer(json.vocab);
  }

  toJSON(): TokenizerJson {
    return { kind: 'smiles-regex-v1', vocab: [...this.vocab] };
  }

  get size(): number {
    return this.vocab.length;
  }

  idOf(token: string): number {
    return this.index.get(token) ?? UNK;
  }

  /** [CLS] tokens [SEP]; refuses (does not truncate) molecules longer than maxLength. */
  encode(smiles: string, maxLength: number): Encoded {
    const tokens = tokenize(smiles);
    if (tokens.length + 2 > maxLength) return { ok: false, reason: 'too long', tokens: tokens.length + 2, maxLength };
    const ids = new Int32Array(tokens.length + 2);
    ids[0] = CLS;
    let unknown = 0;
    tokens.forEach((t, i) => {
      const id = this.idOf(t);
      if (id === UNK) unknown++;
      ids[i + 1] = id;
    });
    ids[tokens.length + 1] = SEP;
    return { ok: true, ids, unknown };
  }

  /** Back to SMILES, dropping special tokens ([UNK] shows as itself). */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id === PAD || id === CLS || id === SEP || id === MASK) continue;
      s += this.vocab[id] ?? '[UNK]';
    }
    return s;
  }

  /** Unknown-token rate, over-long molecules and length percentiles of an input set. */
  stats(smiles: Iterable<string>, maxLength: number): CorpusStats {
    let molecules = 0;
    let tokens = 0;
    let unknownTokens = 0;
    let moleculesWithUnknown = 0;
    let tooLong = 0;
    const lengths: number[] = [];
    const unknownExamples = new Set<string>();
    for (const s of smiles) {
      molecules++;
      const toks = tokenize(s);
      lengths.push(toks.length + 2);
      tokens += toks.length;
      let u = 0;
      for (const t of toks) {
        if (!this.index.has(t)) {
          u++;
          if (unknownExamples.size < 20) unknownExamples.add(t);
        }
      }
      unknownTokens += u;
      if (u > 0) moleculesWithUnknown++;
      if (toks.length + 2 > maxLength) tooLong++;
    }
    lengths.sort((a, b) => a - b);
    const pct = (p: number) => lengths[Math.min(lengths.length - 1, Math.floor(p * lengths.length))] ?? 0;
    return {
      molecules,
      tokens,
      unknownTokens,
      unknownRate: tokens ? unknownTokens / tokens : 0,
      moleculesWithUnknown,
      tooLong,
      maxLength,
      lengthPercentiles: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: lengths[lengths.length - 1] ?? 0 },
      unknownExamples: [...unknownExamples],
    };
  }
}
