import { beforeAll, describe, expect, it } from 'vitest';
import { corpusSlice } from '../test/helpers';
import { freePlan, planQuery, queryVariants, splitBonds, writtenBonds } from './query-plan';
import { type RDKit, hasSubstructure, loadRdkit, parseQuery } from './rdkit';
import { standardise } from './standardise';
import { type SearchItem, packChunk, substructureMatches } from './substructure';

let rd: RDKit;
beforeAll(async () => {
  rd = await loadRdkit();
});

describe('query rewriting for the pattern-fingerprint screen', () => {
  it('finds the unwritten bonds and their ends (chains, branches, ring closures, bracket atoms)', () => {
    const kinds = (q: string) => splitBonds(q)?.bonds.map((b) => b.kind);
    expect(kinds('c1ccncc1')).toEqual(['aromatic', 'aromatic', 'aromatic', 'aromatic', 'aromatic', 'aromatic']);
    expect(kinds('S(=O)(=O)N')).toEqual(['aliphatic']);
    expect(kinds('c1ccccc1C(=O)O')).toEqual([...Array(6).fill('aromatic'), 'aliphatic', 'aliphatic']);
    expect(kinds('[nH]1cccc1')).toEqual(Array(5).fill('aromatic'));
    expect(kinds('[#6]c')).toEqual(['unknown']);
    expect(kinds('*c:c')).toEqual(['unknown']);
    expect(kinds('[R]c')).toEqual(['unknown']);
    expect(kinds('c1cc:c:c:c1')).toEqual(['aromatic', 'aromatic', 'aromatic']);
    expect(kinds('c:1ccccc1')).toEqual(['aromatic', 'aromatic', 'aromatic', 'aromatic', 'aromatic']);
    expect(kinds('c%10ccccc%10')).toEqual(Array(6).fill('aromatic'));
    expect(kinds('[$(c1ccccc1)]C')).toEqual(['aliphatic']);
    expect(kinds('[$(c1ccccc1)]c')).toEqual(['unknown']);
    expect(kinds('CC.c1ccccc1')?.length).toBe(7);
    // What it does not read is left to RDKit as typed.
    for (const q of ['c1ccccc', 'CC)', 'C->[Fe]', 'CC |$_R1$|', 'C=', '[CH3']) expect(splitBonds(q)).toBeNull();
  });

  it('writes the strong query and every single/aromatic choice for the flagged molecules', () => {
    expect(queryVariants('c1ccncc1')?.strong).toBe('c1:c:c:n:c:c:1');
    expect(queryVariants('c1ccncc1')?.biaryl).toHaveLength(63);
    expect(queryVariants('c1ccccc1C(=O)O')?.strong).toBe('c1:c:c:c:c:c:1-C(=O)-O');
    expect(queryVariants('c1ccccc1C(=O)O')?.biaryl).toContain('c1-c:c:c:c:c:1-C(=O)-O');
    // No aromatic pair: nothing to enumerate for the biaryls.
    expect(queryVariants('S(=O)(=O)N')).toEqual({ strong: 'S(=O)(=O)-N', biaryl: [] });
    // Nothing known to write: the typed query is matched as it is.
    expect(queryVariants('[#6]~[#7]')).toBeNull();
    expect(queryVariants('*[#7]')).toBeNull();
    // Too many pairs to enumerate: the typed query for the flagged molecules.
    expect(queryVariants('c1ccc2ccccc2c1')?.biaryl).toEqual(['c1ccc2ccccc2c1']);
  });

  it('tells the SMILES that write a bond out between atoms, not charges in brackets', () => {
    expect(writtenBonds('c1ccc(-c2ccccc2)cc1')).toBe('biaryl');
    expect(writtenBonds('O=[N+]([O-])c1ccccc1')).toBe('none');
    expect(writtenBonds('CC(=O)Nc1ccccc1')).toBe('none');
    expect(writtenBonds('c1ccc(-c2ccccc2)c:1')).toBe('odd');
  });

  it('finds exactly the compounds the typed query matches, on drug-like ChEMBL compounds', () => {
    const items: SearchItem[] = corpusSlice(1500).flatMap((s, i) => {
      const r = standardise(rd, s);
      return r.ok ? [{ id: i + 1, smiles: r.compound.smiles, patternFp: r.compound.patternFp }] : [];
    });
    expect(items.filter((i) => writtenBonds(i.smiles) === 'biaryl').length).toBeGreaterThan(200);
    // SMILES written by hand with aromatic bonds spelled out (RDKit's canonical ones never do): matched as typed.
    items.push({ id: 90001, smiles: 'c1cc:c(:cc1)-c1ccncc1', patternFp: null }, { id: 90002, smiles: 'n1:c:c:c:c:c:1C(=O)N', patternFp: null });
    const queries = [
      'c1ccncc1',
      'c1ccccc1',
      'c1ccccc1c1ccccc1',
      'c1ccccc1-c1ccccc1',
      'c1ccc2ccccc2c1',
      'c1ccccc1C(=O)N',
      'c1cnc[nH]1',
      'n1ccccc1N',
      'c1ccc(cc1)S(=O)(=O)N',
      'c1cc[n+]cc1',
      '[#6]1:[#6]:[#6]:[#7]:[#6]:[#6]:1',
      'c(c)c',
      'cc',
      'c1ccoc1',
      'c:1ccccc1',
      'S(=O)(=O)N',
      '[#6]C(=O)N[#6]',
      'CCN',
      'C1CCOC12CCCO2',
      '[N+](=O)[O-]',
      'Cc1ccccc1',
      '[$(c1ccccc1)]C',
    ];
    let variantsUsed = 0;
    let flaggedOnly = 0;
    for (const q of queries) {
      const query = parseQuery(rd, q);
      if (!query) throw new Error(`query ${q} did not parse`);
      const expected = items.filter((i) => hasSubstructure(rd, i.smiles, query)).map((i) => i.id);
      query.delete();
      const plan = planQuery(rd, q);
      if (!plan) throw new Error(`no plan for ${q}`);
      if (plan.biaryl) variantsUsed++;
      try {
        expect({ q, hits: substructureMatches(rd, packChunk(items), plan).hits }).toEqual({ q, hits: expected });
        // Hits that only the flagged molecules' variants find (biaryls): without them the search would miss these.
        flaggedOnly += expected.length - substructureMatches(rd, packChunk(items), { all: plan.all }).hits.length;
      } finally {
        freePlan(plan);
      }
    }
    expect(variantsUsed).toBeGreaterThanOrEqual(12);
    expect(flaggedOnly).toBeGreaterThan(20);
  });
});
