import { dsc } from '../test/descriptors';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { hasSubstructure, loadRdkit, morganOf, parseQuery, stereoFree } from '../chem/rdkit';
import { ModelRepo } from '../db/model-repo';
import type { ScreenHit } from '../../src-shared/dto';
import { RandomForest } from '../train/forest';
import { corpusSlice, registerScreenTestModels, registerTinyTaskModel, tempDir } from '../test/helpers';
import { AppContext, createHandlers } from './app-context';
import { screenFile } from './file-screen-service';
import { importFile } from './import-service';
import { scoreRows } from '../test/screen-files';

const tmp = tempDir();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dbPath = join(tmp.dir, 'screen.db');
const slice = corpusSlice(700);
// The models' vocabulary comes from the corpus; the library adds a selenium compound (a token the
// models never saw) and a chain longer than their 128 tokens.
const SELENIUM = 'c1cc[se]c1CCO';
const LONG = 'C'.repeat(130);
let app: AppContext;
let libraryTotal = 0;

beforeAll(async () => {
  app = new AppContext(dbPath, { chemWorkers: 2 });
  const file = join(tmp.dir, 'lib.csv');
  writeFileSync(file, `smiles,id\n${[...slice, SELENIUM, LONG].map((s, i) => `${s},L${i}`).join('\n')}\n`);
  const s = await importFile(app.db, app.chem, { file, library: 'lib' });
  libraryTotal = s.imported;
  await registerScreenTestModels(app.db, slice);
}, 120_000);

afterAll(async () => {
  await app.close();
  tmp.cleanup();
});

const perModel = (screen: number) =>
  app.db
    .prepare('SELECT model, COUNT(*) AS n, COUNT(DISTINCT compound_id) AS d FROM predictions WHERE screen_id = ? GROUP BY model ORDER BY model')
    .all(screen) as Array<{ model: string; n: number; d: number }>;

/** The screen of both models most tests read (made once, by whichever test needs it first: each test stands on its own). */
let reference: Promise<{ r: Awaited<ReturnType<AppContext['screens']['screen']>>; progress: number[] }> | null = null;
function referenceScreen() {
  reference ??= (async () => {
    const progress: number[] = [];
    const r = await app.screens.screen({ library: 'lib', models: ['m1', 'm2'], chunkSize: 64, top: 5 }, { onProgress: (p) => progress.push(p.done) });
    return { r, progress };
  })();
  return reference;
}

