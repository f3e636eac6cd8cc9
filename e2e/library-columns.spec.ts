/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { artifacts, cli, openApp, root, startHost } from './host';

const esol = resolve(root, '../shared/data/qsar/esol.csv');

let host: { url: string; stop: () => void } | undefined;
let url: string;
let dir: string;
/** The file's rows as the test wrote them: SMILES, logS, series, active (0/1). */
let rows: Array<{ logS: number; series: string; active: number }> = [];

// ESOL's first 300 compounds with the columns of a chemist's file (series, a 0/1 flag), imported with the CLI.
test.beforeAll(async () => {
  test.setTimeout(120_000);
  if (!existsSync(esol)) throw new Error(`test data missing: ${esol}`);
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'delicate-e2e-columns-'));
  const lines = readFileSync(esol, 'utf8').trim().split('\n').slice(1, 301);
  rows = lines.map((l, i) => ({ logS: Number(l.split(',')[1]), series: 'ABC'[i % 3] as string, active: i % 5 === 0 ? 1 : 0 }));
  const file = join(dir, 'series.csv');
  writeFileSync(
    file,
    `smiles,logS,series,active\n${lines.map((l, i) => `${l.split(',')[0]},${rows[i]?.logS},${rows[i]?.series},${rows[i]?.active}`).join('\n')}\n`,
  );
  const db = join(dir, 'e2e.db');
  execFileSync(process.execPath, [cli, 'import', file, '--library', 'series', '--db', db], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  host = await startHost(db);
  url = host.url;
});

test.afterAll(() => {
  host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a chemist sorts by the file's own columns (several keys), filters them, and chooses and retypes columns", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, url);
  await page.getByTestId('library-item').filter({ hasText: 'series' }).click();
  const table = page.getByTestId('compound-viewport');
  // The file's columns are columns, typed: numbers right-aligned, sortable.
  await expect(page.getByTestId('sort-col-logS')).toBeVisible();
  await expect(page.getByTestId('sort-col-series')).toBeVisible();
  const cells = (col: string) => table.getByTestId(`cell-${col}`);
  const values = async (col: string, n = 8) => (await cells(col).allTextContents()).slice(0, n);

  // series, then logS descending (shift-click adds the second key).
  await page.getByTestId('sort-col-series').click();
  await expect(page.getByTestId('sort-col-series')).toContainText('▲');
  await page.getByTestId('sort-col-logS').click({ modifiers: ['Shift'] });
  await page.getByTestId('sort-col-logS').click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('sort-col-series')).toContainText('▲1');
  await expect(page.getByTestId('sort-col-logS')).toContainText('▼2');
  const best = rows
    .filter((r) => r.series === 'A')
    .map((r) => r.logS)
    .sort((a, b) => b - a);
  // (ESOL repeats some structures: the library holds distinct compounds, so the order is checked, not each value.)
  await expect.poll(async () => (await values('logS', 1))[0]).toBe(String(best[0]));
  const top = (await values('logS', 8)).map(Number);
  expect(top).toEqual([...top].sort((a, b) => b - a));
  expect(await values('series', 8)).toEqual(new Array(8).fill('A'));
  await page.screenshot({ path: join(artifacts, 'library-columns-sorted.png') });

  // A range on logS and a substring on series: the count is the file's.
  await page.getByTestId('range-name').selectOption('c:logS');
  await page.getByTestId('range-min').fill('-3');
  await page.getByTestId('range-max').fill('0');
  await page.getByTestId('range-apply').click();
  await expect(page.getByTestId('range-chip')).toContainText('-3 ≤ logS ≤ 0');
  await page.getByTestId('range-name').selectOption('c:series');
  await page.getByTestId('range-text').fill('b');
  await page.getByTestId('range-apply').click();
  await expect(page.getByTestId('range-chip').nth(1)).toContainText('series contains “b”');
  // (ESOL has duplicates: the library counts distinct compounds, so the expected count is at most the rows'.)
  const want = rows.filter((r) => r.logS >= -3 && r.logS <= 0 && r.series === 'B').length;
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  const matched = Number((await page.getByTestId('compound-matched').textContent())?.split(' ')[0]);
  expect(matched).toBeGreaterThan(want - 5);
  expect(matched).toBeLessThanOrEqual(want);
  for (const v of await values('series', 20)) expect(v).toBe('B');
  for (const v of await values('logS', 20)) expect(Math.abs(Number(v) + 1.5)).toBeLessThanOrEqual(1.5);
  await page.screenshot({ path: join(artifacts, 'library-columns-filtered.png') });
  await page.getByRole('button', { name: 'Remove the series filter' }).click();
  await page.getByRole('button', { name: 'Remove the logS filter' }).click();
  await expect(page.getByTestId('range-chip')).toHaveCount(0);

  // The 0/1 flag becomes yes/no, then filters as yes; hiding a column is remembered for the library.
  await page.getByTestId('column-chooser').locator('summary').click();
  await page.getByTestId('column-type-active').selectOption('boolean');
  await expect(cells('active').first()).toHaveText(/^(yes|no)$/);
  await page.screenshot({ path: join(artifacts, 'library-columns-chooser.png') });
  await page.getByTestId('column-show-series').uncheck();
  await expect(page.getByTestId('sort-col-series')).toHaveCount(0);
  await page.getByTestId('column-chooser').locator('summary').click();
  await page.getByTestId('range-name').selectOption('c:active');
  await page.getByTestId('range-bool').selectOption('true');
  await page.getByTestId('range-apply').click();
  await expect(page.getByTestId('range-chip')).toContainText('active = yes');
  for (const v of await values('active', 10)) expect(v).toBe('yes');
  // Rows of three sizes (M, ≥ 200 px wide structures, by default); the choice is remembered.
  await expect(table.getByTestId('depiction').first()).toHaveAttribute('data-width', '210');
  await page.getByTestId('row-size-L').click();
  await expect(table.getByTestId('depiction').first()).toHaveAttribute('data-width', '300');
  await page.screenshot({ path: join(artifacts, 'library-rows-large.png') });
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('library-item').filter({ hasText: 'series' }).click();
  await expect(page.getByTestId('sort-col-logS')).toBeVisible();
  await expect(page.getByTestId('sort-col-series')).toHaveCount(0);
  await expect(table.getByTestId('depiction').first()).toHaveAttribute('data-width', '300');
  await page.getByTestId('row-size-S').click();
  await expect(table.getByTestId('depiction').first()).toHaveAttribute('data-width', '110');
  expect(consoleErrors).toEqual([]);
});

