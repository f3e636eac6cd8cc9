import { AppError } from '../../src-shared/errors';
import { seededRandom } from '../../src-shared/random';
import { enumerateSmiles } from '../chem/rdkit';
import { type DescriptorNorm, type Model, countParams, disposeModel } from '../model/encoder';
import { descriptorNorm } from '../model/fp-features';
import { assignWeights, copyMatching, packTensors } from '../model/weights-tf';
import { type Calibration, calibrate, combine, coverage, crossFitConsensus, recommend, validationScore } from './ensemble';
import { type FitCheckpoint, type FitData, fit, predictTask, taskModelFrom } from './finetune';
import { DomainIndex } from '../screen/domain';
import { RandomForest } from './forest';
import { meanSd } from './metrics';
import { type FitSummary, MIN_CALIBRATION, type QsarCheckpoint, type Role, type SeedsDone, type RunTotals, type SeedJob } from './qsar-types';
import { type Split, randomSplit, scaffoldSplit, temporalSplit } from './splits';

const summaryOf = (f: FitSummary): FitSummary => ({
  sequences: f.sequences,
  stepSeconds: f.stepSeconds,
  stepCpuSeconds: f.stepCpuSeconds,
  bestEpoch: f.bestEpoch,
});
const addCpu = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);

/** How often a fit reports where it stands within an epoch (the run's ETA from its first batches). */
const BATCH_REPORT_MS = 1000;

/** A fit's batches as progress, at most once a second: `what epoch e/E, batch b/B`. */
function batchReporter(job: SeedJob, what: string, epochs: number): (batch: number, batches: number, epoch: number) => void {
  let last = performance.now();
  return (batch, batches, epoch) => {
    const now = performance.now();
    if (now - last < BATCH_REPORT_MS || batch === batches) return;
    last = now;
    job.progress(`${what} epoch ${epoch}/${epochs}, batch ${batch}/${batches}`, undefined, { batch, batches });
  };
}

/** The state at a seed's start: what its checkpoints carry as the finished seeds. */
export function snapshot(t: RunTotals): SeedsDone {
  const p = t.perSeed;
  return {
    perSeed: { teacher: [...p.teacher], student: [...p.student], baseline: [...p.baseline], consensus: [...p.consensus] },
    throughput: structuredClone(t.throughput),
    trained: [...t.trained],
    predictions: t.predictions,
    baseline: t.baseline,
    consensus: t.consensus,
    picks: [...t.picks],
    recommended: t.recommended,
  };
}

