#!/usr/bin/env node
// `npm run bench -- NAME [options]`: runs bench/NAME.ts (TypeScript through tsx).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME [options]\nbenchmarks: ${names.join(', ')}\n`);
  process.exit(2);
}
const mod = await import(join(dir, `${name}.ts`));
await mod.run(args);
