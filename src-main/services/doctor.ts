import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendStatus, DoctorReport } from '../../src-shared/dto';
import { openchemlibVersion } from '../chem/conformer';
import { loadRdkit } from '../chem/rdkit';
import type { Db } from '../db/database';

const nodeRequire = createRequire(import.meta.url);

/**
 * The compute backends in preference order, which one runs and why each other one does not: the same
 * choice the training worker makes (model/tf/backend.ts), made here by actually loading them.
 */
export async function computeBackends(): Promise<BackendStatus[]> {
  try {
    const { initTf } = await import('../model/tf/backend');
    return (await initTf()).backends;
  } catch (err) {
    return [{ name: 'tfjs', available: false, selected: false, reason: `TensorFlow.js failed to load: ${(err as Error).message}` }];
  }
}

/** Finds ../shared/data next to the checkout, if present. */
export function sharedDataDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [process.env.DELICATE_SHARED_DATA, resolve(process.cwd(), '../shared/data'), resolve(here, '../../../shared/data')]) {
    if (c && existsSync(c)) return c;
  }
  return null;
}

/** Delicate's package.json, found upwards from this file (src-main/services in sources, out/main when built). */
function ownPackageJson(): { version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = resolve(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = nodeRequire(p) as { name?: string; version: string };
      if (pkg.name === 'delicate') return pkg;
    }
    dir = dirname(dir);
  }
  return { version: 'unknown' };
}

/** Versions, database location, and compute backends with reasons. */
export async function doctor(db: Db, dbPath: string): Promise<DoctorReport> {
  const pkg = ownPackageJson();
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
    computeBackends: await computeBackends(),
    inferenceProviders: (await import('../model/ort-engine')).executionProviders(),
    data: { sharedData: sharedDataDir() },
  };
}
