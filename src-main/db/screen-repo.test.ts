// SQL of the screen repository against a real (in-memory) database.
import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_NAMES } from '../../src-shared/descriptors';
import type { ScoredChunk, ScreenItem } from '../screen/scorer';
import { CompoundRepo } from './compound-repo';
import { openDatabase } from './database';
import { LibraryRepo } from './library-repo';
import { ScreenRepo } from './screen-repo';

function setup(n: number) {
  const db = openDatabase(':memory:');
  const lib = new LibraryRepo(db).create('lib');
  const compounds = new CompoundRepo(db);
  const member = db.prepare(`INSERT INTO library_members (library_id, compound_id, record, original) VALUES (?, ?, ?, '')`);
  const items: ScreenItem[] = [];
  for (let i = 0; i < n; i++) {
    const smiles = 'C'.repeat(i + 1);
    const id = compounds.upsert({
      smiles,
      inchikey: `KEY-${i}`,
      formula: null,
      descriptors: {
        mw: 10 * i,
        clogp: 0,
        tpsa: 0,
        hbd: 0,
        hba: 0,
        rotatableBonds: 0,
        rings: 0,
        aromaticRings: 0,
        fractionSp3: 1,
        heavyAtoms: i + 1,
        lipinskiViolations: 0,
      },
      fp: new Uint8Array(256),
      modelSmiles: smiles,
      patternFp: null,
      changes: [],
    });
    member.run(lib.id, id, i + 1);
    items.push({ id, smiles, modelSmiles: smiles, fp: new Uint8Array(256) });
  }
  return { db, lib, items, repo: new ScreenRepo(db) };
}

const chunk = (model: string, score: number[], maxSim: number[]): ScoredChunk => ({
  modelSmiles: [],
  models: [
    {
      model,
      score: Float64Array.from(score),
      maxSim: Float64Array.from(maxSim),
      uncertainty: Float64Array.from(score, () => NaN),
      notes: score.map((s) => (Number.isNaN(s) ? 'unknown token' : null)),
    },
  ],
});

describe('ScreenRepo', () => {
  it('reads a chunk of the library with its stored descriptors when asked, none where they are still to come', () => {
    const { db, lib, repo } = setup(3);
    db.prepare('UPDATE compounds SET mw = NULL, descriptors_pending = 1 WHERE inchikey = ?').run('KEY-2');
    expect(repo.chunk(lib.id, 0, 10).every((c) => !('descriptors' in c))).toBe(true);
    const got = repo.chunk(lib.id, 0, 10, true);
    expect(got.map((c) => [c.smiles, c.descriptors?.mw ?? null, c.descriptors?.heavyAtoms ?? null])).toEqual([
      ['C', 0, 1],
      ['CC', 10, 2],
      ['CCC', null, null],
    ]);
    expect(Object.keys(got[0]?.descriptors ?? {}).sort()).toEqual([...DESCRIPTOR_NAMES].sort());
  });

  it('flags the domain against the threshold recorded with the screen, not the current default', () => {
    const { db, lib, items, repo } = setup(4);
    const id = repo.create({ libraryId: lib.id, models: ['m'], domainThreshold: 0.9, total: 4, jobId: null });
    const counts = repo.commit(id, items, chunk('m', [1, 2, NaN, 4], [0.95, 0.5, NaN, 0.9]), 0.9, 1);
    expect(counts).toEqual({ scored: 3, unreadable: 1 });
    const rows = db
      .prepare('SELECT compound_id AS id, in_domain AS d, max_sim AS s, score, note FROM predictions WHERE screen_id = ? ORDER BY compound_id')
      .all(id);
    expect(rows).toEqual([
      { id: items[0]?.id, d: 1, s: 0.95, score: 1, note: null },
      // 0.5 is in the domain by the default 0.3, not by this screen's 0.9.
      { id: items[1]?.id, d: 0, s: 0.5, score: 2, note: null },
      { id: items[2]?.id, d: null, s: null, score: null, note: 'unknown token' },
      { id: items[3]?.id, d: 1, s: 0.9, score: 4, note: null },
    ]);
    expect(repo.get(id)).toMatchObject({ domainThreshold: 0.9, scored: 3, unreadable: 1, cursor: items[3]?.id });
  });

  it('ranks each model on finishing (1 = highest score, unscored compounds unranked), and filters hits', () => {
    const { lib, items, repo } = setup(4);
    const id = repo.create({ libraryId: lib.id, models: ['m'], domainThreshold: 0.3, total: 4, jobId: null });
    repo.commit(id, items, chunk('m', [0.2, 0.9, NaN, 0.5], [0.1, 0.8, NaN, 0.4]), 0.3, 1);
    repo.finish(id, ['m']);
    const row = repo.get(id);
    expect(row?.state).toBe('done');
    const hits = repo.hits(row as NonNullable<typeof row>, 'm', { limit: 10 });
    expect(hits.map((h) => [h.smiles, h.rank])).toEqual([
      ['CC', 1],
      ['CCCC', 2],
      ['C', 3],
    ]);
    expect(repo.hits(row as NonNullable<typeof row>, 'm', { limit: 10, inDomainOnly: true }).map((h) => h.smiles)).toEqual(['CC', 'CCCC']);
  });
});
