import { AppError } from '../../src-shared/errors';
import { seededRandom } from '../../src-shared/random';
import { type PaddedBatch, lengthBatches, padBatch, shuffledLengthBatches } from '../model/batch';
import { type DescriptorNorm, type EncoderConfig, type Model, createModel, encode, paramGrads, taskHead } from '../model/encoder';
import { descFeatures, fpFeatures } from '../model/fp-features';
import { inferRows } from '../model/infer';
import { bceWithLogits, censoredMse, maskedHiddenMse, mse } from '../model/losses';
import { LeanAdam } from '../model/tf/adam';
import { tf } from '../model/tf/backend';
import { assignWeights, copyMatching, packTensors, unpackTensors } from '../model/weights-tf';
import { threadCpuSeconds } from '../util/cpu-time';
import { learningRate } from './pretrain';

export type TaskType = 'regression' | 'binary';

/** The weights of a fingerprint-aware or descriptor-aware task head (EncoderConfig.task.fp, task.desc). */
const SIDE_WEIGHTS = new Set(['task.fp.w', 'task.desc.w']);

/**
 * Their learning rate as a multiple of the encoder's. They start at zero and Adam moves a weight by about
 * the learning rate per step, so at the fine-tuning rate (5e-4, ~600 steps) they cannot reach the size a
 * linear ECFP4 model needs; a new head's rate 10x the pretrained body's is common practice. Chosen on the
 * validation split for the fingerprint weights (BACE pIC50, scaffold, first seed: best validation loss
 * 0.455 at 1x, 0.386 at 10x, and 30x unstable, 0.43-0.68); the descriptor weights, zero at the start too,
 * take the same.
 */
export const FP_HEAD_LR_SCALE = 10;

/**
 * A model for a task from a stored encoder: same architecture, no MLM/physchem heads, a fresh task head
 * (reading `head.fp`-bit ECFP4 too when given, and the descriptors of `head.desc`); every stored parameter
 * with a matching name and shape is copied (the encoder), the rest initialised.
 */
export function taskModelFrom(
  config: EncoderConfig,
  weights: Uint8Array | null,
  task: TaskType,
  seed: number,
  overrides: Partial<EncoderConfig> = {},
  head: { fp?: number; desc?: DescriptorNorm | undefined } = {},
): Model {
  const side = { ...(head.fp ? { fp: head.fp } : {}), ...(head.desc ? { desc: head.desc } : {}) };
  const model = createModel({ ...config, mlm: null, physchem: 0, task: { type: task, outputs: 1, ...side }, ...overrides }, seed);
  if (weights) copyMatching(model, weights);
  return model;
}

export interface FitData {
  seqs: Int32Array[];
  /** Targets, already standardised for regression (0/1 for binary). */
  y: Float32Array;
  /** Censored regression targets: -1 where y is an upper bound (`<`), +1 a lower bound (`>`), 0 measured; absent = all measured. */
  bound?: Int8Array;
  /** Each sequence's packed ECFP4, for a fingerprint-aware task head (EncoderConfig.task.fp). */
  fps?: Array<Uint8Array | null>;
  /** Each sequence's descriptors (descriptorRow), for a descriptor-aware task head (EncoderConfig.task.desc). */
  descs?: Array<Float32Array | null>;
}

