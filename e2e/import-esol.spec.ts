/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { artifacts, openApp, root, startHost } from './host';

const esol = resolve(root, '../shared/data/qsar/esol.csv');

let host: { url: string; stop: () => void } | undefined;
let url: string;
let dbDir: string;

test.beforeAll(async () => {
  if (!existsSync(esol)) throw new Error(`test data missing: ${esol} (the e2e tests read ../shared/data next to the checkout)`);
  mkdirSync(artifacts, { recursive: true });
  dbDir = mkdtempSync(join(tmpdir(), 'delicate-e2e-'));
  // Host mode, exactly as a user starts it: `delicate serve`, loopback, random port and token.
  host = await startHost(join(dbDir, 'e2e.db'));
  url = host.url;
});

test.afterAll(async () => {
  host?.stop();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

test('a chemist imports ESOL through the UI and browses the compounds with 2D depictions', async ({ page }) => {
  const consoleErrors = await openApp(page, url);
  await expect(page.getByText('No libraries yet')).toBeVisible();

  await page.getByTestId('import-file').setInputFiles(esol);
  await expect(page.getByTestId('import-library')).toHaveValue('esol');
  // The preview shows the first records with the detected columns; the mapping can be changed.
  await expect(page.getByTestId('import-preview-row')).toHaveCount(10);
  await expect(page.getByTestId('import-preview-row').first()).toContainText('Amigdalin');
  // Each previewed record is standardised as the import would: drawn from the SMILES it would store.
  await expect(page.getByTestId('import-preview').getByTestId('depiction').first()).toBeVisible();
  await expect(page.getByTestId('import-preview-note')).toContainText('CSV');
  await expect(page.getByTestId('import-smiles-col')).toContainText('detected (smiles)');
  await expect(page.getByTestId('import-id-col')).toContainText('detected (name)');
  await page.screenshot({ path: join(artifacts, 'import-preview.png') });
  await page.getByTestId('import-start').click();
  await expect(page.getByTestId('import-preview')).toHaveCount(0);

  const summary = page.getByTestId('import-summary');
  await expect(summary).toContainText('1128 read', { timeout: 60_000 });
  await expect(summary).toContainText('1117 new');
  await expect(summary).toContainText('11 duplicates');
  await expect(page.getByTestId('library-item')).toContainText('esol');
  await expect(page.getByTestId('compound-total')).toHaveText('1117 compounds');
  const rows = page.getByTestId('compound-row');
  await expect(rows.first()).toContainText('Amigdalin');
  // Virtualised: only the rows in view (and a few around them) are in the page, however large the library.
  const inPage = async () => rows.count();
  expect(await inPage()).toBeGreaterThan(3);
  expect(await inPage()).toBeLessThan(40);
  // Depictions come from RDKit in the main process as SVG, drawn inline: bonds as paths.
  const img = rows.first().getByTestId('depiction');
  await expect(img).toBeVisible();
  expect(await img.locator('svg path').count()).toBeGreaterThan(0);
  await page.screenshot({ path: join(artifacts, 'libraries-esol.png'), fullPage: false });
  // Scrolling to the end fetches and shows the last compound, still with few rows in the page.
  const viewport = page.getByTestId('compound-viewport');
  await viewport.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator('[data-testid="compound-row"][data-index="1116"]')).toContainText('Stirofos');
  expect(await inPage()).toBeLessThan(40);
  await viewport.evaluate((el) => (el.scrollTop = 0));
  // Sort by MW, heaviest first (second click reverses), then narrow by a property range.
  const mwOf = async (i: number) => Number(await rows.nth(i).locator('td.num').first().textContent());
  await page.getByTestId('sort-mw').click();
  await page.getByTestId('sort-mw').click();
  await expect(page.getByTestId('sort-mw')).toContainText('▼');
  await expect.poll(() => mwOf(0)).toBeGreaterThan(500);
  expect(await mwOf(0)).toBeGreaterThanOrEqual(await mwOf(1));
  expect(await mwOf(1)).toBeGreaterThanOrEqual(await mwOf(2));
  await page.getByTestId('range-name').selectOption('d:mw');
  await page.getByTestId('range-min').fill('100');
  await page.getByTestId('range-max').fill('150');
  await page.getByTestId('range-apply').click();
  await expect(page.getByTestId('range-chip')).toContainText('100 ≤ MW ≤ 150');
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  const matched = Number((await page.getByTestId('compound-matched').textContent())?.split(' ')[0]);
  expect(matched).toBeGreaterThan(20);
  expect(matched).toBeLessThan(1117);
  await expect.poll(() => mwOf(0)).toBeLessThanOrEqual(150);
  for (let i = 0; i < Math.min(5, await inPage()); i++) expect(await mwOf(i)).toBeGreaterThanOrEqual(100);
  await page.screenshot({ path: join(artifacts, 'libraries-esol-sorted-range.png') });
  await page.getByRole('button', { name: 'Remove the MW range' }).click();
  await expect(page.getByTestId('range-chip')).toHaveCount(0);
  await expect(page.getByTestId('compound-matched')).toHaveCount(0);

  await page.getByTestId('search-substructure').fill('c1ccccc1[N+](=O)[O-]');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(rows.first()).toContainText('[N+](=O)[O-]');
  const n = await rows.count();
  expect(n).toBeGreaterThan(5);
  for (let i = 0; i < n; i++) await expect(rows.nth(i).locator('.smiles')).toContainText('[N+]');
  // The query's match is highlighted in each hit's depiction (RDKit's highlight colour).
  await expect(rows.first().getByTestId('depiction').locator('path[style*="#FF7F7F"]').first()).toBeAttached();
  await page.screenshot({ path: join(artifacts, 'libraries-esol-search.png') });

  // Open a compound: properties, records and its 3D structure (conformer made off the main thread).
  await rows.first().click();
  const panel = page.getByTestId('compound-panel');
  await expect(panel).toContainText('InChIKey');
  // A nitroaromatic hit: the panel names its structural alert.
  await expect(panel.getByTestId('compound-alerts')).toContainText('nitro group');
  await expect(panel.getByTestId('compound-predictions')).toHaveText('No finished screen has scored it yet.');
  const viewer = page.getByTestId('viewer-3d');
  await expect(viewer).toHaveAttribute('data-rendered', 'true', { timeout: 60_000 });
  await expect(viewer.locator('canvas')).toBeVisible();
  // With the 3D viewer the panel's content is taller than the panel: its depiction keeps its full size.
  expect((await panel.getByTestId('depiction').boundingBox())?.height).toBeCloseTo(220, 0);
  // The canvas shows a molecule: count the pixels that are not background in a screenshot of it.
  const colouredPixels = async () => {
    const png = (await viewer.screenshot()).toString('base64');
    return page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      if (!g) return 0;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if ((d[i] as number) < 200 || (d[i + 1] as number) < 200 || (d[i + 2] as number) < 200) n++;
      return n;
    }, png);
  };
  expect(await colouredPixels()).toBeGreaterThan(500);
  await page.getByTestId('style-sphere').click();
  expect(await colouredPixels()).toBeGreaterThan(500);
  await page.screenshot({ path: join(artifacts, 'compound-3d.png') });
  // Keyboard: arrows move to the next compound, Esc closes the panel, '/' focuses the search.
  const firstTitle = await panel.locator('h2').textContent();
  await page.keyboard.press('ArrowDown');
  await expect(panel.locator('h2')).not.toHaveText(firstTitle ?? '');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await page.keyboard.press('/');
  await expect(page.getByTestId('search-substructure')).toBeFocused();
  // A bad query: a sentence for the chemist, the code behind "Details".
  await page.getByTestId('search-substructure').fill('');
  await page.getByTestId('search-similar').fill('C1CC');
  await page.getByRole('button', { name: 'Search' }).click();
  const error = page.getByTestId('error');
  await expect(error).toContainText('cannot parse the similarity query SMILES: C1CC');
  await expect(page.getByTestId('error-details')).toBeHidden();
  await error.getByText('Details').click();
  await expect(page.getByTestId('error-details')).toContainText('INVALID_INPUT');
  // Delete the library: asks first, then it is gone from the list.
  await page.getByTestId('library-delete').click();
  await expect(page.getByTestId('library-delete-confirm')).toContainText("Delete 'esol'");
  await page.getByTestId('library-delete-yes').click();
  await expect(page.getByTestId('library-item')).toHaveCount(0);
  await expect(page.getByText('No libraries yet')).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test('an import is followed by every tab of the app, and by a window reloaded mid-import, which can cancel it', async ({ page }) => {
  // 20,000 ChEMBL molecules: long enough to reload the window while they import.
  const corpus = resolve(root, '../shared/data/pretrain/chembl31_150k.csv.gz');
  const slice = join(dbDir, 'chembl-20k.csv');
  writeFileSync(slice, `${gunzipSync(readFileSync(corpus)).toString('utf8').split('\n').slice(0, 20_001).join('\n')}\n`);
  const pageErrors = await openApp(page, url);
  // Another tab of the app, open before the import starts, follows it too.
  const other = await page.context().newPage();
  const otherErrors = await openApp(other, url);
  await page.getByTestId('import-file').setInputFiles(slice);
  await expect(page.getByTestId('import-library')).toHaveValue('chembl-20k');
  await expect(page.getByTestId('import-preview-note')).toContainText('CSV');
  await page.getByTestId('import-start').click();
  const job = page.getByTestId('import-job').filter({ hasText: 'chembl-20k.csv' });
  // A job that does not appear says what the page showed instead (a CI run once waited 60 s for it in vain).
  await expect(job)
    .toHaveCount(1, { timeout: 30_000 })
    .catch(async (e: Error) => {
      throw new Error(
        `${e.message}\nerrors shown: ${JSON.stringify(await page.locator('.error').allInnerTexts())}; page errors: ${JSON.stringify(pageErrors)}`,
      );
    });
  await expect(job).toContainText(/\d+ records: \d+ new/, { timeout: 60_000 });
  const followed = other.getByTestId('import-job').filter({ hasText: 'chembl-20k.csv' });
  await expect(followed).toHaveAttribute('data-state', 'running');
  await expect(followed).toContainText(/\d+ records: \d+ new/);

  await openApp(page, url);
  const again = page.getByTestId('import-job').filter({ hasText: 'chembl-20k.csv' });
  await expect(again).toHaveAttribute('data-state', 'running');
  await expect(again).toContainText(/\d+ records: \d+ new/);
  await again.getByRole('button', { name: 'Cancel' }).click();
  await expect(again).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
  await expect(again).toContainText('import the same file again to resume');
  await expect(followed).toHaveAttribute('data-state', 'cancelled');
  expect(otherErrors).toEqual([]);
  expect(pageErrors).toEqual([]);
});

test('the host-mode token leaves the address bar once read, and a reload still connects', async ({ page }) => {
  await openApp(page, url);
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  // A damaged gzip upload: the records before the damage are kept, and the damage is named.
  const lines = readFileSync(esol, 'utf8').trim().split('\n');
  const { gzipSync } = await import('node:zlib');
  const gz = gzipSync(`${lines.join('\n')}\n`);
  const cut = join(dbDir, 'esol-cut.csv.gz');
  writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.7)));
  await page.getByTestId('import-file').setInputFiles(cut);
  await page.getByTestId('import-library').fill('esol-cut');
  await page.getByTestId('import-start').click();
  await expect(page.getByTestId('import-summary')).toContainText('1 rejected', { timeout: 60_000 });
  await page.getByText('1 rejected records').click();
  await expect(page.getByText(/damaged gzip data .* the rest of the file cannot be read/)).toBeVisible();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: join(artifacts, 'import-damaged-gzip.png') });
});
