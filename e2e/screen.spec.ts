import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { artifacts, cli, openApp, pickTarget, root, shippedTaskModels, startHost, untickShipped } from './host';

const esol = resolve(root, '../shared/data/qsar/esol.csv');

let host: { url: string; stop: () => void } | undefined;
let url: string;
let dir: string;

// A library and models made with the CLI beforehand (tiny configs, about half a minute), then the app.
test.beforeAll(async () => {
  test.setTimeout(180_000);
  if (!existsSync(esol)) throw new Error(`test data missing: ${esol}`);
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'delicate-e2e-screen-'));
  const db = join(dir, 'e2e.db');
  const rows = readFileSync(esol, 'utf8').trim().split('\n');
  const slice = join(dir, 'esol-160.csv');
  writeFileSync(slice, `${rows.slice(0, 161).join('\n')}\n`);
  const corpus = join(dir, 'corpus.smi');
  const smiles = rows.slice(1).map((r) => r.split(',')[0]);
  writeFileSync(corpus, `${smiles.join('\n')}\n`);
  const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args, '--db', db], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  run('import', slice, '--library', 'esol-160');
  // A DUD-E slice with activity labels: 20 actives and 200 decoys.
  const ada = readFileSync(resolve(root, '../shared/data/vs/dude_ada.csv'), 'utf8').trim().split('\n');
  const adaSlice = join(dir, 'ada.csv');
  writeFileSync(adaSlice, `${[ada[0], ...ada.slice(1, 21), ...ada.slice(-200)].join('\n')}\n`);
  run('import', adaSlice, '--library', 'ada');
  run('pretrain', '--corpus', corpus, ...'--out tiny --layers 2 --hidden 16 --heads 2 --ff 32 --share-layers --max-steps 3 --batch 8'.split(' '));
  run('train', '--data', slice, ...'--target logS --task regression --out sol --teacher tiny --distill --student-layers 1 --epochs 1 --seeds 1'.split(' '));
  // A copy of the student for the Models view to export, rename, delete and import back.
  run('model', 'export', 'sol-student', '--out', join(dir, 'copy.dlcm'));
  run('model', 'import', join(dir, 'copy.dlcm'), '--as', 'copy-student');
  host = await startHost(db);
  url = host.url;
});

