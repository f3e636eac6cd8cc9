/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { artifacts, cli, openApp, root, startHost } from './host';

const esol = resolve(root, '../shared/data/qsar/esol.csv');
let host: { url: string; stop: () => void } | undefined;
let dir: string;

// ESOL's first 300 compounds, imported with the CLI.
test.beforeAll(async () => {
  test.setTimeout(120_000);
  if (!existsSync(esol)) throw new Error(`test data missing: ${esol}`);
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'delicate-e2e-analysis-'));
  const file = join(dir, 'esol300.csv');
  writeFileSync(file, `${readFileSync(esol, 'utf8').trim().split('\n').slice(0, 301).join('\n')}\n`);
  const db = join(dir, 'e2e.db');
  execFileSync(process.execPath, [cli, 'import', file, '--library', 'esol300', '--db', db], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  // A screen with the shipped ESOL student: its predictions become the library's columns.
  execFileSync(process.execPath, [cli, 'screen', '--library', 'esol300', '--model', 'delicate-esol-student', '--db', db], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  host = await startHost(db);
});

/**
 * Where each point lies against a polygon (ray casting): 'near' within 0.5% of the axes' spans of an edge
 * (the plot's pixels decide those), else 'inside' or 'outside'.
 */
function inPolygon(points: Array<[number, number]>, poly: Array<[number, number]>): Array<'inside' | 'near' | 'outside'> {
  const span = (k: 0 | 1) => Math.max(...points.map((p) => p[k])) - Math.min(...points.map((p) => p[k]));
  const [sx, sy] = [span(0), span(1)];
  return points.map(([px, py]) => {
    let odd = false;
    let nearest = Number.POSITIVE_INFINITY;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i] as [number, number];
      const [xj, yj] = poly[j] as [number, number];
      if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
      // Distance to the edge in units of the axes' spans.
      const [ax, ay, bx, by, qx, qy] = [xi / sx, yi / sy, xj / sx, yj / sy, px / sx, py / sy];
      const t = Math.max(0, Math.min(1, ((qx - ax) * (bx - ax) + (qy - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2 || 1)));
      nearest = Math.min(nearest, Math.hypot(qx - (ax + t * (bx - ax)), qy - (ay + t * (by - ay))));
    }
    return nearest < 0.005 ? 'near' : odd ? 'inside' : 'outside';
  });
}

