import type { EpochPoint } from '../../src-shared/dto';
import type { AssayColumns } from '../../src-shared/assay-columns';
import type { EncoderConfig } from '../model/encoder';
import type { TokenizerJson } from '../model/tokenizer';
import type { AssayData, Task } from './assay';
import type { Calibration } from './ensemble';
import type { FitCheckpoint } from './finetune';
import type { ForestJson } from './forest';
import type { QsarSettings } from './qsar-settings';
import type { SplitKind } from './splits';
import type { QsarData } from './qsar-data';

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
  n: {
    compounds: number;
    train: number;
    valid: number;
    test: number;
    rejected: number;
    tooLong: number;
    replicates: number;
    censored: number;
    unknownTokenRate: number;
  };
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

/** Where a fit stands within its epoch: the batch just done of the epoch's batches. */
export interface BatchPoint {
  batch: number;
  batches: number;
}

/** A run's progress: a message, an epoch's losses for the curves, or (every second or so) the batch within an epoch. */
export type Progress = (message: string, epoch?: EpochPoint, batch?: BatchPoint) => void;

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
export interface SeedsDone {
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

/** What a run has gathered so far, over its seeds (a resumed run starts from its checkpoint's). */
export interface RunTotals {
  perSeed: SeedsDone['perSeed'];
  seconds: Record<Role, number>;
  throughput: SeedsDone['throughput'];
  trained: TrainedModel[];
  baseline: QsarResult['baseline'];
  consensus: ConsensusFit | null;
  picks: Role[];
  recommended: { role: Role; why: string } | null;
  predictions: QsarResult['predictions'];
  sizes: { train: number; valid: number; test: number };
  teacherParams: number;
  studentParams: number;
  studentDepth: number;
}

/** One seed of a run: the request, its data, the totals it adds to, and where a resumed seed stands. */
export interface SeedJob {
  req: QsarRequest;
  data: QsarData;
  totals: RunTotals;
  seed: number;
  /** The run's first seed (the one whose models are registered). */
  first: number;
  /** The checkpoint this seed resumes from, if it does. */
  at: QsarCheckpoint | null;
  /** A teacher already fine-tuned on this assay, split and seed, taken as is. */
  reuse: boolean;
  progress: Progress;
  signal?: AbortSignal;
  onCheckpoint?: (c: QsarCheckpoint) => void;
}
