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

/** In the page: one screen down, then the ms until every row in view shows (polled every frame). */
const SCROLL_STEP = `new Promise((done) => {
  const v = document.querySelector('[data-testid="compound-viewport"]');
  const t0 = performance.now();
  v.scrollTop += v.clientHeight;
  const box = v.getBoundingClientRect();
  const check = () => {
    const rows = [...v.querySelectorAll('tbody tr[data-index]')].filter((r) => r.getBoundingClientRect().bottom > box.top && r.getBoundingClientRect().top < box.bottom);
    if (rows.length > 0 && rows.every((r) => r.matches('[data-testid="compound-row"]'))) done(performance.now() - t0);
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})`;

/** In the page: ms until every row in view has its depiction (or says it has none). */
const DEPICTIONS = `new Promise((done) => {
  const v = document.querySelector('[data-testid="compound-viewport"]');
  const t0 = performance.now();
  const box = v.getBoundingClientRect();
  const check = () => {
    const rows = [...v.querySelectorAll('[data-testid="compound-row"]')].filter((r) => r.getBoundingClientRect().bottom > box.top && r.getBoundingClientRect().top < box.bottom);
    if (rows.length > 0 && rows.every((r) => r.querySelector('[data-testid="depiction"]') || r.textContent.includes('no depiction'))) done(performance.now() - t0);
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})`;

/** In the page: resolves after two frames (what was set up has been painted). */
const PAINTED = `new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))`;