describe('screening a library', () => {
  it('scores every compound once per model, ranks them and reports the unreadable ones', async () => {
    const { r, progress } = await referenceScreen();
    expect(r).toMatchObject({ state: 'done', total: libraryTotal, unreadable: 2, scored: libraryTotal - 2, resumed: false });
    expect(r.engine).toMatch(/onnxruntime/);
    expect(progress.at(-1)).toBe(libraryTotal);
    expect(perModel(r.screen)).toEqual([
      { model: 'm1', n: libraryTotal, d: libraryTotal },
      { model: 'm2', n: libraryTotal, d: libraryTotal },
    ]);
    // Ranks follow the score, 1 = highest.
    expect(r.top.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5]);
    const scores = r.top.map((h) => h.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // Unreadable compounds: a row each, no score, the reason.
    const bad = await app.screens.results(r.screen, { unreadable: true });
    expect(bad.map((h) => h.note).sort()).toEqual(['1 token(s) unknown to the model', "132 tokens, longer than the model's maximum 128"]);
    // The score histogram counts every scored compound.
    const hist = app.screens.histogram(r.screen);
    expect(hist.model).toBe('m1');
    expect(hist.counts.reduce((a, b) => a + b, 0)).toBe(libraryTotal - 2);
    expect(hist.min).toBeLessThanOrEqual(r.top[4]?.score as number);
    expect(hist.max).toBe(r.top[0]?.score);
    // Binary models give probabilities.
    const m2 = await app.screens.results(r.screen, { model: 'm2', limit: 1000 });
    expect(m2.every((h) => (h.score as number) > 0 && (h.score as number) < 1)).toBe(true);

    // A compound's panel lists what each model of the screen predicted for it, with its rank among those ranked.
    const best = r.top[0] as (typeof r.top)[number];
    const own = app.screens.predictionsOf(best.compoundId);
    expect(own.map((p) => p.model)).toEqual(['m1', 'm2']);
    expect(own[0]).toMatchObject({
      screen: r.screen,
      library: 'lib',
      rank: 1,
      ranked: libraryTotal - 2,
      score: best.score,
      inDomain: best.inDomain,
      note: null,
    });
    expect(own[1]).toMatchObject({ rank: m2.find((h) => h.compoundId === best.compoundId)?.rank, task: { type: 'classification' } });
    const unread = app.screens.predictionsOf((bad[0] as (typeof bad)[number]).compoundId);
    expect(unread.map((p) => [p.score, p.rank, p.note !== null])).toEqual([
      [null, null, true],
      [null, null, true],
    ]);
  });

  it("screens with a fingerprint-aware model: each compound's stored ECFP4 goes to its head, as `predict` computes it", async () => {
    await registerTinyTaskModel(app.db, 'mfp', { vocab: slice, domain: slice.slice(0, 40), seed: 3, fp: true });
    const r = await app.screens.screen({ library: 'lib', models: ['mfp'], chunkSize: 64, top: 5 });
    const hits = await app.screens.results(r.screen, { limit: 40 });
    const p = await app.inference.predict(
      'mfp',
      hits.map((h) => h.smiles),
      'tfjs',
    );
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(p.rows[i]?.prediction as number, 4));
    // The fingerprint term counts: with the same weights and a plain head, these 40 scores lie within 1e-5.
    const scores = hits.map((h) => h.score as number);
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(1);
  });

  it('screens with a descriptor-aware model: a library from its stored descriptors, a file from those of the parent, as `predict` computes them', async () => {
    await registerTinyTaskModel(app.db, 'mdesc', { vocab: slice, domain: slice.slice(0, 40), seed: 7, desc: true });
    const r = await app.screens.screen({ library: 'lib', models: ['mdesc'], chunkSize: 64, top: 5 });
    const hits = await app.screens.results(r.screen, { limit: 40 });
    const p = await app.inference.predict(
      'mdesc',
      hits.map((h) => h.smiles),
      'tfjs',
    );
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(p.rows[i]?.prediction as number, 4));
    const scores = hits.map((h) => h.score as number);
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(0.5);
    const file = join(tmp.dir, 'desc.smi');
    writeFileSync(file, hits.map((h, i) => `${h.smiles} H${i}`).join('\n') + '\n');
    const out = join(tmp.dir, 'desc-screen');
    await screenFile({ files: [file], out, models: ['mdesc'], top: 5 }, { registry: async () => app.models });
    const rows = [...scoreRows(out).values()].map((l) => l.split(','));
    hits.forEach((h, i) => expect(Number(rows.find((x) => x[3] === `H${i}`)?.[5])).toBeCloseTo(h.score as number, 4));
  });

  it('scores a deuterated compound from the ECFP4 its models learnt (of the model SMILES, without isotopes), as `predict` does', async () => {
    await registerTinyTaskModel(app.db, 'mfp-iso', { vocab: slice, domain: slice.slice(0, 40), seed: 5, fp: true });
    // Deuterated: a leading methyl (one heavy neighbour) as CH2D. (A 13C label leaves RDKit's ECFP4 as it is.)
    const plain = slice.filter((s) => /^C(?![l\d(=#/\\])/.test(s)).slice(0, 6);
    const file = join(tmp.dir, 'iso.csv');
    writeFileSync(file, `smiles\n${plain.map((s) => `[2H]${s}`).join('\n')}\n`);
    await importFile(app.db, app.chem, { file, library: 'iso' });
    const r = await app.screens.screen({ library: 'iso', models: ['mfp-iso'], chunkSize: 4, top: 3 });
    const hits = await app.screens.results(r.screen, { limit: 10 });
    expect(hits).toHaveLength(plain.length);
    const rd = await loadRdkit();
    for (const h of hits) {
      // The library keeps the label (and its ECFP4, for searches), which differs from the unlabelled one's.
      expect(h.smiles).toContain('[2H]');
      expect(morganOf(rd, h.smiles)?.join()).not.toBe(morganOf(rd, stereoFree(rd, h.smiles) as string)?.join());
    }
    const p = await app.inference.predict(
      'mfp-iso',
      hits.map((h) => h.smiles),
      'tfjs',
    );
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(p.rows[i]?.prediction as number, 4));
  });

  it('writes each model’s predictions as a number column of the library, sorting like the scores', async () => {
    const { r } = await referenceScreen();
    const handlers = createHandlers(app);
    const columns = await handlers['library.columns']({ library: 'lib' });
    // Each model's predictions and its nearest training compound's similarity (these models give no uncertainty).
    expect(columns.filter((c) => c.name.endsWith('(m1)') || c.name.endsWith('(m2)')).map((c) => [c.name, c.type])).toEqual([
      ['pred y (m1)', 'number'],
      ['training similarity (m1)', 'number'],
      ['P(y) (m2)', 'number'],
      ['training similarity (m2)', 'number'],
    ]);
    // Sorted by the column, the library's first compounds are the screen's top ranks (the unreadable last).
    const page = await handlers['compound.list']({ library: 'lib', sort: [{ column: 'pred y (m1)', desc: true }], limit: 5 });
    expect(page.compounds.map((c) => c.id)).toEqual(r.top.map((h) => h.compoundId));
    expect(page.compounds.map((c) => c.props['pred y (m1)'])).toEqual(r.top.map((h) => h.score));
    expect(page.compounds.map((c) => c.props['training similarity (m1)'])).toEqual(r.top.map((h) => h.maxSimilarity));
    // A prediction takes part in a desirability score like any column: here the only term, rising with it.
    const hist = app.screens.histogram(r.screen);
    const mpo = app.scores.score('lib', { name: 'pred-mpo', terms: [{ column: 'pred y (m1)', fn: 'up', low: hist.min, high: hist.max, weight: 1 }] });
    expect([mpo.scored, mpo.max]).toEqual([libraryTotal - 2, 1]);
    const byMpo = await handlers['compound.list']({ library: 'lib', sort: [{ column: 'pred-mpo', desc: true }], limit: 1 });
    expect(byMpo.compounds[0]?.id).toBe(r.top[0]?.compoundId);
  });

  it('gives the scores `predict` gives, with the domain check', async () => {
    const first = (await referenceScreen()).r.screen;
    const hits = await app.screens.results(first, { limit: 50 });
    const p = await app.inference.predict(
      'm1',
      hits.map((h) => h.smiles),
    );
    hits.forEach((h, i) => {
      expect(h.score).toBeCloseTo(p.rows[i]?.prediction as number, 4);
    });
    // Training-set molecules are in the domain with similarity 1.
    const domain = (await app.screens.results(first, { inDomainOnly: true, limit: 5000 })).filter((h) => h.maxSimilarity === 1);
    expect(domain.length).toBeGreaterThanOrEqual(35);
    expect((await app.screens.results(first, { limit: 5000 })).filter((h) => h.inDomain === false).length).toBeGreaterThan(0);
  });

  it('screens with a consensus: the weighted mean of its members, their spread, their reasons, its interval calibrated by similarity to the training set (also in the CSV)', async () => {
    const rd = await loadRdkit();
    const train = slice.slice(0, 60);
    const y = train.map((_, i) => 4 + (i % 7) * 0.5);
    const forest = RandomForest.fit(
      train.map((s) => morganOf(rd, s) as Uint8Array),
      y,
      'regression',
      { seed: 3 },
    );
    const repo = new ModelRepo(app.db);
    const task = { target: 'y', type: 'regression', norm: null };
    const fid = repo.create({
      name: 'rf1',
      kind: 'baseline',
      state: 'training',
      manifest: { format: 'delicate-forest-v1', task, domain: { smiles: train, threshold: 0.3 } },
      params: 1,
      layers: 0,
      shareLayers: false,
      hidden: 0,
      parents: [],
      totalSteps: 0,
      jobId: null,
    });
    repo.finish(fid, { weights: gzipSync(JSON.stringify(forest.toJSON())), metrics: {}, steps: 0 });
    // Calibrated per band of similarity to the training set: ±1.5 below 0.6, ±0.5 from it (±0.75 overall).
    const bins = [
      { from: 0, n: 10, q: 1.5 },
      { from: 0.6, n: 20, q: 0.5 },
    ];
    const calibration = { method: 'mondrian-conformal', level: 0.8, n: 30, halfWidth: 0.75, bins };
    const halfWidth = (sim: number | null) => ((sim as number) >= 0.6 ? 0.5 : 1.5);
    const manifest = {
      format: 'delicate-consensus-v1',
      task,
      members: [
        { name: 'm1', weight: 0.3 },
        { name: 'rf1', weight: 0.7 },
      ],
      domain: { smiles: train, threshold: 0.3 },
      calibration,
    };
    const cid = repo.create({
      name: 'c1',
      kind: 'consensus',
      state: 'training',
      manifest,
      params: 0,
      layers: 0,
      shareLayers: false,
      hidden: 0,
      parents: ['m1', 'rf1'],
      totalSteps: 0,
      jobId: null,
    });
    repo.finish(cid, { weights: Buffer.alloc(0), metrics: {}, steps: 0 });

    const r = await app.screens.screen({ library: 'lib', models: ['c1', 'm1', 'rf1'], chunkSize: 128 });
    expect(r).toMatchObject({ state: 'done', unreadable: 2 });
    const byId = async (model: string) => new Map((await app.screens.results(r.screen, { model, limit: 5000 })).map((h) => [h.compoundId, h]));
    const [c, m, f] = await Promise.all([byId('c1'), byId('m1'), byId('rf1')]);
    expect(c.size).toBe(libraryTotal - 2);
    for (const [id, h] of c) {
      const a = m.get(id)?.score as number;
      const b = f.get(id)?.score as number;
      const mean = 0.3 * a + 0.7 * b;
      expect(h.score).toBeCloseTo(mean, 5);
      expect(h.uncertainty).toBeCloseTo(Math.sqrt(0.3 * (a - mean) ** 2 + 0.7 * (b - mean) ** 2), 5);
      const w = halfWidth(h.maxSimilarity);
      expect(h.interval).toEqual({ level: 0.8, lower: (h.score as number) - w, upper: (h.score as number) + w });
    }
    // The training compounds are near analogues (narrow), most of the library is not (wide).
    expect(new Set([...c.values()].map((h) => halfWidth(h.maxSimilarity)))).toEqual(new Set([0.5, 1.5]));
    // A compound's panel states the same interval and the bands it comes from; an uncalibrated model none.
    for (const width of [0.5, 1.5]) {
      const [id, h] = [...c].find(([, v]) => halfWidth(v.maxSimilarity) === width) as [number, ScreenHit];
      const own = app.screens.predictionsOf(id).filter((p) => p.screen === r.screen);
      expect(own.find((p) => p.model === 'c1')).toMatchObject({
        interval: h.interval,
        intervals: {
          kind: 'interval',
          overall: 0.75,
          bands: [
            { from: 0, q: 1.5 },
            { from: 0.6, q: 0.5 },
          ],
        },
      });
      expect(own.find((p) => p.model === 'rf1')).toMatchObject({ interval: null, intervals: null });
    }
    // The consensus's spread becomes a library column beside its predictions (to plot, sort and score).
    const ids = [...c.keys()].slice(0, 20);
    const rows = await createHandlers(app)['compound.values']({ library: 'lib', columns: ['pred y (c1)', 'uncertainty (c1)'] });
    for (const id of ids) {
      const k = rows.ids.indexOf(id);
      expect(rows.values[0]?.[k]).toBeCloseTo(c.get(id)?.score as number, 6);
      expect(rows.values[1]?.[k]).toBeCloseTo(c.get(id)?.uncertainty as number, 6);
    }
    // What the transformer member cannot read, the consensus cannot score, and says why.
    const bad = await app.screens.results(r.screen, { model: 'c1', unreadable: true });
    expect(bad.map((h) => h.note).sort()).toEqual(['m1: 1 token(s) unknown to the model', "m1: 132 tokens, longer than the model's maximum 128"]);
    // The export has the interval's bounds; an uncalibrated model's export has no interval columns.
    const csv = join(tmp.dir, 'consensus.csv');
    await app.screens.export(r.screen, csv, { model: 'c1', limit: 3 });
    const [header, row] = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const at = (k: string) => Number(row?.[header?.indexOf(k) as number]);
    const w = halfWidth(at('max_similarity'));
    expect(at('interval_80_high') - at('interval_80_low')).toBeCloseTo(2 * w, 6);
    expect(at('score') - at('interval_80_low')).toBeCloseTo(w, 6);
    await app.screens.export(r.screen, csv, { model: 'm1', limit: 3 });
    expect(readFileSync(csv, 'utf8').split('\n')[0]).not.toMatch(/interval/);
  });

  it('filters by score, property range and substructure, and exports CSV and SDF', async () => {
    const first = (await referenceScreen()).r.screen;
    const all = await app.screens.results(first, { limit: 5000 });
    // Lowest scores first on request: the ranking read from its end.
    const lowest = await app.screens.results(first, { ascending: true, limit: 5 });
    expect(lowest.map((h) => h.compoundId)).toEqual(
      all
        .slice(-5)
        .reverse()
        .map((h) => h.compoundId),
    );
    const median = (all[Math.floor(all.length / 2)]?.score as number) ?? 0;
    const upper = await app.screens.results(first, { minScore: median, limit: 5000 });
    expect(upper.length).toBe(all.filter((h) => (h.score as number) >= median).length);
    const small = await app.screens.results(first, { ranges: { mw: { max: 300 }, hbd: { min: 1 } }, limit: 5000 });
    expect(small.length).toBeGreaterThan(0);
    expect(small.every((h) => dsc(h).mw <= 300 && dsc(h).hbd >= 1)).toBe(true);
    const rd = await loadRdkit();
    const q = parseQuery(rd, 'c1ccncc1');
    const expected = all.filter((h) => q && hasSubstructure(rd, h.smiles, q)).map((h) => h.compoundId);
    q?.delete();
    const pyridines = await app.screens.results(first, { substructure: 'c1ccncc1', limit: 5000 });
    expect(pyridines.map((h) => h.compoundId)).toEqual(expected);
    expect((await app.screens.results(first, { substructure: 'c1ccncc1', offset: 2, limit: 3 })).map((h) => h.compoundId)).toEqual(expected.slice(2, 5));

    const csv = join(tmp.dir, 'top.csv');
    expect(await app.screens.export(first, csv, { limit: 20 })).toEqual({ written: 20, file: csv });
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    // The library's own columns follow: here the screens' prediction columns (and what other tests added).
    expect(lines[0]).toMatch(
      /^rank,id,smiles,model,score,uncertainty,max_similarity,in_domain,note,mw,.*,lipinskiViolations,pred y \(m1\),training similarity \(m1\),P\(y\) \(m2\),training similarity \(m2\)(,.*)?$/,
    );
    expect(lines).toHaveLength(21);
    expect(lines[1]?.startsWith('1,')).toBe(true);
    const sdf = join(tmp.dir, 'pyridines.sdf');
    const e = await app.screens.export(first, sdf, { substructure: 'c1ccncc1' });
    expect(e.written).toBe(expected.length);
    expect(readFileSync(sdf, 'utf8').split('$$$$').length - 1).toBe(expected.length);
  });

  it('cancels, and a screen killed mid-way resumes to exactly one prediction per compound and model', async () => {
    const first = (await referenceScreen()).r.screen;
    const abort = new AbortController();
    await expect(
      app.screens.screen({ library: 'lib', models: ['m1', 'm2'], chunkSize: 32 }, { signal: abort.signal, onProgress: (p) => p.done > 0 && abort.abort() }),
    ).rejects.toThrow(/cancelled/);
    const cancelled = app.screens.list()[0];
    expect(cancelled?.state).toBe('cancelled');

    // A separate process (TF.js, small chunks: slow enough to be caught), killed once chunks are committed.
    const child = spawn(
      process.execPath,
      [join(root, 'bin/delicate.mjs'), 'screen', '--library', 'lib', '--model', 'm1,m2', '--chunk', '8', '--engine', 'tfjs', '--workers', '1', '--db', dbPath],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const deadline = Date.now() + 90_000;
    let killed: { id: number; cursor: number } | undefined;
    while (Date.now() < deadline && !killed) {
      const row = app.db.prepare(`SELECT id, cursor, state FROM screens WHERE id > ? ORDER BY id DESC LIMIT 1`).get(cancelled?.screen ?? 0) as
        { id: number; cursor: number; state: string } | undefined;
      if (row && row.cursor > 0) {
        child.kill('SIGKILL');
        killed = row;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await exited;
    expect(killed).toBeDefined();
    const id = killed?.id as number;
    const partial = app.screens.get(id);
    expect(partial.state).toBe('running');
    expect(partial.scored + partial.unreadable).toBeLessThan(libraryTotal);

    const resumed = await app.screens.screen({ library: 'lib', models: ['m1', 'm2'], resume: true, engine: 'tfjs', workers: 2 });
    expect(resumed).toMatchObject({ screen: id, resumed: true, state: 'done', scored: libraryTotal - 2, unreadable: 2 });
    expect(perModel(id)).toEqual([
      { model: 'm1', n: libraryTotal, d: libraryTotal },
      { model: 'm2', n: libraryTotal, d: libraryTotal },
    ]);
    // Same scores as the uninterrupted ONNX Runtime screen, compound by compound.
    const diff = app.db
      .prepare(
        `SELECT MAX(ABS(a.score - b.score)) AS d, COUNT(*) AS n FROM predictions a JOIN predictions b
          ON b.compound_id = a.compound_id AND b.model = a.model WHERE a.screen_id = ? AND b.screen_id = ?`,
      )
      .get(first, id) as { d: number; n: number };
    expect(diff.n).toBe(2 * libraryTotal);
    expect(diff.d).toBeLessThan(1e-4);
  }, 180_000);

  it("keeps a deleted model's predictions in the compound panel, saying it no longer knows what it predicted", async () => {
    await registerTinyTaskModel(app.db, 'gone', { vocab: slice, domain: slice.slice(0, 40), seed: 3 });
    const r = await app.screens.screen({ library: 'lib', models: ['gone'], top: 1 });
    const id = (r.top[0] as (typeof r.top)[number]).compoundId;
    expect(app.screens.predictionsOf(id).find((p) => p.screen === r.screen)?.task).toEqual({ target: expect.any(String), type: 'regression' });
    expect(app.models.delete('gone')).toBe(true);
    expect(app.screens.predictionsOf(id).find((p) => p.screen === r.screen)).toMatchObject({ model: 'gone', rank: 1, task: null });
  });

  it('downloads every row of a screen larger than 10,000 rows, nothing cut', async () => {
    // 10,050 compounds (copies of one structure under their own keys: what is counted is rows, not chemistry).
    const lib = app.db.prepare(`INSERT INTO libraries (name) VALUES ('big') RETURNING id`).get() as { id: number };
    const source = app.db.prepare('SELECT * FROM compounds ORDER BY id LIMIT 1').get() as Record<string, unknown>;
    const cols = Object.keys(source).filter((k) => k !== 'id' && k !== 'inchikey');
    const insert = app.db.prepare(`INSERT INTO compounds (inchikey, ${cols.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')}) RETURNING id`);
    const member = app.db.prepare(`INSERT INTO library_members (library_id, compound_id, record, original_id, original) VALUES (?, ?, ?, ?, '')`);
    app.db.transaction(() => {
      for (let i = 0; i < 10_050; i++) {
        const { id } = insert.get(`BIG-${i}`, ...cols.map((c) => source[c])) as { id: number };
        member.run(lib.id, id, i + 1, `B${i}`);
      }
    })();
    const r = await app.screens.screen({ library: 'big', models: ['m1'] });
    expect(r.total).toBe(10_050);
    const handlers = createHandlers(app);
    const down = await handlers['screen.download']({ screen: r.screen, format: 'csv' });
    expect(down.written).toBe(10_050);
    expect(down.content.trim().split('\n')).toHaveLength(10_051);
  }, 120_000);

  it('refuses models without a task head and unknown libraries with a clear error', async () => {
    await expect(app.screens.screen({ library: 'nope', models: ['m1'] })).rejects.toThrow(/no library named 'nope'/);
    await expect(app.screens.screen({ library: 'lib', models: ['m1', 'm1'] })).rejects.toThrow(/named twice/);
    await expect(app.screens.screen({ library: 'lib', models: ['absent'] })).rejects.toThrow(/no model named 'absent'/);
  });
});