test.afterAll(() => {
  host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a chemist clusters a library (Butina on ECFP4), looks at its scaffolds and a series’ R groups, scores it (MPO), and picks diverse compounds as the selection', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, (host as { url: string }).url);
  await page.getByTestId('library-item').filter({ hasText: 'esol300' }).click();
  await page.getByTestId('cluster-threshold').fill('0.5');
  await page.getByTestId('cluster-run').click();
  await expect(page.getByTestId('cluster-result')).toContainText(/\d+ clusters of \d+ \(largest \d+, \d+ singletons\)/, { timeout: 60_000 });
  // The columns are in the table, sorted by cluster (1: the largest first).
  await expect(page.getByTestId('sort-col-cluster')).toContainText('▲');
  const table = page.getByTestId('compound-viewport');
  await expect.poll(async () => (await table.getByTestId('cell-cluster').allTextContents()).slice(0, 3)).toEqual(['1', '1', '1']);
  const sizes = (await table.getByTestId('cell-cluster size').allTextContents()).slice(0, 3);
  const largest = Number(/largest (\d+)/.exec((await page.getByTestId('cluster-result').textContent()) ?? '')?.[1]);
  expect(sizes).toEqual([String(largest), String(largest), String(largest)]);
  // Each cluster led by its centroid.
  expect((await table.getByTestId('cell-cluster centroid').allTextContents()).slice(0, 2)).toEqual(['yes', 'no']);
  await page.screenshot({ path: join(artifacts, 'analysis-clusters.png') });

  // Scaffolds: the commonest first (benzene in ESOL), summarised by the file's logS; a click shows that series.
  await page.getByTestId('scaffolds-run').click();
  await expect(page.getByTestId('scaffolds-result')).toContainText(/\d+ scaffolds, \d+ acyclic/, { timeout: 60_000 });
  const first = page.getByTestId('scaffold-row').first();
  await expect(first).toHaveAttribute('title', 'c1ccccc1');
  await page.getByTestId('scaffold-column').selectOption('logS');
  await expect(first).toContainText(/mean -?\d+\.\d\d \(-?\d+\.\d\d to -?\d+\.\d\d\)/);
  const n = Number(/(\d+) compounds/.exec((await first.textContent()) ?? '')?.[1]);
  await first.click();
  await expect(page.getByTestId('compound-matched')).toHaveText(`${n} match`);
  await expect.poll(async () => new Set((await table.getByTestId('cell-scaffold').allTextContents()).slice(0, 4))).toEqual(new Set(['c1ccccc1']));
  await page.screenshot({ path: join(artifacts, 'analysis-scaffolds.png') });

  // The series' SAR table: all of it selected, decomposed around its common core (benzene).
  await page.getByTestId('select-all').click();
  await expect(page.getByTestId('selection-count')).toHaveText(`${n} selected`);
  await page.getByTestId('rgroup-run').click();
  await expect(page.getByTestId('rgroup-table')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('rgroup-core')).toContainText('common core (MCS)');
  await expect(page.getByTestId('rgroup-row')).toHaveCount(n);
  await page.getByTestId('rgroup-column').selectOption('logS');
  // Pentachlorobenzene first: its chlorines said as text.
  await expect(page.getByTestId('rgroup-row').first().getByTestId('rgroup-text').first()).toHaveText('Cl');
  await page.screenshot({ path: join(artifacts, 'analysis-rgroups.png'), fullPage: true });
  await page.getByTestId('selection-clear').click();

  // An MPO score (MW less is better 350–500, cLogP within 1–3 ± 1): a column the table sorts by, best first.
  await page.getByTestId('score-open').click();
  await expect(page.getByTestId('score-term')).toHaveCount(2);
  await page.getByTestId('score-save').click();
  await expect(page.getByTestId('score-result')).toContainText(/MPO: \d+ scored, mean 0\.\d\d/);
  await expect(page.getByTestId('sort-col-MPO')).toContainText('▼');
  await expect.poll(async () => (await table.getByTestId('cell-MPO').allTextContents())[0]).toBe('1');
  const mpo = (await table.getByTestId('cell-MPO').allTextContents()).map(Number);
  expect(mpo).toEqual([...mpo].sort((a, b) => b - a));
  await page.screenshot({ path: join(artifacts, 'analysis-mpo.png') });

  await page.getByTestId('diverse-n').fill('7');
  await page.getByTestId('diverse-run').click();
  await expect(page.getByTestId('selection-count')).toHaveText('7 selected');
  await expect(page.getByTestId('selection-note')).toContainText('7 diverse compounds selected');
  expect(consoleErrors).toEqual([]);
});

