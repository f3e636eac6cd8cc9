import { beforeAll, describe, expect, it } from 'vitest';
import { type RDKit, loadRdkit } from './rdkit';
import { decompose } from './rgroups';

let rd: RDKit;
beforeAll(async () => {
  rd = await loadRdkit();
});

const series = ['c1ccccc1CCO', 'Cc1ccccc1CCO', 'c1ccc(Cl)cc1CCN', 'c1ccc(F)cc1CCO', 'CCCC'];

describe('R-group decomposition (RDKit get_rgd) around a core or the maximum common substructure', () => {
  it('finds the phenethyl core of a small series and its R groups; the compound without it is unmatched', () => {
    const t = decompose(rd, series);
    expect(t.found).toBe(true);
    expect(t.core).toContain('[#6]1:&@[#6]');
    expect(t.labels).toEqual(['R1', 'R2', 'R3']);
    expect(t.rows.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(t.unmatched).toEqual([4]);
    // The chain end: O, O, N, O; the ring substituents: Cl and F on two of them, methyl on one.
    expect(t.rows.map((r) => r.groups.R1)).toEqual(['O[*:1]', 'O[*:1]', 'N[*:1]', 'O[*:1]']);
    const ring = t.rows.map((r) => [r.groups.R2, r.groups.R3].filter((g) => g !== undefined && !g.startsWith('[H]')).join(','));
    expect(ring).toEqual(['', 'C[*:3]', 'Cl[*:2]', 'F[*:2]']);
    expect(t.rows[0]?.groups.Core).toMatch(/\[\*:1\]/);
  });

  it('uses a drawn core, and refuses a core too small, unreadable or in none of them', () => {
    const t = decompose(rd, series, 'c1ccccc1');
    expect(t.found).toBe(false);
    expect(t.rows).toHaveLength(4);
    expect(t.labels.length).toBeGreaterThanOrEqual(2);
    expect(() => decompose(rd, series, 'CC')).toThrow(/fewer than 3 atoms/);
    expect(() => decompose(rd, series, 'C1CC(')).toThrow(/cannot read the core/);
    expect(() => decompose(rd, series, 'c1ccncc1')).toThrow(/no selected compound contains/);
    expect(() => decompose(rd, ['CCO', 'c1ccccc1'])).toThrow(/common core|fewer than 3 atoms/);
  });
});
