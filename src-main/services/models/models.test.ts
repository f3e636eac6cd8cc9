import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database';
import { corpusSlice, sharedData, tempDir } from '../../test/helpers';
import { DESCRIPTOR_NAMES } from '../../../src-shared/descriptors';
import type { Descriptors } from '../../../src-shared/dto';
import { descriptorsOfSmiles, loadRdkit, morganOf } from '../../chem/rdkit';
import { Scorer } from '../../screen/scorer';
import type { TaskModelSpec } from '../../train/predict-types';
import { DEFAULT_QSAR } from '../../train/qsar-settings';
import { DEFAULT_DISTILL, DEFAULT_PRETRAIN, type PretrainSettings } from '../../train/settings';
import { type PretrainResult, modelServices } from '.';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = join(tmp.dir, 'corpus.csv');
writeFileSync(corpus, `smiles\n${corpusSlice(600).join('\n')}\n`);

// The tiny architecture of these tests' pretraining runs, as the CLI takes it.
const ARCH = '--layers 2 --hidden 32 --heads 2 --ff 64 --batch 8 --max-steps 40 --checkpoint-every 4 --backend wasm'.split(' ');
const settings: PretrainSettings = {
  ...DEFAULT_PRETRAIN,
  architecture: { layers: 2, hidden: 32, heads: 2, ff: 64, maxLen: DEFAULT_PRETRAIN.architecture.maxLen, dropout: 0.1, shareLayers: false },
  batch: 8,
  maxSteps: 40,
  timeBudgetSeconds: null,
  checkpointEvery: 4,
};