/** In the page, called with n: the durations of the next n frames (ms), as the page runs them. */
const FRAMES_WHILE = `(n) => new Promise((done) => {
  const out = [];
  let last = performance.now();
  const tick = (t) => {
    out.push(t - last);
    last = t;
    if (out.length >= n) done(out);
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})`;

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
  const library = await chemblLibrary(app, size, undefined, { columns: true });
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
    /** The first row in view (its position in the order), once rows show. */
    const firstInView = () =>
      page.evaluate(() => {
        const v = document.querySelector('[data-testid="compound-viewport"]') as HTMLElement;
        const top = v.getBoundingClientRect().top;
        const r = [...v.querySelectorAll('tbody tr[data-index]')].find((x) => x.getBoundingClientRect().bottom > top);
        return Number(r?.getAttribute('data-index') ?? -1);
      });
    /** A jump to a fraction of the scroll range: timed until the rows there (not the ones left behind) show. */
    const jump = async (label: string, fraction: number) => {
      const before = await firstInView();
      const t0 = Date.now();
      await viewport.evaluate((el, f) => void (el.scrollTop = el.scrollHeight * f), fraction);
      await page.waitForFunction(
        (old) => {
          const v = document.querySelector('[data-testid="compound-viewport"]') as HTMLElement;
          const box = v.getBoundingClientRect();
          const rows = [...v.querySelectorAll('tbody tr[data-index]')].filter(
            (r) => r.getBoundingClientRect().bottom > box.top && r.getBoundingClientRect().top < box.bottom,
          );
          return (
            rows.length > 0 && Math.abs(Number(rows[0]?.getAttribute('data-index')) - old) > 100 && rows.every((r) => r.matches('[data-testid="compound-row"]'))
          );
        },
        before,
        { polling: 'raf', timeout: 120_000 },
      );
      results[label] = Date.now() - t0;
      rows.push([label, `${results[label]}`, `${await inPage()}`]);
    };
    await step('open the library (first rows)', () => page.getByTestId('library-item').filter({ hasText: library }).click());
    await jump('jump to the middle', 0.5);
    await jump('jump to the end', 1);
    // One-screen scroll steps from the top, timed in the page (no round trip to Playwright): from the scroll
    // to the frame where every row in view shows.
    await viewport.evaluate((el) => void (el.scrollTop = 0));
    await page.waitForFunction(settled, undefined, { polling: 'raf' });
    const steps: number[] = [];
    for (let i = 0; i < 60; i++) {
      steps.push((await page.evaluate(SCROLL_STEP)) as number);
      // A reader's pause between screens (what prefetching may use), not timed.
      await page.waitForTimeout(150);
    }
    steps.sort((a, b) => a - b);
    const pct = (q: number) => steps[Math.min(steps.length - 1, Math.floor(q * steps.length))] as number;
    results.scrollMedianMs = pct(0.5);
    results.scrollP95Ms = pct(0.95);
    results.scrollWorstMs = steps.at(-1) as number;
    rows.push(['scroll one screen (median of 60)', results.scrollMedianMs.toFixed(0), `${await inPage()}`]);
    rows.push(['scroll one screen (p95 of 60)', results.scrollP95Ms.toFixed(0), '']);
    rows.push(['scroll one screen (worst of 60)', results.scrollWorstMs.toFixed(0), '']);
    // Depictions: from the rows showing to every row in view having its structure drawn.
    await jump('jump to a third of the library', 1 / 3);
    results.depictionsMs = (await page.evaluate(DEPICTIONS)) as number;
    rows.push(['depictions of the rows in view, after they show', results.depictionsMs.toFixed(0), `${await inPage()}`]);
    await viewport.evaluate((el) => void (el.scrollTop = 0));
    await step('sort by MW', () => page.getByTestId('sort-mw').click());
    await step('sort by MW, descending', () => page.getByTestId('sort-mw').click());
    await step("sort by a file column (the corpus's source_split)", () => page.getByTestId('sort-col-source_split').click());
    await step('then by MW (two keys: shift-click)', () => page.getByTestId('sort-mw').click({ modifiers: ['Shift'] }));
    // Structure searches of the whole library (browsing it has indexed it in the background meanwhile).
    for (const [name, q] of [
      ['pyridine', 'c1ccncc1'],
      ['sulfonamide', 'S(=O)(=O)N'],
    ]) {
      await step(`substructure ${name} \`${q}\`, import order (first rows)`, async () => {
        await page.getByTestId('sort-import').click();
        await page.getByTestId('search-substructure').fill(q as string);
        await page.getByRole('button', { name: 'Search' }).click();
      });
      await step(`substructure ${name}, every match sorted by MW`, () => page.getByTestId('sort-mw').click());
      const matched = (await page.getByTestId('compound-matched').textContent()) ?? '';
      if (matched.includes('+')) throw new Error(`a search sorted by MW shows ${matched}: not every match`);
      rows.push([`(${name}: ${matched})`, '', '']);
    }
    await step('no substructure', async () => {
      await page.getByTestId('search-substructure').fill('');
      await page.getByRole('button', { name: 'Search' }).click();
    });
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
    // The plot of every compound: first draw, then frames while zooming with the wheel.
    await page.getByTestId('search-substructure').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    // Every compound: the range of the steps above removed.
    const chip = page.getByTestId('range-chip').first().locator('button');
    if (await chip.count()) await chip.click();
    const tPlot = Date.now();
    await page.getByTestId('plot-open').click();
    // Every distinct compound of the library (the table's total).
    const total = Number.parseInt(((await page.getByTestId('compound-total').textContent()) ?? '0').replace(/,/g, ''), 10);
    await page.waitForFunction((n) => document.querySelector('[data-testid="plot-count"]')?.textContent === `${n.toLocaleString('en')} points`, total, {
      polling: 'raf',
      timeout: 120_000,
    });
    await page.evaluate(PAINTED);
    results.plotFirstDrawMs = Date.now() - tPlot;
    rows.push([`scatter plot of ${total.toLocaleString('en')} points (MW × cLogP): first draw`, `${results.plotFirstDrawMs}`, '']);
    const canvas = await page.getByTestId('plot-canvas').boundingBox();
    if (canvas) await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2);
    /** Frame times (median, worst of 40) while the wheel zooms in 5 steps and out 5. */
    const zoomFrames = async (label: string, key: string) => {
      const frames = page.evaluate(`(${FRAMES_WHILE})(40)`) as Promise<number[]>;
      for (let i = 0; i < 10; i++) {
        await page.mouse.wheel(0, i < 5 ? -120 : 120);
        await page.waitForTimeout(60);
      }
      const times = (await frames).sort((a, b) => a - b);
      results[`${key}MedianMs`] = times[Math.floor(times.length / 2)] ?? Number.NaN;
      results[`${key}WorstMs`] = times.at(-1) ?? Number.NaN;
      rows.push([
        `${label}: frame time while zooming (median / worst of 40 frames)`,
        `${times[Math.floor(times.length / 2)]?.toFixed(0)} / ${times.at(-1)?.toFixed(0)}`,
        '',
      ]);
    };
    await zoomFrames('scatter plot', 'plotFrame');
    // Coloured and sized by two more columns: one series per colour x size class (see plot-classes).
    const tColour = Date.now();
    await page.getByTestId('plot-color').selectOption('tpsa');
    await page.getByTestId('plot-size').selectOption('heavyAtoms');
    await page.waitForFunction(() => document.querySelector('[data-testid="plot-legend"]')?.textContent?.includes('heavy atoms') ?? false, undefined, {
      polling: 'raf',
      timeout: 120_000,
    });
    await page.evaluate(PAINTED);
    results.plotColouredDrawMs = Date.now() - tColour;
    const classes = await page.getByTestId('plot-canvas').getAttribute('data-classes');
    rows.push([`the same coloured by TPSA and sized by heavy atoms (${classes} colour x size classes): drawn again`, `${results.plotColouredDrawMs}`, '']);
    if (process.env.BENCH_SCREENSHOT) await page.screenshot({ path: process.env.BENCH_SCREENSHOT });
    await zoomFrames('coloured and sized', 'plotColouredFrame');
    const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
    results.heapMiB = heap / 2 ** 20;
    results.rowsInPage = await inPage();
  } finally {
    await browser.close();
    host.stop();
  }
  // Butina clustering of 20,000 ChEMBL compounds (Tanimoto ≥ 0.6) on the chemistry workers, as the app runs it.
  const clusterApp = new AppContext(benchDb, { shippedModels: false });
  try {
    const lib20 = await chemblLibrary(clusterApp, 20000);
    const rssBefore = process.memoryUsage().rss;
    const r = await clusterApp.clustering.cluster(lib20, 0.6);
    results.butina20kSeconds = r.seconds;
    results.butina20kClusters = r.clusters;
    results.peakRssMiB = process.resourceUsage().maxRSS / 1024;
    rows.push([
      `Butina clustering of ${r.compounds.toLocaleString('en')} ChEMBL compounds at Tanimoto ≥ 0.6 (${r.clusters.toLocaleString('en')} clusters; main process RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, peak ${results.peakRssMiB.toFixed(0)} MiB)`,
      `${(r.seconds * 1000).toFixed(0)}`,
      '',
    ]);
  } finally {
    await clusterApp.close();
  }
  report(
    'ui',
    { library: { name: library, compounds: size }, results },
    [['step', 'ms until every row in view shows', 'rows in the page'], ...rows],
    [
      `Library: ${size.toLocaleString('en')} ChEMBL compounds with the corpus's own column, source_split (${library} in bench/.cache/screen-bench.db). Viewport 1400×900; rows are fetched in blocks of 100 as they come into view.`,
      `Page JS heap at the end: ${results.heapMiB?.toFixed(0)} MiB; the table never holds more than the rows in view plus a few.`,
      `Load average at the end: ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores (other work beside the run slows every step alike).`,
      'Times include the host-mode WebSocket round trip, the SQLite query and rendering. Scroll steps and depictions are timed in the page (from the scroll to the frame that shows them); the other steps from the Playwright action to that frame. Depictions load after the rows (a row scrolled past within 60 ms asks for none).',
    ],
  );
}