/** A seed's split and what every model of it is fitted and judged on. */
function seedContext(job: SeedJob) {
  const { data: d, req, seed, at } = job;
  const s = req.settings;
  const { points, seqs, bounds } = d;
  const split: Split =
    s.split === 'random'
      ? randomSplit(points.length, seed + 1)
      : s.split === 'scaffold'
        ? scaffoldSplit(d.scaffolds, seed + 1)
        : temporalSplit(points.map((p) => p.date));
  if (split.test.length === 0 || split.train.length === 0)
    throw new AppError('INVALID_INPUT', 'the split left an empty train or test set; use more data or another split');
  const value = (i: number) => points[i]?.value as number;
  const yTest = split.test.map(value);
  const trainY = split.train.map(value);
  const norm = d.classify ? null : meanSd(trainY);
  const scaled = (i: number) => (norm ? (value(i) - norm.mean) / (norm.sd || 1) : value(i));
  const dataOf = (idx: number[]): FitData => ({
    seqs: idx.map((i) => seqs[i] as Int32Array),
    fps: idx.map((i) => d.fps[i] as Uint8Array),
    ...(d.descs ? { descs: idx.map((i) => d.descs?.[i] as Float32Array) } : {}),
    y: Float32Array.from(idx, scaled),
    ...(d.anyBound ? { bound: Int8Array.from(idx, (i) => bounds[i] as number) } : {}),
  });
  // The validation split's measured compounds (bounds are no values to fit weights or residuals on)
  // choose the consensus weights and the recommended model and calibrate the intervals; the test
  // split's measured ones check the intervals' coverage.
  const vIdx = split.valid.filter((i) => bounds[i] === 0);
  const yValid = vIdx.map(value);
  const tMeasured = split.test.flatMap((i, j) => (bounds[i] === 0 ? [j] : []));
  const calibrated = vIdx.length >= MIN_CALIBRATION;
  // Each validation and measured test compound's highest ECFP4 similarity to the training split: the
  // applicability domain's measure a screen states, and what the intervals are calibrated by.
  const trainIndex = new DomainIndex(split.train.map((i) => d.fps[i] as Uint8Array));
  const simOf = (i: number) => trainIndex.maxSimilarity(d.fps[i] as Uint8Array) ?? Number.NaN;
  const validSims = vIdx.map(simOf);
  const testSims = tMeasured.map((j) => simOf(split.test[j] as number));
  const withCoverage = (
    metrics: Record<string, number>,
    validPred: ArrayLike<number>,
    testPred: ArrayLike<number>,
  ): { metrics: Record<string, number>; calibration: Calibration | null } => {
    if (!calibrated) return { metrics, calibration: null };
    const calibration = calibrate(d.kind, yValid, validPred, validSims);
    const c = coverage(
      calibration,
      tMeasured.map((j) => yTest[j] as number),
      tMeasured.map((j) => testPred[j] as number),
      testSims,
    );
    const far: Record<string, number> = c.far === undefined ? {} : { coverage80Far: c.far };
    return { metrics: { ...metrics, coverage80: c.coverage, ...far, [d.classify ? 'setSize80' : 'width80']: c.width }, calibration };
  };
  const done = snapshot(job.totals);
  const seconds = job.totals.seconds;
  const checkpointAt = job.onCheckpoint
    ? (
        stage: QsarCheckpoint['stage'],
        epochs: number,
        c: FitCheckpoint,
        role: 'teacher' | 'student',
        since: number,
        teacherDone: QsarCheckpoint['teacher'],
        distilled: FitSummary | null,
      ) =>
        job.onCheckpoint?.({
          seed,
          stage,
          epochs,
          fit: c,
          teacher: teacherDone,
          distilled,
          seconds: { ...seconds, [role]: seconds[role] + (performance.now() - since) / 1000 },
          done,
        })
    : null;
  return {
    split,
    yTest,
    trainY,
    scaled,
    dataOf,
    testSeqs: split.test.map((i) => seqs[i] as Int32Array),
    testFps: split.test.map((i) => d.fps[i] as Uint8Array),
    testDescs: d.descs ? split.test.map((i) => d.descs?.[i] as Float32Array) : undefined,
    vIdx,
    yValid,
    validSeqs: vIdx.map((i) => seqs[i] as Int32Array),
    validFps: vIdx.map((i) => d.fps[i] as Uint8Array),
    validDescs: d.descs ? vIdx.map((i) => d.descs?.[i] as Float32Array) : undefined,
    calibrated,
    withCoverage,
    normFix: norm ? { mean: norm.mean, sd: norm.sd || 1 } : null,
    checkpointAt,
    resumeFrom: (stage: QsarCheckpoint['stage']) => (at?.stage === stage ? { resume: at.fit } : {}),
    domain: split.train.map((i) => points[i]?.smiles as string),
  };
}

type SeedContext = ReturnType<typeof seedContext>;

/**
 * What a task head reads beside the SMILES: the ECFP4 bits with the fpHead setting, the descriptors
 * (standardised on this seed's training split) with the descHead setting, or what a teacher that already
 * reads them keeps (one fine-tuned on this assay and reused).
 */
