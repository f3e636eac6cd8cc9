import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-shared/random';
import { enumerateSmiles, loadRdkit } from '../chem/rdkit';
import { sharedData } from '../test/helpers';
import { CLS, SEP, SmilesTokenizer, UNK, tokenize } from './tokenizer';

const column0 = (rel: string) =>
  readFileSync(sharedData(rel), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0] as string);

async function chembl(n: number): Promise<string[]> {
  const out: string[] = [];
  const rl = createInterface(createReadStream(sharedData('pretrain/chembl31_150k.csv.gz')).pipe(createGunzip()));
  for await (const line of rl) {
    if (out.length > n) break;
    out.push(line.split(',')[0] as string);
  }
  rl.close();
  return out.slice(1);
}

let corpus: string[];
let tok: SmilesTokenizer;
beforeAll(async () => {
  corpus = await chembl(20_000);
  tok = SmilesTokenizer.fromCorpus(corpus);
});

describe('tokenize', () => {
  it('keeps bracket atoms, two-letter elements, %nn ring closures, bonds and stereo as single tokens', () => {
    expect(tokenize('C[C@@H](Cl)c1ccc(Br)cc1/C=C/[N+](=O)[O-]')).toEqual([
      'C',
      '[C@@H]',
      '(',
      'Cl',
      ')',
      'c',
      '1',
      'c',
      'c',
      'c',
      '(',
      'Br',
      ')',
      'c',
      'c',
      '1',
      '/',
      'C',
      '=',
      'C',
      '/',
      '[N+]',
      '(',
      '=',
      'O',
      ')',
      '[O-]',
    ]);
    expect(tokenize('C%12CC%12')).toEqual(['C', '%12', 'C', 'C', '%12']);
    expect(tokenize('C€C')).toEqual(['C', '€', 'C']);
  });
});

describe('SmilesTokenizer', () => {
  it('builds a small vocabulary from ChEMBL, special tokens first', () => {
    expect(tok.vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(tok.vocab[5]).toBe('c'); // the most frequent token
    expect(tok.size).toBeGreaterThan(30);
    expect(tok.size).toBeLessThan(80);
  });

  it.each(['qsar/esol.csv', 'qsar/bbbp.csv', 'qsar/bace.csv', 'qsar/lipophilicity.csv', 'vs/dude_ada.csv'])(
    'round-trips every SMILES of %s (unknown tokens aside) and reports the unknown-token rate',
    (rel) => {
      const set = column0(rel);
      const full = SmilesTokenizer.fromCorpus(set);
      for (const s of set) {
        const e = full.encode(s, 512);
        expect(e.ok && full.decode(e.ids)).toBe(s);
      }
      const st = tok.stats(set, 128);
      expect(st.molecules).toBe(set.length);
      expect(st.unknownRate).toBeGreaterThanOrEqual(0);
      expect(st.unknownRate).toBeLessThan(0.05);
      expect(st.unknownRate === 0).toBe(st.unknownExamples.length === 0);
    },
  );

  it('reports unknown tokens and refuses over-long molecules instead of truncating', () => {
    const e = tok.encode('C[Xe]C', 16);
    expect(e).toMatchObject({ ok: true, unknown: 1 });
    if (e.ok) expect([...e.ids]).toEqual([CLS, tok.idOf('C'), UNK, tok.idOf('C'), SEP]);
    expect(tok.encode('C'.repeat(20), 16)).toEqual({ ok: false, reason: 'too long', tokens: 22, maxLength: 16 });
    const st = tok.stats(['CCO', 'C[Xe]C', 'C'.repeat(200)], 64);
    expect(st).toMatchObject({ molecules: 3, unknownTokens: 1, moleculesWithUnknown: 1, tooLong: 1, unknownExamples: ['[Xe]'] });
    expect(st.unknownRate).toBeCloseTo(1 / (3 + 3 + 200), 12);
  });

  it('saves and loads its vocabulary', () => {
    const again = SmilesTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(again.vocab).toEqual(tok.vocab);
    expect(() => SmilesTokenizer.fromJSON({ kind: 'smiles-regex-v1', vocab: ['C'] })).toThrow(/must start with/);
  });
});

describe('SMILES enumeration', () => {
  it('gives reproducible, distinct writings of the same molecule', async () => {
    const rd = await loadRdkit();
    const a = enumerateSmiles(rd, 'CC(=O)Oc1ccccc1C(=O)O', 5, seededRandom(7));
    expect(a).toEqual(enumerateSmiles(rd, 'CC(=O)Oc1ccccc1C(=O)O', 5, seededRandom(7)));
    expect(new Set(a).size).toBe(a.length);
    expect(a.length).toBeGreaterThanOrEqual(4);
    for (const s of a) {
      const m = rd.get_mol(s);
      expect(m?.get_smiles()).toBe('CC(=O)Oc1ccccc1C(=O)O');
      m?.delete();
    }
    expect(enumerateSmiles(rd, 'not smiles', 3)).toEqual([]);
  });
});
