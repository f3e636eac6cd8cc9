/** Data shapes that travel between main, preload, renderer, host mode and CLI. */
export type * from './dto-screen';
export type * from './dto-analysis';
import type { PredictionInterval } from './dto-screen';

export type ImportFormat = 'smi' | 'csv' | 'tsv' | 'sdf';

export interface LibrarySummary {
  name: string;
  compounds: number;
  members: number;
  /** Compounds whose descriptors (and substructure fingerprints) are still being computed after their import. */
  descriptorsPending: number;
  createdAt: string;
}

export interface ImportRecordError {
  record: number;
  line: number | null;
  reason: string;
}

/** The first records of a file as an import would read them (the import dialog's preview). */
export interface ImportPreview {
  format: ImportFormat;
  smilesCol: string | null;
  idCol: string | null;
  /** Every column seen (SMILES and id first). */
  columns: string[];
  /**
   * The first records: `structure` as written (an SDF record's first line), `smiles` as the import would
   * store it (standardised), or null with the `reason` the import would reject the record for.
   */
  rows: Array<{ record: number; structure: string; id: string | null; props: Record<string, PropValue>; smiles: string | null; reason: string | null }>;
  errors: ImportRecordError[];
}

export interface ImportSummary {
  library: string;
  file: string;
  format: ImportFormat;
  read: number;
  imported: number;
  duplicates: number;
  rejected: number;
  /** The first 100 rejected records; all of them are stored in the database. */
  errors: ImportRecordError[];
  seconds: number;
  /** What the reader tolerated but the user should know (e.g. trailing bytes after a gzip stream). */
  warnings: string[];
  /** True when this file had already been imported into this library (nothing was added again). */
  alreadyImported: boolean;
  /** True when the run continued an interrupted import of the same file. */
  resumed: boolean;
  /**
   * The descriptors and substructure fingerprints, computed after the records (`seconds` is the records'
   * time): how many compounds got theirs, how many RDKit could not compute, and how long it took. Absent
   * when that step was cancelled or interrupted: it goes on at the next start or import.
   */
  descriptors?: { computed: number; failed: number; seconds: number };
}

export interface Descriptors {
  mw: number;
  clogp: number;
  tpsa: number;
  hbd: number;
  hba: number;
  rotatableBonds: number;
  rings: number;
  aromaticRings: number;
  fractionSp3: number;
  heavyAtoms: number;
  lipinskiViolations: number;
}

export type PropValue = string | number | null;

export interface CompoundRow {
  id: number;
  smiles: string;
  inchikey: string;
  formula: string | null;
  /** Original identifier from the imported record (first member when the compound occurs more than once). */
  originalId: string | null;
  props: Record<string, PropValue>;
  /** Null while they are still being computed after the import (or where RDKit could not compute them). */
  descriptors: Descriptors | null;
  /** True while the descriptors are still being computed (null descriptors without it: RDKit could not). */
  descriptorsPending?: true;
  similarity?: number;
}

export interface CompoundDetail extends CompoundRow {
  members: Array<{ library: string; originalId: string | null; record: number; original: string; props: Record<string, PropValue> }>;
  /** Structural alerts the compound raises (reactive, unstable or assay-interfering groups); empty when none. */
  alerts: string[];
  /** What every finished screen of a library holding it predicted for it, newest screen first. */
  predictions: CompoundPrediction[];
}

/** One model's prediction for one compound in a finished screen. */
export interface CompoundPrediction {
  screen: number;
  library: string;
  model: string;
  /** What the model predicts (null when it is no longer registered). */
  task: { target: string; type: 'regression' | 'classification' } | null;
  /** Null when the model could not read the compound (see note). */
  score: number | null;
  /** 1 = highest score in the screen, of `ranked` compounds the model scored. */
  rank: number | null;
  ranked: number;
  inDomain: boolean | null;
  maxSimilarity: number | null;
  uncertainty: number | null;
  /** The calibrated 80% interval (or prediction set) at this compound's similarity to the training set; null without a calibration. */
  interval: PredictionInterval | null;
  /** The model's interval widths per band of similarity, to say which band the interval comes from. */
  intervals: IntervalSummary | null;
  note: string | null;
  finishedAt: string | null;
}

/** Lower and upper bounds (inclusive) per descriptor. */
export type DescriptorRanges = Partial<Record<DescriptorName, { min?: number; max?: number }>>;

/** How compounds are ordered: import order, a descriptor, or the similarity of a similarity search. */
export interface CompoundSort {
  by: 'import' | 'similarity' | DescriptorName;
  desc?: boolean;
}

/** An order by one of the library's own columns (values of another type than the column's, and empty ones, go last). */
export interface ColumnSort {
  column: string;
  desc?: boolean;
}

/** One key of a multi-key order: the first key decides, the next breaks its ties, and so on. */
export type SortKey = CompoundSort | ColumnSort;

/** A library column's type: detected from its values at import, changeable by the chemist. */
export type ColumnType = 'number' | 'text' | 'date' | 'boolean';