function headOf(job: SeedJob, ctx: SeedContext): { fp?: number; desc?: DescriptorNorm } {
  const { data: d, req } = job;
  const given = d.baseConfig.task;
  const fp = given?.fp ?? (req.settings.fpHead ? (d.fps.find((f) => f)?.length ?? 0) * 8 : 0);
  const desc =
    given?.desc ??
    (d.descs
      ? descriptorNorm(
          ctx.split.train.map((i) => d.descs?.[i] as Float32Array),
          d.descNames,
        )
      : undefined);
  return { ...(fp ? { fp } : {}), ...(desc ? { desc } : {}) };
}

/** One seed: the forest, the teacher, the student (with distillation), their consensus and the recommended model. */
export async function runSeed(job: SeedJob): Promise<void> {
  const ctx = seedContext(job);
  job.totals.sizes = { train: ctx.split.train.length, valid: ctx.split.valid.length, test: ctx.split.test.length };
  const forest = fitForest(job, ctx);
  const teacher = await fitTeacher(job, ctx);
  const student = job.req.settings.distill ? await distilStudent(job, ctx, teacher) : null;
  consensusAndPick(job, ctx, { forest, teacher, student });
  disposeModel(teacher.model);
}

/** The ECFP4 random forest: like the transformer's censored loss, it takes a bound as a bound, not as a value. */
function fitForest(job: SeedJob, ctx: SeedContext) {
  const { data: d, seed, totals } = job;
  job.progress(`seed ${seed - job.first + 1}/${job.req.settings.seeds}: ECFP4 + random forest baseline`);
  const t0 = performance.now();
  const { split } = ctx;
  const trainFps = split.train.map((i) => d.fps[i] as Uint8Array);
  const rf = d.anyBound
    ? RandomForest.fitCensored(
        trainFps,
        ctx.trainY,
        split.train.map((i) => d.bounds[i] as number),
        { seed: seed + 1 },
      )
    : RandomForest.fit(trainFps, ctx.trainY, job.req.task, { seed: seed + 1 });
  if (seed === job.first) totals.baseline = { forest: rf.toJSON(), domain: ctx.domain, calibration: null };
  const test = split.test.map((i) => rf.predict(d.fps[i] as Uint8Array).mean);
  const valid = ctx.vIdx.map((i) => rf.predict(d.fps[i] as Uint8Array).mean);
  // A resumed seed refits the forest (deterministic); the checkpoint's seconds have its first fit.
  if (!job.at) totals.seconds.baseline += (performance.now() - t0) / 1000;
  const report = ctx.withCoverage(d.metricsOf(split.test, ctx.yTest, test), valid, test);
  totals.perSeed.baseline.push(report.metrics);
  if (seed === job.first && totals.baseline) totals.baseline.calibration = report.calibration;
  return { test, valid };
}

