import { describe, expect, it } from 'vitest';
import { loadRdkit, morganOf } from '../chem/rdkit';
import { seededRandom } from '../../src-shared/random';
import { RandomForest } from './forest';

describe('ECFP random forest', () => {
  it('learns a fingerprint rule and reports spread across trees', async () => {
    const rd = await loadRdkit();
    const smiles = ['CCO', 'CCCO', 'CCCCO', 'CCN', 'CCCN', 'CCCCN', 'CCOC', 'CCNC', 'OCCO', 'NCCN', 'CC(O)C', 'CC(N)C'];
    const fps = smiles.map((s) => morganOf(rd, s) as Uint8Array);
    const y = smiles.map((s) => (s.includes('N') ? 1 : 0));
    const rf = RandomForest.fit(fps, y, 'classification', { trees: 50, seed: 3 });
    const pAmine = rf.predict(morganOf(rd, 'CCCCCN') as Uint8Array);
    const pAlcohol = rf.predict(morganOf(rd, 'CCCCCO') as Uint8Array);
    expect(pAmine.mean).toBeGreaterThan(0.7);
    expect(pAlcohol.mean).toBeLessThan(0.3);
    expect(pAmine.sd).toBeGreaterThanOrEqual(0);
    expect(RandomForest.fromJSON(JSON.parse(JSON.stringify(rf.toJSON()))).predict(fps[0] as Uint8Array)).toEqual(rf.predict(fps[0] as Uint8Array));
  });

  it('takes censored values as bounds: a "> limit" compound is not read as the limit', () => {
    // 64-bit fingerprints; bit 0 makes a compound active (8), the rest are inactive (5). A quarter of
    // the training compounds were tested to a lower top concentration only (reported "> 6"), a quarter
    // reported "< 6.5". Read as values, these bounds drag both groups toward 6.
    const rand = seededRandom(7);
    const compound = (active: boolean) => {
      const fp = Uint8Array.from({ length: 8 }, () => Math.floor(rand() * 256));
      fp[0] = active ? (fp[0] as number) | 1 : (fp[0] as number) & ~1;
      return fp;
    };
    const activity = (fp: Uint8Array) => ((fp[0] as number) & 1 ? 8 : 5);
    const fps = Array.from({ length: 200 }, (_, i) => compound(i % 2 === 1));
    const truth = fps.map((fp) => activity(fp) + (rand() - 0.5) * 0.2);
    const bound = fps.map((_, i) => (i % 4 === 1 ? 1 : i % 4 === 0 ? -1 : 0));
    const y = truth.map((v, i) => (bound[i] === 1 ? 6 : bound[i] === -1 ? 6.5 : v));
    const test = Array.from({ length: 100 }, (_, i) => compound(i % 2 === 1));
    const err = (rf: RandomForest) => test.reduce((e, fp) => e + Math.abs(rf.predict(fp).mean - activity(fp)), 0) / test.length;
    const kept = (rf: RandomForest) =>
      fps.filter((fp, i) => (bound[i] === 1 && rf.predict(fp).mean > 6) || (bound[i] === -1 && rf.predict(fp).mean < 6.5)).length / 100;
    const opts = { trees: 40, seed: 2 };
    const plain = RandomForest.fit(fps, y, 'regression', opts);
    const censored = RandomForest.fitCensored(fps, y, bound, opts);
    expect(err(plain)).toBeGreaterThan(1);
    expect(err(censored)).toBeLessThan(0.7 * err(plain));
    expect(kept(censored)).toBeGreaterThan(Math.max(0.9, kept(plain)));
    // Without bounds it is the plain forest, tree for tree.
    expect(
      RandomForest.fitCensored(
        fps,
        truth,
        truth.map(() => 0),
        opts,
      ).toJSON(),
    ).toEqual(RandomForest.fit(fps, truth, 'regression', opts).toJSON());
    expect(() => RandomForest.fitCensored(fps, y, [0], opts)).toThrow(/200 fingerprints, 200 values, 1 bounds/);
  });
});
