import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const root = resolve(import.meta.dirname, '..');

/** The Electron binary, if this machine has one (it cannot be downloaded on the build machines). */
function electronBinary(): { path: string | null; why: string } {
  try {
    const pkgDir = resolve(createRequire(import.meta.url).resolve('electron/package.json'), '..');
    const pathFile = join(pkgDir, 'path.txt');
    // Electron 45 downloads its binary on first use (`npm start` runs scripts/electron-setup.mjs, which does).
    if (!existsSync(pathFile))
      return {
        path: null,
        why: 'the Electron binary has not been downloaded on this machine (`node scripts/electron-setup.mjs` fetches it where the network allows)',
      };
    const exe = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    if (!existsSync(exe))
      return { path: null, why: `path.txt names ${exe}, which is missing (a partial download: run \`node scripts/electron-setup.mjs\` again)` };
    const sqlite = join(root, '.electron-native/better-sqlite3/build/Release/better_sqlite3.node');
    if (!existsSync(sqlite))
      return { path: null, why: 'the Electron build of better-sqlite3 is missing (`node scripts/electron-setup.mjs` builds it beside the Node one)' };
    return { path: join(pkgDir, 'dist'), why: '' };
  } catch {
    return { path: null, why: 'the electron package is not installed' };
  }
}

const bin = electronBinary();

test('the Electron app starts with a sandboxed window showing the libraries view', async () => {
  if (!bin.path) {
    process.stdout.write(`skipped Electron spec: ${bin.why}\n`);
    test.skip(true, `no Electron binary: ${bin.why}`);
    return;
  }
  const app = await electron.launch({ args: [join(root, 'out/main/index.js')], env: { ...process.env, DELICATE_DB: join(root, 'test-results/electron.db') } });
  const page = await app.firstWindow();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  // The page has the contract's API and nothing of Node.
  expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  expect(await page.evaluate(() => Object.keys((globalThis as unknown as { api: object }).api).sort())).toEqual(['invoke', 'on']);
  await app.close();
});
