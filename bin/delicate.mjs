#!/usr/bin/env node
// The `delicate` command. It runs the built CLI (out/main/cli.js, made by `npm run build`) when that is
// newer than every source file, which spares compiling the TypeScript sources on each call; otherwise (a
// fresh `npm ci`, or sources edited since the build) it runs the sources through tsx, so it is never stale
// and never needs a build step. DELICATE_CLI=sources forces the sources.
import { pathToFileURL } from 'node:url';
import { builtCli, builtCliIsFresh } from './built-cli.mjs';

let main;
if (process.env.DELICATE_CLI !== 'sources' && builtCliIsFresh()) {
  ({ main } = await import(pathToFileURL(builtCli).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src-main/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
