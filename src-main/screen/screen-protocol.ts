import type { EncoderSpec, Engine, ScoringSpec } from '../train/predict-types';
import type { ScoredChunk, ScreenItem } from './scorer';

/** Messages between ScreenPool and its worker threads. */
export type ScreenRequest =
  | { type: 'load'; models: ScoringSpec[]; engine: Engine; threads: number; spin?: boolean }
  | { type: 'score'; chunk: number; items: ScreenItem[] }
  /** Embeddings of model SMILES with any model (loaded for this request only). */
  | { type: 'embed'; model: EncoderSpec; smiles: string[]; engine: Engine; threads: number }
  /** Stop the embedding in progress at its next step; the worker answers 'stopped' once the model is released. */
  | { type: 'stop' }
  /** Release the models (after any chunk in progress); the worker answers 'closed' and may be terminated. */
  | { type: 'close' };

export type ScreenEvent =
  | { type: 'loaded'; engine: string }
  | { type: 'scored'; chunk: number; result: ScoredChunk }
  | { type: 'embedding'; done: number; total: number }
  | { type: 'embedded'; vectors: Array<Float32Array | null> }
  | { type: 'stopped'; message: string }
  | { type: 'closed' }
  | { type: 'error'; message: string };