/** One of a library's own columns (a property its files brought). */
export interface LibraryColumn {
  name: string;
  /** The type it is sorted and filtered as. */
  type: ColumnType;
  /** The type its values suggested at import. */
  detected: ColumnType;
  /** Distinct compounds with a value. */
  filled: number;
}

/**
 * A filter on a library column: a range (numbers; dates as YYYY-MM-DD), equality (text, case-insensitive;
 * booleans as true/false) or a substring (text). Compounds without a value never pass.
 */
export interface ColumnFilter {
  column: string;
  min?: number | string;
  max?: number | string;
  equals?: string;
  /** With equals on a text column: the same case too (a SMILES: c1ccccc1 is not C1CCCCC1). */
  exact?: boolean;
  contains?: string;
}

export interface CompoundQuery {
  library: string;
  substructure?: string;
  similar?: string;
  minSim?: number;
  /** Only compounds whose descriptors lie in these ranges. */
  ranges?: DescriptorRanges;
  /** Only compounds whose own columns pass every filter. */
  filters?: ColumnFilter[];
  /** One key or several (multi-key). Default: similarity (descending) for a similarity search, else import order. */
  sort?: SortKey | SortKey[];
  limit?: number;
  offset?: number;
  /** Tags a structure search: progress as search.progress events, stopped by search.cancel. */
  searchId?: string;
}

export interface CompoundPage {
  compounds: CompoundRow[];
  /** Compounds in the library. */
  total: number;
  /** Compounds that pass the query's ranges and searches (so far, when `complete` is false). */
  matched: number;
  /** False when a substructure search stopped once it had filled the page: more may match further on. */
  complete: boolean;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
/** `setup`: the desktop app preparing its shipped models after its window is up. */
export type JobKind = 'import' | 'assay' | 'conformer' | 'pretrain' | 'train' | 'screen' | 'vs' | 'setup' | 'cluster' | 'scaffolds' | 'descriptors';

/** A structure search tagged with a `searchId` (compound.list / compound.ids): chunks of the library matched so far. */
export interface SearchProgress {
  searchId: string;
  done: number;
  total: number;
}

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  done: number;
  total: number | null;
  /** Items per second over the job so far. */
  rate: number;
  etaSeconds: number | null;
  message: string;
  /** Training jobs: the newest point of the loss curve. */
  point?: TrainingPoint;
  /**
   * Imports: the records are all in and the descriptors are being computed (the library can be opened), or
   * a `descriptors` job going on with them: the library whose compounds get theirs now.
   */
  descriptorsOf?: string;
  /** QSAR training jobs: the epoch just finished. */
  epoch?: EpochPoint;
}

export interface JobInfo {
  jobId: string;
  kind: JobKind;
  state: JobState;
  /** What the job was asked (library and file of an import, the models of a screen, the run of a training). */
  args: unknown;
  progress: JobProgress | null;
  result: unknown;
  error: { code: string; message: string } | null;
  createdAt: string;
  /** `job.list --running`: the epochs a training job has reported so far (its curves), oldest first. */
  epochs?: EpochPoint[];
}

export interface JobDone {
  jobId: string;
  kind: JobKind;
  state: Exclude<JobState, 'queued' | 'running'>;
  result: unknown;
  error: { code: string; message: string } | null;
}

export interface BackendStatus {
  name: string;
  available: boolean;
  selected: boolean;
  reason: string;
}

export interface DoctorReport {
  delicate: string;
  node: string;
  electron: string | null;
  platform: string;
  database: string;
  rdkit: string | null;
  openchemlib: string | null;
  sqlite: string;
  computeBackends: BackendStatus[];
  /** ONNX Runtime execution providers for inference, with reasons. */
  inferenceProviders: BackendStatus[];
  data: { sharedData: string | null };
}

export type ModelState = 'training' | 'ready' | 'failed' | 'cancelled';

/** An assay read by `train`: its source, target and what reading it found. */
export interface AssaySummary {
  name: string;
  file: string;
  sha256: string;
  target: string;
  task: 'regression' | 'classification';
  unit: string | null;
  records: number;
  compounds: number;
  replicates: number;
  censored: number;
  rejected: number;
  /** Compounds with a measurement date: a temporal split needs every compound dated. */
  dated: number;
  createdAt: string;
}

/** One compound of a stored assay: its replicates aggregated (mean, or majority class), with their count and spread. */
export interface AssayMeasurement {
  /** Stereo-free canonical SMILES: what the model reads, and the key replicates are grouped by. */
  smiles: string;
  inchikey: string;
  /** Mean of the replicates after unit conversion (e.g. pIC50); 0/1 for classification. */
  value: number;
  /** `<` or `>` when every replicate is bounded the same way (censored), else `=`. */
  qualifier: '=' | '<' | '>';
  count: number;
  /** Sample sd of the replicates; 0 for one measurement. */
  spread: number;
  censored: boolean;
  /** Earliest measurement date, when the assay has a date column. */
  date: string | null;
  /** The first record (1-based) of the compound in the file read. */
  record: number;
  /** The file's compound IDs (its ID column or SDF titles) of the compound's records; null without. */
  id: string | null;
}

