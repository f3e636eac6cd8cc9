import { AppError } from '../../src-shared/errors';
import { seededRandom } from '../../src-shared/random';
import { type Model, countParams, createModel, disposeModel, encode, mlmLogits, paramGrads, physchemHead } from '../model/encoder';
import { MASK, SEP, SmilesTokenizer } from '../model/tokenizer';
import { attentionKl, crossEntropy, maskedHiddenMse, softTargetKl } from '../model/losses';
import { LeanAdam } from '../model/tf/adam';
import { tf } from '../model/tf/backend';
import { pruneFfn } from '../model/prune';
import { assignWeights, copyMatching, packTensors, unpackTensors } from '../model/weights-tf';
import { physchemTargets } from './physchem';
import type { PretrainSettings } from './settings';
import type { Checkpoint, Corpus, EvalResult, ModelManifest, RunState } from './pretrain-types';
import { newManifest } from './pretrain-manifest';

export { DEFAULT_PRETRAIN, type PretrainSettings } from './settings';

export type { Checkpoint, Corpus, EvalResult, ModelManifest, Progress, RunState } from './pretrain-types';

import { type MaskedBatch, epochOrder, learningRate, maskBatch } from './mlm';

export { epochOrder, learningRate, type MaskedBatch, maskBatch } from './mlm';

/** Tensors a loss computation keeps past its tidy/tape for the caller to read. */
interface Kept {
  distill?: tf.Tensor;
  argmax?: tf.Tensor;
  mlm?: tf.Tensor;
  physchem?: tf.Tensor;
  physPred?: tf.Tensor;
}

/**
 * Masked-LM + physchem pretraining of a BERT-style SMILES encoder. Pure compute: storage and threads
 * belong to the caller (the training worker), which receives checkpoints and progress.
 */
export class Pretrainer {
  readonly model: Model;
  readonly optimizer: LeanAdam;
  state: RunState;
  private readonly train: Int32Array[];
  private readonly trainSmiles: string[];
  private readonly heldOut: Int32Array[];
  private readonly heldOutSmiles: string[];
  private readonly unigram: number;
  private readonly epochOrders = new Map<number, Int32Array>();
  /** General distillation: the frozen teacher. */
  teacher: Model | null = null;

  private constructor(
    readonly manifest: ModelManifest,
    readonly tokenizer: SmilesTokenizer,
    data: { train: Int32Array[]; trainSmiles: string[]; heldOut: Int32Array[]; heldOutSmiles: string[] },
    state: RunState,
  ) {
    this.train = data.train;
    this.trainSmiles = data.trainSmiles;
    this.heldOut = data.heldOut;
    this.heldOutSmiles = data.heldOutSmiles;
    this.state = state;
    this.model = createModel(manifest.config, manifest.training.settings.seed);
    this.optimizer = new LeanAdam({ weightDecay: manifest.training.settings.weightDecay, decay: (n) => !/(\.b|beta|gamma)$/.test(n) });
    const counts = new Map<number, number>();
    for (const s of this.train) for (const id of s) if (id > SEP) counts.set(id, (counts.get(id) ?? 0) + 1);
    this.unigram = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? MASK;
  }