test('a chemist plots two columns coloured by a third and selects a box of points, then a lasso: the table selects the same compounds', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, (host as { url: string }).url);
  await page.getByTestId('library-item').filter({ hasText: 'esol300' }).click();
  await page.getByTestId('plot-open').click();
  await expect(page.getByTestId('plot-count')).toHaveText('299 points');
  await page.getByTestId('plot-color').selectOption('logS');
  await page.getByTestId('plot-size').selectOption('tpsa');
  await expect(page.getByTestId('plot-count')).toHaveText('299 points');
  // Colour (8 logS bins) and size (4 TPSA bins) classes, each drawn as its own series, with a legend of both.
  await expect(page.getByTestId('plot-legend')).toContainText('logS');
  await expect(page.getByTestId('plot-legend')).toContainText('TPSA');
  expect(Number(await page.getByTestId('plot-canvas').getAttribute('data-classes'))).toBeGreaterThan(4);
  const box = await page.getByTestId('plot-canvas').boundingBox();
  if (!box) throw new Error('no plot');
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.3);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.75, { steps: 8 });
  await page.mouse.up();
  // The brush reports 200 ms after the last move (debounced): let the last report arrive.
  await page.waitForTimeout(800);
  await expect(page.getByTestId('plot-status')).toContainText(/\d+ selected: /);
  // The box's last report (a slow drag may report on the way): the plot's status and the table agree.
  const countOf = async (id: string) => /^(\d+) selected/.exec((await page.getByTestId(id).textContent()) ?? '')?.[1];
  await expect.poll(async () => (await countOf('plot-status')) === (await countOf('selection-count'))).toBe(true);
  const status = (await page.getByTestId('plot-status').textContent()) ?? '';
  const m = /(\d+) selected: (-?[\d.]+) ≤ MW ≤ (-?[\d.]+), (-?[\d.]+) ≤ cLogP ≤ (-?[\d.]+)/.exec(status);
  if (!m) throw new Error(`unexpected status: ${status}`);
  const [n, x0, x1, y0, y1] = m.slice(1).map(Number) as [number, number, number, number, number];
  expect(n).toBeGreaterThan(0);
  await expect(page.getByTestId('selection-count')).toHaveText(`${n} selected`);
  // The same compounds by their values (the box's edges as shown, to 2 decimals: one step either side).
  const count = (d: number) =>
    (
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            cli,
            'compounds',
            '--library',
            'esol300',
            '--range',
            `mw:${x0 + d}:${x1 - d}`,
            '--range',
            `clogp:${y0 + d}:${y1 - d}`,
            '--limit',
            '1',
            '--db',
            join(dir, 'e2e.db'),
            '--json',
          ],
          { cwd: root },
        ).toString(),
      ) as { matched: number }
    ).matched;
  expect(n).toBeLessThanOrEqual(count(-0.01));
  expect(n).toBeGreaterThanOrEqual(count(0.01));
  await page.screenshot({ path: join(artifacts, 'analysis-plot.png') });

  // A lasso (a triangle): the table selects what lies inside it, by the compounds' own values.
  await page.getByTestId('plot-tool-lasso').click();
  const corners: Array<[number, number]> = [
    [0.2, 0.25],
    [0.75, 0.4],
    [0.35, 0.85],
  ];
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.25);
  await page.mouse.down();
  for (const [fx, fy] of [...corners.slice(1), corners[0] as [number, number]])
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 12 });
  await page.mouse.up();
  await page.waitForTimeout(800);
  await expect(page.getByTestId('plot-status')).toContainText(/^\d+ selected by lasso$/);
  await expect.poll(async () => (await countOf('plot-status')) === (await countOf('selection-count'))).toBe(true);
  const lassoN = Number(await countOf('plot-status'));
  const polygon = JSON.parse((await page.getByTestId('plot-status').getAttribute('data-lasso')) ?? '[]') as Array<[number, number]>;
  expect(polygon.length).toBeGreaterThan(2);
  const all = (
    JSON.parse(
      execFileSync(process.execPath, [cli, 'compounds', '--library', 'esol300', '--limit', '1000', '--db', join(dir, 'e2e.db'), '--json'], {
        cwd: root,
      }).toString(),
    ) as { compounds: Array<{ smiles: string; descriptors: { mw: number; clogp: number } }> }
  ).compounds;
  const where = inPolygon(
    all.map((c) => [c.descriptors.mw, c.descriptors.clogp]),
    polygon,
  );
  // The same compounds (by structure, copied from the table's selection): all inside, none outside.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('copy-smiles').click();
  await expect(page.getByTestId('selection-note')).toHaveText(`${lassoN} SMILES copied`);
  const copied = new Set((await page.evaluate(() => navigator.clipboard.readText())).split('\n'));
  expect(copied.size).toBe(lassoN);
  expect(lassoN).toBeGreaterThan(0);
  all.forEach((c, i) => {
    if (where[i] === 'inside') expect(copied.has(c.smiles)).toBe(true);
    if (where[i] === 'outside') expect(copied.has(c.smiles)).toBe(false);
  });
  await page.screenshot({ path: join(artifacts, 'analysis-plot-lasso.png') });

  // A similarity search in the table: the plot keeps its hits and offers their Tanimoto as a column.
  await page.getByTestId('search-similar').fill('Cc1ccccc1');
  await page.getByLabel('min. Tanimoto').fill('0.3');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  const hits = Number(/^(\d+)/.exec((await page.getByTestId('compound-matched').textContent()) ?? '')?.[1]);
  expect(hits).toBeGreaterThan(2);
  await page.getByTestId('plot-x').selectOption('similarity');
  await expect(page.getByTestId('plot-count')).toHaveText(`${hits} points`);
  await expect(page.getByTestId('plot-view')).toContainText('similarity to the query');
  expect(consoleErrors).toEqual([]);
});

