import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argv, corpusSlice, sharedData, tempDir } from '../test/helpers';
import { main } from './main';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

describe('delicate CLI', () => {
  const db = join(tmp.dir, 'cli.db');
  // The library the browsing tests read, made once: each test stands on its own, none on another's state.
  beforeAll(async () => {
    const r = await run('import', sharedData('qsar/bbbp.csv'), '--library', 'bbbp', '--db', db);
    if (r.code !== 0) throw new Error(`fixture import failed: ${r.err}`);
  }, 300_000);

  it('imports with --json: exactly one JSON object on stdout, progress on stderr', async () => {
    const r = await run('import', sharedData('qsar/bbbp.csv'), '--library', 'bbbp', '--db', join(tmp.dir, 'import.db'), '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0] as string);
    expect(s).toMatchObject({ library: 'bbbp', read: 2050 });
    expect(s.imported + s.duplicates + s.rejected).toBe(2050);
    // The 11 structures RDKit cannot parse (BBBP's known bad rows) are rejected with their line numbers.
    expect(s.rejected).toBe(11);
    expect(s.errors[0]).toMatchObject({ record: 60, line: 61, reason: expect.stringContaining('unparseable structure') });
  });

  it('lists libraries and compounds, searches, and exports', async () => {
    const libs = JSON.parse((await run('libraries', '--db', db, '--json')).out);
    expect(libs.libraries).toEqual([expect.objectContaining({ name: 'bbbp', compounds: expect.any(Number) })]);
    const hits = JSON.parse((await run(...argv`compounds --library bbbp --substructure C(=O)N --limit 3 --db ${db} --json`)).out);
    expect(hits.compounds).toHaveLength(3);
    expect(Object.keys(hits.compounds[0])).toEqual(expect.arrayContaining(['id', 'smiles', 'inchikey', 'props']));
    const out = join(tmp.dir, 'bbbp.sdf');
    expect(JSON.parse((await run('export', '--library', 'bbbp', '--out', out, '--db', db, '--json')).out)).toEqual({ written: 2039 });
  });

  it("sorts by several keys and filters on the file's own columns (--sort, --range, --where), and lists and retypes columns", async () => {
    const cols = JSON.parse((await run('compounds', '--library', 'bbbp', '--columns', '--db', db, '--json')).out).columns as Array<{
      name: string;
      type: string;
    }>;
    expect(cols.map((c) => [c.name, c.type])).toEqual([
      ['p_np', 'number'],
      ['num', 'number'],
    ]);
    const r = JSON.parse(
      (await run(...argv`compounds --library bbbp --sort p_np:desc,mw --range num:100:400 --range mw:150: --where p_np=1 --limit 1000 --db ${db} --json`)).out,
    );
    const rows = r.compounds as Array<{ props: { num: number; p_np: number }; descriptors: { mw: number } }>;
    expect(r.matched).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.every((c) => c.props.p_np === 1 && c.props.num >= 100 && c.props.num <= 400 && c.descriptors.mw >= 150)).toBe(true);
    const mw = rows.map((c) => c.descriptors.mw);
    expect(mw).toEqual([...mw].sort((a, b) => a - b));
    // p_np as yes/no: the same filter reads true; an unknown column names the ones there are.
    const retyped = JSON.parse((await run('compounds', '--library', 'bbbp', '--set-type', 'p_np:boolean', '--db', db, '--json')).out).columns;
    expect(retyped).toContainEqual(expect.objectContaining({ name: 'p_np', type: 'boolean', detected: 'number' }));
    expect(JSON.parse((await run(...argv`compounds --library bbbp --where p_np=true --range num:100:400 --range mw:150: --db ${db} --json`)).out).matched).toBe(
      r.matched,
    );
    await run('compounds', '--library', 'bbbp', '--set-type', 'p_np:number', '--db', db);
    const bad = await run('compounds', '--library', 'bbbp', '--sort', 'logS:desc', '--db', db, '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).error).toMatchObject({ code: 'NOT_FOUND', message: "library 'bbbp' has no column 'logS' (its columns: p_np, num)" });
    expect((await run('compounds', '--library', 'bbbp', '--where', 'p_np', '--db', db)).code).toBe(2);
    // Every match, in that order, to a file and as a new library.
    const csv = join(tmp.dir, 'penetrant.csv');
    const saved = JSON.parse(
      (
        await run(
          ...argv`compounds --library bbbp --where p_np=1 --range num:100:400 --range mw:150: --sort mw --out ${csv} --save-as penetrant --db ${db} --json`,
        )
      ).out,
    );
    expect(saved).toEqual({ matched: r.matched, written: r.matched, file: csv, library: 'penetrant' });
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^smiles,id,inchikey,.*,lipinski_violations,p_np,num$/);
    expect(lines.slice(1).map((l) => Number(l.split(',')[4]))).toEqual(mw);
    expect(
      JSON.parse((await run('compounds', '--library', 'penetrant', '--limit', '1000', '--db', db, '--json')).out).compounds.map((c: { id: number }) => c.id),
    ).toEqual(rows.map((c) => (c as unknown as { id: number }).id));
    expect((await run('compounds', '--library', 'bbbp', '--out', join(tmp.dir, 'x.txt'), '--db', db)).code).toBe(2);
  });

  it('exits 1 on bad input naming the file, and 2 on usage errors', async () => {
    const bad = join(tmp.dir, 'bad.bin');
    writeFileSync(bad, Buffer.from([0, 1, 2, 3, 0, 0, 255, 254]));
    const r = await run('import', bad, '--library', 'x', '--db', db, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'PARSE_ERROR', message: expect.stringContaining('bad.bin: binary data') });
    expect((await run('compounds', '--library', 'nope', '--db', db)).code).toBe(1);
    expect((await run('import', '--library', 'x', '--db', db)).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('compounds', '--library', 'bbbp', '--min-sim', '2', '--db', db)).code).toBe(2);
  });

  it('reports the environment with doctor', async () => {
    const r = JSON.parse((await run('doctor', '--db', db, '--json')).out);
    expect(r).toMatchObject({ database: db, rdkit: expect.stringMatching(/^20\d\d/), computeBackends: expect.any(Array) });
    // The backend that runs is named, and every other one says why not.
    expect(r.computeBackends.map((b: { name: string }) => b.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    expect(r.computeBackends.filter((b: { selected: boolean }) => b.selected)).toHaveLength(1);
  });

  it('evaluates enrichment with vs: one JSON object on stdout, each stage and fold on stderr', async () => {
    const r = await run(...argv`vs --library bbbp --label-col p_np --similarity ecfp --folds 2 --db ${db} --json`);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const v = JSON.parse(lines[0] as string);
    expect(v).toMatchObject({ library: 'bbbp', method: 'ecfp', folds: 2, metrics: { rocAuc: expect.any(Number) } });
    expect(v.curve).toBeUndefined();
    expect(r.err).toContain("reading the compounds and labels of 'bbbp'");
    expect(r.err).toContain('pass 1 of 2');
    expect(r.err).toContain('pass 2 of 2');
    expect((await run('vs', '--library', 'bbbp', '--label-col', 'p_np', '--db', db)).code).toBe(2);
  });

  it('pretrains a tiny model and lists it (the pretrain and models JSON contracts)', async () => {
    const corpus = join(tmp.dir, 'corpus.smi');
    writeFileSync(corpus, `${corpusSlice(200).join('\n')}\n`);
    const args = [
      '--corpus',
      corpus,
      '--out',
      'tiny',
      '--layers',
      '2',
      '--hidden',
      '16',
      '--heads',
      '2',
      '--ff',
      '32',
      '--share-layers',
      '--max-steps',
      '3',
      '--batch',
      '8',
      '--db',
      db,
      '--json',
    ];
    const r = await run('pretrain', ...args);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({
      model: 'tiny',
      steps: 3,
      params: expect.any(Number),
      mlmAccuracy: expect.any(Number),
      seconds: expect.any(Number),
      backend: expect.any(String),
    });
    expect(r.err).toMatch(/step 3\/3/);
    const again = await run('pretrain', ...args);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.out).error.code).toBe('CONFLICT');
    const list = JSON.parse((await run('models', '--db', db, '--json')).out);
    // The shipped base models are registered beside it.
    expect(list.models.filter((m: { name: string }) => !m.name.startsWith('delicate-'))).toEqual([
      expect.objectContaining({
        name: 'tiny',
        kind: 'shared',
        params: out.params,
        layers: 2,
        shareLayers: true,
        parent: [],
        metrics: expect.objectContaining({ mlmAccuracy: out.mlmAccuracy, sequencesSeen: 24, tokensSeen: expect.any(Number) }),
      }),
    ]);
    expect(list.models.map((m: { name: string }) => m.name)).toContain('delicate-base-teacher');
    expect((await run(...argv`pretrain --corpus ${corpus} --out x --hidden 10 --heads 4 --db ${db}`)).code).toBe(2);
    expect((await run(...argv`pretrain --corpus ${corpus} --out x --max-steps 3 --time-budget 1 --db ${db}`)).code).toBe(2);
    const noPool = await run(...argv`pretrain --corpus ${corpus} --out x --length-pool 0 --db ${db}`);
    expect([noPool.code, noPool.err]).toEqual([2, expect.stringContaining('--length-pool must be at least 1')]);
    expect((await run(...argv`distill --teacher tiny --corpus ${corpus} --student-layers 1 --out x --length-pool many --db ${db}`)).code).toBe(2);
  }, 120_000);

  it('imports an assay file to inspect before training (assay import)', async () => {
    // IC50 in nM: ethanol twice (CCO, OCC), a censored phenol, a record without a value, dates.
    const file = join(tmp.dir, 'ic50.csv');
    writeFileSync(
      file,
      [
        'smiles,IC50,date',
        'CCO,100,2024-01-02',
        'OCC,300,2024-02-03',
        'c1ccccc1O,>10000,2024-03-04',
        'CC(=O)Nc1ccc(O)cc1,5,2024-05-06',
        'CCN,,2024-06-07',
      ].join('\n'),
    );
    const r = await run(...argv`assay import ${file} --target IC50 --task regression --unit nM --date-col date --db ${db} --json`);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).assay).toMatchObject({
      name: 'ic50',
      file,
      target: 'IC50',
      unit: 'nM',
      records: 5,
      compounds: 3,
      replicates: 1,
      censored: 1,
      rejected: 1,
      dated: 3,
    });
    const page = JSON.parse((await run('assays', 'ic50', '--db', db, '--json')).out);
    // pIC50: ethanol mean of 7 and 6.52 (first dated 2024-01-02); phenol > 10 µM is pIC50 < 5.
    expect(page.measurements).toEqual([
      expect.objectContaining({ smiles: 'CCO', value: expect.closeTo(7 - Math.log10(3) / 2, 9), count: 2, date: '2024-01-02', record: 1 }),
      expect.objectContaining({ smiles: 'Oc1ccccc1', value: 5, qualifier: '<', censored: true }),
      expect.objectContaining({ smiles: 'CC(=O)Nc1ccc(O)cc1', value: expect.closeTo(-Math.log10(5e-9), 9), count: 1 }),
    ]);
    expect(page.rejected).toEqual([{ record: 5, line: 6, reason: "empty 'IC50'" }]);
    const again = await run(...argv`assay import ${file} --target IC50 --task regression --db ${db} --json`);
    expect([again.code, JSON.parse(again.out).error.code]).toEqual([1, 'CONFLICT']);
    expect((await run(...argv`assay import ${file} --as x --target nope --task regression --db ${db}`)).err).toContain("no column 'nope'");
    expect((await run(...argv`assay import ${file} --as x --target IC50 --task maybe --db ${db}`)).code).toBe(2);
    expect((await run('assay', 'export', '--db', db)).code).toBe(2);
    // An ID column under a name not recognised as one is named with --id-col.
    const corp = join(tmp.dir, 'corp.csv');
    writeFileSync(corp, ['Corp No,smiles,pIC50', 'AZ-1,CCO,5', 'AZ-2,OCC,6', 'AZ-3,CCN,7'].join('\n'));
    expect((await run('assay', 'import', corp, '--target', 'pIC50', '--task', 'regression', '--id-col', 'Corp No', '--db', db)).code).toBe(0);
    const corpMs = JSON.parse((await run('assays', 'corp', '--db', db, '--json')).out).measurements;
    expect(corpMs.map((m: { id: string }) => m.id)).toEqual(['AZ-1, AZ-2', 'AZ-3']);
    expect((await run('assay', 'delete', 'corp', '--db', db)).code).toBe(0);
    // Read with the wrong unit? Delete it and read it again under the same name.
    expect(JSON.parse((await run('assay', 'delete', 'ic50', '--db', db, '--json')).out)).toEqual({ assay: 'ic50', deleted: true });
    expect(JSON.parse((await run('assays', '--db', db, '--json')).out).assays).toEqual([]);
    expect((await run('assay', 'delete', 'ic50', '--db', db)).code).toBe(1);
    expect((await run(...argv`assay import ${file} --target IC50 --task regression --unit nM --date-col date --db ${db}`)).code).toBe(0);
  });

  it('trains a teacher, a distilled student and the baseline on an assay (the train JSON contract)', async () => {
    // Its own database and tiny teacher (3 pretraining steps): nothing from the other tests.
    const db = join(tmp.dir, 'train.db');
    const corpus = join(tmp.dir, 'train-corpus.smi');
    writeFileSync(corpus, `${corpusSlice(200).join('\n')}\n`);
    const tiny = await run(
      ...argv`pretrain --corpus ${corpus} --out tiny --layers 2 --hidden 16 --heads 2 --ff 32 --share-layers --max-steps 3 --batch 8 --db ${db}`,
    );
    expect(tiny.code).toBe(0);
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-slice.csv');
    // 160 compounds, two of them measured twice (replicates), a record of a third without a value (rejected),
    // and ten known only as upper bounds (censored: "<-2.1"), which train through the censored loss.
    const remeasured = (row: string, delta: number) => row.replace(/,(-?[\d.]+),/, (_, v: string) => `,${(Number(v) + delta).toFixed(2)},`);
    const asBound = (row: string, i: number) => (i >= 4 && i < 14 ? row.replace(/,(-?[\d.]+),/, ',<$1,') : row);
    writeFileSync(
      data,
      `${[...rows.slice(0, 161).map(asBound), remeasured(rows[1] as string, 0.4), remeasured(rows[2] as string, -0.2), `${(rows[3] as string).split(',')[0]},,no value`].join('\n')}\n`,
    );
    const r = await run(
      ...argv`train --data ${data} --target logS --task regression --out esol --teacher tiny --distill --student-layers 1 --epochs 1 --seeds 2 --split scaffold --db ${db} --json`,
    );
    expect(r.err).not.toMatch(/Unexpected error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.split).toBe('scaffold');
    expect(out.models.map((m: { role: string }) => m.role)).toEqual(['teacher', 'student', 'baseline', 'consensus']);
    for (const m of out.models) {
      expect(Object.keys(m)).toEqual(expect.arrayContaining(['name', 'role', 'params', 'layers', 'metrics', 'trainSeconds']));
      // boundsKept (censored test compounds predicted on the right side of their bound) when a seed's test split
      // has some; the 80% interval's test coverage (all, least similar third) and width, calibrated on validation.
      expect(
        Object.keys(m.metrics)
          .filter((k) => !k.startsWith('boundsKept'))
          .sort(),
      ).toEqual(['coverage80', 'coverage80Far', 'mae', 'r2', 'rmse', 'spearman', 'width80'].flatMap((k) => [k, `${k}Sd`]).sort());
      if ('boundsKept' in m.metrics) expect(m.metrics.boundsKept).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(m.metrics.rmse)).toBe(true);
    }
    expect(out.models[1]).toMatchObject({ name: 'esol-student', layers: 1 });
    expect(out.consensus).toMatchObject({ name: 'esol-consensus', members: [{ name: 'esol-student' }, { name: 'esol-ecfp4-rf' }] });
    expect(out.recommended).toMatchObject({
      name: expect.stringMatching(/^esol-(teacher|student|ecfp4-rf|consensus)$/),
      why: expect.stringMatching(/validation RMSE/),
      metrics: { rmse: expect.any(Number) },
    });
    expect(Object.values(out.recommended.picks as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
    expect(out.registered).toEqual(['esol-teacher', 'esol-student', 'esol-ecfp4-rf', 'esol-consensus']);
    expect(out.n).toMatchObject({ compounds: 160, rejected: 1, censored: 10 });
    expect(out.predictions.length).toBe(out.n.test);
    expect(out.teacherSource).toMatch(/tiny/);
    const list = JSON.parse((await run('models', '--db', db, '--json')).out).models;
    expect(list.find((m: { name: string }) => m.name === 'esol-teacher')).toMatchObject({ kind: 'teacher', parent: ['tiny'] });
    expect(list.find((m: { name: string }) => m.name === 'esol-student')).toMatchObject({
      kind: 'student',
      parent: ['esol-teacher'],
      shareLayers: true,
      layers: 1,
    });
    expect((await run(...argv`train --data ${data} --target logS --task maybe --out x --db ${db}`)).code).toBe(2);
    expect((await run(...argv`train --data ${data} --target logS --task regression --out x --length-pool 0 --db ${db}`)).code).toBe(2);
    const both = await run(...argv`train --data ${data} --target logS --task regression --out x --distill --student s --student-layers 2 --db ${db}`);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/not both/);
    // The assay is stored: one row per compound with its replicate count and spread.
    const assays = JSON.parse((await run('assays', '--db', db, '--json')).out).assays;
    expect(assays.find((a: { name: string }) => a.name === 'esol')).toMatchObject({
      target: 'logS',
      task: 'regression',
      records: 163,
      compounds: 160,
      replicates: 2,
      censored: 10,
      rejected: 1,
    });
    const ms = JSON.parse((await run('assays', 'esol', '--db', db, '--json')).out).measurements;
    expect(ms).toHaveLength(160);
    // Amigdalin: -0.77 and -0.37, mean -0.57, sd 0.2828.
    expect(ms[0]).toMatchObject({ id: 'Amigdalin', smiles: expect.any(String), qualifier: '=', count: 2, censored: false });
    expect([ms[0].value, ms[0].spread]).toEqual([expect.closeTo(-0.57, 6), expect.closeTo(0.4 / Math.SQRT2, 6)]);
    expect(ms[2]).toMatchObject({ count: 1, spread: 0 });
    expect(ms.filter((m: { censored: boolean; qualifier: string }) => m.censored && m.qualifier === '<')).toHaveLength(10);
    // The test split's predictions say which measured values are bounds.
    const censoredSmiles = new Set(ms.filter((m: { censored: boolean }) => m.censored).map((m: { smiles: string }) => m.smiles));
    for (const p of out.predictions) expect(p.qualifier).toBe(censoredSmiles.has(p.smiles) ? '<' : '=');
    const reps = JSON.parse((await run('assays', 'esol', '--only', 'replicates', '--db', db, '--json')).out);
    expect(reps).toMatchObject({ assay: 'esol', total: 2, rejected: [{ record: 163, line: 164, reason: "empty 'logS'" }] });
    expect(reps.measurements.map((m: { count: number }) => m.count)).toEqual([2, 2]);
    expect((await run('assays', 'esol', '--only', 'twice', '--db', db)).code).toBe(2);
    const unknown = await run('assays', 'nope', '--db', db);
    expect([unknown.code, unknown.err]).toEqual([1, expect.stringContaining("no assay named 'nope' (assays: esol")]);
    // A stored assay trains again without its file; it brings its own target and task.
    const again = await run(...argv`train --assay esol --out esol-again --teacher tiny --epochs 1 --seeds 1 --split random --length-pool 2 --db ${db} --json`);
    expect(again.code).toBe(0);
    // Its counts are the stored assay's: the record rejected when the file was read counts here too.
    expect(JSON.parse(again.out).n).toMatchObject({ compounds: 160, rejected: 1, replicates: 2, censored: 10 });
    // It records where its data came from, not the temporary CSV it was read back from.
    expect(JSON.parse(again.out).data.file).toBe(`assay 'esol' (read from ${data})`);
    const againAssay = JSON.parse((await run('assays', '--db', db, '--json')).out).assays.find((a: { name: string }) => a.name === 'esol-again');
    expect(againAssay.file).toBe(`assay 'esol' (read from ${data})`);
    // Its assay keeps the stored assay's records, replicates and rejected record, not the one-row-per-compound copy's.
    expect(againAssay).toMatchObject({ records: 163, compounds: 160, replicates: 2, censored: 10, rejected: 1 });
    const againMs = JSON.parse((await run('assays', 'esol-again', '--db', db, '--json')).out).measurements;
    const strip = (m: { inchikey: string; value: number; count: number; spread: number; record: number; id: string | null }) => [
      m.inchikey,
      m.value.toFixed(6),
      m.count,
      m.spread,
      m.record,
      m.id,
    ];
    expect(againMs.map(strip)).toEqual(ms.map(strip));
    // A run named like the stored assay it trains on keeps that assay's source (not "assay 'x' (read from …)").
    const imported = JSON.parse((await run(...argv`assay import ${data} --as esol-same --target logS --task regression --db ${db} --json`)).out).assay;
    expect(
      (await run(...argv`train --assay esol-same --out esol-same --teacher tiny --epochs 1 --seeds 1 --split random --length-pool 2 --db ${db}`)).code,
    ).toBe(0);
    const same = JSON.parse((await run('assays', '--db', db, '--json')).out).assays.find((a: { name: string }) => a.name === 'esol-same');
    expect(same).toMatchObject({ file: data, sha256: imported.sha256, records: 163, replicates: 2, censored: 10, rejected: 1 });
    const missing = await run('train', '--assay', 'nope', '--out', 'x', '--db', db);
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining("no assay named 'nope' (assays: esol, esol-again, esol-same")]);
    expect((await run(...argv`train --assay esol --data ${data} --out x --db ${db}`)).code).toBe(2);
    // Its values are converted already (a unit would convert them twice), and it has its own columns and dates.
    const twice = await run(...argv`train --assay esol --unit nM --out x --db ${db}`);
    expect([twice.code, twice.err]).toEqual([2, expect.stringContaining('--assay esol brings its own SMILES, IDs, dates and converted values')]);
    const undated = await run(...argv`train --assay esol --split temporal --out x --db ${db}`);
    expect([undated.code, undated.err]).toEqual([2, expect.stringContaining('--split temporal: assay esol has no dates')]);
    // The ECFP4 forest is registered too, predicts, and screens beside the student with its trees' spread.
    expect(list.find((m: { name: string }) => m.name === 'esol-ecfp4-rf')).toMatchObject({ kind: 'baseline', layers: 0 });
    const rfPred = JSON.parse((await run('predict', '--model', 'esol-ecfp4-rf', '--smiles', 'CCO', '--db', db, '--json')).out);
    expect(rfPred).toMatchObject({ engine: 'ECFP4 random forest', rows: [{ prediction: expect.any(Number), inDomain: expect.any(Boolean) }] });
    const csv = join(tmp.dir, 'top.csv');
    const sc = JSON.parse(
      (await run(...argv`screen --file ${data} --library esol-slice --model esol-student,esol-ecfp4-rf --top 3 --out ${csv} --db ${db} --json`)).out,
    );
    expect(sc).toMatchObject({
      state: 'done',
      models: ['esol-student', 'esol-ecfp4-rf'],
      total: 160,
      scored: 160,
      unreadable: 0,
      exported: { written: 3, file: csv },
    });
    expect([sc.top.length, readFileSync(csv, 'utf8').trim().split('\n').length]).toEqual([3, 4]);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/^rank,id,smiles,model,score,uncertainty,.*logS/); // the library's own columns too
    // Two models: the text names whose ranking it lists.
    expect((await run(...argv`screen --id ${String(sc.screen)} --top 2 --db ${db}`)).out).toContain('top 2 by esol-student (--show-model NAME');
    const rfTop = JSON.parse((await run(...argv`screen --id ${String(sc.screen)} --show-model esol-ecfp4-rf --top 5 --range mw::400 --db ${db} --json`)).out);
    expect(rfTop.top).toHaveLength(5);
    for (const h of rfTop.top) {
      expect(h).toMatchObject({ model: 'esol-ecfp4-rf', uncertainty: expect.any(Number), inDomain: expect.any(Boolean) });
      expect(h.descriptors.mw).toBeLessThanOrEqual(400);
    }
    expect((await run('screen', '--id', String(sc.screen), '--range', 'weight:1:2', '--db', db)).code).toBe(2);

    const pred = JSON.parse((await run(...argv`predict --model esol-student --smiles CCO c1ccccc1Cl garbage(( --db ${db} --json`)).out);
    expect(pred).toMatchObject({ model: 'esol-student', task: { target: 'logS', type: 'regression' }, engine: expect.stringMatching(/^onnxruntime-cpu/) });
    // ONNX Runtime and TF.js give the same predictions through the whole pipeline.
    const viaTf = JSON.parse((await run(...argv`predict --model esol-student --smiles CCO c1ccccc1Cl garbage(( --engine tfjs --db ${db} --json`)).out);
    expect(viaTf.engine).toMatch(/^tfjs-wasm/);
    expect(Math.abs(viaTf.rows[1].prediction - pred.rows[1].prediction)).toBeLessThan(1e-4);
    // int8 (dynamically quantised MatMuls): said, and close to float32 (not the same numbers).
    const viaInt8 = JSON.parse((await run(...argv`predict --model esol-student --smiles CCO c1ccccc1Cl --engine onnxruntime-int8 --db ${db} --json`)).out);
    expect(viaInt8.engine).toMatch(/^onnxruntime-cpu int8/);
    expect(Math.abs(viaInt8.rows[1].prediction - pred.rows[1].prediction)).toBeLessThan(0.3);
    expect((await run(...argv`predict --model esol-student --smiles CCO --engine int4 --db ${db}`)).code).toBe(2);
    expect(pred.rows).toHaveLength(3);
    expect(pred.rows[0]).toMatchObject({
      input: 'CCO',
      smiles: 'CCO',
      prediction: expect.any(Number),
      maxSimilarity: expect.any(Number),
      inDomain: expect.any(Boolean),
    });
    expect(pred.rows[2]).toMatchObject({ prediction: null, note: 'unparseable structure' });
    const ev = JSON.parse((await run(...argv`evaluate --model esol-teacher --data ${data} --target logS --db ${db} --json`)).out);
    expect(ev).toMatchObject({ n: 150, censored: 10, metrics: { rmse: expect.any(Number), r2: expect.any(Number) } });
    // Censored values are bounds, not measurements: left out of the metrics, and counted.
    const bounded = join(tmp.dir, 'esol-bounded.csv');
    writeFileSync(
      bounded,
      `${rows
        .slice(0, 41)
        .map((r, i) => (i >= 1 && i <= 3 ? r.replace(/,(-?[\d.]+),/, ',<$1,') : r))
        .join('\n')}\n`,
    );
    const evb = JSON.parse((await run(...argv`evaluate --model esol-teacher --data ${bounded} --target logS --db ${db} --json`)).out);
    expect(evb).toMatchObject({ n: 37, censored: 3, unreadable: 0, metrics: { boundsKept: expect.any(Number) } });
    expect(JSON.parse((await run('predict', '--model', 'tiny', '--smiles', 'CCO', '--db', db, '--json')).out).error.code).toBe('INVALID_INPUT');

    // The distilled student as an ONNX graph that ONNX Runtime loads (parity itself: onnx-export.test.ts).
    const onnxFile = join(tmp.dir, 'student.onnx');
    expect(JSON.parse((await run(...argv`model export esol-student --format onnx --out ${onnxFile} --db ${db} --json`)).out)).toMatchObject({
      format: 'onnx',
      bytes: expect.any(Number),
    });
    const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
    const session = await ort.InferenceSession.create(onnxFile);
    // Its head reads the ECFP4 too (fingerprint-aware, the default).
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'fp']);
    expect(session.outputNames).toEqual(['pooled', 'task']);
    await session.release();
  }, 300_000);
});
