// `npm run bench -- qsar`: DeLiCaTe on the MoleculeNet sets in ../shared/data — teacher, shared-layer
// teacher, KD student, DeLiCaTe student and ECFP4+RF on the same splits and seeds.
//
//   npm run bench -- qsar [--db PATH] [--teacher T --shared-teacher S --student D] [--datasets esol,bbbp]
//                         [--splits scaffold,random] [--seeds 3] [--epochs 15] [--student-layers 3] [--fresh]
//                         [--roles teacher,shared,kd,delicate,fp,desc]   (a subset of the work; fp: the teacher and
//                                               the DeLiCaTe student with fingerprint-aware heads, what train
//                                               gives by default; desc: heads that read the ECFP4 and the RDKit
//                                               descriptors, --desc-head)
//                         [--until HH:MM]   (a machine lent until then: tasks that end in time first)
//   Run it once per core: the processes share the work through claim files next to the database. The fp
//   and desc roles' teachers are tasks of their own: without --student (e.g. while the base student is
//   still being distilled) --teacher T --roles fp fine-tunes them only.
//                         [--report]   (no training: the table from the cells measured so far)
//                         [--same-run-speed]   (re-measure every model's inference back to back: ratios from one run;
//                                               with --report, on an idle machine, for the final table)
//                         [--same-run-speed-from FILE]   (with --report: the same-run speeds of an earlier
//                                               --same-run-speed report, e.g. bench/results/qsar.json, when the
//                                               database that held the models is gone)
//   npm run bench -- qsar --quick     tiny models made on the fly from 5,000 corpus molecules, ESOL, one seed (minutes):
//                                     checks the pipeline, not the science
//
// The full run is many CPU hours, so it is resumable: every (data set, split, seed, model) cell is one
// training run whose result is kept in bench/results/qsar-cells.json as soon as it finishes, and a later
// run (another session) skips the cells already there for the same models and settings (--fresh ignores
// them). Without model names the shipped base models are used (registered into the bench database). For
// each seed the teacher is fine-tuned once; the DeLiCaTe and KD students are distilled from that same
// fine-tuned teacher, which stays in the bench database (when it is gone it is fine-tuned again, with
// the same seed, so the same).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { openDatabase } from '../src-main/db/database';
import { shippedModelsDir } from '../src-main/services/app-context';
import { BASE_SHARED_TEACHER, BASE_STUDENT, BASE_TEACHER, type TrainRequest, type TrainResult, modelServices } from '../src-main/services/models';
import { DEFAULT_QSAR, type QsarSettings } from '../src-main/train/qsar-settings';
import { DEFAULT_DISTILL, DEFAULT_PRETRAIN } from '../src-main/train/settings';
import { meanSd } from '../src-main/train/metrics';
import {
  type Cell,
  doneShare,
  GOALS,
  goalLines,
  metricLabel,
  modelGoalLines,
  referenceRows,
  ROLES,
  type Role,
  type SummaryRow,
  teacherGoalLines,
  teacherOf,
  untilOrder,
  untilTime,
  worseThanTeacher,
} from './_qsar-summary';
import { pidAlive } from '../src-main/util/process';
import { weightsTag } from '../src-main/services/models/shipped';
import { machine, report, resultsDir } from './_report';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data');
const SETS: Record<string, { file: string; target: string; task: 'regression' | 'classification' }> = {
  // Cheapest first, so a partial run (the bench takes several sessions) has whole data sets.
  esol: { file: 'qsar/esol.csv', target: 'logS', task: 'regression' },
  freesolv: { file: 'qsar/freesolv.csv', target: 'expt', task: 'regression' },
  bace: { file: 'qsar/bace.csv', target: 'class', task: 'classification' },
  bbbp: { file: 'qsar/bbbp.csv', target: 'p_np', task: 'classification' },
  lipophilicity: { file: 'qsar/lipophilicity.csv', target: 'logD', task: 'regression' },
  // BACE's potencies (pIC50) as a regression: the public set closest to in-house potency SAR.
  'bace-pic50': { file: 'qsar/bace.csv', target: 'pIC50', task: 'regression' },
};
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      teacher: { type: 'string' },
      'shared-teacher': { type: 'string' },
      student: { type: 'string' },
      datasets: { type: 'string' },
      splits: { type: 'string' },
      seeds: { type: 'string' },
      epochs: { type: 'string' },
      'student-layers': { type: 'string' },
      roles: { type: 'string' },
      report: { type: 'boolean', default: false },
      'same-run-speed': { type: 'boolean', default: false },
      'same-run-speed-from': { type: 'string' },
      'reference-teacher': { type: 'string' },
      until: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick;
  const dbPath = resolve(values.db ?? (quick ? join(mkdtempSync(join(tmpdir(), 'delicate-bench-')), 'bench.db') : join(here, '../.tmp/bench-qsar/bench.db')));
  mkdirSync(dirname(dbPath), { recursive: true });
  const db = openDatabase(dbPath);
  const { models, pretraining, training, inference } = modelServices(db);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  let names = { teacher: values.teacher, shared: values['shared-teacher'], student: values.student };
  /** Models whose name holds their content's hash (the shipped files): the name alone identifies them. */
  const contentNamed = new Set<string>();
  const k = Number(values['student-layers'] ?? (quick ? 2 : DEFAULT_QSAR.studentLayers));
  if (quick) {
    // Tiny base models from the corpus: enough to exercise every path, not to judge the method.
    // The first 5,000 corpus molecules: reading and tokenising all 150k three times took most of a quick run.
    const corpus = join(dirname(dbPath), 'corpus-5k.csv');
    writeFileSync(
      corpus,
      `${gunzipSync(readFileSync(join(data, 'pretrain/chembl31_150k.csv.gz')))
        .toString('utf8')
        .split('\n', 5001)
        .join('\n')}\n`,
    );
    const arch = { ...DEFAULT_PRETRAIN.architecture, layers: 4, hidden: 64, heads: 4, ff: 256 };
    const base = { ...DEFAULT_PRETRAIN, maxSteps: 60, timeBudgetSeconds: null, batch: 32, checkpointEvery: 1000 };
    log('quick: pretraining a tiny teacher, deriving a tiny shared-layer teacher and distilling a tiny student from it');
    await pretraining.pretrain({ corpus, out: 'q-teacher', settings: { ...base, architecture: arch }, resume: false });
    await pretraining.pretrain({
      corpus,
      out: 'q-shared',
      settings: { ...base, distill: { ...DEFAULT_DISTILL, teacher: 'q-teacher', layers: arch.layers } },
      resume: false,
    });
    await pretraining.pretrain({
      corpus,
      out: 'q-student',
      settings: { ...base, distill: { ...DEFAULT_DISTILL, teacher: 'q-teacher', layers: k, init: 'q-shared', ff: 128 } },
      resume: false,
    });
    names = { teacher: 'q-teacher', shared: 'q-shared', student: 'q-student' };
  } else if (!names.teacher) {
    // The shipped files, registered under their content hash: a changed shipped model is a new model here.
    const shipped = (base: string) => {
      const file = join(shippedModelsDir(), `${base}.dlcm`);
      if (!existsSync(file)) return undefined;
      const buf = readFileSync(file);
      const name = `${base}-${createHash('sha256').update(buf).digest('hex').slice(0, 10)}`;
      if (!models.repo.byName(name)) models.importBuffer(buf, file, name);
      contentNamed.add(name);
      return name;
    };
    names = {
      teacher: shipped(BASE_TEACHER) ?? BASE_TEACHER,
      shared: names.shared ?? shipped(BASE_SHARED_TEACHER),
      student: names.student ?? shipped(BASE_STUDENT),
    };
  }
  // Shipped files registered by an earlier run under their content hash stay content-named when other base
  // models are given (--teacher …): cells of theirs, e.g. a --reference-teacher's, keep their identity.
  const hashed = new RegExp(`^(${[BASE_TEACHER, BASE_SHARED_TEACHER, BASE_STUDENT].join('|')})-[0-9a-f]{10}$`);
  for (const m of models.repo.list()) if (hashed.test(m.name)) contentNamed.add(m.name);
  const teacherName = names.teacher as string;
  for (const n of [teacherName, names.shared, names.student])
    if (n && models.repo.byName(n)?.state !== 'ready') throw new Error(`model ${n} is not in ${dbPath} (or not finished)`);
  const datasets = (values.datasets ?? (quick ? 'esol' : Object.keys(SETS).join(','))).split(',');
  const splits = (values.splits ?? 'scaffold,random').split(',') as Array<QsarSettings['split']>;
  const seeds = Number(values.seeds ?? (quick ? 1 : 3));
  // Plain heads but in the fp and desc roles (their cells name fpHead, descHead): the cells of the other roles
  // were measured with them.
  const settings: QsarSettings = {
    ...DEFAULT_QSAR,
    fpHead: false,
    descHead: false,
    seeds: 1,
    epochs: Number(values.epochs ?? (quick ? 2 : DEFAULT_QSAR.epochs)),
    studentLayers: k,
  };
  // A cell is valid for the same settings and the same models behind it (by identity: the name of a
  // content-named model, else name and creation time): the teacher and forest cells depend on the base
  // teacher only, the students also on theirs. A content-named model is the same model in any database,
  // so the cells survive a lost bench database (a fresh checkout registers the shipped files anew).
  const identity = (n: string | undefined) => (n ? (contentNamed.has(n) ? n : `${n}@${models.get(n).createdAt}`) : '-');
  /** Older cells named content-named models with their registration time too: the same identity. */
  const normalised = (fingerprint: string) => [...contentNamed].reduce((f, n) => f.replaceAll(new RegExp(`"${n}@[^"]*"`, 'g'), `"${n}"`), fingerprint);
  const common = { epochs: settings.epochs, batch: settings.batch, lengthPool: settings.lengthPool, lr: settings.lr, timing: 'cpu' };
  // What a DeLiCaTe run's cells depend on (the key order is the stored fingerprints').
  const delicateRun = {
    ...common,
    teacher: identity(teacherName),
    student: identity(names.student),
    augment: settings.augment,
    alpha: settings.alpha,
    hidden: settings.hiddenWeight,
  };
  // A student with side weights (fingerprint or descriptor heads) distils them at the base rate since 2026-12-07 (FitOptions.sideLrScale).
  const sideRun = { ...delicateRun, fpHead: true, sideLr: 1 };
  const fingerprints: Record<Role, string> = {
    teacher: JSON.stringify({ ...common, teacher: identity(teacherName) }),
    'ECFP4 + RF': JSON.stringify({ ...common, teacher: identity(teacherName) }),
    'shared-layer teacher': JSON.stringify({ ...common, shared: identity(names.shared) }),
    'KD student': JSON.stringify({
      ...common,
      teacher: identity(teacherName),
      k,
      augment: settings.augment,
      alpha: settings.alpha,
      hidden: settings.hiddenWeight,
    }),
    'DeLiCaTe student': JSON.stringify(delicateRun),
    // Fingerprint-aware heads (train --fp-head): the teacher fine-tuned with one, the student distilled from it.
    'fp-head teacher': JSON.stringify({ ...common, teacher: identity(teacherName), fpHead: true }),
    'fp-head DeLiCaTe student': JSON.stringify(sideRun),
    // Made by the DeLiCaTe run: the same models and settings behind them.
    consensus: JSON.stringify({ ...delicateRun, consensus: 'student+forest' }),
    recommended: JSON.stringify({ ...delicateRun, recommended: 'validation' }),
    // Made by the fp run (what `train` gives by default now).
    'fp-head consensus': JSON.stringify({ ...sideRun, consensus: 'student+forest' }),
    'fp-head recommended': JSON.stringify({ ...sideRun, recommended: 'validation' }),
    // Made by the desc run: fingerprint- and descriptor-aware heads.
    'desc-head teacher': JSON.stringify({ ...common, teacher: identity(teacherName), fpHead: true, descHead: true }),
    'desc-head DeLiCaTe student': JSON.stringify({ ...sideRun, descHead: true }),
    'desc-head consensus': JSON.stringify({ ...sideRun, descHead: true, consensus: 'student+forest' }),
    'desc-head recommended': JSON.stringify({ ...sideRun, descHead: true, recommended: 'validation' }),
  };
  const cellsFile = join(resultsDir, 'qsar-cells.json');
  const readCells = (): Array<Cell & { fingerprint: string }> =>
    existsSync(cellsFile)
      ? (JSON.parse(readFileSync(cellsFile, 'utf8')) as { cells: Array<Cell & { fingerprint: string }> }).cells.map((c) => ({
          ...c,
          fingerprint: normalised(c.fingerprint),
        }))
      : [];
  const stored = quick ? [] : readCells();
  // Cells of other models or settings stay in the file (another configuration's run) but are not used.
  const kept = stored.filter((c) => values.fresh || c.fingerprint !== fingerprints[c.role]);
  const cells = new Map<string, Cell>(stored.filter((c) => !values.fresh && c.fingerprint === fingerprints[c.role]).map((c) => [c.key, c]));
  if (cells.size) log(`${cells.size} cells already measured with these models and settings (bench/results/qsar-cells.json): skipped`);
  const save = () => {
    if (quick) return;
    mkdirSync(resultsDir, { recursive: true });
    // Merged with what is in the file now: another process (--roles) may have added cells meanwhile.
    const onDisk = readCells();
    const merged = new Map([...kept, ...onDisk].map((c) => [`${c.key}|${c.fingerprint}`, c]));
    for (const c of cells.values()) merged.set(`${c.key}|${fingerprints[c.role]}`, { ...c, fingerprint: fingerprints[c.role] });
    const tmp = `${cellsFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ cells: [...merged.values()] }, null, 2)}\n`);
    renameSync(tmp, cellsFile);
  };
  // --roles splits the work (e.g. one process per core): teacher (with the forest), shared, kd, delicate, fp, desc.
  const roles = new Set(values.report ? [] : (values.roles ?? 'teacher,shared,kd,delicate,fp,desc').split(','));
  for (const r of roles)
    if (!['teacher', 'shared', 'kd', 'delicate', 'fp', 'desc'].includes(r))
      throw new Error(`unknown role ${r} in --roles (teacher, shared, kd, delicate, fp, desc)`);
  const keyOf = (ds: string, split: string, seed: number, role: Role) => `${ds}/${split}/${seed}/${role}`;

  // The work: one task per cell (the teacher task also measures the forest on its split). Processes
  // sharing the bench (one per core) claim tasks through lock files, so none is done twice; the students
  // wait for their seed's fine-tuned teacher while another process is still training it.
  interface Task {
    ds: string;
    split: QsarSettings['split'];
    seed: number;
    role: 'teacher' | 'shared' | 'kd' | 'delicate' | 'fp' | 'desc' | 'fp-teacher' | 'desc-teacher';
    cells: Role[];
  }
  /** The --roles group of a task: the fp and desc runs' teachers are tasks of their own (see below). */
  const groupOf = (t: Task) => t.role.replace(/-teacher$/, '');
  const tasks: Task[] = [];
  for (const ds of datasets) {
    if (!SETS[ds]) throw new Error(`unknown dataset ${ds}: ${Object.keys(SETS).join(', ')}`);
    for (const split of splits) {
      for (let seed = 0; seed < seeds; seed++) {
        const t = (role: Task['role'], c: Role[]) => ({ ds, split, seed, role, cells: c });
        tasks.push(t('teacher', ['teacher', 'ECFP4 + RF']));
        // The DeLiCaTe run also gives its consensus (student + forest) and its recommended model.
        if (names.student) tasks.push(t('delicate', ['DeLiCaTe student', 'consensus', 'recommended']));
        tasks.push(t('kd', ['KD student']));
        // Its own teacher (fine-tuned with the fingerprint-aware head), then the student distilled from it: two
        // tasks, so the teachers can be fine-tuned before the base student exists (another process may be
        // distilling it) and a change of the student's recipe leaves them measured. The student's run takes the
        // teacher as fine-tuned (the same cells as one run doing both: reused-teacher.test.ts).
        tasks.push(t('fp-teacher', ['fp-head teacher']));
        if (names.student) tasks.push(t('fp', ['fp-head DeLiCaTe student', 'fp-head consensus', 'fp-head recommended']));
        tasks.push(t('desc-teacher', ['desc-head teacher']));
        if (names.student) tasks.push(t('desc', ['desc-head DeLiCaTe student', 'desc-head consensus', 'desc-head recommended']));
        if (names.shared) tasks.push(t('shared', ['shared-layer teacher']));
      }
    }
  }
  // Cells other processes measured: the file, re-read at most every few seconds (the loop asks often).
  let onDisk = { at: -Infinity, keys: new Set<string>() };
  const measuredOnDisk = () => {
    if (!quick && performance.now() - onDisk.at > 5_000)
      onDisk = {
        at: performance.now(),
        keys: new Set(
          readCells()
            .filter((c) => c.fingerprint === fingerprints[c.role])
            .map((c) => c.key),
        ),
      };
    return onDisk.keys;
  };
  const measured = (key: string) => cells.has(key) || measuredOnDisk().has(key);
  const taskDone = (t: Task) => t.cells.every((r) => measured(keyOf(t.ds, t.split, t.seed, r)));
  const claimsDir = join(dirname(dbPath), 'claims');
  mkdirSync(claimsDir, { recursive: true });
  const claimFile = (t: Task) => join(claimsDir, `${t.ds}-${t.split}-${t.seed}-${t.role}.pid`);
  /** The pid holding a task, or null; a claim left by a process that is gone is removed. */
  const holder = (t: Task): number | null => {
    const f = claimFile(t);
    if (!existsSync(f)) return null;
    const pid = Number(readFileSync(f, 'utf8'));
    if (pid === process.pid || pidAlive(pid)) return pid;
    rmSync(f, { force: true });
    return null;
  };
  const claim = (t: Task): boolean => {
    if (holder(t) !== null) return false;
    try {
      writeFileSync(claimFile(t), String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      return false; // another process claimed it between the check and the write
    }
  };
  /** The task that fine-tunes the teacher a task's student distils from: the plain one, or its heads' own. */
  const teacherTask = (t: Task) => {
    const role = t.role === 'fp' || t.role === 'desc' ? `${t.role}-teacher` : 'teacher';
    return tasks.find((x) => x.role === role && x.ds === t.ds && x.split === t.split && x.seed === t.seed) as Task;
  };
  const prefixOf = (t: Task) => `${quick ? 'q' : 'b'}-${t.ds}-${t.split}-${t.seed}`;
  /** The task's training run (--out): its models are OUT-teacher and OUT-student. */
  const outOf = (t: Task) =>
    `${prefixOf(t)}-${{ teacher: 't', shared: 's', delicate: 'd', kd: 'k', fp: 'f', desc: 'x', 'fp-teacher': 'ft', 'desc-teacher': 'xt' }[t.role]}`;
  /** This seed's fine-tuned teacher, when its cell is measured with the current settings (an older one may linger in the database). */
  const tunedTeacher = (t: Task) => {
    const tt = teacherTask(t);
    const name = `${outOf(tt)}-teacher`;
    return taskDone(tt) && models.repo.byName(name)?.state === 'ready' ? name : null;
  };
  /**
   * A student starts once its seed's teacher task is done (it distils from that fine-tuned teacher, or
   * fine-tunes one itself when the database lost it); while another process trains that teacher it waits.
   * Without the teacher role and with nobody training it, it fine-tunes its own.
   */
  const runnable = (t: Task) => {
    if (t.role === 'teacher' || t.role === 'shared' || t.role === 'fp-teacher' || t.role === 'desc-teacher') return true;
    const tt = teacherTask(t);
    if (taskDone(tt)) return true;
    if (holder(tt) !== null) return false;
    return !roles.has(groupOf(tt));
  };

  const runTask = async (task: Task) => {
    const { ds, split, seed, role } = task;
    const started = performance.now();
    const set = SETS[ds] as (typeof SETS)[string];
    const base = { data: join(data, set.file), target: set.target, task: set.task };
    const s: QsarSettings = { ...settings, split, firstSeed: seed };
    const prefix = prefixOf(task);
    const record = async (cellRole: Role, r: TrainResult, modelRole: 'teacher' | 'student' | 'baseline' | 'consensus' | 'recommended') => {
      const rec = r.recommended;
      const m =
        modelRole === 'recommended'
          ? rec && { ...(r.models.find((x) => x.role === rec.role) as TrainResult['models'][number]), name: rec.name, metrics: rec.metrics }
          : r.models.find((x) => x.role === modelRole);
      if (!m) throw new Error(`${prefix}: no ${modelRole} in the result`);
      // Inference speed once per data set and split (the first seed): it depends on the model, not the seed
      // (a forest, a consensus and the recommended pick have no transformer speed of their own to time).
      const speed =
        modelRole !== 'teacher' && modelRole !== 'student'
          ? null
          : seed > 0
            ? null
            : { onnxruntime: await inference.inferenceSpeed(m.name, 'onnxruntime'), tfjs: await inference.inferenceSpeed(m.name, 'tfjs') };
      // Seconds per epoch over the task's training set, from the measured training throughput (so a
      // distilled student's augmented SMILES do not inflate its epochs), per CPU second of the training
      // thread where the OS says (the cells run over days, under different loads: wall time would compare
      // a busy hour with an idle one), else per wall-clock second.
      const rate = m.trainSeqPerCpuSec ?? m.trainSeqPerSec;
      const perEpoch = rate ? r.n.train / rate : m.trainSeconds;
      cells.set(keyOf(ds, split, seed, cellRole), {
        key: keyOf(ds, split, seed, cellRole),
        dataset: ds,
        split,
        seed,
        role: cellRole,
        name: m.name,
        params: m.params,
        layers: m.layers,
        metrics: m.metrics,
        trainSecondsPerEpoch: perEpoch,
        trainSeqPerSec: m.trainSeqPerSec,
        trainSeqPerCpuSec: m.trainSeqPerCpuSec,
        inference: speed,
        taskSeconds: (performance.now() - started) / 1000,
        cpu: machine().cpu,
        ...(modelRole === 'recommended' && rec ? { picked: rec.role } : {}),
      });
      save();
    };
    const train = async (out: string, req: Partial<TrainRequest> & { settings: QsarSettings }) => {
      log(`${ds} / ${split} / seed ${seed + 1}: ${out}`);
      const full = { ...base, ...req, out };
      // A run of this task cut off in this database (a crash, a kill) goes on from its last epoch: its
      // counters (CPU seconds included) carry over, so the cell is the uninterrupted run's.
      const cut = await training.interrupted(full);
      if (cut?.matches) return training.train({ ...full, resume: true }, { onProgress: (m) => log(`  ${m}`) });
      for (const m of ['teacher', 'student', 'consensus']) if (models.repo.byName(`${out}-${m}`)) models.delete(`${out}-${m}`);
      return training.train({ ...full, ...(cut ? { restart: true } : {}) }, { onProgress: (m) => log(`  ${m}`) });
    };
    if (role === 'teacher') {
      const r = await train(outOf(task), { teacher: teacherName, settings: { ...s, distill: false } });
      await record('teacher', r, 'teacher');
      await record('ECFP4 + RF', r, 'baseline');
      return;
    }
    if (role === 'shared') {
      const r = await train(outOf(task), { teacher: names.shared as string, settings: { ...s, distill: false } });
      await record('shared-layer teacher', r, 'teacher');
      return;
    }
    if (role === 'fp-teacher' || role === 'desc-teacher') {
      const descHead = role === 'desc-teacher';
      const r = await train(outOf(task), { teacher: teacherName, settings: { ...s, distill: false, fpHead: true, descHead } });
      await record(descHead ? 'desc-head teacher' : 'fp-head teacher', r, 'teacher');
      return;
    }
    if (role === 'fp' || role === 'desc') {
      const descHead = role === 'desc';
      // From its heads' fine-tuned teacher; where the database lost it, one run fine-tunes and distils.
      const tuned = tunedTeacher(task);
      const r = await train(outOf(task), {
        teacher: tuned ?? teacherName,
        student: names.student as string,
        settings: { ...s, distill: true, fpHead: true, descHead, ...(tuned ? { teacherFineTuned: true } : {}) },
      });
      const head = descHead ? 'desc-head' : 'fp-head';
      if (!tuned) await record(`${head} teacher`, r, 'teacher');
      await record(`${head} DeLiCaTe student`, r, 'student');
      await record(`${head} consensus`, r, 'consensus');
      await record(`${head} recommended`, r, 'recommended');
      return;
    }
    // The students distil from this seed's fine-tuned teacher when the database has it.
    const tuned = tunedTeacher(task);
    const fromTuned = tuned ? { teacher: tuned, settings: { ...s, teacherFineTuned: true } } : { teacher: teacherName, settings: s };
    if (role === 'delicate') {
      const r = await train(outOf(task), { ...fromTuned, student: names.student as string, settings: { ...fromTuned.settings, distill: true } });
      await record('DeLiCaTe student', r, 'student');
      await record('consensus', r, 'consensus');
      await record('recommended', r, 'recommended');
    } else {
      const r = await train(outOf(task), { ...fromTuned, settings: { ...fromTuned.settings, distill: true, studentShared: false } });
      await record('KD student', r, 'student');
    }
  };

  // --until: a machine lent until a known time (a work session) starts first the tasks that their
  // measured duration (the same set and role, earlier seeds or splits), less what an interrupted run of
  // theirs already did, says would end in time; then the others (see untilOrder). Tasks never measured
  // yet count as ending in time.
  const until = values.until === undefined ? null : untilTime(values.until);
  const secondsLeft =
    (measured: Cell[]) =>
    (t: Task): number | null => {
      const took = measured.filter((c) => c.dataset === t.ds && c.role === t.cells[0] && c.taskSeconds !== undefined).map((c) => c.taskSeconds as number);
      return took.length ? meanSd(took).mean * (1 - doneShare(training.runs.get(outOf(t))?.progress ?? null)) : null;
    };
  let overSaid = false;
  for (;;) {
    const pending = tasks.filter((t) => roles.has(groupOf(t)) && !taskDone(t));
    if (pending.length === 0) break;
    const { order, fitting } = until === null ? { order: pending, fitting: pending.length } : untilOrder(pending, secondsLeft(readCells()), Date.now(), until);
    const next = order.find((t) => runnable(t) && claim(t));
    if (!next) {
      // Everything left is claimed by other processes, or waits for a teacher another process trains.
      await new Promise((r) => setTimeout(r, 20_000));
      continue;
    }
    if (order.indexOf(next) >= fitting && !overSaid) {
      overSaid = true;
      log(
        `none of the tasks left that can start would end before --until ${values.until}: going on anyway (each epoch is checkpointed in ${dbPath}; a run on it resumes them)`,
      );
    }
    try {
      // Re-check after claiming, from the file as it is now: another process may have finished it just before.
      onDisk.at = -Infinity;
      if (!taskDone(next)) await runTask(next);
    } finally {
      rmSync(claimFile(next), { force: true });
    }
  }

  // The table: mean ± sd over the seeds each cell has, with the cells other processes (--roles) measured.
  if (!quick) {
    for (const c of readCells()) if (c.fingerprint === fingerprints[c.role] && !cells.has(c.key)) cells.set(c.key, c);
  }
  // --same-run-speed: the cells' inference speeds were taken at different times, under different loads;
  // the speed ratios the issue asks for are measured again here, every model of a (set, split) back to back.
  // Speed does not depend on the seed: one model per (set, split, role) is timed, the one the table shows.
  const cellsOf = (ds: string, split: string, role: Role) => [...cells.values()].filter((c) => c.dataset === ds && c.split === split && c.role === role);
  const shown = (ds: string, split: string, role: Role) => cellsOf(ds, split, role).find((c) => c.inference);
  const sameRun = new Map<string, Cell['inference']>();
  // The same for training: fine-tuning steps on the same sample, per CPU second of the training thread.
  const sameRunTrain = new Map<string, number>();
  // A cell's own model may be gone (the bench database is a working file; a fresh checkout starts a new
  // one and the cells of earlier sessions remain): speed depends only on the architecture and the head, on
  // a fixed sample, and every model of a role shares its architecture across the sets, so such a row is
  // timed on a stand-in: the same role's model of another seed of its set, else of another set of the same task
  // where the database has one.
  let standIns: string[] = [];
  /** Where the same-run speeds come from: this run, an earlier report (--same-run-speed-from), or none. */
  let speedRun: { date: string; cpu: string; file?: string } | null = null;
  /** The cells whose speeds the table shows: one per set, split and role. */
  const timed = datasets.flatMap((ds) => splits.flatMap((split) => ROLES.map((role) => shown(ds, split, role))));
  if (values['same-run-speed'] && values['same-run-speed-from'])
    throw new Error('--same-run-speed measures the speeds in this run, --same-run-speed-from takes them from an earlier one: give one');
  if (values['same-run-speed']) {
    const held = [...cells.values()].filter((c) => c.role !== 'ECFP4 + RF' && models.repo.byName(c.name));
    const byName = new Map<string, Cell['inference']>();
    const trainByName = new Map<string, number>();
    for (const c of timed) {
      if (!c) continue;
      const task = (x: Cell) => SETS[x.dataset]?.task;
      const stand = models.repo.byName(c.name)
        ? c
        : (held.find((x) => x.role === c.role && x.dataset === c.dataset && x.split === c.split) ??
          held.find((x) => x.role === c.role && task(x) === task(c)) ??
          held.find((x) => x.role === c.role));
      if (!stand) continue;
      if (stand !== c) standIns.push(`${c.dataset}/${c.split} ${c.role} on ${stand.name}`);
      if (!byName.has(stand.name)) {
        log(`inference and training speed (same run): ${stand.name}`);
        byName.set(stand.name, {
          onnxruntime: await inference.inferenceSpeed(stand.name, 'onnxruntime'),
          tfjs: await inference.inferenceSpeed(stand.name, 'tfjs'),
        });
        const t = await inference.trainingSpeed(stand.name);
        trainByName.set(stand.name, t.seqPerCpuSec ?? t.seqPerSec);
      }
      sameRun.set(c.key, byName.get(stand.name) ?? null);
      sameRunTrain.set(c.key, trainByName.get(stand.name) as number);
    }
    const { date, cpu } = machine();
    speedRun = { date, cpu };
  } else if (values['same-run-speed-from']) {
    // The speeds of an earlier --same-run-speed report, row by row: they are the timed models' (one per
    // set, split and role, whatever seeds were measured since), so cells added later do not change them.
    const file = resolve(values['same-run-speed-from']);
    const earlier = JSON.parse(readFileSync(file, 'utf8')) as {
      machine?: { date: string; cpu: string };
      speed?: { sameRun: boolean; standIns?: string[] };
      summary?: SummaryRow[];
    };
    if (!earlier.speed?.sameRun || !earlier.machine || !earlier.summary)
      throw new Error(`${file}: not a report made with --same-run-speed (its speeds were not measured in one run)`);
    for (const c of timed) {
      const row = c && earlier.summary.find((r) => r.dataset === c.dataset && r.split === c.split && r.model === c.role);
      if (!c || !row?.inference) continue;
      sameRun.set(c.key, row.inference);
      if (row.trainStep != null) sameRunTrain.set(c.key, row.trainStep);
    }
    standIns = earlier.speed.standIns ?? [];
    speedRun = { date: earlier.machine.date, cpu: earlier.machine.cpu, file: values['same-run-speed-from'] };
  }
  /** The processors the cells' timings came from, with how many cells each (cells from before this was recorded: "unrecorded"). */
  const cpusOf = (xs: Cell[]) => {
    const n = new Map<string, number>();
    for (const c of xs) n.set(c.cpu ?? 'unrecorded', (n.get(c.cpu ?? 'unrecorded') ?? 0) + 1);
    return [...n].map(([cpu, k]) => `${cpu}: ${k} cells`).join(', ');
  };
  const speedOf = (c: Cell | undefined) => (c ? (sameRun.get(c.key) ?? (speedRun ? null : c.inference)) : null);
  // The table: mean ± sd over the seeds each cell has.
  const rows: string[][] = [];
  const summary: SummaryRow[] = [];
  for (const ds of datasets) {
    const key = SETS[ds]?.task === 'regression' ? 'rmse' : 'rocAuc';
    for (const split of splits) {
      for (const role of ROLES) {
        const got = cellsOf(ds, split, role);
        if (!got.length) continue;
        // A student, consensus or recommended model against its own run's teacher (the one it was distilled from).
        const teacherRole = teacherOf(role);
        const teacher = shown(ds, split, teacherRole);
        const teacherCells = cellsOf(ds, split, teacherRole);
        const teacherEpoch = meanSd(teacherCells.map((c) => c.trainSecondsPerEpoch)).mean;
        const { mean, sd } = meanSd(got.map((c) => c.metrics[key] as number));
        const first = shown(ds, split, role) ?? got[0];
        if (!first) continue;
        const perEpoch = meanSd(got.map((c) => c.trainSecondsPerEpoch)).mean;
        const inference = speedOf(first);
        const teacherSpeed = speedOf(teacher);
        const speedup = teacherSpeed && inference ? inference.onnxruntime / teacherSpeed.onnxruntime : null;
        // A forest's fit is timed whole; a consensus and the recommended pick are no training runs of their own.
        const derived = role.endsWith('consensus') || role.endsWith('recommended');
        const trainSpeedup = role === 'ECFP4 + RF' || derived || !Number.isFinite(teacherEpoch) ? null : teacherEpoch / perEpoch;
        const covered = got.filter((c) => c.metrics.coverage80 !== undefined);
        const coverage80 = covered.length ? meanSd(covered.map((c) => c.metrics.coverage80 as number)).mean : null;
        const farCovered = got.filter((c) => c.metrics.coverage80Far !== undefined);
        const coverage80Far = farCovered.length ? meanSd(farCovered.map((c) => c.metrics.coverage80Far as number)).mean : null;
        const picks: Record<string, number> = {};
        for (const c of got) if (c.picked) picks[c.picked] = (picks[c.picked] ?? 0) + 1;
        const trainStep = sameRunTrain.get(first.key) ?? null;
        const teacherStep = teacher ? (sameRunTrain.get(teacher.key) ?? null) : null;
        const trainStepOverTeacher = trainStep && teacherStep ? trainStep / teacherStep : null;
        const vsTeacher = role === teacherRole ? null : worseThanTeacher(key, got, teacherCells);
        summary.push({
          dataset: ds,
          split,
          model: role,
          seeds: got.length,
          metric: key,
          mean,
          sd,
          worseThanTeacher: vsTeacher,
          params: first.params,
          layers: first.layers,
          trainSecondsPerEpoch: perEpoch,
          trainOverTeacher: trainSpeedup,
          trainStep,
          trainStepOverTeacher,
          inference,
          inferenceOverTeacher: speedup,
          coverage80,
          coverage80Far,
          ...(role.endsWith('recommended') ? { picks } : {}),
        });
        rows.push([
          ds,
          split,
          role.endsWith('recommended') && Object.keys(picks).length
            ? `${role} (${Object.entries(picks)
                .map(([r, n]) => `${r} ×${n}`)
                .join(', ')})`
            : role,
          `${metricLabel(key)} ${mean.toFixed(3)} ± ${sd.toFixed(3)}${got.length < seeds ? ` (${got.length}/${seeds} seeds)` : ''}`,
          vsTeacher === null
            ? ''
            : `${vsTeacher >= 0 ? '+' : ''}${(vsTeacher * 100).toFixed(1)}% ${vsTeacher > GOALS.metric ? `(worse than ${GOALS.metric * 100}%)` : ''}`.trim(),
          coverage80 === null
            ? '-'
            : `${(coverage80 * 100).toFixed(0)}%${coverage80Far === null ? '' : ` (least similar third ${(coverage80Far * 100).toFixed(0)}%)`}`,
          derived || !first.params ? '-' : first.params.toLocaleString('en'),
          derived ? '-' : String(first.layers || '-'),
          derived ? '-' : role === 'ECFP4 + RF' ? `${perEpoch.toFixed(1)} (whole fit, wall)` : perEpoch.toFixed(1),
          trainSpeedup === null ? '' : `${trainSpeedup.toFixed(2)}x`,
          trainStepOverTeacher === null ? '' : `${trainStepOverTeacher.toFixed(2)}x`,
          inference ? `${inference.onnxruntime.toFixed(0)} / ${inference.tfjs.toFixed(0)}` : '-',
          speedup === null ? '' : `${speedup.toFixed(2)}x`,
        ]);
      }
    }
  }
  // --reference-teacher: "better than the current teacher" against that teacher's own plain cells (e.g. the
  // shipped base teacher, when the run's base teacher is a new one), as measured with these settings.
  const referenceName = values['reference-teacher'];
  const reference = referenceName
    ? { name: referenceName, rows: referenceRows(readCells(), JSON.stringify({ ...common, teacher: identity(referenceName) })) }
    : undefined;
  const HEADS = ['plain', 'fp-head', 'desc-head'] as const;
  const goals = HEADS.map((h) => goalLines(summary, seeds, speedRun !== null, h));
  const modelGoals = HEADS.map((h) => modelGoalLines(summary, h, reference));
  // A shipped file registered here under its file's hash: an install that takes a newer release keeps it
  // under its weights' hash (services/models/shipped.ts retiredName), the name the release's lineage uses.
  const installName = (name: string) => {
    const base = hashed.exec(name)?.[1];
    const row = base ? models.repo.byName(name) : undefined;
    const weights = row ? models.repo.weights(row.id) : null;
    return base && weights
      ? ` (the shipped ${base}.dlcm of that file hash; an install that takes a newer release keeps it as '${base}-${weightsTag(weights)}')`
      : '';
  };
  const teacherGoals = HEADS.map((h) => teacherGoalLines(summary, h));
  /** A heads' goal lines where its rows exist (the plain student goals always: they say what is missing). */
  const shownGoals = [goals[0], ...goals.slice(1).filter((g) => g.data.some((d) => d.measured))];
  // Cells measured of those wanted, in all and per role (a run of some roles says which are complete).
  const perRole = new Map<Task['role'], { done: number; wanted: number }>();
  for (const t of tasks) {
    const r = perRole.get(t.role) ?? { done: 0, wanted: 0 };
    r.wanted += t.cells.length;
    r.done += t.cells.filter((c) => cells.has(keyOf(t.ds, t.split, t.seed, c))).length;
    perRole.set(t.role, r);
  }
  const done = [...perRole.values()].reduce((n, r) => n + r.done, 0);
  const wanted = [...perRole.values()].reduce((n, r) => n + r.wanted, 0);
  const roleCounts = [...perRole].map(([role, r]) => `${role} ${r.done}/${r.wanted}`).join(', ');
  report(
    // A quick run checks the pipeline: it must not overwrite the real table.
    quick ? 'qsar-quick' : 'qsar',
    {
      quick,
      db: dbPath,
      models: names,
      settings: { ...settings, seeds },
      cells: { done, wanted, byRole: Object.fromEntries(perRole) },
      speed: { sameRun: speedRun !== null, ...(speedRun ?? {}), standIns },
      goals: goals[0]?.data,
      fpGoals: goals[1]?.data,
      descGoals: goals[2]?.data,
      modelGoals: modelGoals[0]?.data,
      fpModelGoals: modelGoals[1]?.data,
      descModelGoals: modelGoals[2]?.data,
      teacherGoals: Object.fromEntries(HEADS.map((h, i) => [h, teacherGoals[i]?.data])),
      ...(reference ? { referenceTeacher: reference } : {}),
      summary,
    },
    [
      [
        'dataset',
        'split',
        'model',
        'metric ± sd (test split)',
        'vs teacher',
        '80% interval coverage',
        'params',
        'layer applications',
        'train s/epoch',
        'train speed vs teacher',
        'train step vs teacher (same run)',
        'inference mol/s (ORT / TF.js)',
        'ORT speed vs teacher',
      ],
      ...rows,
    ],
    [
      quick
        ? 'QUICK run: tiny base models pretrained for 60 steps on the fly. It shows the pipeline works end to end; its numbers say nothing about DeLiCaTe.'
        : `Base models: teacher '${teacherName}', shared-layer teacher '${names.shared ?? '-'}', general-distilled student '${names.student ?? '-'}'. ${done} of ${wanted} cells measured${done < wanted ? ' so far (the run is resumable: run the same command again)' : ''}; by role: ${roleCounts}.`,
      '',
      ...shownGoals.flatMap((g) => (g ? [...g.lines, ''] : [])),
      ...[...modelGoals, ...teacherGoals].flatMap((g) => (g.lines.length ? [...g.lines, ''] : [])),
      ...(reference
        ? [
            `Current teacher for the model goals: ${reference.name}${installName(reference.name)}, its own plain cells with these settings (${reference.rows.map((r) => `${r.dataset} ${r.split} ${metricLabel(r.metric)} ${r.mean.toFixed(3)} over ${r.seeds} seeds`).join('; ') || 'none measured'}).`,
            '',
          ]
        : []),
      `Seeds: ${seeds}, epochs: ${settings.epochs}, student depth: ${k}. "vs teacher": relative change of the metric against the fine-tuned teacher, over the seeds both have (positive = worse). Inference: molecules/s on this machine (drug-like sample of 512), ONNX Runtime and TF.js, ${speedRun ? `every model measured again back to back in ${speedRun.file ? `one earlier run (${speedRun.date}, ${speedRun.cpu}; taken from ${speedRun.file} with --same-run-speed-from: the timed models are the same, the cells measured since changed the metrics and per-epoch times only)` : 'this run'}${standIns.length ? ` (${standIns.length} rows whose own model the database no longer held timed on the same role's model of another seed or set: ${standIns.join('; ')})` : ''}` : 'as measured when each cell finished (loads differ: use --same-run-speed for the ratios)'}; train s/epoch: the task's training set over the measured training throughput, in CPU seconds of the training thread (load-independent; distillation includes building the teacher's hidden-state cache), averaged over seeds; its cells ran in different sessions, on the machines of those sessions (${cpusOf([...cells.values()])}). Train step vs teacher (same run, --same-run-speed): two epochs of fine-tuning steps (batch 32) on the same 512-molecule sample, per CPU second, every model back to back in ${speedRun?.file ? 'that run' : 'this run'}. The students are distilled from the same seed's fine-tuned teacher. Consensus: the DeLiCaTe student and the forest of the same run, weighted on the seed's validation split; recommended: each seed's pick among that run's teacher, student, forest and consensus (best on its validation split), judged on its test split; 80% interval coverage: the share of measured test compounds inside their split-conformal 80% interval (prediction set, for classifiers) calibrated on the validation split, mean over the seeds; cells measured since Mondrian calibration calibrate per band of highest ECFP4 similarity to the training split (up to 3 bands of at least 30 validation compounds) and also state the coverage on the third of the test compounds least similar to the training split.`,
    ],
  );
  db.close();
}
