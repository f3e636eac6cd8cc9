import type { EncoderConfig } from '../model/encoder';
import type { TokenizerJson } from '../model/tokenizer';
import type { Calibration } from './ensemble';
import type { ModelManifest } from './pretrain';
import type { QsarResult } from './qsar';
import type { QsarSettings } from './qsar-settings';
import type { Task } from './assay';

export type { ModelManifest } from './pretrain';

/** The applicability domain a scoring model carries: its training SMILES and the similarity threshold. */
export interface DomainManifest {
  smiles: string[];
  threshold: number;
}

/** The manifest of a task model (fine-tuned teacher or distilled student). */
export interface TaskManifest {
  format: 'delicate-model-v1';
  config: EncoderConfig;
  tokenizer: TokenizerJson;
  physchem: null;
  task: { target: string; type: Task; norm: { mean: number; sd: number } | null };
  training: {
    kind: 'finetune' | 'distill';
    data: QsarResult['data'];
    settings: QsarSettings;
    teacher: string | null;
    layerMap: number[] | null;
    bestEpoch: number;
    split: string;
  };
  /** Training-set SMILES: the applicability domain (max ECFP4 Tanimoto of a query to these). */
  domain: DomainManifest;
  /** Prediction intervals calibrated on the validation split (absent on models trained before they existed). */
  calibration?: Calibration | null;
}

/** The manifest of a baseline model (the ECFP4 random forest of `delicate train`); the forest is the gzipped JSON in weights. */
export interface BaselineManifest {
  format: 'delicate-forest-v1';
  task: TaskManifest['task'];
  training: { kind: 'forest'; data: QsarResult['data']; split: string; fingerprint: 'ECFP4 (Morgan r=2), 2048 bits'; trees: number };
  domain: DomainManifest;
  calibration?: Calibration | null;
}

/**
 * The manifest of a consensus model: the weighted mean of registered models' predictions (weights fitted
 * on the run's validation split); it has no weights of its own.
 */
export interface ConsensusManifest {
  format: 'delicate-consensus-v1';
  task: TaskManifest['task'];
  members: Array<{ name: string; weight: number }>;
  training: { kind: 'consensus'; data: QsarResult['data']; split: string; fitted: string };
  domain: DomainManifest;
  calibration: Calibration | null;
}

/** A transformer's manifest: pretrained, shared-layer or general-distilled (ModelManifest) or with a task head. */
export type EncoderManifest = ModelManifest | TaskManifest;

/** Any stored model's manifest. */
export type StoredManifest = EncoderManifest | BaselineManifest | ConsensusManifest;

/** A transformer with a task head (its manifest names the task). */
export const isTaskManifest = (m: StoredManifest): m is TaskManifest =>
  m.format === 'delicate-model-v1' && 'task' in m && m.task !== undefined && m.task !== null;