  /**
   * Prepares a run from a corpus: builds the vocabulary, splits off the held-out molecules, fits the
   * physchem normalisation; with a checkpoint, restores weights, optimizer and state instead.
   */
  static async create(
    corpus: Corpus,
    settings: PretrainSettings,
    resume?: { manifest: ModelManifest; checkpoint: Checkpoint },
    teacher?: { manifest: ModelManifest; weights: Uint8Array },
    init?: { manifest: ModelManifest; weights: Uint8Array },
  ): Promise<Pretrainer> {
    const s = resume ? resume.manifest.training.settings : settings;
    if (s.distill && !teacher) throw new AppError('INVALID_INPUT', 'general distillation needs the teacher model');
    const heldOutIdx = new Set<number>();
    for (let i = 0; i < corpus.smiles.length && heldOutIdx.size < s.heldOutMax; i += s.heldOutEvery) heldOutIdx.add(i);
    // A plain pretraining run that continues another model reads with that model's vocabulary and length.
    const continued = !s.distill && init ? init : undefined;
    // The model whose vocabulary and length this run reads with (a resumed continued run recorded both).
    const base = teacher ?? continued;
    const tokenizer = resume
      ? SmilesTokenizer.fromJSON(resume.manifest.tokenizer)
      : base
        ? SmilesTokenizer.fromJSON(base.manifest.tokenizer)
        : SmilesTokenizer.fromCorpus(corpus.smiles.filter((_, i) => !heldOutIdx.has(i)));
    const maxLen = base ? base.manifest.config.maxLen : s.architecture.maxLen;
    const data = { train: [] as Int32Array[], trainSmiles: [] as string[], heldOut: [] as Int32Array[], heldOutSmiles: [] as string[] };
    let skipped = 0;
    corpus.smiles.forEach((smi, i) => {
      const enc = tokenizer.encode(smi, maxLen);
      if (!enc.ok) {
        skipped++;
        return;
      }
      if (heldOutIdx.has(i)) {
        data.heldOut.push(enc.ids);
        data.heldOutSmiles.push(smi);
      } else {
        data.train.push(enc.ids);
        data.trainSmiles.push(smi);
      }
    });
    if (data.train.length < s.batch)
      throw new AppError('INVALID_INPUT', `the corpus has ${data.train.length} usable molecules, fewer than one batch (${s.batch})`);
    let manifest: ModelManifest;
    if (resume) {
      if (resume.manifest.training.corpus.sha256 !== corpus.sha256) {
        throw new AppError(
          'CONFLICT',
          `cannot resume: the corpus changed (sha256 ${corpus.sha256.slice(0, 12)}… but the run started on ${resume.manifest.training.corpus.sha256.slice(0, 12)}…)`,
        );
      }
      manifest = resume.manifest;
    } else {
      const stats = { molecules: corpus.smiles.length, used: data.train.length, heldOut: data.heldOut.length, skipped };
      manifest = await newManifest(s, corpus, stats, tokenizer, data.trainSmiles, {
        ...(teacher ? { teacher } : {}),
        ...(init ? { init } : {}),
        ...(continued ? { continued } : {}),
      });
    }
    const fresh: RunState = { step: 0, totalSteps: s.maxSteps ?? 0, seconds: 0, sequences: 0, tokens: 0, curve: [] };
    const trainer = new Pretrainer(manifest, tokenizer, data, resume ? resume.checkpoint.state : fresh);
    if (teacher) {
      trainer.teacher = createModel(teacher.manifest.config, 1);
      assignWeights(trainer.teacher.params, teacher.weights);
      // The student starts from the teacher (or from `init`, e.g. the shared-layer teacher): embeddings,
      // heads, and the first layer as the shared one, its feed-forward units pruned when narrower.
      if (!resume) {
        const start = init?.weights ?? teacher.weights;
        copyMatching(trainer.model, manifest.config.ff === (init ?? teacher).manifest.config.ff ? start : pruneFfn(start, manifest.config.ff));
      }
    }
    if (continued && !resume) assignWeights(trainer.model.params, continued.weights);
    if (resume) {
      assignWeights(trainer.model.params, resume.checkpoint.weights);
      const opt = unpackTensors(resume.checkpoint.optimizer);
      trainer.optimizer.restore(resume.checkpoint.state.step, opt);
      for (const t of Object.values(opt)) t.dispose();
    }
    return trainer;
  }

  get settings(): PretrainSettings {
    return this.manifest.training.settings;
  }

  get params(): number {
    return countParams(this.model);
  }

