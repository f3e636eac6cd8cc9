import type { EncoderConfig } from '../model/encoder';
import type { TokenizerJson } from '../model/tokenizer';
import type { PhyschemNorm } from './physchem';
import type { PretrainSettings } from './settings';

/** The model's manifest: what a stored model needs besides its weights. */
export interface ModelManifest {
  format: 'delicate-model-v1';
  config: EncoderConfig;
  tokenizer: TokenizerJson;
  physchem: PhyschemNorm | null;
  training: {
    kind: 'pretrain' | 'general-distill';
    settings: PretrainSettings;
    corpus: { file: string; sha256: string; molecules: number; used: number; heldOut: number; skipped: number };
    /** General distillation: the teacher and the student→teacher layer map. */
    teacher?: string;
    layerMap?: number[];
  };
}

/** Run state saved in every checkpoint. */
export interface RunState {
  step: number;
  totalSteps: number;
  seconds: number;
  sequences: number;
  tokens: number;
  /** One point per step: loss and its parts (the live curve, and the proof that a resume continues it). */
  curve: Array<{ step: number; loss: number; mlm: number; physchem: number; mlmAccuracy: number; distill?: number }>;
}

export interface Checkpoint {
  state: RunState;
  weights: Uint8Array;
  optimizer: Uint8Array;
}

export interface EvalResult {
  mlmAccuracy: number;
  /** Accuracy of always predicting the most frequent training token at the same masked positions. */
  unigramAccuracy: number;
  mlmLoss: number;
  /** Mean R² over the physchem descriptors on the held-out molecules (null without the head). */
  physchemR2: number | null;
  molecules: number;
  maskedTokens: number;
}

export interface Progress {
  step: number;
  totalSteps: number;
  loss: number;
  mlm: number;
  physchem: number;
  mlmAccuracy: number;
  /** General distillation: the distillation part of the loss. */
  distill?: number;
  seqPerSec: number;
  etaSeconds: number | null;
  lr: number;
}

export interface Corpus {
  file: string;
  sha256: string;
  smiles: string[];
}
