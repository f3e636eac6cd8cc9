import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { artifacts, openApp, root, startHost } from './host';

let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'delicate-e2e-upgrade-'));
  mkdirSync(artifacts, { recursive: true });
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a newer shipped model is announced in the window, with where the version the database had is kept', async ({ page }) => {
  // A copy of the shipped models (DELICATE_RESOURCES), in which the shared-layer teacher's file changes
  // between two starts of `delicate serve` on the same database: what an installed update does.
  const resources = join(dir, 'resources');
  mkdirSync(join(resources, 'models'), { recursive: true });
  const shipped = join(root, 'resources', 'models');
  for (const f of readdirSync(shipped).filter((x) => x.endsWith('.dlcm'))) copyFileSync(join(shipped, f), join(resources, 'models', f));
  const db = join(dir, 'upgrade.db');
  const env = { DELICATE_RESOURCES: resources };

  const first = await startHost(db, env);
  try {
    const errors = await openApp(page, first.url);
    await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
    await expect(page.getByTestId('start-notice')).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    first.stop();
    await first.exited;
  }

  // Another file under the name (here the shipped student's, 1,583 steps against 451).
  copyFileSync(join(resources, 'models', 'delicate-base-student.dlcm'), join(resources, 'models', 'delicate-base-shared-teacher.dlcm'));
  const second = await startHost(db, env);
  try {
    const errors = await openApp(page, second.url);
    const notice = page.getByTestId('start-notice');
    await expect(notice).toHaveCount(1);
    await expect(notice).toContainText(
      /the shipped model delicate-base-shared-teacher is a newer version; the one this database had is kept as delicate-base-shared-teacher-[0-9a-f]{10}/,
    );
    const kept = /kept as (delicate-base-shared-teacher-[0-9a-f]{10})/.exec(await notice.innerText())?.[1];
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByTestId('view-models').click();
    await expect(page.getByText(kept ?? 'the kept name', { exact: true }).first()).toBeVisible();
    await expect(page.getByTestId('model-retired')).toHaveCount(1);
    // Its longer name (and the lineage naming it) still leaves the table within a 1440-pixel window.
    const [tableWidth, room] = await page.locator('table').evaluate((t) => [t.getBoundingClientRect().width, (t.parentElement as HTMLElement).clientWidth]);
    expect(tableWidth).toBeLessThanOrEqual(room as number);
    // The shipped task model, not the base encoders, is what a screen without a model named uses.
    await expect(page.locator('[data-model="delicate-esol-student"]').getByTestId('model-default-screen')).toHaveCount(1);
    await expect(page.locator('[data-model^="delicate-base-"]').getByTestId('model-default-screen')).toHaveCount(0);
    await page.screenshot({ path: join(artifacts, 'shipped-upgrade-notice.png') });
    // Dismissed, it is gone from this window, and a window opened later does not show it again.
    await notice.getByRole('button', { name: 'Dismiss this notice' }).click();
    await expect(page.getByTestId('start-notice')).toHaveCount(0);
    expect(errors).toEqual([]);
    const later = await page.context().newPage();
    await openApp(later, second.url);
    await expect(later.getByTestId('start-notices')).toHaveAttribute('data-loaded', 'yes');
    await expect(later.getByTestId('start-notice')).toHaveCount(0);
  } finally {
    second.stop();
    await second.exited;
  }
});
