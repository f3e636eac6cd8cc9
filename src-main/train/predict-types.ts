import type { EncoderConfig } from '../model/encoder';
import type { TokenizerJson } from '../model/tokenizer';
import type { Calibration, Interval } from './ensemble';
import type { ForestJson } from './forest';

/** What inference needs of any stored model (embeddings: the pooled output). */
export interface EncoderSpec {
  name: string;
  config: EncoderConfig;
  tokenizer: TokenizerJson;
  weights: Uint8Array;
  /** The stored ONNX graph, when there is one (ONNX Runtime runs it). */
  onnx?: Uint8Array;
}

/** What prediction needs of a stored task model. */
export interface TaskModelSpec extends EncoderSpec {
  task: { target: string; type: 'regression' | 'classification'; norm: { mean: number; sd: number } | null };
  /** Training-set SMILES for the applicability-domain check. */
  domain: string[];
  /** Its prediction intervals (null: trained before they existed, or too small a validation split). */
  calibration?: Calibration | null;
}

/** A stored ECFP4 random forest (the baseline) as a scoring model; its trees' spread is the uncertainty. */
export interface ForestModelSpec {
  name: string;
  kind: 'forest';
  forest: ForestJson;
  task: TaskModelSpec['task'];
  domain: string[];
  calibration?: Calibration | null;
}

/** A consensus: the weighted mean of its members' predictions (transformers and forests). */
export interface ConsensusModelSpec {
  name: string;
  kind: 'consensus';
  members: Array<{ spec: MemberSpec; weight: number }>;
  task: TaskModelSpec['task'];
  domain: string[];
  calibration: Calibration | null;
}

/** What a consensus combines: a transformer task model or a forest baseline. */
export type MemberSpec = (TaskModelSpec & { kind?: 'transformer' }) | ForestModelSpec;

/** Anything that scores compounds: a transformer task model, a forest baseline or a consensus of them. */
export type ScoringSpec = MemberSpec | ConsensusModelSpec;

/** Whether any of these models (or a consensus's members) has a descriptor-aware head. */
export function readsDescriptors(specs: ReadonlyArray<ScoringSpec | MemberSpec>): boolean {
  return specs.some((s) => (s.kind === 'consensus' ? readsDescriptors(s.members.map((m) => m.spec)) : s.kind !== 'forest' && Boolean(s.config.task?.desc)));
}

/** In the model's domain when the nearest training molecule has at least this ECFP4 Tanimoto. */
export const DOMAIN_THRESHOLD = 0.3;

export interface PredictionRow {
  input: string;
  smiles: string | null;
  /** Predicted value (regression) or probability of the positive class. */
  prediction: number | null;
  maxSimilarity: number | null;
  inDomain: boolean | null;
  /** The calibrated interval (regression) or prediction set (classification); null without a calibration or a prediction. */
  interval: Interval | null;
  /** Why there is no prediction, or a warning (unknown tokens). */
  note: string | null;
}

/** Inference engine: ONNX Runtime when it loads (auto), or one forced. */
/** Where a model runs: ONNX Runtime when it loads (auto), ONNX Runtime (float32, or int8: dynamically quantised MatMuls), TF.js. */
export type Engine = 'auto' | 'onnxruntime' | 'onnxruntime-int8' | 'tfjs';