/** The teacher: fine-tuned (or taken as is, or from the interrupted run's checkpoint), then judged. */
async function fitTeacher(job: SeedJob, ctx: SeedContext) {
  const { req, data: d, seed, totals, at } = job;
  const s = req.settings;
  const finished = at?.teacher ?? null;
  const what = job.reuse
    ? 'using the fine-tuned teacher'
    : finished
      ? 'the fine-tuned teacher of the interrupted run'
      : at?.stage === 'teacher'
        ? `resuming the teacher after epoch ${at.fit.epoch}`
        : 'fine-tuning the teacher';
  job.progress(`seed ${seed - job.first + 1}/${s.seeds}: ${what}`);
  const t0 = performance.now();
  const model = taskModelFrom(d.baseConfig, req.teacher?.weights ?? null, d.classify ? 'binary' : 'regression', seed + 1, {}, headOf(job, ctx));
  totals.teacherParams = countParams(model);
  let f: FitSummary;
  if (job.reuse) f = { sequences: 0, stepSeconds: 0, stepCpuSeconds: 0, bestEpoch: 0 };
  else if (finished) {
    assignWeights(model.params, finished.weights);
    f = finished.fit;
  } else {
    f = await fit(model, ctx.dataOf(ctx.split.train), ctx.dataOf(ctx.split.valid), {
      epochs: s.epochs,
      batch: s.batch,
      lengthPool: s.lengthPool,
      lr: s.lr,
      seed: seed + 1,
      ...(job.signal ? { signal: job.signal } : {}),
      onBatch: batchReporter(job, `seed ${seed + 1}: teacher`, s.epochs),
      onEpoch: (e) =>
        job.progress(`seed ${seed + 1}: teacher epoch ${e.epoch}/${s.epochs} loss ${e.loss.toFixed(4)} valid ${e.valid?.toFixed(4) ?? '-'}`, {
          stage: 'teacher',
          seed: seed + 1,
          epochs: s.epochs,
          ...e,
        }),
      ...ctx.resumeFrom('teacher'),
      ...(ctx.checkpointAt ? { onCheckpoint: (c: FitCheckpoint) => ctx.checkpointAt?.('teacher', s.epochs, c, 'teacher', t0, null, null) } : {}),
    });
  }
  // What the student stages' checkpoints carry: this seed's fine-tuned teacher (a reused one is the request's).
  const done = ctx.checkpointAt && s.distill && !job.reuse ? (finished ?? { weights: new Uint8Array(packTensors(model.params)), fit: summaryOf(f) }) : null;
  totals.throughput.teacher.n += f.sequences;
  totals.throughput.teacher.s += f.stepSeconds;
  totals.throughput.teacher.cpu = addCpu(totals.throughput.teacher.cpu, f.stepCpuSeconds);
  const { test, valid } = await judge(job, ctx, { role: 'teacher', model, since: t0, layerMap: null, bestEpoch: f.bestEpoch });
  return { model, test, valid, done };
}

/**
 * A fitted transformer judged: its test and validation predictions, its seconds, its test metrics with the
 * intervals' coverage, and (the first seed) what registers it.
 */
async function judge(
  job: SeedJob,
  ctx: SeedContext,
  m: { role: 'teacher' | 'student'; model: Model; since: number; layerMap: number[] | null; bestEpoch: number },
) {
  const { data: d, totals } = job;
  const test = await predictTask(m.model, ctx.testSeqs, ctx.normFix, ctx.testFps, ctx.testDescs);
  const valid = await predictTask(m.model, ctx.validSeqs, ctx.normFix, ctx.validFps, ctx.validDescs);
  totals.seconds[m.role] += (performance.now() - m.since) / 1000;
  const report = ctx.withCoverage(d.metricsOf(ctx.split.test, ctx.yTest, test), valid, test);
  totals.perSeed[m.role].push(report.metrics);
  if (job.seed === job.first) {
    const weights = new Uint8Array(packTensors(m.model.params));
    totals.trained.push({
      role: m.role,
      config: m.model.config,
      tokenizer: d.tokenizer.toJSON(),
      weights,
      norm: ctx.normFix,
      layerMap: m.layerMap,
      bestEpoch: m.bestEpoch,
      domain: ctx.domain,
      calibration: report.calibration,
    });
  }
  return { test, valid };
}

type Teacher = Awaited<ReturnType<typeof fitTeacher>>;

/**
 * The DeLiCaTe student: one shared layer applied k times (or k layers), task-distilled from the teacher on
 * the training molecules and random SMILES of them (the teacher's predictions as soft targets, the measured
 * values as hard ones, hidden states matched layer to layer), then briefly fine-tuned on the measured values.
 */
