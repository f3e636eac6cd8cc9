import type { EpochPoint } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { enumerateSmiles, loadRdkit, morganOf, murckoScaffold } from '../chem/rdkit';
import { seededRandom } from '../../src-shared/random';
import { type EncoderConfig, countParams, disposeModel } from '../model/encoder';
import { SmilesTokenizer, type TokenizerJson } from '../model/tokenizer';
import { assignWeights, copyMatching, packTensors } from '../model/weights-tf';
import { type AssayData, type Task, boundOf, readAssay } from './assay';
import { type AssayColumns, givenColumns } from '../../src-shared/assay-columns';
import { fileSha256 } from './corpus';
import { type FitCheckpoint, type FitData, fit, predictTask, taskModelFrom } from './finetune';
import { type Calibration, type TaskType, calibrate, combine, coverage, crossFitConsensus, recommend, validationScore } from './ensemble';
import { type ForestJson, RandomForest } from './forest';
import { censoredRegressionMetrics, classificationMetrics, meanSd } from './metrics';
import type { QsarSettings } from './qsar-settings';
import { type Split, type SplitKind, randomSplit, scaffoldSplit, temporalSplit } from './splits';

export interface QsarRequest extends AssayColumns {
  data: string;
  target: string;
  task: Task;
  settings: QsarSettings;
  teacher: { name: string; config: EncoderConfig; tokenizer: TokenizerJson; weights: Uint8Array } | null;
  /** A general-distilled student to start the task student from (DeLiCaTe: general, then task distillation). */
  student?: { name: string; config: EncoderConfig; weights: Uint8Array } | null;
}

export interface ModelReport {
  name: string;
  role: Role;
  params: number;
  layers: number;
  metrics: Record<string, number>;
  trainSeconds: number;
  /** Training throughput (sequences per second through optimisation steps; distillation includes its teacher forwards). */
  trainSeqPerSec: number | null;
  /** The same per CPU second of the training thread (Linux): comparable between runs under different loads. */
  trainSeqPerCpuSec: number | null;
}

/** A trained model to register (from the first seed), with what a stored model needs. */
export interface TrainedModel {
  role: 'teacher' | 'student';
  config: EncoderConfig;
  tokenizer: TokenizerJson;
  weights: Uint8Array;
  norm: { mean: number; sd: number } | null;
  layerMap: number[] | null;
  bestEpoch: number;
  /** Training-set SMILES (the applicability domain). */
  domain: string[];
  /** Its prediction intervals, calibrated on the validation split (null without one). */
  calibration: Calibration | null;
}

/** The consensus of the first seed, to register: members by role, weights fitted on the validation split. */
export interface ConsensusFit {
  members: Array<{ role: 'teacher' | 'student' | 'baseline'; weight: number }>;
  calibration: Calibration | null;
}

/** The model a run recommends (best on the validation split of the first seed) and its test metrics over the seeds, each seed's own pick. */
export interface Recommendation {
  role: Role;
  why: string;
  /** Test metrics of each seed's recommended model (mean and sd over the seeds). */
  metrics: Record<string, number>;
  /** How often each role was recommended over the seeds. */
  picks: Partial<Record<Role, number>>;
}

export interface QsarResult {
  models: ModelReport[];
  split: SplitKind;
  seeds: number;
  /** `censored`: compounds trained on as bounds (every replicate `<`, or every one `>`). */
  n: { compounds: number; train: number; valid: number; test: number; rejected: number; tooLong: number; replicates: number; censored: number; unknownTokenRate: number };
  teacherSource: string;
  data: { file: string; sha256: string; target: string; task: Task };
  /** Predicted vs measured on the test split of the first seed (for plots). */
  predictions: Array<{ smiles: string; measured: number; teacher: number; student: number | null; baseline: number; qualifier: '=' | '<' | '>' }>;
  trained: TrainedModel[];
  /** The assay as read: aggregated measurements per compound and the rejected records (stored with the models). */
  assay: Pick<AssayData, 'unit' | 'points' | 'read' | 'rejected' | 'replicates' | 'censored'>;
  /** The ECFP4 random forest of the first seed, to register as a baseline model. */
  baseline: { forest: ForestJson; domain: string[]; calibration: Calibration | null } | null;
  /** The consensus of the first seed (student or teacher with the forest), to register. */
  consensus: ConsensusFit | null;
  recommended: Recommendation | null;
}