export interface FitOptions {
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  /**
   * The learning-rate multiple of a fingerprint- or descriptor-aware head's side weights: FP_HEAD_LR_SCALE
   * (default) for weights that start at zero; 1 for weights copied trained (a student's head from its
   * fine-tuned teacher), which the larger rate shakes (ESOL scaffold, first seed, the long base chain: the
   * distilled student's validation loss 0.24-0.33 at 10x, 0.19-0.21 at 1x, the teacher's best 0.19).
   */
  sideLrScale?: number;
  /** Soft targets from a teacher (same scale as y) and their weight α: loss = α·soft + (1-α)·hard. */
  soft?: { y: Float32Array; alpha: number };
  /** Hidden-state distillation: teacher hidden states per example and the student→teacher layer map. */
  hidden?: { teacher: Model; layerMap: number[]; weight: number };
  signal?: AbortSignal;
  onEpoch?: (e: { epoch: number; loss: number; valid: number | null }) => void;
  /** After every optimisation step: the step's batch of the epoch (from 1) and how many the epoch has. */
  onBatch?: (batch: number, batches: number, epoch: number) => void;
  /** Batches per length-sorting pool (shuffledLengthBatches): 1 = plain random batches (default), 8 ≈ 2x less padding. */
  lengthPool?: number;
  /** Bytes the gradient tape may hold before layers are recomputed in the backward pass (default TAPE_BUDGET). */
  tapeBudget?: number;
  /** Bytes of teacher hidden states kept across epochs instead of recomputed every step (default HIDDEN_CACHE_BUDGET; 0 = none). */
  hiddenCacheBudget?: number;
  /** Called after every epoch with what continues the run from there (`resume`); packing it costs a copy of weights and moments. */
  onCheckpoint?: (c: FitCheckpoint) => void;
  /** Continues a run from a checkpoint of the same data and options: the result is the uninterrupted run's. */
  resume?: FitCheckpoint;
}

/**
 * A `fit` run after a finished epoch: weights, optimizer moments and step, the best epoch so far and the
 * curve and throughput counters. Batches are shuffled per epoch and dropout is seeded per step, so a run
 * resumed from it continues exactly as the uninterrupted one.
 */
export interface FitCheckpoint {
  epoch: number;
  step: number;
  weights: Uint8Array;
  optimizer: Uint8Array;
  best: { epoch: number; loss: number; weights: Uint8Array } | null;
  curve: Array<{ epoch: number; loss: number; valid: number | null }>;
  sequences: number;
  stepSeconds: number;
  stepCpuSeconds: number | null;
}

/**
 * Rough bytes the gradient tape keeps for one layer application on a [b, t] batch: the token activations
 * (hidden- and FF-wide intermediates, GELU's included) and the attention maps. Calibrated on the wasm
 * measurements in ../shared/research/feasibility-ml.md §4 (L4 H256 at T=128, B=32 peaks at 3.6 GiB).
 */
export function tapeBytesPerLayer(c: EncoderConfig, b: number, t: number): number {
  return 4 * (b * t * (30 * c.hidden + 15 * c.ff) + 20 * b * c.heads * t * t);
}

/**
 * Past this, a step recomputes each layer in the backward pass (gradient checkpointing: ~1/3 slower, ~3x
 * less memory). The wasm heap stops at 4 GiB and fails with "memory access out of bounds", so long
 * molecules in a deep teacher (BBBP in the 12-layer base teacher) need it; short ones (ESOL) do not.
 */
export const TAPE_BUDGET = 1.5 * 2 ** 30;

/**
 * The frozen teacher's hidden states are the same every epoch (no dropout), so task distillation computes
 * them once per training sequence and keeps them in JS memory (outside the wasm heap) when they fit this
 * budget; the teacher forward is otherwise most of a student step (12 teacher layers against 3 student
 * layers forward and backward). Larger sets fall back to a teacher forward per step.
 */
export const HIDDEN_CACHE_BUDGET = 2 * 2 ** 30;

/** Bytes the hidden-state cache of these sequences takes: layer-map entries × tokens × hidden × 4. */
export function hiddenCacheBytes(seqs: ReadonlyArray<Int32Array>, maps: number, hidden: number): number {
  return seqs.reduce((a, q) => a + q.length, 0) * maps * hidden * 4;
}

/** The frozen teacher's hidden states [b, t, H] at the layer map for a padded batch (no tape: constants). */
function teacherHidden(h: NonNullable<FitOptions['hidden']>, b: PaddedBatch): tf.Tensor[] {
  return tf.tidy(() => {
    const t = encode(h.teacher, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]), { keepHidden: true });
    return h.layerMap.map((tl) => t.hidden[tl] as tf.Tensor);
  });
}

