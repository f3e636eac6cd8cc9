/// <reference lib="dom" />
// `npm run bench -- ui [--size 150000]`: the compound table with a large library, in Debian's Chromium
// against host mode (the renderer must be built: `npm run build`).
//
// Measures, on the ChEMBL corpus imported as one library (shared with `bench -- screen`):
// time until rows show after opening the library, after jumping to the middle and to the end, after a sort by
// MW, a property range and a substructure search; the median and worst time for a one-screen scroll step to
// show all its rows; how many rows are in the page (the table is virtualised) and the page's JS heap.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { type Page, chromium } from '@playwright/test';
import { startHost } from '../e2e/host';
import { AppContext } from '../src-main/services/app-context';
import { report } from './_report';
import { benchDb, chemblLibrary } from './screen';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Milliseconds until `done()` holds in the page, polled every animation frame. */
async function until(page: Page, action: () => Promise<void>, done: () => boolean): Promise<number> {
  const t0 = Date.now();
  await action();
  await page.waitForFunction(done, undefined, { polling: 'raf', timeout: 120_000 });
  return Date.now() - t0;
}

/** True when the viewport shows rows and none of them is still loading (runs in the page). */
function settled(): boolean {
  const v = document.querySelector('[data-testid="compound-viewport"]');
  if (!v || document.querySelector('[data-testid="compound-matched"]')?.textContent === '…') return false;
  const box = v.getBoundingClientRect();
  // No named inner functions: the bundler's name helper does not exist in the page.
  const rows = [...v.querySelectorAll('tbody tr[data-index]')].filter(
    (r) => r.getBoundingClientRect().bottom > box.top && r.getBoundingClientRect().top < box.bottom,
  );
  return rows.length > 0 && rows.every((r) => r.matches('[data-testid="compound-row"]'));
}

export async function run(args: string[]): Promise<void> {
  const size = Number(option(args, '--size') ?? 150000);
  const root = join(import.meta.dirname, '..');
  if (!existsSync(join(root, 'out/renderer/index.html'))) throw new Error('the renderer is not built: run `npm run build` first');
  const app = new AppContext(benchDb, { shippedModels: false });
  const library = await chemblLibrary(app, size);
  await app.close();

  const host = await startHost(benchDb);
  const executablePath = process.env.PLAYWRIGHT_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  const browser = await chromium.launch({ ...(executablePath ? { executablePath } : {}), args: ['--enable-precise-memory-info'] });
  const rows: string[][] = [];
  const results: Record<string, number> = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(host.url);
    await page.waitForSelector('[data-ready="true"]');
    const viewport = page.getByTestId('compound-viewport');
    const inPage = () => page.locator('[data-testid="compound-row"]').count();
    const step = async (label: string, action: () => Promise<void>) => {
      const ms = await until(page, action, settled);
      results[label] = ms;
      rows.push([label, `${ms}`, `${await inPage()}`]);
    };
    await step('open the library (first rows)', () => page.getByTestId('library-item').filter({ hasText: library }).click());
    await step('jump to the middle', () => viewport.evaluate((el) => void (el.scrollTop = el.scrollHeight / 2)));
    await step('jump to the end', () => viewport.evaluate((el) => void (el.scrollTop = el.scrollHeight)));
    // One-screen scroll steps from the top: each must show all its rows.
    await viewport.evaluate((el) => void (el.scrollTop = 0));
    await page.waitForFunction(settled, undefined, { polling: 'raf' });
    const steps: number[] = [];
    for (let i = 0; i < 40; i++) steps.push(await until(page, () => viewport.evaluate((el) => void (el.scrollTop += el.clientHeight)), settled));
    steps.sort((a, b) => a - b);
    results.scrollMedianMs = steps[Math.floor(steps.length / 2)] as number;
    results.scrollWorstMs = steps.at(-1) as number;
    rows.push(['scroll one screen (median of 40)', `${results.scrollMedianMs}`, `${await inPage()}`]);
    rows.push(['scroll one screen (worst of 40)', `${results.scrollWorstMs}`, '']);
    await viewport.evaluate((el) => void (el.scrollTop = 0));
    await step('sort by MW', () => page.getByTestId('sort-mw').click());
    await step('sort by MW, descending', () => page.getByTestId('sort-mw').click());
    await step('range 200 ≤ MW ≤ 300', async () => {
      await page.getByTestId('range-name').selectOption('d:mw');
      await page.getByTestId('range-min').fill('200');
      await page.getByTestId('range-max').fill('300');
      await page.getByTestId('range-apply').click();
    });
    await step('substructure c1ccncc1 within the range (first rows)', async () => {
      await page.getByTestId('search-substructure').fill('c1ccncc1');
      await page.getByRole('button', { name: 'Search' }).click();
    });
    // In import order a substructure search stops once it has enough matches ("N+ match"); scrolling to its
    // end makes it scan further.
    await step('the same in import order (first rows)', () => page.getByTestId('sort-import').click());
    const matchedNow = () =>
      page
        .getByTestId('compound-matched')
        .textContent()
        .then((t) => Number.parseInt(t ?? '0', 10));
    const before = await matchedNow();
    const unfinished = ((await page.getByTestId('compound-matched').textContent()) ?? '').includes('+');
    const tMore = Date.now();
    await viewport.evaluate((el) => void (el.scrollTop = el.scrollHeight));
    await page.waitForFunction((prev) => Number.parseInt(document.querySelector('[data-testid="compound-matched"]')?.textContent ?? '0', 10) > prev, before, {
      polling: 'raf',
      timeout: 120_000,
    });
    results.moreMatchesMs = Date.now() - tMore;
    rows.push([`scroll to the end of ${before}${unfinished ? '+' : ''} matches → ${await matchedNow()}`, `${results.moreMatchesMs}`, `${await inPage()}`]);
    const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
    results.heapMiB = heap / 2 ** 20;
    results.rowsInPage = await inPage();
  } finally {
    await browser.close();
    host.stop();
  }
  report(
    'ui',
    { library: { name: library, compounds: size }, results },
    [['step', 'ms until every row in view shows', 'rows in the page'], ...rows],
    [
      `Library: ${size.toLocaleString('en')} ChEMBL compounds (${library} in bench/.cache/screen-bench.db). Viewport 1400×900; rows are fetched in blocks of 100 as they come into view.`,
      `Page JS heap at the end: ${results.heapMiB?.toFixed(0)} MiB; the table never holds more than the rows in view plus a few.`,
      `Load average at the end: ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores (other work beside the run slows every step alike).`,
      'Times include the host-mode WebSocket round trip, the SQLite query and rendering; 2D depictions load after the rows (not timed).',
    ],
  );
}