type Progress = (message: string, epoch?: EpochPoint) => void;

/** Measured validation compounds needed to fit consensus weights, recommend a model and calibrate intervals. */
export const MIN_CALIBRATION = 10;

/** What a finished fit leaves for the report: its throughput counters and best epoch. */
export interface FitSummary {
  sequences: number;
  stepSeconds: number;
  stepCpuSeconds: number | null;
  bestEpoch: number;
}

/** The models of a run: fine-tuned teacher, distilled student, ECFP4 forest and their consensus. */
export type Role = 'teacher' | 'student' | 'baseline' | 'consensus';

/** What the finished seeds of a run gave (the state at the start of a seed). */
interface SeedsDone {
  perSeed: Record<Role, Array<Record<string, number>>>;
  throughput: Record<'teacher' | 'student', { n: number; s: number; cpu: number | null }>;
  trained: TrainedModel[];
  predictions: QsarResult['predictions'];
  baseline: QsarResult['baseline'];
  consensus?: ConsensusFit | null;
  /** Each finished seed's recommended role (a checkpoint from before consensus existed has none). */
  picks?: Role[];
  recommended?: { role: Role; why: string } | null;
}

/**
 * A QSAR run after a finished epoch of one of its fits: the seed and stage it is in with that fit's
 * checkpoint, the seed's fine-tuned teacher once its stage is over (and the distillation's summary once
 * that is), the wall seconds so far and what the finished seeds gave. Splits, the forest, augmentations
 * and the teacher's soft targets are deterministic and recomputed, so a run resumed from it ends as the
 * uninterrupted run does.
 */
export interface QsarCheckpoint {
  seed: number;
  stage: 'teacher' | 'distill' | 'finetune';
  /** Epochs of the stage's fit (the progress shown for an interrupted run). */
  epochs: number;
  fit: FitCheckpoint;
  teacher: { weights: Uint8Array; fit: FitSummary } | null;
  distilled: FitSummary | null;
  seconds: Record<Role, number>;
  done: SeedsDone;
}

export interface QsarRunOptions {
  /** Called after every epoch of every fit; the run continues from the latest one with `resume`. */
  onCheckpoint?: (c: QsarCheckpoint) => void;
  resume?: QsarCheckpoint;
}

const summaryOf = (f: FitSummary): FitSummary => ({ sequences: f.sequences, stepSeconds: f.stepSeconds, stepCpuSeconds: f.stepCpuSeconds, bestEpoch: f.bestEpoch });

/**
 * The QSAR pipeline of `delicate train`: fine-tune a teacher on the assay, optionally distil a DeLiCaTe
 * student (one shared layer applied k times) from it, and fit the ECFP4+RF baseline, all on the same
 * splits for each seed; metrics on the test split, mean and sd over seeds.
 */