describe('pretraining jobs', () => {
  const dbPath = join(tmp.dir, 'models.db');
  const db = openDatabase(dbPath);
  const { models, pretraining, training, inference } = modelServices(db);
  afterAll(() => db.close());
  // Fixtures every test below may use (each test stands on its own): a pretrained teacher and a
  // general-distilled one-layer student of it.
  let whole: PretrainResult;
  let student: PretrainResult;
  beforeAll(async () => {
    whole = await pretraining.pretrain({ corpus, out: 'whole', settings, resume: false, backend: 'wasm' });
    student = await pretraining.pretrain({
      corpus,
      out: 'student',
      settings: { ...settings, maxSteps: 6, distill: { ...DEFAULT_DISTILL, teacher: 'whole', layers: 1 } },
      resume: false,
      backend: 'wasm',
    });
  }, 300_000);

  it('a run killed mid-way resumes from its checkpoint and continues the same loss curve', async () => {
    expect(whole.curve).toHaveLength(40);
    expect(models.get('whole')).toMatchObject({ state: 'ready', steps: 40, kind: 'pretrained' });

    // The same run in a separate process, killed (SIGKILL, no clean-up) once a checkpoint is stored.
    const child = spawn(process.execPath, [join(root, 'bin/delicate.mjs'), 'pretrain', '--corpus', corpus, '--out', 'killed', ...ARCH, '--db', dbPath], {
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // A safety net only (the child reaches step 4 in seconds): generous for a loaded machine.
    const deadline = Date.now() + 150_000;
    let killedAt = 0;
    while (Date.now() < deadline) {
      const row = db.prepare(`SELECT steps, state FROM models WHERE name = 'killed'`).get() as { steps: number; state: string } | undefined;
      if (row && row.steps >= 4) {
        child.kill('SIGKILL');
        killedAt = row.steps;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    await exited;
    expect(killedAt).toBeGreaterThanOrEqual(4);
    const interrupted = models.get('killed');
    expect(interrupted.state).toBe('training');
    expect(interrupted.steps).toBeLessThan(40);

    await expect(pretraining.pretrain({ corpus, out: 'killed', settings, resume: false })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { model: 'killed', remedy: 'resume-or-other-out' },
    });
    const resumed = await pretraining.pretrain({ corpus, out: 'killed', settings, resume: true, backend: 'wasm' });
    expect(resumed.resumedFromStep).toBeGreaterThanOrEqual(4);
    expect(resumed.steps).toBe(40);
    // Same data order, masks, dropout and optimizer state: the curve continues exactly.
    expect(resumed.curve.map((c) => c.loss)).toEqual(whole.curve.map((c) => c.loss));
    expect(resumed.mlmAccuracy).toBe(whole.mlmAccuracy);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM checkpoints`).get()).toEqual({ n: 0 });
  }, 300_000);

  it('general distillation makes a shared-layer student of the teacher, with lineage', async () => {
    const r = student;
    expect(r.curve.every((c) => typeof c.distill === 'number' && c.distill > 0)).toBe(true);
    const m = models.get('student');
    expect(m).toMatchObject({ kind: 'student', parent: ['whole'], layers: 1, shareLayers: true, state: 'ready' });
    expect(m.params).toBeLessThan(models.get('whole').params);
    await expect(
      pretraining.pretrain({ corpus, out: 'x', settings: { ...settings, distill: { ...DEFAULT_DISTILL, teacher: 'nope', layers: 1 } }, resume: false }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      pretraining.pretrain({ corpus, out: 'x', settings: { ...settings, distill: { ...DEFAULT_DISTILL, teacher: 'whole', layers: 3 } }, resume: false }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/'whole' has 2 layers/) });
  }, 120_000);

  it('derives a shared-layer teacher, then a narrower student started from it (DeLiCaTe stages 2 and 3)', async () => {
    const distill = { ...DEFAULT_DISTILL, teacher: 'whole' };
    const shared = await pretraining.pretrain({
      corpus,
      out: 'shared',
      settings: { ...settings, maxSteps: 4, distill: { ...distill, layers: 2 } },
      resume: false,
      backend: 'wasm',
    });
    expect(models.get('shared')).toMatchObject({ kind: 'shared', parent: ['whole'], layers: 2, shareLayers: true });
    // Recomputing layers in the backward pass (all but the last, whose attention is distilled) changes nothing.
    const recomputed = await pretraining.pretrain({
      corpus,
      out: 'shared-ckpt',
      settings: { ...settings, maxSteps: 4, gradientCheckpointing: true, distill: { ...distill, layers: 2 } },
      resume: false,
      backend: 'wasm',
    });
    recomputed.curve.forEach((c, i) => {
      expect(c.loss).toBeCloseTo(shared.curve[i]?.loss as number, 4);
      expect(c.distill).toBeCloseTo(shared.curve[i]?.distill as number, 4);
    });
    const r = await pretraining.pretrain({
      corpus,
      out: 'narrow',
      settings: { ...settings, maxSteps: 4, distill: { ...distill, layers: 1, ff: 16, init: 'shared' } },
      resume: false,
      backend: 'wasm',
    });
    expect(r.curve.every((c) => Number.isFinite(c.loss))).toBe(true);
    const m = models.get('narrow');
    expect(m).toMatchObject({ kind: 'student', parent: ['whole', 'shared'], layers: 1, shareLayers: true });
    const manifest = JSON.parse(models.repo.byName('narrow')?.manifest ?? '{}') as {
      config: { ff: number };
      training: { settings: { distill: { ff: number; init: string } } };
    };
    expect(manifest.config.ff).toBe(16);
    expect(manifest.training.settings.distill).toMatchObject({ ff: 16, init: 'shared' });
    // One layer with 16 of 64 feed-forward units: 2·(32·48) + 48 weights fewer than the 1-layer student.
    expect(models.get('student').params - m.params).toBe(2 * 32 * 48 + 48);
    await expect(
      pretraining.pretrain({ corpus, out: 'y', settings: { ...settings, distill: { ...distill, layers: 1, ff: 128 } }, resume: false }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      pretraining.pretrain({ corpus, out: 'z', settings: { ...settings, distill: { ...distill, layers: 1, init: 'narrow' } }, resume: false }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/16 feed-forward units or fewer/) });
  }, 120_000);

  it('runs one replicate seed on its own and distils from an already fine-tuned teacher (the QSAR bench cells)', async () => {
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-120.csv');
    writeFileSync(data, `${rows.slice(0, 121).join('\n')}\n`);
    const qsar = { ...DEFAULT_QSAR, seeds: 1, epochs: 1, split: 'random' as const };
    const base = { data, target: 'logS', task: 'regression' as const };
    const a = await training.train({ ...base, out: 'seed2', teacher: 'whole', settings: { ...qsar, firstSeed: 1 } });
    const other = await training.train({ ...base, out: 'seed1', teacher: 'whole', settings: { ...qsar, firstSeed: 0 } });
    const rmse = (r: typeof a, role: string) => r.models.find((m) => m.role === role)?.metrics.rmse as number;
    expect(rmse(other, 'teacher')).not.toBeCloseTo(rmse(a, 'teacher'), 6);
    // The fine-tuned teacher of seed 2, reused as is: the same split and the same predictions, then a student.
    const b = await training.train({
      ...base,
      out: 'seed2-d',
      teacher: 'seed2-teacher',
      settings: { ...qsar, firstSeed: 1, teacherFineTuned: true, distill: true, studentLayers: 1 },
    });
    expect(rmse(b, 'teacher')).toBeCloseTo(rmse(a, 'teacher'), 5);
    expect(rmse(b, 'baseline')).toBeCloseTo(rmse(a, 'baseline'), 10);
    expect(b.models.find((m) => m.role === 'teacher')?.trainSeqPerSec).toBe(0);
    // Training throughput per CPU second of the training thread (Linux): never below the wall-clock rate.
    const teacherA = a.models.find((m) => m.role === 'teacher');
    if (process.platform === 'linux') expect(teacherA?.trainSeqPerCpuSec).toBeGreaterThanOrEqual((teacherA?.trainSeqPerSec as number) * 0.95);
    else expect(teacherA?.trainSeqPerCpuSec).toBeNull();
    expect(Number.isFinite(rmse(b, 'student'))).toBe(true);
    expect(b.teacherSource).not.toMatch(/asked/);
    // A student deeper than its 2-layer teacher is not made: it gets the teacher's depth, and the result says so.
    const deep = await training.train({
      ...base,
      out: 'seed2-deep',
      teacher: 'seed2-teacher',
      settings: { ...qsar, firstSeed: 1, teacherFineTuned: true, distill: true, studentLayers: 5 },
    });
    expect(deep.models.find((m) => m.role === 'student')?.layers).toBe(2);
    expect(deep.teacherSource).toMatch(/applies its layer 2 times, not the 5 asked/);
    // Fine-tuning throughput on the fixed speed sample (the bench times every model with it in one run):
    // two epochs of the 512 molecules, per wall and per CPU second (the ratios are the bench's business).
    for (const name of ['seed2-teacher', 'seed2-d-student']) {
      const speed = await inference.trainingSpeed(name);
      expect(speed.sequences).toBe(1024);
      expect(speed.seqPerSec).toBeGreaterThan(0);
      if (process.platform === 'linux') expect(speed.seqPerCpuSec).toBeGreaterThanOrEqual(speed.seqPerSec * 0.95);
    }
    await expect(inference.trainingSpeed('whole')).rejects.toThrow(/no task head/);
  }, 180_000);

  it('registers a consensus of the student and the forest, recommends a model on validation, and predicts with calibrated intervals', async () => {
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-150.csv');
    writeFileSync(data, `${rows.slice(0, 151).join('\n')}\n`);
    const r = await training.train({
      data,
      target: 'logS',
      task: 'regression',
      out: 'cons',
      teacher: 'whole',
      settings: { ...DEFAULT_QSAR, seeds: 1, epochs: 1, split: 'random', distill: true, studentLayers: 1 },
    });
    expect(r.registered).toEqual(['cons-teacher', 'cons-student', 'cons-ecfp4-rf', 'cons-consensus']);
    // Student and forest, weights on a 0.05 grid summing to 1, fitted on the validation split.
    expect(r.consensus?.members.map((m) => m.name)).toEqual(['cons-student', 'cons-ecfp4-rf']);
    const weights = r.consensus?.members.map((m) => m.weight) as number[];
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    for (const w of weights) expect(Math.abs(w * 20 - Math.round(w * 20))).toBeLessThan(1e-9);
    expect(r.models.map((m) => m.role)).toEqual(['teacher', 'student', 'baseline', 'consensus']);
    // Every model states the test coverage of its 80% interval (15 validation compounds calibrate it).
    for (const m of r.models) expect(m.metrics.coverage80).toBeGreaterThanOrEqual(0);
    expect(r.recommended?.name).toMatch(/^cons-(student|ecfp4-rf|consensus|teacher)$/);
    expect(r.recommended?.why).toMatch(/validation RMSE/);
    expect(models.get('cons-consensus')).toMatchObject({
      kind: 'consensus',
      parent: ['cons-student', 'cons-ecfp4-rf'],
      task: { target: 'logS', type: 'regression' },
    });

    // The consensus predicts the weighted mean of its members' predictions, with its own interval.
    const smiles = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'not a molecule'];
    const [c, st, rf] = await Promise.all(['cons-consensus', 'cons-student', 'cons-ecfp4-rf'].map((n) => inference.predict(n, smiles)));
    const cal = models.calibration('cons-consensus');
    const half = cal && 'halfWidth' in cal ? cal.halfWidth : Number.NaN;
    expect(half).toBeGreaterThan(0);
    // The Models view and `delicate models` say how wide it is (too few validation compounds for bands); an encoder states none.
    expect([models.get('cons-consensus')?.intervals, models.get('whole')?.intervals]).toEqual([
      { level: 0.8, kind: 'interval', overall: half, bands: [] },
      null,
    ]);
    for (let i = 0; i < 3; i++) {
      const want = (weights[0] as number) * (st?.rows[i]?.prediction as number) + (weights[1] as number) * (rf?.rows[i]?.prediction as number);
      expect(c?.rows[i]?.prediction).toBeCloseTo(want, 5);
      expect(c?.rows[i]?.interval).toEqual({ level: 0.8, lower: (c?.rows[i]?.prediction as number) - half, upper: (c?.rows[i]?.prediction as number) + half });
      expect(st?.rows[i]?.interval).not.toBeNull();
    }
    expect(c?.rows[3]).toMatchObject({ prediction: null, interval: null, note: 'unparseable structure' });
    // The engine line names the members it ran (those with weight).
    for (const m of r.consensus?.members ?? []) expect(c?.engine.includes(`${m.name} (`)).toBe(m.weight > 0);

    // One file carries it with its members: imported elsewhere under another run's name, it predicts the same.
    const file = join(tmp.dir, 'cons.dlcm');
    await models.exportModel('cons-consensus', file);
    await expect(models.exportModel('cons-consensus', file, 'float32', 'onnx')).rejects.toThrow(/ONNX export is for transformers/);
    const there = modelServices(openDatabase(join(tmp.dir, 'there.db')));
    expect((await there.models.importModel(file, 'sol-consensus')).parent).toEqual(['sol-student', 'sol-ecfp4-rf']);
    const moved = await there.inference.predict('sol-consensus', smiles);
    for (let i = 0; i < 3; i++) expect(moved?.rows[i]?.prediction).toBeCloseTo(c?.rows[i]?.prediction as number, 6);
    expect(there.models.calibration('sol-consensus')).toEqual(cal);
    // A member held here as the same model is used as it is (a float16 file's too: the stored weights halved);
    // one held as another model refuses the whole file.
    const file16 = join(tmp.dir, 'cons16.dlcm');
    await models.exportModel('cons-consensus', file16, 'float16');
    there.models.delete('sol-consensus');
    there.models.rename('sol-ecfp4-rf', 'old-rf');
    expect((await there.models.importModel(file16, 'sol-consensus')).name).toBe('sol-consensus');
    there.models.delete('sol-consensus');
    there.models.rename('sol-student', 'kept-student');
    there.models.rename('old-rf', 'sol-student');
    await expect(there.models.importModel(file, 'sol-consensus')).rejects.toThrow(/member 'sol-student' exists here as another model/);
    expect(
      there.models
        .list()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['kept-student', 'sol-ecfp4-rf', 'sol-student']);
    expect(() => models.encoderSpec('cons-consensus')).toThrow(/not a transformer/); // and a deleted member is named:
    expect(models.delete('cons-ecfp4-rf')).toBe(true);
    expect(() => models.scoringSpec('cons-consensus')).toThrow(/combines 'cons-ecfp4-rf', which was deleted/);
  }, 240_000);

  it('fingerprint- and descriptor-aware heads: both read beside the SMILES, and predict and screens score alike on ONNX Runtime and TF.js', async () => {
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-120.csv');
    writeFileSync(data, `${rows.slice(0, 121).join('\n')}\n`);
    const settings = { ...DEFAULT_QSAR, seeds: 1, epochs: 1, split: 'random' as const, distill: true, studentLayers: 1, fpHead: true, descHead: true };
    await training.train({ data, target: 'logS', task: 'regression', out: 'fph', teacher: 'whole', settings });
    const smiles = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'not a molecule'];
    const rd = await loadRdkit();
    for (const name of ['fph-teacher', 'fph-student']) {
      const spec = models.scoringSpec(name) as TaskModelSpec;
      expect(spec).toMatchObject({ config: { task: { type: 'regression', fp: 2048, desc: { names: [...DESCRIPTOR_NAMES] } } } });
      // Standardised on ESOL's training split: a mean molecular weight of a few hundred, every sd positive.
      const desc = spec.config.task?.desc;
      expect([(desc?.mean[0] ?? 0) > 100 && (desc?.mean[0] ?? 0) < 500, desc?.sd.every((v) => v > 0)]).toEqual([true, true]);
      expect(models.list().find((m) => m.name === name)).toMatchObject({ descHead: true, fpHead: true });
      const [onnx, tfjs] = [await inference.predict(name, smiles, 'onnxruntime'), await inference.predict(name, smiles, 'tfjs')];
      for (let i = 0; i < 3; i++) expect(onnx?.rows[i]?.prediction).toBeCloseTo(tfjs?.rows[i]?.prediction as number, 4);
      expect(onnx?.rows[3]).toMatchObject({ prediction: null, note: 'unparseable structure' });
      // A screen reads the stored ECFP4 and descriptors (computing those still to come) and scores as predict
      // does; descriptors that are not the structure's change the score (they are read), except for an
      // isotope-labelled compound, whose are those of its model SMILES.
      const scorer = await Scorer.create([spec], 'onnxruntime');
      const read = (onnx?.rows ?? []).slice(0, 3).map((r) => r.smiles as string);
      const scores = async (d: (s: string) => Descriptors | null, label = (s: string) => s) => {
        const items = read.map((s, id) => ({ id, smiles: label(s), modelSmiles: s, fp: morganOf(rd, s) as Uint8Array, descriptors: d(s) }));
        return Array.from((await scorer.score(items)).models[0]?.score ?? []);
      };
      const stored = (s: string) => descriptorsOfSmiles(rd, s);
      const wrong = (s: string) => ({ ...(stored(s) as Descriptors), mw: 900, clogp: -4 });
      const want = read.map((_, i) => onnx?.rows[i]?.prediction as number);
      for (const got of [await scores(() => null), await scores(stored), await scores(wrong, (s) => `[2H]${s}`)])
        got.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 4));
      expect((await scores(wrong)).some((v, i) => Math.abs(v - (want[i] as number)) > 1e-3)).toBe(true);
      await scorer.release();
    }
  }, 240_000);

  it('a training run killed mid-way is saved every epoch and resumes by name where it stopped, ending as an uninterrupted run', async () => {
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-80.csv');
    writeFileSync(data, `${rows.slice(0, 81).join('\n')}\n`);
    const qsar = { ...DEFAULT_QSAR, seeds: 1, epochs: 2, split: 'random' as const, distill: true, studentLayers: 1 };
    const req = { data, target: 'logS', task: 'regression' as const, teacher: 'whole', settings: qsar };
    const ref = await training.train({ ...req, out: 'whole-run' });
    expect(training.runs.get('whole-run')).toBeNull();

    // The same run from the CLI in a separate process on a copy of the file, killed (SIGKILL, no clean-up)
    // in the student's distillation; then the copy is deleted: the run keeps its own.
    const copy = join(tmp.dir, 'esol-80-copy.csv');
    writeFileSync(copy, readFileSync(data));
    const args = [
      'train',
      '--data',
      copy,
      '--target',
      'logS',
      '--task',
      'regression',
      '--teacher',
      'whole',
      '--distill',
      '--student-layers',
      '1',
      '--split',
      'random',
      '--seeds',
      '1',
      '--epochs',
      '2',
      '--out',
      'cut',
      '--backend',
      'wasm',
      '--db',
      dbPath,
    ];
    const child = spawn(process.execPath, [join(root, 'bin/delicate.mjs'), ...args], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && training.runs.get('cut')?.progress.stage !== 'distill') await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await exited;
    rmSync(copy);
    const saved = training.runs.get('cut');
    expect(saved?.progress).toMatchObject({ seed: 1, seeds: 1, stage: 'distill', epochs: 2 });
    expect(training.runs.list()).toEqual([expect.objectContaining({ name: 'cut', target: 'logS', data: copy })]);
    expect(models.repo.byName('cut-teacher')).toBeNull();
    // Not started over by mistake, not resumed with other settings, data or models.
    await expect(training.train({ ...req, out: 'cut' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/interrupted/),
      details: { run: 'cut', remedy: 'resume-or-restart' },
    });
    // The command line phrases that remedy with its own flags.
    const cli = spawnSync(process.execPath, [join(root, 'bin/delicate.mjs'), ...args.map((a) => (a === copy ? data : a))], { encoding: 'utf8' });
    expect([cli.status, cli.stderr]).toEqual([
      1,
      expect.stringMatching(/'cut' was interrupted \(.*\): add --resume to continue it, or --restart to start it over\n$/),
    ]);
    await expect(training.train({ ...req, out: 'cut', resume: true, settings: { ...qsar, epochs: 3 } })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/other data, columns, settings or models/),
    });
    expect(await training.interrupted({ ...req, out: 'cut', settings: { ...qsar, alpha: 0.9 } })).toMatchObject({ matches: false });
    // The CLI's settings are the same run as these (same values, whatever their order).
    expect(await training.interrupted({ ...req, out: 'cut' })).toMatchObject({ matches: true, progress: { stage: 'distill' } });
    await expect(training.resumeRun('nothing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A teacher renamed meanwhile is the same model: the run resumes from it under its new name.
    models.rename('whole', 'whole-renamed');
    expect(await training.interrupted({ ...req, out: 'cut', teacher: 'whole-renamed' })).toMatchObject({ matches: true });
    const messages: string[] = [];
    const resumed = await training.resumeRun('cut', { onProgress: (m) => messages.push(m) }).finally(() => models.rename('whole-renamed', 'whole'));
    expect(models.get('cut-teacher').parent).toEqual(['whole']);
    expect(resumed.resumedFrom).toEqual(saved?.progress);
    expect(messages.filter((m) => /teacher epoch/.test(m))).toEqual([]);
    expect(messages.filter((m) => /student epoch/.test(m))).toHaveLength(2 - (saved?.progress.epoch ?? 0));
    expect(resumed.models.map((m) => m.metrics)).toEqual(ref.models.map((m) => m.metrics));
    expect(resumed.predictions).toEqual(ref.predictions);
    const weights = (name: string) => models.repo.weights(models.repo.byName(name)?.id as number) as Buffer;
    expect(Buffer.compare(weights('cut-student'), weights('whole-run-student'))).toBe(0);
    expect(training.runs.get('cut')).toBeNull();

    // Cancelled, a run says how to go on; --restart discards it and trains from the start.
    const abort = new AbortController();
    await expect(
      training.train({ ...req, out: 'over' }, { signal: abort.signal, onProgress: (m) => /teacher epoch 1\//.test(m) && abort.abort() }),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
      message: expect.stringMatching(/saved after seed 1 of 1, teacher epoch 1 of 2$/),
      details: { run: 'over', remedy: 'resume-run' },
    });
    const restarted = await training.train({ ...req, out: 'over', restart: true });
    expect(restarted.resumedFrom).toBeNull();
    expect(restarted.models.map((m) => m.metrics)).toEqual(ref.models.map((m) => m.metrics));
    expect(training.discardRun('over')).toBe(false);
  }, 300_000);

  it('cancels with a checkpoint, exports and imports a model file', async () => {
    const abort = new AbortController();
    const run = pretraining.pretrain(
      { corpus, out: 'cancelled', settings, resume: false, backend: 'wasm' },
      { signal: abort.signal, onProgress: (p) => p.step === 6 && abort.abort() },
    );
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    const m = models.get('cancelled');
    expect(m.state).toBe('cancelled');
    expect(m.steps).toBeGreaterThanOrEqual(6);

    const file = join(tmp.dir, 'whole.dlcm');
    const exported = await models.exportModel('whole', file, 'float16');
    expect(exported.bytes).toBeGreaterThan(1000);
    const imported = await models.importModel(file, 'whole-copy');
    expect(imported).toMatchObject({ name: 'whole-copy', state: 'ready', params: models.get('whole').params, steps: 40 });
    await expect(models.importModel(file)).rejects.toMatchObject({ code: 'CONFLICT' });
    // Lineage and configuration survive the round trip.
    const sfile = join(tmp.dir, 'student.dlcm');
    await models.exportModel('student', sfile);
    const copy = await models.importModel(sfile, 'student-copy');
    const { name: _a, createdAt: _b, ...orig } = models.get('student');
    const { name: _c, createdAt: _d, ...back } = copy;
    expect(back).toEqual(orig);
    expect(JSON.parse(models.repo.byName('student-copy')?.manifest ?? '{}')).toEqual(JSON.parse(models.repo.byName('student')?.manifest ?? ''));
    await expect(models.importModel(corpus)).rejects.toMatchObject({ code: 'PARSE_ERROR' });
    await expect(models.exportModel('cancelled', file)).rejects.toMatchObject({ code: 'CONFLICT' });
  }, 120_000);
});
