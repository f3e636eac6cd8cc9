import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../test/helpers';
import { type QueryPlan, freePlan, planQuery } from './query-plan';
import { type RDKit, hasSubstructure, loadRdkit, parseQuery } from './rdkit';
import { standardise } from './standardise';
import { SearchCache, type SearchItem, packChunk, patternFpOf, substructureMatches } from './substructure';

let rd: RDKit;
let items: SearchItem[];
beforeAll(async () => {
  rd = await loadRdkit();
  // ESOL's structures as an import keeps them: canonical SMILES with their stored pattern fingerprints.
  const smiles = readFileSync(sharedData('qsar/esol.csv'), 'utf8')
    .split('\n')
    .slice(1, 401)
    .map((l) => l.split(',')[0] as string)
    .filter(Boolean);
  items = smiles.flatMap((s, i) => {
    const r = standardise(rd, s);
    return r.ok ? [{ id: i + 1, smiles: r.compound.smiles, patternFp: r.compound.patternFp }] : [];
  });
});

/** Runs `fn` with the query's plan (as a search's worker makes it), freed afterwards. */
function withPlan<T>(q: string, fn: (plan: QueryPlan) => T): T {
  const plan = planQuery(rd, q);
  if (!plan) throw new Error(`query ${q} did not parse`);
  try {
    return fn(plan);
  } finally {
    freePlan(plan);
  }
}

/** The ids of the items containing the typed query, each parsed and matched on its own (the reference). */
function matchedOneByOne(of: SearchItem[], q: string): number[] {
  const query = parseQuery(rd, q);
  if (!query) throw new Error(`query ${q} did not parse`);
  try {
    return of.filter((i) => hasSubstructure(rd, i.smiles, query)).map((i) => i.id);
  } finally {
    query.delete();
  }
}

// Ring and aromaticity queries, SMARTS, charges, a query no compound has: the cases where skipping
// sanitisation (trusted SMILES) or the fingerprint prefilter could go wrong.
const QUERIES = ['c1ccccc1', 'c1ccncc1', '[N+](=O)[O-]', 'C(=O)O', '[R2]', '[r5]', 'C@C', '[#6]~[#7]', 'Cl', '[OX2H]', 'C1CCCCC1', 'c1ccc2ccccc2c1', '[Si]'];

describe('substructure search through SubstructLibrary and stored pattern fingerprints', () => {
  it('import keeps a pattern fingerprint for every structure', () => {
    expect(items.length).toBeGreaterThan(390);
    expect(items.every((i) => i.patternFp !== null && i.patternFp.length > 0)).toBe(true);
    expect(patternFpOf(rd, 'c1ccccc1O')).toEqual(patternFpOf(rd, 'c1ccccc1O'));
  });

  it('finds exactly what matching every parsed molecule finds, in the items’ order', () => {
    for (const q of QUERIES) {
      const expected = matchedOneByOne(items, q);
      const hits = withPlan(q, (plan) => {
        const { hits, computed } = substructureMatches(rd, packChunk(items), plan);
        expect(computed).toEqual([]);
        return hits;
      });
      expect({ q, hits }).toEqual({ q, hits: expected });
      if (q === 'c1ccccc1') expect(hits.length).toBeGreaterThan(150);
      if (q === '[Si]') expect(hits).toEqual([]);
    }
  });

  it('computes the fingerprints of compounds stored without one (older libraries), with the same hits', () => {
    withPlan('c1ccccc1', (query) => {
      const bare = items.map((i, k) => (k % 2 ? { ...i, patternFp: null } : i));
      const { hits, computed } = substructureMatches(rd, packChunk(bare), query);
      expect(hits).toEqual(substructureMatches(rd, packChunk(items), query).hits);
      expect(computed.map((c) => c.id)).toEqual(bare.filter((i) => i.patternFp === null).map((i) => i.id));
      // What is computed is what import stores.
      for (const c of computed) expect(c.patternFp).toEqual(items.find((i) => i.id === c.id)?.patternFp);
    });
  });

  it('keeps built chunks by name: a chunk matched again needs only its name, the same hits; the least recently used go first', () => {
    const cache = new SearchCache(250);
    const halves = [items.slice(0, 200), items.slice(200)];
    const withQuery = withPlan;
    try {
      for (const q of ['c1ccccc1', '[N+](=O)[O-]', 'Cl']) {
        withQuery(q, (query) => {
          const expected = substructureMatches(rd, packChunk(halves[0] as SearchItem[]), query).hits;
          expect(cache.match(rd, 'a', packChunk(halves[0] as SearchItem[]), query).hits).toEqual(expected);
          // The name alone: nothing sent, the same hits.
          expect(cache.match(rd, 'a', undefined, query)).toEqual({ hits: expected, computed: [] });
        });
      }
      expect(cache.size).toBe(200);
      withQuery('Cl', (query) => {
        // A second chunk passes the capacity: the first (least recently used) goes, the new one stays.
        expect(cache.match(rd, 'b', packChunk(halves[1] as SearchItem[]), query).missing).toBeUndefined();
        expect(cache.size).toBe(items.length - 200);
        expect(cache.match(rd, 'a', undefined, query)).toEqual({ hits: [], computed: [], missing: true });
        expect(cache.match(rd, 'b', undefined, query).hits).toEqual(substructureMatches(rd, packChunk(halves[1] as SearchItem[]), query).hits);
      });
    } finally {
      cache.clear();
    }
    expect(cache.size).toBe(0);
  });
});