test('a chemist brushes a histogram of a column: the table is filtered to that range', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, (host as { url: string }).url);
  await page.getByTestId('library-item').filter({ hasText: 'esol300' }).click();
  await page.getByTestId('histogram-open').click();
  const box = await page.getByTestId('histogram-canvas').boundingBox();
  if (!box) throw new Error('no histogram');
  await page.waitForTimeout(500);
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5, { steps: 10 });
  await page.mouse.up();
  // The brushed bins become an MW range on the table; every row shown lies in it.
  const chip = page.getByTestId('range-chip');
  await expect(chip).toContainText(/[\d.]+ ≤ MW ≤ [\d.]+/);
  const [lo, hi] = ((/([\d.]+) ≤ MW ≤ ([\d.]+)/.exec((await chip.textContent()) ?? '') ?? []).slice(1) as string[]).map(Number) as [number, number];
  expect(lo).toBeLessThan(hi);
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  const mws = (await page.getByTestId('compound-row').locator('td:nth-child(4)').allTextContents()).map(Number);
  expect(mws.length).toBeGreaterThan(0);
  for (const mw of mws) expect(mw >= lo - 0.05 && mw <= hi + 0.05).toBe(true);
  await page.screenshot({ path: join(artifacts, 'analysis-histogram.png') });
  expect(consoleErrors).toEqual([]);
});

test('a chemist saves a view (order, filter, selection) and gets it back after a reload', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, (host as { url: string }).url);
  await page.getByTestId('library-item').filter({ hasText: 'esol300' }).click();
  await page.getByTestId('sort-mw').click();
  await page.getByTestId('sort-mw').click();
  await expect(page.getByTestId('sort-mw')).toContainText('▼');
  await page.getByTestId('range-name').selectOption('d:clogp');
  await page.getByTestId('range-min').fill('1');
  await page.getByTestId('range-max').fill('3');
  await page.getByTestId('range-apply').click();
  await expect(page.getByTestId('range-chip')).toContainText('1 ≤ cLogP ≤ 3');
  // The count once the filtered rows are in (it reads '…' while they load).
  await expect(page.getByTestId('compound-matched')).toHaveText(/^\d+ match$/);
  const matched = (await page.getByTestId('compound-matched').textContent()) ?? '';
  await page.getByTestId('compound-row').nth(0).click();
  await page
    .getByTestId('compound-row')
    .nth(1)
    .click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');
  await page.getByTestId('plot-open').click();
  await page.getByTestId('plot-y').selectOption('tpsa');
  await page.getByTestId('plot-color').selectOption('logS');
  await page.getByTestId('view-name').fill('mid logP, heaviest first');
  await page.getByTestId('view-save').click();
  await expect(page.getByTestId('view-choose')).toContainText('mid logP, heaviest first');

  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('library-item').filter({ hasText: 'esol300' }).click();
  await expect(page.getByTestId('range-chip')).toHaveCount(0);
  await page.getByTestId('view-choose').selectOption('mid logP, heaviest first');
  await expect(page.getByTestId('range-chip')).toContainText('1 ≤ cLogP ≤ 3');
  await expect(page.getByTestId('sort-mw')).toContainText('▼');
  await expect(page.getByTestId('compound-matched')).toHaveText(matched);
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');
  // The plot comes back open with its axes and colour, over the view's filtered compounds.
  await expect(page.getByTestId('plot-y')).toHaveValue('tpsa');
  await expect(page.getByTestId('plot-color')).toHaveValue('logS');
  await expect(page.getByTestId('plot-count')).toHaveText(`${/^(\d+)/.exec(matched)?.[1]} points`);
  expect(consoleErrors).toEqual([]);
});

test('a chemist plots a screen’s predictions from its results: the library opens with them against the training similarity', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const consoleErrors = await openApp(page, (host as { url: string }).url, 'screening');
  await page.getByTestId('screen-run').first().click();
  const summary = page.getByTestId('screen-summary');
  await expect(summary).toContainText('scored');
  const scored = Number(/^(\d+) scored/.exec(((await summary.textContent()) ?? '').trim())?.[1]);
  await page.getByTestId('screen-plot').click();
  await expect(page.getByTestId('plot-view')).toBeVisible();
  await expect(page.getByTestId('plot-x')).toHaveValue('pred logS (delicate-esol-student)');
  await expect(page.getByTestId('plot-y')).toHaveValue('training similarity (delicate-esol-student)');
  // One point per scored compound: the columns the screen wrote.
  await expect(page.getByTestId('plot-count')).toHaveText(`${scored} points`);
  await page.screenshot({ path: join(artifacts, 'analysis-screen-plot.png') });
  expect(consoleErrors).toEqual([]);
});