/** Teacher hidden states at the layer map, per sequence and map: [length × hidden] each, unpadded. */
async function teacherHiddenCache(h: NonNullable<FitOptions['hidden']>, seqs: ReadonlyArray<Int32Array>, signal?: AbortSignal): Promise<Float32Array[][]> {
  const H = h.teacher.config.hidden;
  const cache: Float32Array[][] = new Array(seqs.length);
  for (const idx of lengthBatches(
    Int32Array.from(seqs, (q) => q.length),
    64,
  )) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'training cancelled');
    const b = padBatch(idx.map((i) => seqs[i] as Int32Array));
    const maps = teacherHidden(h, b);
    const data = await Promise.all(maps.map((m) => m.data() as Promise<Float32Array>));
    tf.dispose(maps);
    idx.forEach((i, r) => {
      const len = (seqs[i] as Int32Array).length;
      cache[i] = data.map((d) => d.slice(r * b.t * H, (r * b.t + len) * H));
    });
  }
  return cache;
}

/** Cached hidden states of a batch, padded to [b, t, H] per layer-map entry (padding rows are masked out of the loss). */
function cachedHidden(cache: Float32Array[][], idx: number[], t: number, H: number): tf.Tensor[] {
  const maps = cache[idx[0] as number]?.length ?? 0;
  return Array.from({ length: maps }, (_, m) => {
    const out = new Float32Array(idx.length * t * H);
    idx.forEach((i, r) => out.set((cache[i] as Float32Array[])[m] as Float32Array, r * t * H));
    return tf.tensor3d(out, [idx.length, t, H]);
  });
}

/**
 * Task loss on raw head outputs: MSE (regression; the censored form where rows are bounds) or binary
 * cross-entropy with logits.
 */
function taskLoss(task: TaskType, out: tf.Tensor, target: tf.Tensor, bound: Int8Array | null = null): tf.Scalar {
  if (task !== 'regression') return bceWithLogits(out, target);
  return bound && bound.some((b) => b !== 0) ? censoredMse(out, target, tf.tensor1d(Int32Array.from(bound), 'int32')) : mse(out, target);
}

/**
 * Fine-tunes (or distils into) a task model: AdamW, warmup + linear decay, early stopping on the
 * validation loss (the best epoch's weights are kept). Returns the best epoch and its validation loss.
 */