async function distilStudent(job: SeedJob, ctx: SeedContext, teacher: Teacher) {
  const { req, data: d, seed, totals, at } = job;
  const s = req.settings;
  const L = teacher.model.config.layers;
  const k = req.student ? req.student.config.layers : Math.min(s.studentLayers, L);
  const shared = req.student ? true : s.studentShared;
  job.progress(`seed ${seed - job.first + 1}/${s.seeds}: distilling the student (${shared ? `1 shared layer x ${k}` : `${k} layers`})`);
  const t0 = performance.now();
  totals.studentDepth = k;
  // Teacher layers {0, L/k, 2L/k, …, L} → student {0, 1, …, k} (0 = embeddings).
  const layerMap = Array.from({ length: k + 1 }, (_, j) => Math.round((j * L) / k));
  const layout = { shareLayers: shared, layers: k, ...(req.student ? { ff: req.student.config.ff } : {}) };
  const student = taskModelFrom(teacher.model.config, null, d.classify ? 'binary' : 'regression', seed + 101, layout, { ...teacher.model.config.task });
  // Embeddings, pooler and task head from the fine-tuned teacher (its side weights trained: they go on at the base
  // rate, FitOptions.sideLrScale); the shared layer starts as the teacher's first, or, with a general-distilled
  // student, everything but the task head from it.
  copyMatching(student, packTensors(teacher.model.params));
  if (req.student) copyMatching(student, req.student.weights);
  totals.studentParams = countParams(student);
  // Interrupted in the short fine-tune, the distillation is over: its checkpoint holds the student.
  const dFit = (at?.stage === 'finetune' ? at.distilled : null) ?? (await distil(job, ctx, teacher, student, layerMap, t0));
  const tuneEpochs = Math.max(1, Math.round(s.epochs / 5));
  const sFit = await fit(student, ctx.dataOf(ctx.split.train), ctx.dataOf(ctx.split.valid), {
    epochs: tuneEpochs,
    batch: s.batch,
    lengthPool: s.lengthPool,
    lr: s.lr / 2,
    sideLrScale: 1,
    seed: seed + 13,
    ...(job.signal ? { signal: job.signal } : {}),
    ...ctx.resumeFrom('finetune'),
    ...(ctx.checkpointAt ? { onCheckpoint: (c: FitCheckpoint) => ctx.checkpointAt?.('finetune', tuneEpochs, c, 'student', t0, teacher.done, dFit) } : {}),
  });
  const tp = totals.throughput.student;
  tp.n += dFit.sequences + sFit.sequences;
  tp.s += dFit.stepSeconds + sFit.stepSeconds;
  tp.cpu = addCpu(tp.cpu, addCpu(dFit.stepCpuSeconds, sFit.stepCpuSeconds));
  const { test, valid } = await judge(job, ctx, { role: 'student', model: student, since: t0, layerMap, bestEpoch: sFit.bestEpoch });
  disposeModel(student);
  return { test, valid };
}

/** The task distillation itself, on the augmented training set. */
async function distil(job: SeedJob, ctx: SeedContext, teacher: Teacher, student: Model, layerMap: number[], since: number): Promise<FitSummary> {
  const { req, data: d, seed } = job;
  const s = req.settings;
  const rand = seededRandom(seed + 7);
  // Each sequence's compound: a random SMILES of a molecule has the molecule's value, ECFP4 and descriptors.
  const seqs: Int32Array[] = [];
  const of: number[] = [];
  for (const i of ctx.split.train) {
    seqs.push(d.seqs[i] as Int32Array);
    of.push(i);
    for (const smi of enumerateSmiles(d.rd, d.points[i]?.smiles as string, s.augment, rand)) {
      const enc = d.tokenizer.encode(smi, d.baseConfig.maxLen);
      if (enc.ok) {
        seqs.push(enc.ids);
        of.push(i);
      }
    }
  }
  const data = { ...ctx.dataOf(of), seqs };
  // Standardised values (regression) or probabilities (binary), the scale of the hard targets.
  const softY = Float32Array.from(await predictTask(teacher.model, seqs, null, data.fps, data.descs));
  const f = await fit(student, data, ctx.dataOf(ctx.split.valid), {
    epochs: s.epochs,
    batch: s.batch,
    lengthPool: s.lengthPool,
    lr: s.lr * 2,
    seed: seed + 11,
    ...(job.signal ? { signal: job.signal } : {}),
    soft: { y: softY, alpha: s.alpha },
    sideLrScale: 1,
    hidden: { teacher: teacher.model, layerMap, weight: s.hiddenWeight },
    onBatch: batchReporter(job, `seed ${seed + 1}: student`, s.epochs),
    onEpoch: (e) =>
      job.progress(`seed ${seed + 1}: student epoch ${e.epoch}/${s.epochs} loss ${e.loss.toFixed(4)} valid ${e.valid?.toFixed(4) ?? '-'}`, {
        stage: 'student',
        seed: seed + 1,
        epochs: s.epochs,
        ...e,
      }),
    ...ctx.resumeFrom('distill'),
    ...(ctx.checkpointAt ? { onCheckpoint: (c: FitCheckpoint) => ctx.checkpointAt?.('distill', s.epochs, c, 'student', since, teacher.done, null) } : {}),
  });
  return summaryOf(f);
}

