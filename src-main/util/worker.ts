import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread whose entry is `name` (without extension) in the folder of `callerUrl`: the
 * built `.js` next to the bundle, or, when running from TypeScript sources (tsx, tests), the `.ts` file
 * through a bootstrap that registers tsx inside the worker first (Node 20 does not apply `--import`
 * loader hooks to a worker's entry file).
 */
export function startWorker(callerUrl: string, name: string, opts: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const here = fileURLToPath(callerUrl);
  if (!here.endsWith('.ts')) {
    // In the bundle the caller may sit in a shared chunk (out/main/chunks/) one folder below the entries.
    const beside = join(dirname(here), `${name}.js`);
    return new Worker(existsSync(beside) ? beside : join(dirname(here), '..', `${name}.js`), opts);
  }
  // The ESM entry of tsx's API (require.resolve would give the CommonJS one).
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = pathToFileURL(join(dirname(here), `${name}.ts`)).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...opts, eval: true });
}