export async function fit(
  model: Model,
  train: FitData,
  valid: FitData | null,
  opts: FitOptions,
): Promise<{
  bestEpoch: number;
  bestValid: number | null;
  curve: Array<{ epoch: number; loss: number; valid: number | null }>;
  sequences: number;
  stepSeconds: number;
  stepCpuSeconds: number | null;
}> {
  const task = model.config.task?.type;
  if (!task) throw new Error('fit needs a model with a task head');
  checkSideInputs(model, train, valid);
  const adam = new LeanAdam({
    weightDecay: 0.01,
    decay: (n) => !/(\.b|beta|gamma)$/.test(n),
    lrScale: (n) => (SIDE_WEIGHTS.has(n) ? (opts.sideLrScale ?? FP_HEAD_LR_SCALE) : 1),
  });
  const n = train.seqs.length;
  const stepsPerEpoch = Math.max(1, Math.ceil(n / opts.batch));
  const lengths = Int32Array.from(train.seqs, (q) => q.length);
  const total = stepsPerEpoch * opts.epochs;
  const r = opts.resume;
  let best: { epoch: number; loss: number; weights: Uint8Array } | null = r?.best ?? null;
  const curve: Array<{ epoch: number; loss: number; valid: number | null }> = r ? [...r.curve] : [];
  let step = r?.step ?? 0;
  // Training throughput: sequences through optimisation steps and the time those steps took.
  let sequences = r?.sequences ?? 0;
  // Wall seconds, and the same in this thread's CPU seconds (not inflated by other load on the machine).
  let stepSeconds = r?.stepSeconds ?? 0;
  let stepCpuSeconds: number | null = r ? r.stepCpuSeconds : 0;
  if (r) {
    assignWeights(model.params, r.weights);
    const moments = unpackTensors(r.optimizer);
    adam.restore(r.step, moments);
    tf.dispose(Object.values(moments));
  }
  const startClock = () => ({ wall: performance.now(), cpu: threadCpuSeconds() });
  const stopClock = (from: ReturnType<typeof startClock>) => {
    const cpu = threadCpuSeconds();
    stepSeconds += (performance.now() - from.wall) / 1000;
    stepCpuSeconds = from.cpu === null || cpu === null || stepCpuSeconds === null ? null : stepCpuSeconds + (cpu - from.cpu);
  };
  const h = opts.hidden;
  let cache: Float32Array[][] | null = null;
  const epochsLeft = opts.epochs - (r?.epoch ?? 0);
  if (h && epochsLeft > 0 && hiddenCacheBytes(train.seqs, h.layerMap.length, h.teacher.config.hidden) <= (opts.hiddenCacheBudget ?? HIDDEN_CACHE_BUDGET)) {
    // Computing the cache is training work: its time counts in the throughput, once (a resumed run's
    // counters include the interrupted run's cache).
    const clock = startClock();
    cache = await teacherHiddenCache(h, train.seqs, opts.signal);
    if (!r) stopClock(clock);
  }
  for (let epoch = (r?.epoch ?? 0) + 1; epoch <= opts.epochs; epoch++) {
    const batches = shuffledLengthBatches(lengths, opts.batch, seededRandom(opts.seed * 1009 + epoch), opts.lengthPool ?? 1);
    let lossSum = 0;
    for (const [k, idx] of batches.entries()) {
      // The step's awaits settle as microtasks: without a turn of the event loop a worker never sees
      // the cancel message (the check below would never fire).
      if (opts.signal) await new Promise<void>((r) => setImmediate(r));
      if (opts.signal?.aborted) throw new AppError('CANCELLED', 'training cancelled');
      const clock = startClock();
      const b = padBatch(idx.map((i) => train.seqs[i] as Int32Array));
      const yb = Float32Array.from(idx, (i) => train.y[i] as number);
      const bb = train.bound ? Int8Array.from(idx, (i) => train.bound?.[i] as number) : null;
      const sb = opts.soft ? Float32Array.from(idx, (i) => opts.soft?.y[i] as number) : null;
      // Teacher hidden states are computed outside the gradient tape: constants for the student's loss.
      const teacherStates = !h ? null : cache ? cachedHidden(cache, idx, b.t, h.teacher.config.hidden) : teacherHidden(h, b);
      const { value, grads } = paramGrads(model.params, () =>
        tf.tidy(() => {
          const ids = tf.tensor2d(b.ids, [b.b, b.t], 'int32');
          const mask = tf.tensor2d(b.mask, [b.b, b.t]);
          const checkpoint = tapeBytesPerLayer(model.config, b.b, b.t) * model.config.layers > (opts.tapeBudget ?? TAPE_BUDGET);
          const out = encode(model, ids, mask, { seed: opts.seed * 7 + step, keepHidden: Boolean(opts.hidden), checkpoint });
          const pred = tf.reshape(taskHead(model, out.pooled, ...sideInputs(model, train, idx)), [b.b]);
          let loss = taskLoss(task, pred, tf.tensor1d(yb), bb);
          if (opts.soft && sb) {
            const a = opts.soft.alpha;
            // Soft targets are teacher outputs: values (regression) or probabilities (binary).
            loss = tf.add(tf.mul(loss, 1 - a), tf.mul(taskLoss(task, pred, tf.tensor1d(sb)), a)) as tf.Scalar;
          }
          if (opts.hidden && teacherStates) {
            const parts = teacherStates.map((th, sl) => maskedHiddenMse(out.hidden[sl] as tf.Tensor, th, mask));
            loss = tf.add(loss, tf.mul(tf.addN(parts), opts.hidden.weight / parts.length)) as tf.Scalar;
          }
          return loss;
        }),
      );
      lossSum += (await value.data())[0] as number;
      value.dispose();
      if (teacherStates) tf.dispose(teacherStates);
      adam.apply(model.params, grads, learningRate(step, total, opts.lr, 0.06));
      step++;
      sequences += idx.length;
      stopClock(clock);
      opts.onBatch?.(k + 1, batches.length, epoch);
    }
    const validLoss = valid && valid.seqs.length > 0 ? await evalLoss(model, valid) : null;
    const loss = lossSum / Math.max(1, batches.length);
    curve.push({ epoch, loss, valid: validLoss });
    opts.onEpoch?.({ epoch, loss, valid: validLoss });
    const score = validLoss ?? loss;
    const improved = !best || score < best.loss;
    // The weights are packed once per epoch, for the best epoch and for the checkpoint alike.
    const weights = improved || opts.onCheckpoint ? new Uint8Array(packTensors(model.params)) : null;
    if (improved && weights) best = { epoch, loss: score, weights };
    const optimizer = () => new Uint8Array(packTensors(adam.state()));
    if (opts.onCheckpoint && weights)
      opts.onCheckpoint({ epoch, step, weights, optimizer: optimizer(), best, curve: [...curve], sequences, stepSeconds, stepCpuSeconds });
  }
  adam.dispose();
  if (best) copyMatching(model, best.weights);
  return { bestEpoch: best?.epoch ?? 0, bestValid: best && valid ? best.loss : null, curve, sequences, stepSeconds, stepCpuSeconds };
}

