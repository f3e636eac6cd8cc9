import type { TaskManifest } from '../../train/manifests';
import type { Engine, PredictionRow } from '../../train/predict-types';
import type { ModelRegistry } from './registry';
import type { TrainRequest } from '../../train/train-protocol';
import { runTrainJob } from './train-job';

/** Predictions, evaluation on a labelled file and speed measurements: each on a worker, off the thread that serves the UI. */
export class Inference {
  constructor(private readonly models: ModelRegistry) {}

  /** Predictions with the domain check; inputs the model cannot read come back with the reason. */
  async predict(
    name: string,
    inputs: string[],
    engine: Engine = 'auto',
  ): Promise<{ model: string; task: TaskManifest['task']; engine: string; rows: PredictionRow[] }> {
    const spec = this.models.scoringSpec(name);
    const r = await runTrainJob(`prediction with '${name}'`, { type: 'predict', model: spec, inputs, engine }, (e) => (e.type === 'predicted' ? e : undefined));
    return { model: name, task: spec.task, engine: r.engine, rows: r.rows };
  }

  /** Metrics of a scoring model on a labelled file. */
  async evaluate(name: string, file: string, target: string, opts: { smilesCol?: string; unit?: string; engine?: Engine } = {}) {
    const spec = this.models.scoringSpec(name);
    const r = await runTrainJob(`evaluation of '${name}'`, { type: 'evaluate', model: spec, file, target, ...opts }, (e) =>
      e.type === 'evaluated' ? e : undefined,
    );
    return { model: name, ...r.result };
  }

  /** Inference speed of a task model in sequences per second on a fixed sample of drug-like molecules (benchmarks). */
  async inferenceSpeed(name: string, engine: Engine = 'tfjs'): Promise<number> {
    return (await this.speed(name, engine)).molPerSec;
  }

  /** Molecules per second of a task model on a fixed sample of drug-like molecules, and the engine that ran. */
  async speed(name: string, engine: Engine = 'auto'): Promise<{ molPerSec: number; engine: string; molecules: number }> {
    const spec = this.models.taskSpec(name);
    const inputs = speedInputs();
    const r = await runTrainJob(`speed of '${name}'`, { type: 'predict', model: { ...spec, domain: [] }, inputs, engine }, (e) =>
      e.type === 'predicted' ? e : undefined,
    );
    return { molPerSec: inputs.length / r.inferSeconds, engine: r.engine, molecules: inputs.length };
  }

  /** Fine-tuning throughput of a task model (sequences per wall and per CPU second of its thread) on the same sample. */
  async trainingSpeed(name: string): Promise<{ seqPerSec: number; seqPerCpuSec: number | null; sequences: number }> {
    const request: TrainRequest = { type: 'train-speed', model: { ...this.models.taskSpec(name), domain: [] }, inputs: speedInputs() };
    const { type: _, ...r } = await runTrainJob(`training speed of '${name}'`, request, (e) => (e.type === 'train-speed' ? e : undefined));
    return r;
  }
}

/** Drug-like molecules of typical length for speed measurements. */
const SPEED_SAMPLE = [
  'CC(=O)Oc1ccccc1C(=O)O',
  'CN1CCC[C@H]1c1cccnc1',
  'CC(C)Cc1ccc(C(C)C(=O)O)cc1',
  'COc1ccc2[nH]cc(CCNC(C)=O)c2c1',
  'O=C(O)c1ccccc1Nc1cccc(C(F)(F)F)c1',
  'CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21',
  'Cc1ccc(cc1Nc1nccc(n1)c1cccnc1)NC(=O)c1ccc(CN2CCN(C)CC2)cc1',
  'CC(C)NCC(O)COc1cccc2ccccc12',
];

/** The speed measurements' 512 inputs: the sample, repeated. */
const speedInputs = () => Array.from({ length: 512 }, (_, i) => SPEED_SAMPLE[i % SPEED_SAMPLE.length] as string);