type Judged = { test: ArrayLike<number>; valid: ArrayLike<number> };

/**
 * The consensus (the student, or without one the teacher, or both where asked, with the forest) weighted
 * on validation and judged there by cross-fitting, on test as is; then the recommended model: best on
 * validation, smaller and simpler models first within 1%.
 */
function consensusAndPick(job: SeedJob, ctx: SeedContext, m: { forest: Judged; teacher: Judged; student: Judged | null }): void {
  const { req, data: d, seed, totals } = job;
  const { student, teacher, forest } = m;
  const members: Array<{ role: 'teacher' | 'student' | 'baseline' } & Judged> = [
    ...(student ? [{ role: 'student' as const, ...student }] : []),
    ...(!student || req.settings.consensusTeacher ? [{ role: 'teacher' as const, ...teacher }] : []),
    { role: 'baseline', ...forest },
  ];
  const even = members.map(() => 1 / members.length);
  const fitted = ctx.calibrated
    ? crossFitConsensus(
        d.kind,
        ctx.yValid,
        members.map((x) => x.valid),
      )
    : {
        weights: even,
        honest: combine(
          even,
          members.map((x) => x.valid),
        ),
      };
  const cPred = combine(
    fitted.weights,
    members.map((x) => x.test),
  );
  const report = ctx.withCoverage(d.metricsOf(ctx.split.test, ctx.yTest, cPred), fitted.honest, cPred);
  totals.perSeed.consensus.push(report.metrics);
  const candidates: Array<{ role: Role; valid: ArrayLike<number> }> = [
    ...(student ? [{ role: 'student' as const, valid: student.valid }] : []),
    { role: 'baseline', valid: forest.valid },
    { role: 'consensus', valid: fitted.honest },
    { role: 'teacher', valid: teacher.valid },
  ];
  const pick = ctx.calibrated ? recommend(candidates.map((c) => ({ role: c.role, valid: validationScore(d.kind, ctx.yValid, c.valid) }))) : null;
  const fallback: Role = student ? 'student' : 'teacher';
  totals.picks.push(pick?.role ?? fallback);
  if (seed !== job.first) return;
  totals.consensus = { members: members.map((x, k) => ({ role: x.role, weight: fitted.weights[k] as number })), calibration: report.calibration };
  totals.recommended = pick ?? {
    role: fallback,
    why: `no recommendation from validation (${ctx.vIdx.length} measured validation compounds, ${MIN_CALIBRATION} needed): the ${fallback} by default`,
  };
  const b = d.bounds;
  totals.predictions = ctx.split.test.map((i, j) => ({
    smiles: d.points[i]?.smiles as string,
    measured: ctx.yTest[j] as number,
    teacher: teacher.test[j] as number,
    student: student ? (student.test[j] as number) : null,
    baseline: forest.test[j] as number,
    qualifier: b[i] === -1 ? '<' : b[i] === 1 ? '>' : '=',
  }));
}