/** A page of a stored assay's compounds (the Train screen's assay table). */
export interface AssayPage {
  assay: AssaySummary;
  /** Compounds that match the filter. */
  total: number;
  measurements: AssayMeasurement[];
  /** The records reading rejected (first 100), each with its record, line and reason. */
  rejected: Array<{ record: number; line: number | null; reason: string }>;
}

/** One model in the registry (`delicate models`, the Models screen). */
export interface ModelSummary {
  name: string;
  /** pretrained (MLM + physchem), teacher (fine-tuned), shared (shared-layer teacher), student (distilled), baseline (ECFP4 random forest), consensus (weighted mean of a run's models). */
  kind: 'pretrained' | 'teacher' | 'shared' | 'student' | 'baseline' | 'consensus';
  state: ModelState;
  params: number;
  layers: number;
  shareLayers: boolean;
  hidden: number;
  /** What it predicts, for models that score compounds (task models and baselines); null for encoders. */
  task: { target: string; type: 'regression' | 'classification' } | null;
  /** A transformer whose task head also reads the compound's ECFP4 (fingerprint-aware head). */
  fpHead: boolean;
  /** A transformer whose task head also reads the compound's RDKit descriptors (descriptor-aware head). */
  descHead: boolean;
  /** Names of the models this one was made from (lineage). */
  parent: string[];
  metrics: Record<string, number | null>;
  /** Training steps done so far (of the planned total). */
  steps: number;
  totalSteps: number;
  createdAt: string;
  /** A shipped model's earlier version, kept when a newer file of its name was registered (services/models/shipped.ts). */
  retired?: true;
  /** A shipped task model (delicate-*, not a retired version): what a screen scores with when no model is named. */
  screensByDefault?: true;
  /** How wide the intervals it states are (scoring models calibrated on a validation split); null otherwise. */
  intervals: IntervalSummary | null;
}

/**
 * A model's calibrated intervals: the half-width of its regression interval (`kind` 'interval') or the
 * nonconformity up to which a class stays in its prediction set ('set': a class is kept from probability
 * 1 − q), overall and per band of highest similarity to the training set (`from`: the band's lowest
 * similarity; none when the validation split was too small for bands).
 */
export interface IntervalSummary {
  level: number;
  kind: 'interval' | 'set';
  overall: number;
  bands: Array<{ from: number; q: number }>;
}

/** One epoch of a QSAR training stage (the live curves of `model.train`). */
export interface EpochPoint {
  stage: 'teacher' | 'student';
  seed: number;
  epoch: number;
  epochs: number;
  /** Training loss (mean over the epoch). */
  loss: number;
  /** Validation loss, when there is a validation split. */
  valid: number | null;
}

/** Progress of a training job (one point per optimisation step). */
export interface TrainingPoint {
  step: number;
  loss: number;
  mlm: number;
  physchem: number;
  mlmAccuracy: number;
}

export type DescriptorName = keyof Descriptors;

/** Where an interrupted training run stands: it resumes after this epoch of this stage and seed. */
export interface RunProgress {
  /** 1-based replicate seed. */
  seed: number;
  seeds: number;
  /** The teacher's fine-tune, the student's task distillation, or the student's short fine-tune. */
  stage: 'teacher' | 'distill' | 'finetune';
  epoch: number;
  epochs: number;
}

/** A training run that was cancelled or cut off (a crash): its latest checkpoint, resumable by name. */
export interface InterruptedRun {
  /** The run's --out name. */
  name: string;
  target: string;
  /** The data it trains on (file name, or the stored assay's source). */
  data: string;
  progress: RunProgress;
  updatedAt: string;
}

/** What a finished `model.train` job returns (the `delicate train` JSON). */
export interface TrainOutcome {
  /** Test metrics, mean and sd over the seeds; `coverage80` is the share of measured test compounds inside their 80% interval (or prediction set). */
  models: Array<{
    name: string;
    role: 'teacher' | 'student' | 'baseline' | 'consensus';
    params: number;
    layers: number;
    metrics: Record<string, number>;
    trainSeconds: number;
  }>;
  /** The model to use: best on the validation split (never the test split); `metrics`: each seed's pick on its test split. */
  recommended: {
    name: string;
    role: 'teacher' | 'student' | 'baseline' | 'consensus';
    why: string;
    metrics: Record<string, number>;
    picks: Partial<Record<'teacher' | 'student' | 'baseline' | 'consensus', number>>;
  } | null;
  /** The registered consensus and its members' weights (fitted on the validation split). */
  consensus: { name: string; members: Array<{ name: string; weight: number }> } | null;
  split: string;
  seeds: number;
  n: { compounds: number; train: number; valid: number; test: number; rejected: number; censored: number };
  teacherSource: string;
  /** Test split of the first seed; `qualifier` `<`/`>`: the measured value is a bound (censored). */
  predictions: Array<{ smiles: string; measured: number; teacher: number; student: number | null; baseline: number; qualifier: '=' | '<' | '>' }>;
  registered: string[];
  /** Where the run resumed from, when it was resumed. */
  resumedFrom: RunProgress | null;
}
