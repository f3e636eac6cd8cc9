// Whether the built CLI (out/main/cli.js, made by `npm run build`) is newer than every source file: the
// rule by which bin/delicate.mjs runs it instead of the sources through tsx. Benchmarks that time the
// `delicate` command check it, so that they never time the sources unawares.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const builtCli = join(root, 'out/main/cli.js');

/** The newest modification time of the .ts files under `dir` (0 when there are none). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** @returns {boolean} */
export function builtCliIsFresh() {
  if (!existsSync(builtCli)) return false;
  const sources = ['src-main', 'src-shared'].map((d) => join(root, d)).filter((d) => existsSync(d));
  return statSync(builtCli).mtimeMs >= Math.max(...sources.map(newest));
}
