import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
