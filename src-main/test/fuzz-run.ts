// Runs the import fuzz suite in one long-lived process (a poisoned chemistry worker would show in the
// files after the one that poisoned it). Shared by the test (1,000 files) and `npm run bench -- fuzz`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import { loadRdkit, parseMol } from '../chem/rdkit';
import type { Db } from '../db/database';
import { importFile } from '../services/import-service';
import { type Pool, hostileFiles } from './hostile-files';
import { sharedData } from './helpers';

export interface FuzzCounts {
  files: number;
  imported: number;
  refused: number;
  crashed: number;
  goodRecords: number;
  goodLost: number;
  chemistryBroken: number;
  recordsRejected: number;
  seconds: number;
  /** Files and refusals per encoding (plain, gzip-cut, …; the files made to be refused as such). */
  byKind: Record<string, { files: number; refused: number }>;
  /** The first failures, for the report (file, kind, what happened). */
  failures: Array<{ file: string; kind: string; problem: string }>;
}

/** ESOL molecules without stereo (so SMILES and molfile read to the same parent), as SMILES and molfiles. */
export async function fuzzPool(chem: ChemPool, n = 200): Promise<Pool & { canonical: string[] }> {
  const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0] as string);
  const plain = rows.filter((s) => s && !/[@/\\]/.test(s)).slice(0, n * 2);
  const std = await chem.run({ op: 'standardise', inputs: plain });
  const rd = await loadRdkit();
  const pool: Pool & { canonical: string[] } = { smiles: [], v2000: [], v3000: [], canonical: [] };
  const seen = new Set<string>();
  plain.forEach((smi, i) => {
    const r = std[i];
    if (!r?.ok || seen.has(r.compound.smiles) || pool.smiles.length >= n) return;
    const mol = parseMol(rd, smi);
    if (!mol) return;
    try {
      mol.set_new_coords();
      pool.v2000.push(mol.get_molblock());
      pool.v3000.push(mol.get_v3Kmolblock());
    } finally {
      mol.delete();
    }
    seen.add(r.compound.smiles);
    pool.smiles.push(smi);
    pool.canonical.push(r.compound.smiles);
  });
  return pool;
}

/**
 * Imports `count` hostile files from `seed` into libraries f0… of `db`, one after another on `chem`, and
 * counts crashes (an error that is a bug, or one that does not name the file), good records lost, and
 * files after which RDKit no longer reads ethanol.
 */
export async function runFuzz(
  db: Db,
  chem: ChemPool,
  dir: string,
  seed: number,
  count: number,
  onFile?: (i: number, c: FuzzCounts) => void,
): Promise<FuzzCounts> {
  const pool = await fuzzPool(chem);
  const files = await hostileFiles(seed, count, pool);
  const c: FuzzCounts = {
    files: 0,
    imported: 0,
    refused: 0,
    crashed: 0,
    goodRecords: 0,
    goodLost: 0,
    chemistryBroken: 0,
    recordsRejected: 0,
    seconds: 0,
    byKind: {},
    failures: [],
  };
  const fail = (file: string, kind: string, problem: string) => {
    if (c.failures.length < 50) c.failures.push({ file, kind, problem });
  };
  const members = db.prepare(
    'SELECT DISTINCT c.smiles FROM library_members m JOIN compounds c ON c.id = m.compound_id JOIN libraries l ON l.id = m.library_id WHERE l.name = ?',
  );
  const t0 = performance.now();
  for (const [i, f] of files.entries()) {
    const path = join(dir, f.name);
    writeFileSync(path, f.bytes);
    const kind = (c.byKind[f.encoding] ??= { files: 0, refused: 0 });
    kind.files++;
    c.files++;
    try {
      const s = await importFile(db, chem, { file: path, library: `f${i}` });
      c.imported++;
      c.recordsRejected += s.rejected;
    } catch (err) {
      if (err instanceof AppError && err.code !== 'BUG' && err.message.includes(f.name)) {
        c.refused++;
        kind.refused++;
      } else {
        c.crashed++;
        fail(f.name, f.kind, `crash: ${err instanceof AppError ? err.code : 'exception'}: ${(err as Error).message}`);
      }
    }
    const kept = new Set((members.all(`f${i}`) as Array<{ smiles: string }>).map((r) => r.smiles));
    const lost = f.good.filter((k) => !kept.has(pool.canonical[k] as string));
    c.goodRecords += f.good.length;
    c.goodLost += lost.length;
    if (lost.length) fail(f.name, f.kind, `${lost.length} of ${f.good.length} good records lost (e.g. ${pool.smiles[lost[0] as number]})`);
    const probe = await chem.run({ op: 'standardise', inputs: ['CCO'] });
    if (!probe[0]?.ok || probe[0].compound.smiles !== 'CCO') {
      c.chemistryBroken++;
      fail(f.name, f.kind, 'ethanol no longer reads after this file');
    }
    c.seconds = (performance.now() - t0) / 1000;
    onFile?.(i, c);
  }
  return c;
}