  /**
   * The molecules of step `step`: a fresh seeded order per epoch, so any step can be replayed. With a
   * length pool of P, each run of P batches' molecules is sorted by length before it is cut into batches
   * (and the batches shuffled), so a batch pads to a length near its molecules' own: less padding, faster
   * steps. A run without the setting (from before it) keeps plain random batches.
   */
  private batchIndices(step: number): number[] {
    const n = this.train.length;
    const b = this.settings.batch;
    const out: number[] = [];
    for (let k = 0; k < b; k++) {
      const flat = step * b + k;
      const epoch = Math.floor(flat / n);
      let order = this.epochOrders.get(epoch);
      if (!order) {
        order = epochOrder(this.lengths(), b, seededRandom(this.settings.seed * 7919 + epoch), this.settings.lengthPool ?? 1);
        this.epochOrders.clear();
        this.epochOrders.set(epoch, order);
      }
      out.push(order[flat % n] as number);
    }
    return out;
  }

  /** Tokens step `step` computes: its batch padded to its longest molecule (step times scale with it). */
  paddedTokens(step: number): number {
    const idx = this.batchIndices(step);
    let t = 0;
    for (const i of idx) t = Math.max(t, (this.train[i] as Int32Array).length);
    return idx.length * t;
  }

  /** The mean of `paddedTokens` over the first epoch's steps: with length-pooled batches a few steps are no sample of the rest. */
  meanPaddedTokens(): number {
    const steps = Math.max(1, Math.floor(this.train.length / this.settings.batch));
    let sum = 0;
    for (let k = 0; k < steps; k++) sum += this.paddedTokens(k);
    return sum / steps;
  }

  private trainLengths: Int32Array | null = null;
  private lengths(): Int32Array {
    this.trainLengths ??= Int32Array.from(this.train, (q) => q.length);
    return this.trainLengths;
  }

  /** Loss parts on a masked batch; builds tensors under the caller's tape. */
  private losses(
    batch: MaskedBatch,
    phys: { values: Float32Array; weights: Float32Array } | null,
    seed: number | undefined,
    keep: Kept,
    teacherOut?: { hidden: tf.Tensor[]; attention: tf.Tensor; logits: tf.Tensor },
  ) {
    const ids = tf.tensor2d(batch.ids, [batch.b, batch.t], 'int32');
    const mask = tf.tensor2d(batch.mask, [batch.b, batch.t]);
    const d = this.settings.distill;
    const distilling = Boolean(d && this.teacher && seed !== undefined);
    const out = encode(this.model, ids, mask, {
      seed,
      checkpoint: this.settings.gradientCheckpointing && seed !== undefined,
      keepHidden: distilling,
      keepAttention: distilling,
    });
    const rows = tf.gather(out.sequence, tf.tensor1d(batch.positions, 'int32'));
    const logits = mlmLogits(this.model, rows as tf.Tensor2D);
    let distill = tf.scalar(0);
    if (distilling && d && teacherOut) {
      const hidden = teacherOut.hidden.map((th, j) => maskedHiddenMse(out.hidden[j] as tf.Tensor, th, mask));
      const hiddenLoss = tf.div(tf.addN(hidden), Math.max(1, hidden.length));
      const att = attentionKl(out.attention[out.attention.length - 1] as tf.Tensor, teacherOut.attention, mask);
      const soft = softTargetKl(logits, teacherOut.logits, d.temperature);
      distill = tf.addN([tf.mul(hiddenLoss, d.hidden), tf.mul(att, d.attention), tf.mul(soft, d.soft)]) as tf.Scalar;
      keep.distill = tf.keep(distill);
    }
    const mlm = crossEntropy(logits, tf.tensor1d(batch.labels, 'int32'));
    keep.argmax = tf.keep(tf.argMax(logits, -1));
    let physchem = tf.scalar(0);
    const p = this.model.config.physchem;
    const pred = p > 0 ? physchemHead(this.model, out.pooled) : null;
    if (pred) keep.physPred = tf.keep(pred);
    if (phys && pred) {
      const w = tf.tensor2d(phys.weights, [batch.b, 1]);
      const se = tf.mul(tf.square(tf.sub(pred, tf.tensor2d(phys.values, [batch.b, p]))), w);
      physchem = tf.div(tf.sum(se), Math.max(1, phys.weights.reduce((a, x) => a + x, 0) * p)) as tf.Scalar;
    }
    return { mlm, physchem, distill };
  }

