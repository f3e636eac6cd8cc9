import type { EncoderConfig } from '../model/encoder';
import type { TokenizerJson } from '../model/tokenizer';
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
}

/** A stored ECFP4 random forest (the baseline) as a scoring model; its trees' spread is the uncertainty. */
export interface ForestModelSpec {
  name: string;
  kind: 'forest';
  forest: ForestJson;
  task: TaskModelSpec['task'];
  domain: string[];
}

/** Anything that scores compounds: a transformer task model or a forest baseline. */
export type ScoringSpec = (TaskModelSpec & { kind?: 'transformer' }) | ForestModelSpec;

/** In the model's domain when the nearest training molecule has at least this ECFP4 Tanimoto. */
export const DOMAIN_THRESHOLD = 0.3;

export interface PredictionRow {
  input: string;
  smiles: string | null;
  /** Predicted value (regression) or probability of the positive class. */
  prediction: number | null;
  maxSimilarity: number | null;
  inDomain: boolean | null;
  /** Why there is no prediction, or a warning (unknown tokens). */
  note: string | null;
}

/** Inference engine: ONNX Runtime when it loads (auto), or one forced. */
export type Engine = 'auto' | 'onnxruntime' | 'tfjs';
