import type { EncoderConfig } from '../model/encoder';

/** Everything that defines a pretraining run; stored with the model so a resume continues the same run. */
export interface PretrainSettings {
  architecture: Pick<EncoderConfig, 'layers' | 'hidden' | 'heads' | 'ff' | 'maxLen' | 'dropout' | 'shareLayers'> & { embeddingSize?: number };
  batch: number;
  /** Peak learning rate (after warmup, then linear decay to 0 at the last step). */
  lr: number;
  warmupFraction: number;
  clipNorm: number;
  weightDecay: number;
  /** Fixed step budget; with a time budget it is estimated from the measured rate and then fixed. */
  maxSteps: number | null;
  timeBudgetSeconds: number | null;
  /** Weight of the physchem loss; 0 disables the head. */
  physchemWeight: number;
  maskRate: number;
  seed: number;
  /** Every n-th corpus molecule (up to heldOutMax) is held out for evaluation. */
  heldOutEvery: number;
  heldOutMax: number;
  checkpointEvery: number;
  gradientCheckpointing: boolean;
  /**
   * Batches come from pools of this many batches' molecules sorted by length (each batch pads to a
   * length near its own molecules': less padding, faster steps); 1 = plain random batches, which runs
   * stored without the setting (from before it) keep.
   */
  lengthPool?: number;
  /**
   * General distillation (DeLiCaTe stage 3) instead of plain pretraining: the student is the teacher's
   * architecture with one shared layer applied `layers` times, trained on the corpus to match the
   * teacher's hidden states (layer map {0, L/k, …, L} → {0, …, k}), last-layer attention and soft MLM
   * logits at `temperature`, plus the hard MLM/physchem losses weighted by `hard`. With `layers` equal to
   * the teacher's depth this derives the shared-layer teacher (DeLiCaTe stage 2). `ff` narrows the
   * student's feed-forward block (its units pruned from the starting layer by importance); `init` starts
   * the student from another model's weights (e.g. the shared-layer teacher) instead of the teacher's.
   */
  distill?: { teacher: string; layers: number; temperature: number; hidden: number; attention: number; soft: number; hard: number; ff?: number; init?: string };
  /**
   * Plain pretraining that continues from a ready pretrained model (its weights, architecture, tokenizer
   * and physchem normalisation) with a fresh optimizer and schedule: a longer run over an earlier one.
   */
  init?: string;
}

export const DEFAULT_PRETRAIN: PretrainSettings = {
  architecture: { layers: 4, hidden: 128, heads: 4, ff: 512, maxLen: 128, dropout: 0.1, shareLayers: false },
  batch: 32,
  lr: 1e-3,
  warmupFraction: 0.05,
  clipNorm: 1,
  weightDecay: 0.01,
  maxSteps: null,
  timeBudgetSeconds: 600,
  physchemWeight: 1,
  maskRate: 0.15,
  seed: 1,
  heldOutEvery: 50,
  heldOutMax: 1000,
  checkpointEvery: 50,
  gradientCheckpointing: false,
  lengthPool: 8,
};

export const DEFAULT_DISTILL = { temperature: 2, hidden: 1, attention: 1, soft: 1, hard: 1 };