/** A fingerprint- or descriptor-aware head needs its inputs for every training and validation compound. */
function checkSideInputs(model: Model, train: FitData, valid: FitData | null): void {
  const needs = (what: keyof FitData) => !train[what] || (valid !== null && valid.seqs.length > 0 && !valid[what]);
  if (model.config.task?.fp && needs('fps')) throw new Error('a fingerprint-aware task head needs the ECFP4 of every training and validation compound');
  if (model.config.task?.desc && needs('descs'))
    throw new Error('a descriptor-aware task head needs the descriptors of every training and validation compound');
}

/** A batch's ECFP4 bits and standardised descriptors, for the heads that read them (else null). */
function sideInputs(model: Model, data: FitData, idx: number[]): [tf.Tensor2D | null, tf.Tensor2D | null] {
  const bits = model.config.task?.fp ?? 0;
  const norm = model.config.task?.desc;
  return [
    bits && data.fps ? tf.tensor2d(fpFeatures(data.fps, idx, bits), [idx.length, bits]) : null,
    norm && data.descs ? tf.tensor2d(descFeatures(data.descs, idx, norm), [idx.length, norm.names.length]) : null,
  ];
}

async function evalLoss(model: Model, data: FitData): Promise<number> {
  const task = model.config.task?.type as TaskType;
  const rows = await inferRows(model, data.seqs, 'task', 64, data.fps, data.descs);
  // In a tidy: the loss's intermediates (and the target tensors) go with it.
  const l = tf.tidy(() => taskLoss(task, tf.tensor1d(rows.map((r) => r[0] as number)), tf.tensor1d(data.y), data.bound ?? null));
  const v = (await l.data())[0] as number;
  l.dispose();
  return v;
}

/**
 * Task predictions on the original scale: values (regression, de-standardised) or probabilities; `fps`
 * for a fingerprint-aware head, `descs` for a descriptor-aware one.
 */
export async function predictTask(
  model: Model,
  seqs: Int32Array[],
  norm: { mean: number; sd: number } | null,
  fps?: Array<Uint8Array | null>,
  descs?: Array<Float32Array | null>,
): Promise<Float64Array> {
  const rows = await inferRows(model, seqs, 'task', 64, fps, descs);
  const task = model.config.task?.type ?? 'regression';
  return Float64Array.from(rows, (r) => taskValue(task, r[0] as number, norm));
}

/** A task head's raw output on the user's scale: de-standardised value, or probability for binary tasks. */
export function taskValue(task: TaskType, x: number, norm: { mean: number; sd: number } | null): number {
  return task === 'binary' ? 1 / (1 + Math.exp(-x)) : norm ? x * norm.sd + norm.mean : x;
}