test.afterAll(() => {
  host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Trains `out` on the ESOL slice from the tiny teacher (4 epochs, 1 seed) and waits for its first epoch; `fpHead`: fingerprint-aware heads. */
async function startTraining(page: Page, out: string, epochs = 4, fpHead = false): Promise<void> {
  await page.getByTestId('train-file').setInputFiles(join(dir, 'esol-160.csv'));
  await expect(page.getByTestId('train-out')).toHaveValue('esol-160');
  await page.getByTestId('train-out').fill(out);
  await pickTarget(page, 'logS');
  await page.getByTestId('train-teacher').selectOption('tiny');
  if (fpHead) await page.getByTestId('train-fp-head').check();
  await page.getByText('Show advanced settings').click();
  await page.getByTestId('train-epochs').fill(String(epochs));
  await page.getByTestId('train-seeds').fill('1');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-curve')).toHaveAttribute('data-points', /^[1-9]/, { timeout: 60_000 });
}

test('a chemist trains a teacher and a distilled student on an assay, watching the curves', async ({ page }) => {
  const consoleErrors = await openApp(page, url, 'training');
  // The curve grows epoch by epoch while the job runs, then the comparison card and the plot appear.
  await startTraining(page, 'ui', 4, true); // fingerprint-aware heads: the outcome says so
  await page.getByTestId('view-libraries').click(); // the run is followed while the chemist looks elsewhere
  await expect(page.getByTestId('train-curve')).toHaveCount(0);
  await page.getByTestId('view-training').click();
  await expect(page.getByTestId('train-curve')).toHaveAttribute('data-points', /^[1-9]/);
  const outcome = page.getByTestId('train-outcome');
  await expect(outcome).toBeVisible({ timeout: 120_000 });
  expect(Number(await page.getByTestId('train-curve').getAttribute('data-points'))).toBeGreaterThanOrEqual(4);
  // Teacher, student, forest and their consensus; one of them recommended (by the validation split), with why.
  await expect(page.getByTestId('train-model')).toHaveCount(4);
  for (const text of ['ui-student', 'ui-consensus', 'rmse', 'coverage80']) await expect(outcome).toContainText(text);
  await expect(page.getByTestId('train-recommended')).toContainText(/Recommended: ui-(teacher|student|ecfp4-rf|consensus) — .*validation RMSE/);
  await expect(page.getByTestId('train-consensus')).toContainText(/ui-student × \d\.\d\d \+ ui-ecfp4-rf × \d\.\d\d/);
  // The default depth of 3 is more than the 2-layer tiny teacher has: the form and the result say so.
  await expect(page.getByTestId('train-depth-note')).toHaveText('the teacher has 2 layers: the student applies its layer 2 times');
  await expect(outcome).toContainText('the student applies its layer 2 times, not the 3 asked');
  await expect(outcome).toContainText('fingerprint-aware heads: they read the ECFP4 beside the SMILES');
  // Every model on the predicted-vs-measured plot, the forest included, on axes with names.
  await expect(page.getByTestId('train-scatter')).toHaveAttribute('data-series', 'teacher | student | ECFP4 forest | prediction = measurement');
  await expect(page.getByTestId('train-scatter').locator('canvas')).not.toHaveCount(0);
  // A click on a point opens that test compound: its structure, the measurement and each model's prediction.
  const [x, y] = ((await page.getByTestId('train-scatter').getAttribute('data-first-point')) ?? '').split(',').map(Number) as [number, number];
  await page.getByTestId('train-scatter').click({ position: { x, y } });
  await expect(page.getByTestId('train-picked')).toContainText(/measured-?\d+\.\d\d\s*teacher-?\d+\.\d\derror [+-]\d+\.\d\d/);
  await expect(page.getByTestId('train-picked').getByTestId('depiction')).toBeVisible();
  await page.screenshot({ path: join(artifacts, 'training.png'), fullPage: true });
  // The run stored its assay: it trains again without the file, with its own target and task.
  await page.getByTestId('train-assay').selectOption('ui');
  await expect(page.getByTestId('train-assay-info')).toContainText('160 compounds from 160 records');
  // The uploaded file's name, not the temporary copy the host wrote it to.
  await expect(page.getByTestId('train-assay-info')).toContainText(/from esol-160\.csv\.$/);
  await expect(page.getByTestId('train-target')).toHaveValue('logS');
  await expect(page.getByTestId('train-target')).toBeDisabled();
  // Its compounds as training reads them (mean, replicate count, spread, censoring), a page at a time.
  await page.getByTestId('assay-open').click();
  await expect(page.getByTestId('assay-row')).toHaveCount(100);
  await expect(page.getByTestId('assay-count')).toHaveText('100 of 160 compounds');
  await expect(page.getByTestId('assay-row').first()).toContainText('-0.77');
  await expect(page.getByTestId('assay-id').first()).toHaveText('Amigdalin'); // ESOL's name column
  await page.getByTestId('assay-more').click();
  await expect(page.getByTestId('assay-row')).toHaveCount(160);
  await expect(page.getByTestId('assay-more')).toHaveCount(0);
  await page.screenshot({ path: join(artifacts, 'assay.png'), fullPage: true });
  await page.getByTestId('assay-only').selectOption('replicates');
  await expect(page.getByTestId('assay-empty')).toHaveText('No compounds were measured more than once.');
  await page.getByTestId('assay-only').selectOption('');
  await expect(page.getByTestId('assay-row')).toHaveCount(100);
  await page.getByTestId('assay-more').click();
  await page.getByTestId('train-out').fill('ui-again');
  await page.getByText('Distil a DeLiCaTe student').click();
  await page.getByTestId('train-epochs').fill('1');
  await page.getByTestId('train-start').click();
  await expect(outcome).toContainText('ui-again-teacher', { timeout: 120_000 });
  await expect(page.getByTestId('train-model')).toHaveCount(3);
  // The assay list refreshed when the run ended; the open table kept the rows it showed.
  await expect(page.getByTestId('assay-row')).toHaveCount(160);
  // Reopened: both runs listed, newest first, with the CLI's (beforeAll); the first one's comparison shows again.
  await page.reload();
  await page.getByTestId('view-training').click();
  const finished = page.getByTestId('train-finished-run');
  await expect(finished.nth(0)).toContainText("ui-again — logS on assay 'ui' (read from esol-160.csv)");
  await expect(finished.nth(1)).toContainText(/^ui — logS on esol-160\.csv, scaffold split, 1 seed; recommended ui-/);
  await expect(finished.nth(2)).toContainText(/^sol — logS on esol-160\.csv, scaffold split, 1 seed; recommended sol-/);
  await expect(finished).toHaveCount(3);
  await finished.nth(1).getByTestId('train-show-result').click();
  await expect(page.getByTestId('train-shown-run')).toContainText('Run ui (logS on esol-160.csv)');
  await expect(page.getByTestId('train-model')).toHaveCount(4);
  await expect(page.getByTestId('train-recommended')).toContainText(/Recommended: ui-(teacher|student|ecfp4-rf|consensus) — /);
  await page.screenshot({ path: join(artifacts, 'training-finished.png') });
  expect(consoleErrors).toEqual([]);
});

test('a chemist cancels a training run and resumes it later from where it stopped', async ({ page }) => {
  const consoleErrors = await openApp(page, url, 'training');
  await startTraining(page, 'ui-cut');
  await page.getByRole('button', { name: 'Cancel' }).click();
  // Saved after its last finished epoch, it waits under the interrupted runs; a cancel is a notice, not red.
  await expect(page.getByTestId('notice')).toContainText(/training of 'ui-cut' cancelled; the run is saved after seed 1 of 1/, { timeout: 30_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);
  const run = page.getByTestId('train-run').filter({ hasText: 'ui-cut' });
  await expect(run).toContainText(/logS on esol-160\.csv: seed 1 of 1, (teacher|student distillation) epoch \d of 4/);
  await page.screenshot({ path: join(artifacts, 'interrupted.png'), fullPage: true });
  await run.getByTestId('train-resume').click();
  const outcome = page.getByTestId('train-outcome');
  await expect(outcome).toContainText('ui-cut-student', { timeout: 120_000 });
  await expect(outcome).toContainText(/Resumed after seed 1 of 1/);
  await expect(page.getByTestId('train-runs')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test('a run is followed by every tab of the app, and by a window reloaded mid-run with its curves so far, which can cancel it', async ({ page }) => {
  await openApp(page, url, 'training');
  // Another tab, open on the training view before the run starts, follows it too.
  const other = await page.context().newPage();
  const otherErrors = await openApp(other, url, 'training');
  await startTraining(page, 'ui-reload', 200);
  const before = Number(await page.getByTestId('train-curve').getAttribute('data-points'));
  await expect(other.getByTestId('train-message')).toContainText(/epoch \d+\/200/);
  await expect(other.getByTestId('train-curve')).toHaveAttribute('data-points', /^[1-9]/);
  await expect(other.getByTestId('train-start')).toBeDisabled();
  await openApp(page, url, 'training');
  await expect(page.getByTestId('train-message')).toContainText(/epoch \d+\/200/);
  // The run's ETA, from the batches done so far (not only at an epoch's end).
  await expect(page.getByTestId('train-message')).toContainText(/ETA \d+ s/);
  await page.screenshot({ path: join(artifacts, 'training-eta.png') });
  expect(Number(await page.getByTestId('train-curve').getAttribute('data-points'))).toBeGreaterThanOrEqual(before);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('notice')).toContainText(/training of 'ui-reload' cancelled/, { timeout: 30_000 });
  await expect(other.getByTestId('notice')).toContainText(/training of 'ui-reload' cancelled/);
  expect(otherErrors).toEqual([]);
  await other.close();
  const run = page.getByTestId('train-run').filter({ hasText: 'ui-reload' });
  page.once('dialog', (d) => void d.accept());
  await run.getByTestId('train-discard').click();
  await expect(run).toHaveCount(0);
});

test('a chemist screens a library with the distilled student and the forest, ranks and filters the hits', async ({ page }) => {
  const consoleErrors = await openApp(page, url, 'screening');
  await page.getByTestId('screen-library').selectOption('esol-160');
  const models = page.getByTestId('screen-model');
  // The task models and the forest can score; the pretrained encoders cannot and are not offered. (Checked by
  // name, not by count: the tests before this one add the task models they train, when they ran.)
  await expect(page.getByLabel(/^sol-consensus/)).toHaveCount(1);
  const offered = await models.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  expect(offered).toEqual(expect.arrayContaining(['sol-teacher', 'sol-student', 'sol-ecfp4-rf', 'sol-consensus', ...shippedTaskModels]));
  for (const encoder of ['tiny', 'delicate-base-teacher', 'delicate-base-shared-teacher', 'delicate-base-student']) expect(offered).not.toContain(encoder);
  expect(offered.filter((m) => !/-(teacher|student|ecfp4-rf|consensus)$/.test(m))).toEqual([]);
  // The shipped task models are ticked, as `delicate screen` without --model uses them; the chemist picks others.
  await untickShipped(page);
  await page.getByLabel(/^sol-student/).check();
  await page.getByLabel(/^sol-ecfp4-rf/).check();
  await page.getByTestId('screen-start').click();

  // Every compound is scored or reported unreadable (tokens the tiny model never saw), none dropped.
  const summary = page.getByTestId('screen-summary');
  await expect(summary).toContainText('unreadable', { timeout: 60_000 });
  const [scored, unreadable] = ((await summary.textContent()) ?? '').match(/\d+/g)?.map(Number) ?? [];
  expect((scored ?? 0) + (unreadable ?? 0)).toBe(160);
  expect(scored).toBeGreaterThan(100);
  const hits = page.getByTestId('screen-hit');
  await expect(hits).toHaveCount(50);
  await expect(hits.first().locator('td').first()).toHaveText('1');
  const scores = await page.getByTestId('screen-score').allTextContents();
  const values = scores.map(Number);
  expect([...values].sort((a, b) => b - a)).toEqual(values);
  await expect(page.getByTestId('screen-histogram')).toHaveAttribute('data-bins', '20');
  await expect(page.getByTestId('screen-histogram-chart').locator('canvas')).not.toHaveCount(0);
  // The score column is named after what the model predicts, and sorts both ways.
  await expect(page.getByTestId('screen-order')).toHaveText('pred logS ▼');
  await page.getByTestId('screen-order').click();
  await expect(page.getByTestId('screen-order')).toHaveText('pred logS ▲');
  // The last rank first (scores of a tiny model may tie at three decimals: the rank says the order).
  await expect(hits.first().locator('td').first()).toHaveText(String(scored));
  const upward = (await page.getByTestId('screen-score').allTextContents()).map(Number);
  expect([...upward].sort((a, b) => a - b)).toEqual(upward);
  await page.getByTestId('screen-order').click();
  await expect(page.getByTestId('screen-order')).toHaveText('pred logS ▼');
  await expect(hits.first().locator('td').first()).toHaveText('1');
  // Each score with its 80% interval, calibrated on the run's validation split (a fixed half-width per model).
  const first = Number(scores[0]);
  const [lo, hi] = ((await page.getByTestId('screen-interval').first().textContent()) ?? '').split(' to ').map(Number);
  expect(Math.abs((lo as number) + (hi as number) - 2 * first)).toBeLessThan(0.02);
  expect(hi as number).toBeGreaterThan(lo as number);
  // Each hit drawn (RDKit's SVG, inline) before the picture is taken.
  await expect(hits.first().locator('td').nth(1).locator('svg')).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: join(artifacts, 'screening-results.png') });
  // A hit opens its compound panel: alerts, 3D, and what each model of the screen predicted, with its rank.
  await hits.first().getByTestId('screen-hit-open').click();
  const panel = page.getByTestId('compound-panel');
  const predictions = panel.getByTestId('compound-prediction');
  await expect(predictions).toHaveCount(2);
  const own = predictions.filter({ hasText: 'sol-student' });
  await expect(own).toContainText(`1 / ${scored}`);
  const shown = Number(((await own.textContent()) ?? '').match(/logS (-?\d+\.\d\d)/)?.[1]);
  expect(Math.abs(shown - (values[0] as number))).toBeLessThan(0.006);
  // The same 80% interval as the table's, and the forest's spread over its trees.
  const interval = (await page.getByTestId('screen-interval').first().textContent()) ?? '';
  await expect(own.getByTestId('compound-prediction-interval')).toHaveText(`80%: ${interval}`);
  await expect(predictions.filter({ hasText: 'sol-ecfp4-rf' })).toContainText(/logS -?\d+\.\d\d.*spread ± \d+\.\d\d/);
  // Its records list the columns the screen wrote, numbers as the table shows them (4 significant digits).
  const written = panel.locator('li').filter({ hasText: 'pred logS (sol-student)' });
  const record = (await written.textContent())?.match(/pred logS \(sol-student\) (\S+?),/)?.[1];
  expect(Number(Number(record).toPrecision(4))).toBe(Number(record));
  expect(Math.abs(Number(record) - (values[0] as number))).toBeLessThan(0.006);
  await page.screenshot({ path: join(artifacts, 'screening-compound.png') });
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  // The unreadable ones are listed on request, each with the reason the model could not score it.
  await page.getByTestId('screen-show-unreadable').click();
  await expect(page.getByTestId('screen-unreadable-note')).toContainText('sol-student could not score');
  await expect(hits).toHaveCount(unreadable as number);
  for (const row of await hits.all()) {
    await expect(row.locator('td').first()).toHaveText('—');
    await expect(row.locator('td').last()).toHaveText(/token\(s\) unknown to the model|longer than the model's maximum/);
  }
  await page.screenshot({ path: join(artifacts, 'screening-unreadable.png') });
  await page.getByText('Back to the ranking').click();
  await expect(hits).toHaveCount(50);

  // The forest's ranking, in-domain only, above a score threshold.
  await page.getByTestId('screen-result-model').selectOption('sol-ecfp4-rf');
  await expect(hits.first().locator('td').nth(6)).toContainText('±');
  const threshold = Number(await page.getByTestId('screen-score').nth(9).textContent());
  await page.getByTestId('screen-min-score').fill(String(threshold));
  await page.getByTestId('screen-in-domain').check();
  await page.getByTestId('screen-filter').click();
  // Wait for the filtered page (about the top ten, ties included) to replace the 50 unfiltered hits.
  await expect.poll(() => hits.count()).toBeLessThan(50);
  await expect(page.getByTestId('screen-domain').first()).toContainText('in');
  const filtered = await page.getByTestId('screen-score').allTextContents();
  expect(filtered.length).toBeGreaterThan(0);
  for (const v of filtered) expect(Number(v)).toBeGreaterThanOrEqual(threshold);
  for (const d of await page.getByTestId('screen-domain').allTextContents()) expect(d).toMatch(/^in /);
  await page.screenshot({ path: join(artifacts, 'screening-filtered.png') });
  // Export the filtered ranking: the browser saves a CSV with one row per hit.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('screen-export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^screen-1-esol-160-sol-ecfp4-rf\.csv$/);
  const csvText = readFileSync(await download.path(), 'utf8')
    .trim()
    .split('\n');
  expect(csvText[0]).toMatch(/^rank,id,smiles,model,score,uncertainty,/);
  expect(csvText).toHaveLength(filtered.length + 1);

  // Enrichment on the labelled library: ECFP similarity to the actives, k-fold, with its curve.
  await page.getByTestId('view-screening').click();
  await page.getByTestId('screen-library').selectOption('ada');
  // A job that fails at once (no such label column) still says why, and the form is usable again.
  await page.getByTestId('vs-label').fill('nope');
  await page.getByTestId('vs-run').click();
  await expect(page.getByRole('alert').filter({ hasText: "no usable 'nope' labels" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('vs-run')).toBeEnabled();
  await expect(page.getByTestId('vs-job')).toHaveCount(0);
  await page.getByTestId('vs-label').fill('active');
  await page.getByTestId('vs-run').click();
  await expect(page.getByTestId('vs-row')).toHaveCount(1, { timeout: 30_000 });
  await expect(page.getByTestId('vs-row')).toContainText('ecfp');
  const auc = Number((await page.getByTestId('vs-row').locator('td').nth(1).textContent()) ?? 0);
  expect(auc).toBeGreaterThan(0.7);
  await expect(page.getByTestId('vs-results')).toContainText('5-fold');
  const curve = page.getByTestId('vs-curve');
  // One curve with its early enrichment in the legend, and the random ranking to read it against.
  await expect(page.getByTestId('vs-curve-chart')).toHaveAttribute('data-series', /^ecfp \(EF1% \d+\.\d\) \| random ranking$/);
  await page.screenshot({ path: join(artifacts, 'virtual-screening.png') });
  await expect(curve).toHaveAttribute('data-first-screened', '0');
  // On a log axis the curve starts at the first compound ranked, 1/n.
  await page.getByTestId('vs-log').check();
  await expect(curve).toHaveAttribute('data-log', 'true');
  const ranked = Number(((await page.getByTestId('vs-row').locator('td').last().textContent()) ?? '').match(/\/ (\d+)/)?.[1]);
  expect(Number(await curve.getAttribute('data-first-screened'))).toBeCloseTo(1 / ranked, 6);
  await page.getByTestId('vs-curve-chart').hover(); // hover names the method and the share of actives found there
  await expect(page.getByTestId('vs-curve-chart')).toContainText(/ecfp \(EF1%[\s\S]*%/);
  await page.screenshot({ path: join(artifacts, 'virtual-screening-log.png') });
  // The evaluation and the open screen stay when the chemist looks elsewhere and comes back.
  await page.getByTestId('view-libraries').click();
  await page.getByTestId('view-screening').click();
  await expect(page.getByTestId('vs-row')).toHaveCount(1);
  await expect(page.getByTestId('screen-hit').first()).toBeVisible();

  // The registry shows the lineage; settings show the backend in use and why the others are not.
  await page.getByTestId('view-models').click();
  const student = page.locator('[data-model="sol-student"]');
  await expect(student).toContainText('DeLiCaTe student');
  await expect(student).toContainText('sol-teacher');
  await expect(student).toContainText('predicts logS (regression)');
  // How wide its calibrated intervals are; an encoder states none.
  await expect(student.getByTestId('model-intervals')).toContainText(/^\s*80% interval ±\d/);
  await expect(page.locator('[data-model="delicate-base-teacher"]').getByTestId('model-intervals')).toHaveCount(0);
  // Speed on demand, with the engine that ran (ONNX Runtime when the model has a graph).
  await student.getByTestId('model-measure').click();
  await expect(student.getByTestId('model-speed')).toContainText(/\d+ mol\/s \(onnxruntime/, { timeout: 60_000 });
  // The shipped base models: a pretrained teacher and the general-distilled student made from it.
  await expect(page.locator('[data-model="delicate-base-teacher"]')).toContainText('MLM acc.');
  await expect(page.locator('[data-model="delicate-base-student"]')).toContainText('delicate-base-teacher');
  await expect(page.locator('[data-model="delicate-base-student"]')).toContainText('3 layers (one shared)');
  await page.screenshot({ path: join(artifacts, 'models.png') });
  // Export a model file, delete the model, import the file back.
  const row = page.locator('[data-model="copy-student"]');
  const [file] = await Promise.all([page.waitForEvent('download'), row.getByTestId('model-export').click()]);
  expect(file.suggestedFilename()).toBe('copy-student.dlcm');
  const saved = join(dir, 'copy-student.dlcm');
  await file.saveAs(saved);
  // Rename it and back: the name is the answer to the dialog.
  page.once('dialog', (d) => void d.accept('copy-student-renamed'));
  await row.getByTestId('model-rename').click();
  await expect(page.locator('[data-model="copy-student-renamed"]')).toHaveCount(1);
  await expect(row).toHaveCount(0);
  page.once('dialog', (d) => void d.accept('copy-student'));
  await page.locator('[data-model="copy-student-renamed"]').getByTestId('model-rename').click();
  await expect(row).toHaveCount(1);
  page.once('dialog', (d) => void d.accept());
  await row.getByTestId('model-delete').click();
  await expect(page.locator('[data-model="copy-student"]')).toHaveCount(0);
  await page.getByTestId('model-import-file').setInputFiles(saved);
  await page.getByTestId('model-import').click();
  // The file keeps its fingerprint-aware head (trained with the default): the row says what it reads.
  await expect(page.locator('[data-model="copy-student"]')).toContainText(/DeLiCaTe student.*from SMILES \+ ECFP4/);
  // A consensus exports as one file with its members: deleted and imported back where its members are held,
  // it uses them as they are (the file's are float16, the stored ones float32).
  const consensus = page.locator('[data-model="sol-consensus"]');
  const [bundle] = await Promise.all([page.waitForEvent('download'), consensus.getByTestId('model-export').click()]);
  const bundled = join(dir, 'sol-consensus.dlcm');
  await bundle.saveAs(bundled);
  page.once('dialog', (d) => void d.accept());
  await consensus.getByTestId('model-delete').click();
  await expect(consensus).toHaveCount(0);
  // The run that made it, shown again in the Training view, says it is gone.
  await page.getByTestId('view-training').click();
  const solRun = page.getByTestId('train-finished-run').filter({ hasText: /^sol —/ });
  await solRun.getByTestId('train-show-result').click();
  await expect(page.getByTestId('train-shown-gone')).toHaveText('Renamed or deleted since: sol-consensus.');
  await page.getByTestId('view-models').click();
  await page.getByTestId('model-import-file').setInputFiles(bundled);
  await page.getByTestId('model-import').click();
  await expect(consensus).toContainText('sol-student → sol-ecfp4-rf');
  await expect(page.locator('[data-model^="sol-"]')).toHaveCount(4);
  await page.getByTestId('view-settings').click();
  await expect(page.getByTestId('settings-backends')).toContainText('wasm — in use');
  await page.screenshot({ path: join(artifacts, 'settings.png') });
  await page.getByTestId('settings-theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: join(artifacts, 'settings-dark.png') });
  await page.getByTestId('settings-theme').selectOption('system');
  expect(consoleErrors).toEqual([]);
});

test('a chemist trains a classifier and reads its ROC curves against the forest', async ({ page }) => {
  // Actives and decoys of one DUD-E target, 60 and 100: a binary assay.
  const ada = readFileSync(resolve(root, '../shared/data/vs/dude_ada.csv'), 'utf8').trim().split('\n');
  const actives = ada
    .slice(1)
    .filter((r) => r.split(',')[1] === '1')
    .slice(0, 60);
  const decoys = ada
    .slice(1)
    .filter((r) => r.split(',')[1] === '0')
    .slice(0, 100);
  const file = join(dir, 'ada-binary.csv');
  writeFileSync(file, `${[ada[0], ...actives, ...decoys].join('\n')}\n`);
  const consoleErrors = await openApp(page, url, 'training');
  await page.getByTestId('train-file').setInputFiles(file);
  await page.getByTestId('train-out').fill('ada-cls');
  await pickTarget(page, 'active');
  await page.getByTestId('train-task').selectOption('classification');
  await page.getByTestId('train-teacher').selectOption('tiny');
  await page.getByText('Show advanced settings').click();
  await page.getByTestId('train-split').selectOption('random');
  await page.getByTestId('train-epochs').fill('1');
  await page.getByTestId('train-seeds').fill('1');
  await page.getByTestId('train-start').click();
  const outcome = page.getByTestId('train-outcome');
  await expect(outcome).toContainText('ada-cls-student', { timeout: 120_000 });
  await expect(outcome).toContainText('rocAuc');
  // Probabilities against 0/1 are read as ROC curves, one per model, not as a predicted-vs-measured scatter.
  await expect(page.getByTestId('train-scatter')).toHaveCount(0);
  await expect(page.getByTestId('train-roc')).toHaveAttribute(
    'data-series',
    // Actives and decoys ECFP4 separates: the forest and (with their fingerprint-aware heads) the transformers may be perfect.
    /^teacher \(AUC [01]\.\d{3}\) \| student \(AUC [01]\.\d{3}\) \| ECFP4 forest \(AUC [01]\.\d{3}\) \| chance$/,
  );
  await expect(outcome).toContainText(/ROC on the test split \(the first seed\): teacher [01]\.\d{3} · student [01]\.\d{3} · ECFP4 forest [01]\.\d{3}/);
  await page.screenshot({ path: join(artifacts, 'training-classifier.png'), fullPage: true });
  expect(consoleErrors).toEqual([]);
});

test('a screen started in one tab is followed by another tab of the app, which opens its results when it ends', async ({ context }) => {
  const first = await context.newPage();
  const second = await context.newPage();
  const errors = [await openApp(first, url, 'screening'), await openApp(second, url, 'screening')];
  // The second tab is open before the screen starts: it learns of the job from its progress, not on load.
  await first.getByTestId('screen-library').selectOption('esol-160');
  await untickShipped(first);
  await first.getByLabel(/^sol-teacher/).check();
  await first.getByTestId('screen-start').click();
  const heading = /Screen #(\d+): esol-160/;
  await expect(first.getByRole('heading', { name: heading })).toBeVisible({ timeout: 60_000 });
  const id = ((await first.getByRole('heading', { name: heading }).textContent()) ?? '').match(heading)?.[1];
  // The other tab, which never asked, lists the run and shows the same results.
  await expect(second.getByRole('heading', { name: `Screen #${id}: esol-160` })).toBeVisible({ timeout: 30_000 });
  await expect(second.getByTestId('screen-result-model')).toHaveValue('sol-teacher');
  // Each run says when it started (today's: the time).
  await expect(second.getByTestId('screen-run').filter({ hasText: `#${id} esol-160 · sol-teacher · done` })).toContainText(/, \d{1,2}:\d{2}/);
  expect(errors.flat()).toEqual([]);
});