  /** The frozen teacher's hidden states (at the layer map), last attention and MLM logits: constants. */
  private teacherOutputs(batch: MaskedBatch): { hidden: tf.Tensor[]; attention: tf.Tensor; logits: tf.Tensor } | undefined {
    const teacher = this.teacher;
    if (!teacher || !this.settings.distill) return undefined;
    const layerMap = this.manifest.training.layerMap ?? [];
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, [batch.b, batch.t], 'int32');
      const mask = tf.tensor2d(batch.mask, [batch.b, batch.t]);
      const out = encode(teacher, ids, mask, { keepHidden: true, keepAttention: 'last' });
      const logits = mlmLogits(teacher, tf.gather(out.sequence, tf.tensor1d(batch.positions, 'int32')) as tf.Tensor2D);
      return { hidden: layerMap.map((l) => out.hidden[l] as tf.Tensor), attention: out.attention[out.attention.length - 1] as tf.Tensor, logits };
    });
  }

  /** One optimisation step; returns the step's loss parts. */
  async step(): Promise<RunState['curve'][number]> {
    const s = this.settings;
    const step = this.state.step;
    const idx = this.batchIndices(step);
    const seqs = idx.map((i) => this.train[i] as Int32Array);
    const batch = maskBatch(seqs, this.model.config.vocabSize, s.maskRate, seededRandom(s.seed * 1_000_003 + step));
    const phys =
      s.physchemWeight > 0 && this.manifest.physchem
        ? await physchemTargets(
            idx.map((i) => this.trainSmiles[i] as string),
            this.manifest.physchem,
          )
        : null;
    const keep: Kept = {};
    const teacherOut = this.teacherOutputs(batch);
    const { value, grads } = paramGrads(this.model.params, () => {
      const l = this.losses(batch, phys, s.seed * 65_537 + step * 101, keep, teacherOut);
      const hard = s.distill?.hard ?? 1;
      const total = tf.add(tf.mul(tf.add(l.mlm, tf.mul(l.physchem, s.physchemWeight)), hard), l.distill) as tf.Scalar;
      keep.mlm = tf.keep(l.mlm);
      keep.physchem = tf.keep(l.physchem);
      return total;
    });
    const k = keep as Required<Kept>;
    const gradNorm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))) as tf.Tensor));
    const [loss, mlm, physchem, norm, argmax] = await Promise.all([value.data(), k.mlm.data(), k.physchem.data(), gradNorm.data(), k.argmax.data()]);
    const distillLoss = keep.distill ? ((await keep.distill.data())[0] as number) : 0;
    tf.dispose([value, k.mlm, k.physchem, gradNorm, k.argmax, ...(keep.physPred ? [keep.physPred] : []), ...(keep.distill ? [keep.distill] : [])]);
    if (teacherOut) tf.dispose([...teacherOut.hidden, teacherOut.attention, teacherOut.logits]);
    const scale = (norm[0] as number) > s.clipNorm ? s.clipNorm / (norm[0] as number) : 1;
    if (this.state.totalSteps <= 0) throw new Error('the step budget is not set');
    this.optimizer.apply(this.model.params, grads, learningRate(step, this.state.totalSteps, s.lr, s.warmupFraction), scale);
    let correct = 0;
    batch.labels.forEach((l, i) => (correct += Number(argmax[i] === l)));
    const point = {
      step: step + 1,
      loss: loss[0] as number,
      mlm: mlm[0] as number,
      physchem: physchem[0] as number,
      mlmAccuracy: correct / Math.max(1, batch.labels.length),
      ...(s.distill ? { distill: distillLoss } : {}),
    };
    if (!Number.isFinite(point.loss))
      throw new AppError('INVALID_INPUT', `training diverged at step ${step + 1} (loss ${point.loss}); lower the learning rate`);
    this.state.step = step + 1;
    this.state.sequences += batch.b;
    this.state.tokens += seqs.reduce((a, x) => a + x.length, 0);
    this.state.curve.push(point);
    return point;
  }

  /** MLM accuracy (vs the unigram baseline) and physchem R² on the held-out molecules, fixed masks. */
  async evaluate(maxMolecules = 512): Promise<EvalResult> {
    const n = Math.min(maxMolecules, this.heldOut.length);
    const rand = seededRandom(424242);
    let correct = 0;
    let unigram = 0;
    let masked = 0;
    let lossSum = 0;
    const p = this.model.config.physchem;
    const preds: number[] = [];
    const smilesUsed: string[] = [];
    const b = this.settings.batch;
    for (let i = 0; i < n; i += b) {
      const seqs = this.heldOut.slice(i, Math.min(n, i + b));
      const batch = maskBatch(seqs, this.model.config.vocabSize, this.settings.maskRate, rand);
      const keep: Kept = {};
      const mlm = tf.tidy(() => this.losses(batch, null, undefined, keep).mlm);
      const argmax = await (keep.argmax as tf.Tensor).data();
      lossSum += ((await mlm.data())[0] as number) * batch.labels.length;
      if (keep.physPred) preds.push(...(await keep.physPred.data()));
      tf.dispose([mlm, keep.argmax as tf.Tensor, ...(keep.physPred ? [keep.physPred] : [])]);
      smilesUsed.push(...this.heldOutSmiles.slice(i, Math.min(n, i + b)));
      batch.labels.forEach((l, j) => {
        correct += Number(argmax[j] === l);
        unigram += Number(l === this.unigram);
      });
      masked += batch.labels.length;
    }
    let physchemR2: number | null = null;
    if (p > 0 && this.manifest.physchem) {
      const t = await physchemTargets(smilesUsed, this.manifest.physchem);
      let r2 = 0;
      for (let j = 0; j < p; j++) {
        let mean = 0;
        let cnt = 0;
        for (let i = 0; i < smilesUsed.length; i++) {
          if (!t.weights[i]) continue;
          mean += t.values[i * p + j] as number;
          cnt++;
        }
        mean /= Math.max(1, cnt);
        let ssRes = 0;
        let ssTot = 0;
        for (let i = 0; i < smilesUsed.length; i++) {
          if (!t.weights[i]) continue;
          const y = t.values[i * p + j] as number;
          ssRes += (y - (preds[i * p + j] as number)) ** 2;
          ssTot += (y - mean) ** 2;
        }
        r2 += ssTot > 0 ? 1 - ssRes / ssTot : 0;
      }
      physchemR2 = r2 / p;
    }
    return {
      mlmAccuracy: correct / Math.max(1, masked),
      unigramAccuracy: unigram / Math.max(1, masked),
      mlmLoss: lossSum / Math.max(1, masked),
      physchemR2,
      molecules: n,
      maskedTokens: masked,
    };
  }

  /** Weights, optimizer state and run state, ready to store. */
  checkpoint(): Checkpoint {
    // Fresh copies: small Buffers live in Node's shared pool, which must never be transferred to another thread.
    return {
      state: structuredClone(this.state),
      weights: new Uint8Array(packTensors(this.model.params)),
      optimizer: new Uint8Array(packTensors(this.optimizer.state())),
    };
  }

  dispose(): void {
    if (this.teacher) disposeModel(this.teacher);
    disposeModel(this.model);
    this.optimizer.dispose();
  }
}