test('a chemist selects compounds (click, ctrl-click, shift-click, all matching), exports, copies and saves them as a library', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, url);
  await page.getByTestId('library-item').filter({ hasText: 'series' }).first().click();
  const rows = page.getByTestId('compound-row');
  await expect(rows.first()).toBeVisible();
  const count = page.getByTestId('selection-count');
  await expect(count).toHaveText('0 selected');
  await rows.nth(0).click();
  await expect(count).toHaveText('1 selected');
  await page.keyboard.press('Escape'); // the click opened the compound panel too
  await rows.nth(2).click({ modifiers: ['ControlOrMeta'] });
  await expect(count).toHaveText('2 selected');
  await rows.nth(5).click({ modifiers: ['Shift'] });
  await expect(count).toHaveText('5 selected');
  const picked = [0, 2, 3, 4, 5];
  for (const i of picked) await expect(rows.nth(i)).toHaveAttribute('aria-selected', 'true');
  await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'false');
  const smiles = await Promise.all(picked.map(async (i) => (await rows.nth(i).locator('.smiles').textContent())?.trim()));

  // Copied and exported in the table's order, every column.
  await page.getByTestId('copy-smiles').click();
  await expect(page.getByTestId('selection-note')).toHaveText('5 SMILES copied');
  expect((await page.evaluate(() => navigator.clipboard.readText())).split('\n')).toEqual(smiles);
  // The file has no IDs: the compounds' names as the table shows them ("compound 12"), not blank lines.
  const names = await Promise.all(picked.map(async (i) => (await rows.nth(i).locator('td.id').textContent())?.trim()));
  expect(names.every((n) => /^compound \d+$/.test(n ?? ''))).toBe(true);
  await page.getByTestId('copy-ids').click();
  await expect(page.getByTestId('selection-note')).toHaveText('5 ids copied');
  expect((await page.evaluate(() => navigator.clipboard.readText())).split('\n')).toEqual(names);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('selection-csv').click()]);
  const csv = readFileSync((await download.path()) as string, 'utf8')
    .trim()
    .split('\n');
  expect(csv[0]).toMatch(/^smiles,id,inchikey,.*,logS,series,active$/);
  expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(smiles);
  await page.screenshot({ path: join(artifacts, 'library-selection.png') });

  // The selection survives another order and scrolling: back in import order, the same rows are marked.
  await page.getByTestId('sort-mw').click();
  await expect(page.getByTestId('sort-mw')).toContainText('▲');
  await expect(count).toHaveText('5 selected');
  await page.getByTestId('compound-viewport').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.getByTestId('sort-import').click();
  await expect(page.getByTestId('sort-import')).toContainText('▲');
  await page.getByTestId('compound-viewport').evaluate((el) => (el.scrollTop = 0));
  for (const i of picked) await expect(rows.nth(i)).toHaveAttribute('aria-selected', 'true');

  // All that match a filter, kept as a new library.
  await page.getByTestId('selection-clear').click();
  await page.getByTestId('range-name').selectOption('c:series');
  await page.getByTestId('range-text').fill('A');
  await page.getByTestId('range-apply').click();
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  const matched = Number((await page.getByTestId('compound-matched').textContent())?.split(' ')[0]);
  await page.getByTestId('select-all').click();
  await expect(count).toHaveText(`${matched} selected`);
  await page.getByTestId('selection-name').fill('series-A');
  await page.getByTestId('selection-save').click();
  await expect(page.getByTestId('selection-note')).toHaveText(`saved as library 'series-A' (${matched} compounds)`);
  await page.getByTestId('library-item').filter({ hasText: 'series-A' }).click();
  await expect(page.getByTestId('compound-total')).toHaveText(`${matched} compounds`);
  await expect(page.getByTestId('cell-series').first()).toHaveText('A');
  expect(consoleErrors).toEqual([]);
});

