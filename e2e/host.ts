import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Page, expect } from '@playwright/test';

export const root = resolve(import.meta.dirname, '..');
export const artifacts = join(root, 'e2e/artifacts');
export const cli = join(root, 'bin/delicate.mjs');

/** The shipped task models (resources/models/delicate-SET-student.dlcm): what a screen without a model named uses. */
export const shippedTaskModels = readdirSync(join(root, 'resources/models'))
  .filter((f) => /^delicate-(?!base-).+-student\.dlcm$/.test(f))
  .map((f) => f.replace(/\.dlcm$/, ''));

/** Checks that the Screening view ticks the shipped task models, and unticks them: the test's picks then score alone. */
export async function untickShipped(page: Page): Promise<void> {
  expect(shippedTaskModels.length).toBeGreaterThan(0);
  for (const name of shippedTaskModels) {
    const box = page.getByLabel(new RegExp(`^${name}`));
    await expect(box).toBeChecked();
    await box.uncheck();
  }
}

/** Starts host mode exactly as a user does (`delicate serve`: loopback, random port and token) on a database. */
export async function startHost(db: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop: () => void; exited: Promise<unknown> }> {
  if (!existsSync(join(root, 'out/renderer/index.html'))) throw new Error('the renderer is not built: run `npm run build` first');
  const server: ChildProcess = spawn(process.execPath, [cli, 'serve', '--json', '--db', db], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let buf = '';
    server.stdout?.on('data', (d) => {
      buf += String(d);
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolveUrl((JSON.parse(line) as { url: string }).url);
    });
    server.once('exit', (code) => reject(new Error(`delicate serve exited with ${code}`)));
    setTimeout(() => reject(new Error('delicate serve did not start in 30 s')), 30_000);
  });
  const exited = new Promise((resolveExit) => server.once('exit', resolveExit));
  return { url, stop: () => server.kill('SIGTERM'), exited };
}

/** Opens the app (ready) on a view, collecting the page's console errors: a user flow ends with none. */
export async function openApp(page: Page, url: string, view?: 'training' | 'screening'): Promise<string[]> {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  // An uncaught exception (a Svelte render error among them) is a page error, not a console message.
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  await page.goto(url);
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  if (view) await page.getByTestId(`view-${view}`).click();
  return consoleErrors;
}

/** Picks the target from the chosen file's columns (the form reads the file's head first). */
export async function pickTarget(page: Page, column: string): Promise<void> {
  await expect(page.getByTestId('train-preview')).toBeVisible();
  await page.getByTestId('train-target').selectOption(column);
}
