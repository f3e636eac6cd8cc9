import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { artifacts, openApp, pickTarget, root, startHost } from './host';

let host: { url: string; stop: () => void } | undefined;
let url: string;
let dir: string;

// The first 160 compounds of ESOL, and the app on an empty database.
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'delicate-e2e-assay-'));
  const rows = readFileSync(resolve(root, '../shared/data/qsar/esol.csv'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'esol-160.csv'), `${rows.slice(0, 161).join('\n')}\n`);
  host = await startHost(join(dir, 'e2e.db'));
  url = host.url;
});

test.afterAll(() => {
  host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a chemist reads an assay file and inspects it before training on it', async ({ page }) => {
  const consoleErrors = await openApp(page, url, 'training');
  await page.getByTestId('train-file').setInputFiles(join(dir, 'esol-160.csv'));
  await page.getByTestId('train-out').fill('esol-read');
  await pickTarget(page, 'logS');
  await expect(page.getByTestId('train-unit')).toHaveValue('');
  await page.getByTestId('train-read').click();
  // The read stores the assay and selects it, its table open; training it is one click away.
  await expect(page.getByTestId('train-assay')).toHaveValue('esol-read', { timeout: 60_000 });
  await expect(page.getByTestId('train-assay-info')).toContainText('160 compounds from 160 records');
  await expect(page.getByTestId('assay-row')).toHaveCount(100);
  await expect(page.getByTestId('train-read')).toHaveCount(0);
  await expect(page.getByTestId('train-start')).toBeEnabled();
  // No dates in this file: no temporal split.
  await page.getByText('Show advanced settings').click();
  await expect(page.getByTestId('train-split').locator('option[value=temporal]')).toBeDisabled();
  // The same name again is refused, in words. (Back to "a file": the file chosen before is gone with its input.)
  await page.getByTestId('train-assay').selectOption('');
  await expect(page.getByTestId('train-read')).toBeDisabled();
  await page.getByTestId('train-file').setInputFiles(join(dir, 'esol-160.csv'));
  await page.getByTestId('train-out').fill('esol-read');
  await pickTarget(page, 'logS');
  await page.getByTestId('train-read').click();
  await expect(page.getByTestId('error')).toContainText("an assay named 'esol-read' exists");
  // Deleted (after a confirmation), the name is free again.
  await page.getByTestId('train-assay').selectOption('esol-read');
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('assay-delete').click();
  await expect(page.getByTestId('train-assay').locator('option[value="esol-read"]')).toHaveCount(0);
  // The same compounds with a series column: the columns are pick-lists of the file's header (advanced settings)
  // with its first records shown, and a text column as a regression target is refused before anything runs.
  const lines = readFileSync(join(dir, 'esol-160.csv'), 'utf8').trim().split('\n');
  const withSeries = join(dir, 'esol-160-series.csv');
  writeFileSync(withSeries, `${lines.map((l, i) => `${l},${i === 0 ? 'series' : 'ABC'[i % 3]}`).join('\n')}\n`);
  await page.getByTestId('train-file').setInputFiles(withSeries);
  await page.getByTestId('train-out').fill('esol-read');
  await pickTarget(page, 'series');
  await expect(page.getByTestId('train-preview-row')).toHaveCount(5);
  await expect(page.getByTestId('train-preview-row').first()).toContainText('Amigdalin');
  await expect(page.getByTestId('train-target').locator('option')).toHaveText(['choose…', /^logS \(-0\.77, -3\.3, -2\.06…\)$/, /^series \(B, C, A…\)$/]);
  await expect(page.getByTestId('train-id-col').locator('option')).toHaveText(['detected (name)', 'smiles', 'name', 'logS', 'series']);
  await expect(page.getByTestId('train-target-problem')).toContainText("'series' holds no numbers in the first records ('B', 'C')");
  await expect(page.getByTestId('train-read')).toBeDisabled();
  await expect(page.getByTestId('train-start')).toBeDisabled();
  await page.screenshot({ path: join(artifacts, 'train-form-columns.png') });
  await page.getByTestId('train-target').selectOption('logS');
  await page.getByTestId('train-id-col').selectOption('name');
  await page.getByTestId('train-read').click();
  await expect(page.getByTestId('train-assay')).toHaveValue('esol-read', { timeout: 60_000 });
  await expect(page.getByTestId('assay-id').first()).toHaveText('Amigdalin');
  expect(consoleErrors).toEqual([]);
});
