#!/usr/bin/env node
// The `delicate` command. It runs the built CLI (out/main/cli.js, made by `npm run build`) when that is
// newer than every source file, which spares compiling the TypeScript sources on each call; otherwise (a
// fresh `npm ci`, or sources edited since the build) it runs the sources through tsx, so it is never stale
// and never needs a build step. DELICATE_CLI=sources forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out/main/cli.js');

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

function builtIsFresh() {
  if (process.env.DELICATE_CLI === 'sources' || !existsSync(built)) return false;
  const sources = ['src-main', 'src-shared'].map((d) => join(root, d)).filter((d) => existsSync(d));
  return statSync(built).mtimeMs >= Math.max(...sources.map(newest));
}

let main;
if (builtIsFresh()) {
  ({ main } = await import(pathToFileURL(built).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src-main/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