test('a chemist draws a substructure query in the sketcher, sees the matches highlighted, and searches from a compound', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, url);
  // ('series', not the 'series-A' the selection test saved.)
  await page
    .getByTestId('library-item')
    .filter({ hasText: /^\s*series\s*\d{4}-/ })
    .click();
  const rows = page.getByTestId('compound-row');
  await expect(rows.first()).toBeVisible();
  // A blank canvas (OpenChemLib's editor, under the app's CSP: a toolbar canvas and the drawing one); a
  // click draws a bond: ethane, C-C.
  await page.getByTestId('search-draw').click();
  const sketcher = page.getByTestId('sketcher');
  await expect(sketcher).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('sketcher-use')).toBeDisabled();
  const canvas = (await sketcher.locator('canvas[tabindex]').boundingBox()) as { x: number; y: number; width: number; height: number };
  await page.mouse.click(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2);
  await expect(page.getByTestId('sketcher-smiles')).toHaveText('CC');
  await page.screenshot({ path: join(artifacts, 'sketcher.png') });
  await page.getByTestId('sketcher-use').click();
  await expect(sketcher).toHaveCount(0);
  await expect(page.getByTestId('search-substructure')).toHaveValue('CC');
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  // Every hit has an aliphatic C-C bond, drawn highlighted.
  await expect(rows.first().getByTestId('depiction').locator('path[style*="#FF7F7F"]').first()).toBeAttached();
  await page.screenshot({ path: join(artifacts, 'sketcher-matches.png') });

  // From a compound: "Find similar" ranks the library by similarity to it (itself first).
  await rows.first().click();
  const panel = page.getByTestId('compound-panel');
  // The file has no ID column: the row names the compound as its panel does ("compound 12"), not a blank.
  await expect(rows.first().locator('td.id')).toHaveText(/^compound \d+$/);
  await expect(panel.locator('h2')).toHaveText((await rows.first().locator('td.id').textContent()) as string);
  const own = (await panel.locator('.smiles').first().textContent())?.trim() as string;
  await panel.getByTestId('panel-find-similar').click();
  await expect(page.getByTestId('search-similar')).toHaveValue(own);
  await expect(page.getByTestId('search-substructure')).toHaveValue('');
  await expect(page.getByTestId('sort-similarity')).toContainText('▼');
  await expect(rows.first().getByTestId('cell-similarity')).toHaveText('1.00');
  // "Use as query": the compound itself as the substructure.
  await rows.first().click();
  await panel.getByTestId('panel-use-query').click();
  await expect(page.getByTestId('search-substructure')).toHaveValue(own);
  await expect(page.getByTestId('compound-matched')).toHaveText(/^[1-9]\d* match$/);
  expect(consoleErrors).toEqual([]);
});
