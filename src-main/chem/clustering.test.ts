import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../test/helpers';
import { butina, fingerprintTable, maxMin, mirrored, neighbourRows, similarity } from './clustering';
import { loadRdkit, morganOf } from './rdkit';

/** A 64-bit fingerprint with these bits set. */
const fp = (...bits: number[]) => {
  const a = new Uint8Array(8);
  for (const b of bits) a[b >> 3] = (a[b >> 3] as number) | (1 << (b & 7));
  return a;
};

// Worked by hand: A–B 3/5 = 0.6, A–C 4/5 = 0.8, B–C 4/5 = 0.8, D–E 3/4 = 0.75, F alone, nothing else shared.
const A = fp(0, 1, 2, 3);
const B = fp(0, 1, 2, 4);
const C = fp(0, 1, 2, 3, 4);
const D = fp(40, 41, 42);
const E = fp(40, 41, 42, 63);
const F = fp(20);
const table = fingerprintTable([A, B, C, D, E, F]);

describe('Butina clustering and MaxMin picking', () => {
  it('computes Tanimoto on 32-bit words as worked by hand', () => {
    expect(similarity(table, 0, 1)).toBeCloseTo(0.6, 12);
    expect(similarity(table, 0, 2)).toBeCloseTo(0.8, 12);
    expect(similarity(table, 3, 4)).toBeCloseTo(0.75, 12);
    expect(similarity(table, 0, 5)).toBe(0);
    expect(Array.from(table.counts)).toEqual([4, 4, 5, 3, 4, 1]);
  });

  it('clusters a hand-checked case: C takes A and B, E takes D, F stays alone', () => {
    // Each pair once (j > i), then both ways.
    expect(neighbourRows(table, 0.7, 0, table.n)).toEqual([[2], [2], [], [4], [], []]);
    const nbrs = mirrored(neighbourRows(table, 0.7, 0, table.n));
    expect(nbrs).toEqual([[2], [2], [0, 1], [4], [3], []]);
    // C has the most neighbours; among one-neighbour compounds the later goes first (E before D), as RDKit.
    const { clusters, clusterOf } = butina(nbrs);
    expect(clusters).toEqual([[2, 0, 1], [4, 3], [5]]);
    expect(Array.from(clusterOf)).toEqual([0, 0, 0, 1, 1, 2]);
    // At 0.6 A and B are neighbours too: one cluster of three still, centred on C (most neighbours, 2 each: C is the latest of A, B, C).
    expect(butina(mirrored(neighbourRows(table, 0.6, 0, table.n))).clusters).toEqual([[2, 0, 1], [4, 3], [5]]);
    // Rows computed in slices (one per worker) are the rows computed at once.
    expect(mirrored([...neighbourRows(table, 0.7, 0, 2), ...neighbourRows(table, 0.7, 2, 6)])).toEqual(nbrs);
  });

  it('picks the most diverse compounds first (MaxMin), as worked by hand', () => {
    // From A: D, E and F share nothing with A (the lowest index, D, first); then F (nothing with A or D); then B (0.6 < C's 0.8).
    expect(maxMin(table, 4, 0)).toEqual([0, 3, 5, 1]);
    expect(maxMin(table, 10, 0)).toHaveLength(6);
    expect(maxMin(table, 0, 0)).toEqual([]);
  });

  const python = '/usr/bin/python3';
  const hasRdkit = spawnSync(python, ['-c', 'import rdkit.ML.Cluster.Butina'], { stdio: 'ignore' }).status === 0;
  if (!hasRdkit) process.stderr.write('skipped: the comparison with RDKit’s Butina needs python3-rdkit (apt install python3-rdkit)\n');
  it.skipIf(!hasRdkit)('gives the clusters of RDKit’s Butina.ClusterData on ESOL’s ECFP4 (python3-rdkit as the reference)', async () => {
    const rd = await loadRdkit();
    const smiles = readFileSync(sharedData('qsar/esol.csv'), 'utf8')
      .split('\n')
      .slice(1, 301)
      .map((l) => l.split(',')[0] as string)
      .filter(Boolean);
    const fps = smiles.map((s) => morganOf(rd, s)).filter((f): f is Uint8Array => f !== null);
    const t = fingerprintTable(fps);
    const onBits = fps.map((f) => Array.from({ length: f.length * 8 }, (_, b) => b).filter((b) => ((f[b >> 3] as number) >> (b & 7)) & 1));
    const script = [
      'import json, sys',
      'from rdkit import DataStructs',
      'from rdkit.ML.Cluster import Butina',
      'bits = json.load(sys.stdin)',
      'fps = []',
      'for on in bits:',
      '    v = DataStructs.ExplicitBitVect(2048)',
      '    for b in on: v.SetBit(b)',
      '    fps.append(v)',
      'd = []',
      'for i in range(1, len(fps)):',
      '    d.extend(1 - s for s in DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i]))',
      'print(json.dumps([list(c) for c in Butina.ClusterData(d, len(fps), 0.4, isDistData=True)]))',
    ].join('\n');
    const want = JSON.parse(execFileSync(python, ['-c', script], { input: JSON.stringify(onBits) }).toString()) as number[][];
    const got = butina(mirrored(neighbourRows(t, 0.6, 0, t.n))).clusters;
    // The bit-count window skips only pairs that cannot reach the threshold: the lists equal a scan of every pair.
    const every = Array.from({ length: t.n }, (_, i) => Array.from({ length: t.n }, (_, j) => j).filter((j) => j !== i && similarity(t, i, j) >= 0.6));
    expect(mirrored(neighbourRows(t, 0.6, 0, t.n))).toEqual(every);
    expect(got).toEqual(want);
    expect(got.length).toBeLessThan(t.n);
  });
});