export async function runQsar(req: QsarRequest, progress: Progress = () => {}, signal: { cancelled: boolean } = { cancelled: false }, opts: QsarRunOptions = {}): Promise<QsarResult> {
  const s = req.settings;
  const resume = opts.resume;
  const assay: AssayData = await readAssay(req.data, { target: req.target, task: req.task, ...givenColumns(req) });
  const rd = await loadRdkit();
  const tokenizer = req.teacher ? SmilesTokenizer.fromJSON(req.teacher.tokenizer) : SmilesTokenizer.fromCorpus(assay.points.map((p) => p.smiles));
  const baseConfig: EncoderConfig = req.teacher
    ? req.teacher.config
    : { ...s.scratchArchitecture, vocabSize: tokenizer.size, shareLayers: false, mlm: null, physchem: 0, task: null };
  // Molecules the model cannot read are reported, not dropped silently.
  const points: typeof assay.points = [];
  const seqs: Int32Array[] = [];
  let tooLong = 0;
  let unknown = 0;
  let tokens = 0;
  for (const p of assay.points) {
    const enc = tokenizer.encode(p.smiles, baseConfig.maxLen);
    if (!enc.ok) {
      tooLong++;
      assay.rejected.push({ record: p.record, line: null, reason: `${enc.tokens} tokens, longer than the model's maximum ${enc.maxLength}` });
      continue;
    }
    unknown += enc.unknown;
    tokens += enc.ids.length - 2;
    points.push(p);
    seqs.push(enc.ids);
  }
  if (points.length < 20) throw new AppError('INVALID_INPUT', `${req.data}: only ${points.length} usable compounds; at least 20 are needed to train and test a model`);
  const fps = points.map((p) => morganOf(rd, p.smiles) as Uint8Array);
  const scaffolds = s.split === 'scaffold' ? points.map((p) => murckoScaffold(rd, p.smiles) ?? p.smiles) : [];
  const classify = req.task === 'classification';
  const taskType = classify ? 'binary' : 'regression';
  const kind: TaskType = classify ? 'classification' : 'regression';
  // Censored regression values (`<`/`>` bounds, e.g. inactives tested up to the top concentration) train
  // through the censored loss; the test metrics compare predictions with measured values, and boundsKept
  // says how many bounds the predictions respect.
  const bounds = Int8Array.from(points, (p) => (classify ? 0 : boundOf(p)));
  const anyBound = bounds.some((b) => b !== 0);
  const metricsOf = (test: number[], y: number[], p: ArrayLike<number>): Record<string, number> => {
    if (classify) return { ...classificationMetrics(y, p) };
    return { ...censoredRegressionMetrics(y, p, test.map((i) => bounds[i] as number)) };
  };
  // What the finished seeds gave: empty, or the resumed run's.
  const from = resume?.done;
  const perSeed: SeedsDone['perSeed'] = { teacher: [...(from?.perSeed.teacher ?? [])], student: [...(from?.perSeed.student ?? [])], baseline: [...(from?.perSeed.baseline ?? [])], consensus: [...(from?.perSeed.consensus ?? [])] };
  const seconds: Record<Role, number> = { teacher: 0, student: 0, baseline: 0, consensus: 0, ...resume?.seconds };
  const throughput: SeedsDone['throughput'] = from ? structuredClone(from.throughput) : { teacher: { n: 0, s: 0, cpu: 0 }, student: { n: 0, s: 0, cpu: 0 } };
  const addCpu = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);
  const trained: TrainedModel[] = [...(from?.trained ?? [])];
  let baseline: QsarResult['baseline'] = from?.baseline ?? null;
  let consensus: ConsensusFit | null = from?.consensus ?? null;
  // A checkpoint from before recommendations existed: its finished seeds count as the default pick.
  const picks: Role[] = from ? [...(from.picks ?? from.perSeed.teacher.map((): Role => (s.distill ? 'student' : 'teacher')))] : [];
  let recommended: { role: Role; why: string } | null = from?.recommended ?? null;
  let predictions: QsarResult['predictions'] = from?.predictions ?? [];
  let sizes = { train: 0, valid: 0, test: 0 };
  let teacherParams = 0;
  let studentParams = 0;
  let studentDepth = 0;
  const first = s.firstSeed ?? 0;
  // A teacher already fine-tuned on this assay, split and seed (a benchmark re-using it) is taken as is;
  // it belongs to one seed, so it cannot serve several.
  const reuse = Boolean(s.teacherFineTuned && req.teacher?.config.task);
  if (reuse && s.seeds > 1) throw new AppError('INVALID_INPUT', 'an already fine-tuned teacher belongs to one seed: run one seed at a time (firstSeed) with it');
  if (resume && (resume.seed < first || resume.seed >= first + s.seeds)) throw new AppError('INVALID_INPUT', `the checkpoint is of seed ${resume.seed + 1}, outside this run's seeds`);
  for (let seed = resume?.seed ?? first; seed < first + s.seeds; seed++) {
    // Resuming: where this seed stands (its first seed only); the state at its start, for checkpoints.
    const at = resume?.seed === seed ? resume : null;
    const done: SeedsDone = {
      perSeed: { teacher: [...perSeed.teacher], student: [...perSeed.student], baseline: [...perSeed.baseline], consensus: [...perSeed.consensus] },
      throughput: structuredClone(throughput),
      trained: [...trained],
      predictions,
      baseline,
      consensus,
      picks: [...picks],
      recommended,
    };
    const checkpointAt = opts.onCheckpoint
      ? (stage: QsarCheckpoint['stage'], epochs: number, c: FitCheckpoint, role: 'teacher' | 'student', since: number, teacherDone: QsarCheckpoint['teacher'], distilled: FitSummary | null) =>
          opts.onCheckpoint?.({ seed, stage, epochs, fit: c, teacher: teacherDone, distilled, seconds: { ...seconds, [role]: seconds[role] + (performance.now() - since) / 1000 }, done })
      : null;
    const split: Split = s.split === 'random' ? randomSplit(points.length, seed + 1) : s.split === 'scaffold' ? scaffoldSplit(scaffolds, seed + 1) : temporalSplit(points.map((p) => p.date));
    if (split.test.length === 0 || split.train.length === 0) throw new AppError('INVALID_INPUT', 'the split left an empty train or test set; use more data or another --split');
    sizes = { train: split.train.length, valid: split.valid.length, test: split.test.length };
    const yTest = split.test.map((i) => points[i]?.value as number);
    const trainY = split.train.map((i) => points[i]?.value as number);
    const norm = classify ? null : meanSd(trainY);
    const scaled = (i: number) => (norm ? ((points[i]?.value as number) - norm.mean) / (norm.sd || 1) : (points[i]?.value as number));
    const dataOf = (idx: number[]): FitData => ({ seqs: idx.map((i) => seqs[i] as Int32Array), y: Float32Array.from(idx, scaled), ...(anyBound ? { bound: Int8Array.from(idx, (i) => bounds[i] as number) } : {}) });
    const testSeqs = split.test.map((i) => seqs[i] as Int32Array);
    // The validation split's measured compounds (bounds are no values to fit weights or residuals on)
    // choose the consensus weights and the recommended model and calibrate the intervals; the test
    // split's measured ones check the intervals' coverage.
    const vIdx = split.valid.filter((i) => bounds[i] === 0);
    const yValid = vIdx.map((i) => points[i]?.value as number);
    const validSeqs = vIdx.map((i) => seqs[i] as Int32Array);
    const tMeasured = split.test.flatMap((i, j) => (bounds[i] === 0 ? [j] : []));
    const calibrated = vIdx.length >= MIN_CALIBRATION;
    const withCoverage = (metrics: Record<string, number>, validPred: ArrayLike<number>, testPred: ArrayLike<number>): { metrics: Record<string, number>; calibration: Calibration | null } => {
      if (!calibrated) return { metrics, calibration: null };
      const calibration = calibrate(kind, yValid, validPred);
      const c = coverage(calibration, tMeasured.map((j) => yTest[j] as number), tMeasured.map((j) => testPred[j] as number));
      return { metrics: { ...metrics, coverage80: c.coverage, [classify ? 'setSize80' : 'width80']: c.width }, calibration };
    };
    const normFix = norm ? { mean: norm.mean, sd: norm.sd || 1 } : null;

    progress(`seed ${seed - first + 1}/${s.seeds}: ECFP4 + random forest baseline`);
    let t0 = performance.now();
    // Like the transformer's censored loss, the forest takes a bound as a bound, not as a value.
    const trainFps = split.train.map((i) => fps[i] as Uint8Array);
    const rf = anyBound ? RandomForest.fitCensored(trainFps, trainY, split.train.map((i) => bounds[i] as number), { seed: seed + 1 }) : RandomForest.fit(trainFps, trainY, req.task, { seed: seed + 1 });
    if (seed === first) baseline = { forest: rf.toJSON(), domain: split.train.map((i) => points[i]?.smiles as string), calibration: null };
    const rfPred = split.test.map((i) => rf.predict(fps[i] as Uint8Array).mean);
    const rfValid = vIdx.map((i) => rf.predict(fps[i] as Uint8Array).mean);
    // A resumed seed refits the forest (deterministic); the checkpoint's seconds have its first fit.
    if (!at) seconds.baseline += (performance.now() - t0) / 1000;
    const rfReport = withCoverage(metricsOf(split.test, yTest, rfPred), rfValid, rfPred);
    perSeed.baseline.push(rfReport.metrics);
    if (seed === first && baseline) baseline.calibration = rfReport.calibration;

    const teacherFinished = at?.teacher ?? null;
    const resumeFrom = (stage: QsarCheckpoint['stage']) => (at?.stage === stage ? { resume: at.fit } : {});
    progress(`seed ${seed - first + 1}/${s.seeds}: ${reuse ? 'using the fine-tuned teacher' : teacherFinished ? 'the fine-tuned teacher of the interrupted run' : at?.stage === 'teacher' ? `resuming the teacher after epoch ${at.fit.epoch}` : 'fine-tuning the teacher'}`);
    t0 = performance.now();
    const teacher = taskModelFrom(baseConfig, req.teacher?.weights ?? null, taskType, seed + 1);
    teacherParams = countParams(teacher);
    const tStart = t0;
    let tFit: FitSummary;
    if (reuse) tFit = { sequences: 0, stepSeconds: 0, stepCpuSeconds: 0, bestEpoch: 0 };
    else if (teacherFinished) {
      assignWeights(teacher.params, teacherFinished.weights);
      tFit = teacherFinished.fit;
    } else {
      tFit = await fit(teacher, dataOf(split.train), dataOf(split.valid), {
        epochs: s.epochs,
        batch: s.batch,
        lengthPool: s.lengthPool,
        lr: s.lr,
        seed: seed + 1,
        signal,
        onEpoch: (e) => progress(`seed ${seed + 1}: teacher epoch ${e.epoch}/${s.epochs} loss ${e.loss.toFixed(4)} valid ${e.valid?.toFixed(4) ?? '-'}`, { stage: 'teacher', seed: seed + 1, epochs: s.epochs, ...e }),
        ...resumeFrom('teacher'),
        ...(checkpointAt ? { onCheckpoint: (c: FitCheckpoint) => checkpointAt('teacher', s.epochs, c, 'teacher', tStart, null, null) } : {}),
      });
    }
    // What the student stages' checkpoints carry: this seed's fine-tuned teacher (a reused one is the request's).
    const teacherDone = checkpointAt && s.distill && !reuse ? (teacherFinished ?? { weights: new Uint8Array(packTensors(teacher.params)), fit: summaryOf(tFit) }) : null;
    throughput.teacher.n += tFit.sequences;
    throughput.teacher.s += tFit.stepSeconds;
    throughput.teacher.cpu = addCpu(throughput.teacher.cpu, tFit.stepCpuSeconds);
    const tPred = await predictTask(teacher, testSeqs, normFix);
    const tValid = await predictTask(teacher, validSeqs, normFix);
    seconds.teacher += (performance.now() - t0) / 1000;
    const tReport = withCoverage(metricsOf(split.test, yTest, tPred), tValid, tPred);
    perSeed.teacher.push(tReport.metrics);
    if (seed === first) trained.push({ role: 'teacher', config: teacher.config, tokenizer: tokenizer.toJSON(), weights: new Uint8Array(packTensors(teacher.params)), norm: normFix, layerMap: null, bestEpoch: tFit.bestEpoch, domain: split.train.map((i) => points[i]?.smiles as string), calibration: tReport.calibration });

    let sPred: Float64Array | null = null;
    let sValid: Float64Array | null = null;
    if (s.distill) {
      const L = teacher.config.layers;
      const k = req.student ? req.student.config.layers : Math.min(s.studentLayers, L);
      const shared = req.student ? true : s.studentShared;
      progress(`seed ${seed - first + 1}/${s.seeds}: distilling the student (${shared ? `1 shared layer x ${k}` : `${k} layers`})`);
      t0 = performance.now();
      studentDepth = k;
      // Teacher layers {0, L/k, 2L/k, …, L} → student {0, 1, …, k} (0 = embeddings).
      const layerMap = Array.from({ length: k + 1 }, (_, j) => Math.round((j * L) / k));
      const student = taskModelFrom(teacher.config, null, taskType, seed + 101, { shareLayers: shared, layers: k, ...(req.student ? { ff: req.student.config.ff } : {}) });
      // Embeddings, pooler and task head from the fine-tuned teacher; the shared layer starts as the
      // teacher's first, or, with a general-distilled student, everything but the task head from it.
      copyMatching(student, packTensors(teacher.params));
      if (req.student) copyMatching(student, req.student.weights);
      studentParams = countParams(student);
      const dStart = t0;
      const distilled = at?.stage === 'finetune' ? at.distilled : null;
      // Task-specific distillation data: the training molecules and random SMILES of them, with the
      // teacher's predictions as soft targets and the measured values as hard ones.
      const distil = async (): Promise<FitSummary> => {
        const rand = seededRandom(seed + 7);
        const augSeqs: Int32Array[] = [];
        const augY: number[] = [];
        const augBound: number[] = [];
        for (const i of split.train) {
          augSeqs.push(seqs[i] as Int32Array);
          augY.push(scaled(i));
          augBound.push(bounds[i] as number);
          for (const smi of enumerateSmiles(rd, points[i]?.smiles as string, s.augment, rand)) {
            const enc = tokenizer.encode(smi, baseConfig.maxLen);
            if (enc.ok) {
              augSeqs.push(enc.ids);
              augY.push(scaled(i));
              augBound.push(bounds[i] as number);
            }
          }
        }
        // Standardised values (regression) or probabilities (binary), the scale of the hard targets.
        const softY = Float32Array.from(await predictTask(teacher, augSeqs, null));
        const dFit = await fit(student, { seqs: augSeqs, y: Float32Array.from(augY), ...(anyBound ? { bound: Int8Array.from(augBound) } : {}) }, dataOf(split.valid), {
          epochs: s.epochs,
          batch: s.batch,
          lengthPool: s.lengthPool,
          lr: s.lr * 2,
          seed: seed + 11,
          signal,
          soft: { y: softY, alpha: s.alpha },
          hidden: { teacher, layerMap, weight: s.hiddenWeight },
          onEpoch: (e) => progress(`seed ${seed + 1}: student epoch ${e.epoch}/${s.epochs} loss ${e.loss.toFixed(4)} valid ${e.valid?.toFixed(4) ?? '-'}`, { stage: 'student', seed: seed + 1, epochs: s.epochs, ...e }),
          ...resumeFrom('distill'),
          ...(checkpointAt ? { onCheckpoint: (c: FitCheckpoint) => checkpointAt('distill', s.epochs, c, 'student', dStart, teacherDone, null) } : {}),
        });
        return summaryOf(dFit);
      };
      // Interrupted in the short fine-tune, the distillation is over: its checkpoint holds the student.
      const dFit = distilled ?? (await distil());
      // A short fine-tune on the measured values only.
      const tuneEpochs = Math.max(1, Math.round(s.epochs / 5));
      const sFit = await fit(student, dataOf(split.train), dataOf(split.valid), {
        epochs: tuneEpochs,
        batch: s.batch,
        lengthPool: s.lengthPool,
        lr: s.lr / 2,
        seed: seed + 13,
        signal,
        ...resumeFrom('finetune'),
        ...(checkpointAt ? { onCheckpoint: (c: FitCheckpoint) => checkpointAt('finetune', tuneEpochs, c, 'student', dStart, teacherDone, dFit) } : {}),
      });
      throughput.student.n += dFit.sequences + sFit.sequences;
      throughput.student.s += dFit.stepSeconds + sFit.stepSeconds;
      throughput.student.cpu = addCpu(throughput.student.cpu, addCpu(dFit.stepCpuSeconds, sFit.stepCpuSeconds));
      sPred = await predictTask(student, testSeqs, normFix);
      sValid = await predictTask(student, validSeqs, normFix);
      seconds.student += (performance.now() - t0) / 1000;
      const sReport = withCoverage(metricsOf(split.test, yTest, sPred), sValid, sPred);
      perSeed.student.push(sReport.metrics);
      if (seed === first) trained.push({ role: 'student', config: student.config, tokenizer: tokenizer.toJSON(), weights: new Uint8Array(packTensors(student.params)), norm: normFix, layerMap, bestEpoch: sFit.bestEpoch, domain: split.train.map((i) => points[i]?.smiles as string), calibration: sReport.calibration });
      disposeModel(student);
    }

    // The consensus: the student (or, without one, the teacher; with it where asked) and the forest,
    // weighted by their validation predictions; judged on validation by cross-fitting, on test as is.
    const members: Array<{ role: 'teacher' | 'student' | 'baseline'; valid: ArrayLike<number>; test: ArrayLike<number> }> = [
      ...(sPred && sValid ? [{ role: 'student' as const, valid: sValid, test: sPred }] : []),
      ...(!sPred || s.consensusTeacher ? [{ role: 'teacher' as const, valid: tValid, test: tPred }] : []),
      { role: 'baseline', valid: rfValid, test: rfPred },
    ];
    const even = members.map(() => 1 / members.length);
    const fitted = calibrated ? crossFitConsensus(kind, yValid, members.map((m) => m.valid)) : { weights: even, honest: combine(even, members.map((m) => m.valid)) };
    const cPred = combine(fitted.weights, members.map((m) => m.test));
    const cReport = withCoverage(metricsOf(split.test, yTest, cPred), fitted.honest, cPred);
    perSeed.consensus.push(cReport.metrics);
    if (seed === first) consensus = { members: members.map((m, k) => ({ role: m.role, weight: fitted.weights[k] as number })), calibration: cReport.calibration };
    // The recommended model: best on validation (smaller and simpler models first within 1%).
    const candidates: Array<{ role: Role; valid: ArrayLike<number> }> = [
      ...(sValid ? [{ role: 'student' as const, valid: sValid }] : []),
      { role: 'baseline', valid: rfValid },
      { role: 'consensus', valid: fitted.honest },
      { role: 'teacher', valid: tValid },
    ];
    const pick = calibrated ? recommend(candidates.map((c) => ({ role: c.role, valid: validationScore(kind, yValid, c.valid) }))) : null;
    picks.push(pick?.role ?? (sPred ? 'student' : 'teacher'));
    if (seed === first) recommended = pick ?? { role: sPred ? 'student' : 'teacher', why: `no recommendation from validation (${vIdx.length} measured validation compounds, ${MIN_CALIBRATION} needed): the ${sPred ? 'student' : 'teacher'} by default` };
    if (seed === first) {
      predictions = split.test.map((i, j) => ({ smiles: points[i]?.smiles as string, measured: yTest[j] as number, teacher: tPred[j] as number, student: sPred ? (sPred[j] as number) : null, baseline: rfPred[j] as number, qualifier: bounds[i] === -1 ? '<' : bounds[i] === 1 ? '>' : '=' }));
    }
    disposeModel(teacher);
  }
  const summarise = (rows: Array<Record<string, number>>) => {
    const out: Record<string, number> = {};
    // Over the seeds that have the metric (boundsKept needs censored compounds in the seed's test split).
    for (const key of new Set(rows.flatMap((r) => Object.keys(r)))) {
      const { mean, sd } = meanSd(rows.filter((r) => key in r).map((r) => r[key] as number));
      out[key] = mean;
      out[`${key}Sd`] = sd;
    }
    return out;
  };
  const perCpu = (t: { n: number; cpu: number | null }) => (t.cpu && t.n ? t.n / t.cpu : null);
  const models: ModelReport[] = [
    { name: 'teacher', role: 'teacher', params: teacherParams, layers: baseConfig.layers, metrics: summarise(perSeed.teacher), trainSeconds: seconds.teacher / s.seeds, trainSeqPerSec: throughput.teacher.n / Math.max(1e-9, throughput.teacher.s), trainSeqPerCpuSec: perCpu(throughput.teacher) },
    ...(s.distill
      ? [{ name: 'student', role: 'student' as const, params: studentParams, layers: studentDepth, metrics: summarise(perSeed.student), trainSeconds: seconds.student / s.seeds, trainSeqPerSec: throughput.student.n / Math.max(1e-9, throughput.student.s), trainSeqPerCpuSec: perCpu(throughput.student) }]
      : []),
    { name: 'ecfp4-rf', role: 'baseline', params: 0, layers: 0, metrics: summarise(perSeed.baseline), trainSeconds: seconds.baseline / s.seeds, trainSeqPerSec: null, trainSeqPerCpuSec: null },
    { name: 'consensus', role: 'consensus', params: 0, layers: 0, metrics: summarise(perSeed.consensus), trainSeconds: 0, trainSeqPerSec: null, trainSeqPerCpuSec: null },
  ];
  // Each seed's pick, judged on that seed's test split.
  const pickCounts: Partial<Record<Role, number>> = {};
  for (const r of picks) pickCounts[r] = (pickCounts[r] ?? 0) + 1;
  const recommendation: Recommendation | null = recommended ? { ...recommended, metrics: summarise(picks.map((r, k) => perSeed[r][k] ?? {})), picks: pickCounts } : null;
  return {
    models,
    split: s.split,
    seeds: s.seeds,
    n: { compounds: points.length, ...sizes, rejected: assay.rejected.length, tooLong, replicates: assay.replicates, censored: bounds.filter((b) => b !== 0).length, unknownTokenRate: tokens ? unknown / tokens : 0 },
    teacherSource:
      (req.teacher ? `fine-tuned from '${req.teacher.name}'` : 'no pretrained teacher given or registered: the teacher was trained from scratch on the assay') +
      (s.distill ? (req.student ? `; student started from the general-distilled '${req.student.name}'` : '; student started from the fine-tuned teacher (no general-distilled student given)') : '') +
      (s.distill && !req.student && s.studentLayers > baseConfig.layers ? `; the student applies its layer ${baseConfig.layers} times, not the ${s.studentLayers} asked: the teacher has only ${baseConfig.layers} layers` : ''),
    data: { file: req.data, sha256: await fileSha256(req.data), target: req.target, task: req.task },
    predictions,
    trained,
    baseline,
    consensus,
    recommended: recommendation,
    assay: { unit: assay.unit, points: assay.points, read: assay.read, rejected: assay.rejected, replicates: assay.replicates, censored: assay.censored },
  };
}
