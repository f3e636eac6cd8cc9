import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** A file of ../shared/data; fails with a clear message when the data folder is absent. */
export function sharedData(rel: string): string {
  const base = process.env.DELICATE_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
  const p = join(base, rel);
  if (!existsSync(p)) {
    throw new Error(`test data missing: ${p}. The tests read ../shared/data next to the checkout (or set DELICATE_SHARED_DATA).`);
  }
  return p;
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix = 'delicate-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The first n SMILES of the ChEMBL pretraining corpus (a test slice). */
export function corpusSlice(n: number): string[] {
  const text = gunzipSync(readFileSync(sharedData('pretrain/chembl31_150k.csv.gz'))).toString('utf8');
  return text.split('\n').slice(1, n + 1).map((l) => l.split(',')[0] as string).filter(Boolean);
}
