import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendStatus, DoctorReport } from '../../src-shared/dto';
import { openchemlibVersion } from '../chem/conformer';
import { loadRdkit } from '../chem/rdkit';
import type { Db } from '../db/database';

const require = createRequire(import.meta.url);

/** Tries to resolve an optional package; returns why not when it is missing. */
function probePackage(name: string): { ok: boolean; reason: string } {
  try {
    require.resolve(`${name}/package.json`);
    return { ok: true, reason: 'installed' };
  } catch {
    return { ok: false, reason: `${name} is not installed (optional dependency)` };
  }
}

/**
 * Which compute backends could run here and why the others cannot. The model core (issue 3) refines this
 * by actually loading each backend; here the report covers installation.
 */
export function computeBackends(): BackendStatus[] {
  const gpu = probePackage('@tensorflow/tfjs-node-gpu');
  const node = probePackage('@tensorflow/tfjs-node');
  const wasm = probePackage('@tensorflow/tfjs-backend-wasm');
  const cpu = probePackage('@tensorflow/tfjs-backend-cpu');
  const list: Array<{ name: string; p: { ok: boolean; reason: string } }> = [
    { name: 'tfjs-node-gpu', p: gpu },
    { name: 'tfjs-node', p: node },
    { name: 'wasm', p: wasm },
    { name: 'cpu', p: cpu },
  ];
  const selected = list.find((b) => b.p.ok)?.name ?? null;
  return list.map((b) => ({ name: b.name, available: b.p.ok, selected: b.name === selected, reason: b.p.reason }));
}

/** Finds ../shared/data next to the checkout, if present. */
export function sharedDataDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [process.env.DELICATE_SHARED_DATA, resolve(process.cwd(), '../shared/data'), resolve(here, '../../../shared/data')]) {
    if (c && existsSync(c)) return c;
  }
  return null;
}

/** Versions, database location, and compute backends with reasons. */
export async function doctor(db: Db, dbPath: string): Promise<DoctorReport> {
  const pkg = require('../../package.json') as { version: string };
  let rdkit: string | null = null;
  try {
    rdkit = (await loadRdkit()).version();
  } catch {
    rdkit = null;
  }
  let ocl: string | null = null;
  try {
    ocl = openchemlibVersion();
  } catch {
    ocl = null;
  }
  return {
    delicate: pkg.version,
    node: process.versions.node,
    electron: process.versions.electron ?? null,
    platform: `${process.platform}-${process.arch}`,
    database: dbPath,
    rdkit,
    openchemlib: ocl,
    sqlite: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
    computeBackends: computeBackends(),
    data: { sharedData: sharedDataDir() },
  };
}
