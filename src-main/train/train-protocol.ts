import type { EpochPoint } from '../../src-shared/dto';
import type { ErrorCode } from '../../src-shared/errors';
import type { BackendReport, BackendName } from '../model/tf/backend';
import type { EvalResult, ModelManifest, PretrainSettings, Progress, RunState } from './pretrain';
import type { Engine, PredictionRow, ScoringSpec, TaskModelSpec } from './predict-types';
import type { AssayData, AssayReadProgress, Task } from './assay';
import type { AssayColumns } from '../../src-shared/assay-columns';
import type { BatchPoint, QsarCheckpoint, QsarRequest, QsarResult } from './qsar';

/** Messages from the main thread to a training worker. */
export type TrainRequest =
  | {
      type: 'pretrain';
      corpus: string;
      smilesCol?: string;
      settings: PretrainSettings;
      backend?: BackendName | 'auto';
      resume?: { manifest: ModelManifest; state: RunState; weights: Uint8Array; optimizer: Uint8Array };
      /** General distillation: the teacher (settings.distill names it). */
      teacher?: { manifest: ModelManifest; weights: Uint8Array };
      /** General distillation: the model the student starts from (settings.distill.init), when not the teacher. */
      init?: { manifest: ModelManifest; weights: Uint8Array };
    }
  | { type: 'qsar'; request: QsarRequest; backend?: BackendName | 'auto'; resume?: QsarCheckpoint; checkpoints?: boolean }
  | { type: 'predict'; model: ScoringSpec; inputs: string[]; engine?: Engine }
  | { type: 'train-speed'; model: TaskModelSpec; inputs: string[] }
  | { type: 'evaluate'; model: ScoringSpec; file: string; target: string; smilesCol?: string; unit?: string; engine?: Engine }
  | { type: 'read-assay'; file: string; opts: { target: string; task: Task } & AssayColumns }
  | { type: 'cancel' };

/** Messages from a training worker. */
export type TrainEvent =
  | { type: 'started'; manifest: ModelManifest; params: number; backend: BackendReport; state: RunState }
  | { type: 'progress'; progress: Progress }
  | { type: 'checkpoint'; state: RunState; weights: Uint8Array; optimizer: Uint8Array }
  | { type: 'done'; state: RunState; weights: Uint8Array; evaluation: EvalResult; seconds: number }
  | { type: 'cancelled'; state: RunState; weights: Uint8Array; optimizer: Uint8Array }
  | { type: 'qsar-started'; backend: BackendReport }
  | { type: 'qsar-progress'; message: string; epoch?: EpochPoint; batch?: BatchPoint }
  | { type: 'qsar-checkpoint'; checkpoint: QsarCheckpoint }
  | { type: 'qsar-done'; result: QsarResult }
  | { type: 'predicted'; rows: PredictionRow[]; inferSeconds: number; engine: string }
  | { type: 'train-speed'; sequences: number; seqPerSec: number; seqPerCpuSec: number | null }
  | {
      type: 'evaluated';
      result: { metrics: Record<string, number>; n: number; censored: number; unreadable: number; rejected: number; inDomain: number; engine: string };
    }
  | ({ type: 'assay-progress' } & AssayReadProgress)
  | { type: 'assay-read'; assay: AssayData; sha256: string }
  | { type: 'error'; code: ErrorCode; message: string };
