/** Data shapes of screens and virtual screening (re-exported by dto.ts). */
import type { DescriptorRanges, Descriptors, PropValue } from './dto';

export type ScreenState = 'running' | 'done' | 'cancelled' | 'failed';

/** A screen run: a library scored by one or more models (`delicate screen`, the Screening screen). */
export interface ScreenSummary {
  screen: number;
  library: string;
  models: string[];
  state: ScreenState;
  /** Distinct compounds in the library. */
  total: number;
  /** Compounds with a score from every model (unreadable ones excluded). */
  scored: number;
  /** Compounds at least one model could not read (the reasons are on their prediction rows). */
  unreadable: number;
  seconds: number;
  molPerSec: number;
  engine: string | null;
  /** Max ECFP4 Tanimoto to the training set at or above which a compound is in the model's domain. */
  domainThreshold: number;
  createdAt: string;
  finishedAt: string | null;
}

/**
 * A prediction's calibrated 80% interval (regression: [lower, upper]) or prediction set (classification:
 * the classes, 1 = active, that cannot be ruled out at that level), from the model's validation split.
 */
export type PredictionInterval = { level: number; lower: number; upper: number } | { level: number; classes: Array<0 | 1> };

/** One compound's prediction by one model in a screen. */
export interface ScreenHit {
  compoundId: number;
  smiles: string;
  originalId: string | null;
  model: string;
  /** Predicted value, or probability of the positive class; null when the model could not read it. */
  score: number | null;
  /** 1 = highest score; null when unscored. */
  rank: number | null;
  maxSimilarity: number | null;
  inDomain: boolean | null;
  /** Spread of an ensemble, where the model provides one (the forest's trees, a consensus's members). */
  uncertainty: number | null;
  /** The calibrated interval or prediction set; null without a score or for a model trained before calibration. */
  interval: PredictionInterval | null;
  note: string | null;
  /** Null while still being computed after the compound's import. */
  descriptors: Descriptors | null;
  /** The library record's own columns (first record of the compound). */
  props: Record<string, PropValue>;
}

/** Filters on a screen's results; all optional, combined with AND. */
export interface ScreenFilter {
  model?: string;
  minScore?: number;
  maxScore?: number;
  inDomainOnly?: boolean;
  ranges?: DescriptorRanges;
  substructure?: string;
  /** Unreadable compounds (score null) instead of the ranked ones. */
  unreadable?: boolean;
  /** Lowest scores first (e.g. the least soluble, the least likely active); default: highest first. */
  ascending?: boolean;
  limit?: number;
  offset?: number;
}

/** Virtual-screening metrics of one ranking method against known actives (`delicate vs`, `screen.vs`). */
export interface VsOutcome {
  library: string;
  method: 'ecfp' | 'embedding' | 'fusion' | 'model';
  model: string | null;
  metrics: { rocAuc: number; prAuc: number; ef1: number; ef5: number; bedroc20: number };
  sd: { rocAuc: number; prAuc: number; ef1: number; ef5: number; bedroc20: number };
  n: number;
  actives: number;
  queries: number;
  folds: number;
  protocol: string;
  unreadable: number;
  /** Fraction of the list screened → fraction of the actives found (mean over folds). */
  curve: Array<{ screened: number; found: number }>;
}
