import type { Db } from '../../db/database';
import { Assays } from './assays';
import { Inference } from './inference';
import { Pretraining } from './pretraining';
import { ModelRegistry } from './registry';
import { TrainingRuns } from './training';

export { BASE_SHARED_TEACHER, BASE_STUDENT, BASE_TEACHER, ModelRegistry } from './registry';
export type { PretrainHooks, PretrainRequest, PretrainResult } from './pretraining';
export { type TrainHooks, type TrainRequest, type TrainResult, TrainingRuns, startingStudent } from './training';
export { Assays } from './assays';
export { Inference } from './inference';
export { Pretraining } from './pretraining';

/** The model services, by job: the registry, pretraining, training runs, assays, inference. */
export interface ModelServices {
  models: ModelRegistry;
  pretraining: Pretraining;
  training: TrainingRuns;
  assays: Assays;
  inference: Inference;
}

/** The model services over one database; `isJobLive` tells whether a job id is running in some process. */
export function modelServices(db: Db, isJobLive: (jobId: string) => boolean = () => false): ModelServices {
  const models = new ModelRegistry(db, isJobLive);
  const assays = new Assays(db);
  return {
    models,
    pretraining: new Pretraining(models.repo, isJobLive),
    training: new TrainingRuns(db, models.repo, assays),
    assays,
    inference: new Inference(models),
  };
}
