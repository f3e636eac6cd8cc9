import { seededRandom } from '../../src-shared/random';
import { tf } from './tf/backend';
import { checkpointed } from './tf/checkpoint';
import { ownedVariable } from './tf/vars';

/** The architecture of a Delicate transformer (saved with every model). */
export interface EncoderConfig {
  vocabSize: number;
  /** Longest input in tokens, [CLS] and [SEP] included. */
  maxLen: number;
  /** Transformer layer applications (depth). */
  layers: number;
  hidden: number;
  heads: number;
  ff: number;
  dropout: number;
  /** One transformer layer applied `layers` times (cross-layer parameter sharing, ALBERT-style). */
  shareLayers: boolean;
  /** Factorised embeddings (ALBERT): token embeddings of this width projected to `hidden`. */
  embeddingSize?: number;
  /** Masked-LM head; `tied` reuses the token embeddings as the decoder. */
  mlm: { tied: boolean } | null;
  /** Physchem regression head: number of normalised descriptors predicted from the pooled output. */
  physchem: number;
  /**
   * Task head on the pooled output; with `fp` it also reads the molecule's ECFP4 bits (Morgan r=2 folded to
   * `fp` bits, as the import stores them): outputs = pooled·W + fp·W_fp + b, so the model can learn
   * substructure SAR directly (chemprop's extra features, as a linear term: 2,048 weights per output).
   * With `desc` it also reads the molecule's RDKit descriptors (those named, standardised with the training
   * set's mean and sd, see descFeatures): + desc·W_desc.
   */
  task: { type: 'regression' | 'binary'; outputs: number; fp?: number; desc?: DescriptorNorm } | null;
}

/** The descriptors a descriptor-aware task head reads, with the training set's mean and sd of each. */
export interface DescriptorNorm {
  names: string[];
  mean: number[];
  sd: number[];
}

export const LN_EPS = 1e-12;

/** A model's parameters by stable name; shared-layer models have one `layer.0.*` set. */
export type Params = Record<string, tf.Variable>;

export interface Model {
  config: EncoderConfig;
  params: Params;
}

interface Spec {
  shape: number[];
  init: 'normal' | 'zeros' | 'ones';
}

/** Names and shapes of every parameter of a config, in a fixed order. */
export function parameterSpecs(c: EncoderConfig): Array<[string, Spec]> {
  const e = c.embeddingSize ?? c.hidden;
  const h = c.hidden;
  const w = (shape: number[]): Spec => ({ shape, init: 'normal' });
  const z = (shape: number[]): Spec => ({ shape, init: 'zeros' });
  const o = (shape: number[]): Spec => ({ shape, init: 'ones' });
  const specs: Array<[string, Spec]> = [
    ['emb.token', w([c.vocabSize, e])],
    ['emb.position', w([c.maxLen, e])],
    ['emb.ln.gamma', o([e])],
    ['emb.ln.beta', z([e])],
  ];
  if (e !== h) specs.push(['emb.proj.w', w([e, h])], ['emb.proj.b', z([h])]);
  const distinct = c.shareLayers ? 1 : c.layers;
  for (let i = 0; i < distinct; i++) {
    const p = `layer.${i}.`;
    for (const m of ['q', 'k', 'v', 'o']) specs.push([`${p}attn.${m}.w`, w([h, h])], [`${p}attn.${m}.b`, z([h])]);
    specs.push([`${p}attn.ln.gamma`, o([h])], [`${p}attn.ln.beta`, z([h])]);
    specs.push([`${p}ffn.in.w`, w([h, c.ff])], [`${p}ffn.in.b`, z([c.ff])], [`${p}ffn.out.w`, w([c.ff, h])], [`${p}ffn.out.b`, z([h])]);
    specs.push([`${p}ffn.ln.gamma`, o([h])], [`${p}ffn.ln.beta`, z([h])]);
  }
  specs.push(['pool.w', w([h, h])], ['pool.b', z([h])]);
  if (c.mlm) {
    specs.push(['mlm.dense.w', w([h, e])], ['mlm.dense.b', z([e])], ['mlm.ln.gamma', o([e])], ['mlm.ln.beta', z([e])]);
    if (!c.mlm.tied) specs.push(['mlm.decoder.w', w([e, c.vocabSize])]);
    specs.push(['mlm.decoder.b', z([c.vocabSize])]);
  }
  if (c.physchem > 0) specs.push(['physchem.w', w([h, c.physchem])], ['physchem.b', z([c.physchem])]);
  if (c.task) specs.push(['task.w', w([h, c.task.outputs])], ['task.b', z([c.task.outputs])]);
  // Zero at the start: a fingerprint-aware head begins as the plain one and learns what the bits add.
  if (c.task?.fp) specs.push(['task.fp.w', z([c.task.fp, c.task.outputs])]);
  if (c.task?.desc) specs.push(['task.desc.w', z([c.task.desc.names.length, c.task.outputs])]);
  return specs;
}

/** Checks a config and says what is wrong with it. */
export function validateConfig(c: EncoderConfig): void {
  const bad = (m: string) => {
    throw new Error(`invalid model config: ${m}`);
  };
  for (const k of ['vocabSize', 'maxLen', 'layers', 'hidden', 'heads', 'ff'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer`);
  if (c.hidden % c.heads !== 0) bad(`hidden (${c.hidden}) must be divisible by heads (${c.heads})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) bad('dropout must be in [0, 1)');
  const fp = c.task?.fp;
  if (fp !== undefined && !(Number.isInteger(fp) && fp > 0 && fp % 8 === 0)) bad(`task.fp (${fp}) must be a positive multiple of 8 bits`);
  const desc = c.task?.desc;
  if (desc) {
    const n = desc.names.length;
    if (n === 0 || desc.mean.length !== n || desc.sd.length !== n) bad('task.desc needs a mean and an sd for each of its descriptors');
    if (![...desc.mean, ...desc.sd].every(Number.isFinite) || !desc.sd.every((v) => v > 0)) bad('task.desc: means must be finite and sds positive');
  }
}

/** A new model with BERT's initialisation (normal 0.02, LayerNorm 1/0, biases 0); seeded, so reproducible. */
export function createModel(config: EncoderConfig, seed = 1): Model {
  validateConfig(config);
  const rand = seededRandom(seed);
  const params: Params = {};
  for (const [name, s] of parameterSpecs(config)) {
    const init =
      s.init === 'normal'
        ? tf.truncatedNormal(s.shape, 0, 0.02, 'float32', Math.floor(rand() * 2 ** 31))
        : s.init === 'zeros'
          ? tf.zeros(s.shape)
          : tf.ones(s.shape);
    params[name] = ownedVariable(init);
  }
  return { config, params };
}

/** Number of scalar parameters (the heads included). */
export function countParams(model: Model): number {
  return Object.values(model.params).reduce((n, v) => n + v.size, 0);
}

/** Parameters of the transformer layers only (embeddings and heads excluded). */
export function countLayerParams(model: Model): number {
  return Object.entries(model.params).reduce((n, [k, v]) => n + (k.startsWith('layer.') ? v.size : 0), 0);
}

export function disposeModel(model: Model): void {
  for (const v of Object.values(model.params)) v.dispose();
}

function p(model: Model, name: string): tf.Variable {
  const v = model.params[name];
  if (!v) throw new Error(`model has no parameter ${name}`);
  return v;
}

/** LayerNorm over the last axis with eps 1e-12 (BERT). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const d = tf.sub(x, mean);
  const variance = tf.mean(tf.square(d), -1, true);
  return tf.add(tf.mul(tf.mul(d, tf.rsqrt(tf.add(variance, LN_EPS))), gamma), beta);
}

/** Exact (erf) GELU, as in BERT. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** x [n, a] · w [a, b] + bias. */
function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
}

function dropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  return rate > 0 && seed !== undefined ? tf.dropout(x, rate, undefined, seed) : x;
}

const LAYER_PARTS = [
  'attn.q.w',
  'attn.q.b',
  'attn.k.w',
  'attn.k.b',
  'attn.v.w',
  'attn.v.b',
  'attn.o.w',
  'attn.o.b',
  'attn.ln.gamma',
  'attn.ln.beta',
  'ffn.in.w',
  'ffn.in.b',
  'ffn.out.w',
  'ffn.out.b',
  'ffn.ln.gamma',
  'ffn.ln.beta',
] as const;

/**
 * One post-LN transformer layer on x [B*T, H]. maskAdd is [B, 1, 1, T] (0 for tokens, -1e4 for padding).
 * Returns the new hidden state and the attention probabilities [B, heads, T, T].
 */
function transformerLayer(
  c: EncoderConfig,
  b: number,
  t: number,
  x: tf.Tensor,
  maskAdd: tf.Tensor,
  w: tf.Tensor[],
  seed: number | undefined,
  tq = t,
): { out: tf.Tensor; probs: tf.Tensor } {
  const [qw, qb, kw, kb, vw, vb, ow, ob, lag, lab, iw, ib, fw, fb, lfg, lfb] = w as [tf.Tensor, ...tf.Tensor[]] & tf.Tensor[];
  const a = c.heads;
  const d = c.hidden / a;
  const split = (y: tf.Tensor, rows = t) => tf.transpose(tf.reshape(y, [b, rows, a, d]), [0, 2, 1, 3]);
  // tq < t: the queries (and everything after attention) of the first tq tokens only; keys and values of all.
  const xq = tq === t ? x : tf.reshape(tf.slice(tf.reshape(x, [b, t, c.hidden]), [0, 0, 0], [b, tq, c.hidden]), [b * tq, c.hidden]);
  const q = split(dense(xq, qw!, qb!), tq);
  const k = split(dense(x, kw!, kb!));
  const v = split(dense(x, vw!, vb!));
  const scores = tf.add(tf.mul(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), 1 / Math.sqrt(d)), maskAdd);
  const probs = tf.softmax(scores);
  const dropped = dropout(probs, c.dropout, seed === undefined ? undefined : seed + 1);
  const context = tf.reshape(tf.transpose(tf.matMul(dropped as tf.Tensor4D, v as tf.Tensor4D), [0, 2, 1, 3]), [b * tq, c.hidden]);
  const attnOut = dropout(dense(context, ow!, ob!), c.dropout, seed === undefined ? undefined : seed + 2);
  const h1 = layerNorm(tf.add(xq, attnOut), lag!, lab!);
  const f = dropout(dense(gelu(dense(h1, iw!, ib!)), fw!, fb!), c.dropout, seed === undefined ? undefined : seed + 3);
  return { out: layerNorm(tf.add(h1, f), lfg!, lfb!), probs };
}

export interface EncodeOptions {
  /** Dropout on, with this seed (reproducible); omit for inference. */
  seed?: number;
  /** Recompute each layer in the backward pass instead of keeping its activations. */
  checkpoint?: boolean;
  /** Keep the per-layer hidden states [B, T, H] (index 0 = embeddings). */
  keepHidden?: boolean;
  /**
   * Keep the per-layer attention probabilities [B, heads, T, T]; `'last'` (or `checkpoint`) keeps the last
   * layer's only, which is what distillation matches: a frozen teacher then holds one map, not one per layer.
   */
  keepAttention?: boolean | 'last';
  /** Apply the layer stack this many times instead of config.layers (shared-layer students). */
  depth?: number;
  /**
   * Inference of the pooled output only: the last layer computes its first two tokens (the pooled output
   * reads the first; keys and values still see every token), as the exported ONNX graphs do. `sequence`
   * then holds those two rows per input; not with keepHidden, keepAttention or checkpoint.
   */
  pooledOnly?: boolean;
}

export interface EncodeResult {
  /** Final hidden states, flattened: [B*T, H]. */
  sequence: tf.Tensor2D;
  /** BERT pooler output tanh(W·h[CLS] + b): [B, H]. */
  pooled: tf.Tensor2D;
  hidden: tf.Tensor3D[];
  attention: tf.Tensor4D[];
}

/**
 * The encoder forward pass. ids [B, T] int32, mask [B, T] float32 (1 = token, 0 = padding). Runs under
 * the caller's tidy/tape; returns tensors the caller owns.
 */
export function encode(model: Model, ids: tf.Tensor2D, mask: tf.Tensor2D, opts: EncodeOptions = {}): EncodeResult {
  const c = model.config;
  const [b, t] = ids.shape;
  if (t > c.maxLen) throw new Error(`sequence of ${t} tokens is longer than the model's maximum ${c.maxLen}`);
  const e = c.embeddingSize ?? c.hidden;
  const seed = opts.seed;
  let x: tf.Tensor = tf.add(tf.gather(p(model, 'emb.token'), ids), tf.slice(p(model, 'emb.position'), [0, 0], [t, e]));
  x = layerNorm(x, p(model, 'emb.ln.gamma'), p(model, 'emb.ln.beta'));
  x = dropout(tf.reshape(x, [b * t, e]), c.dropout, seed);
  if (e !== c.hidden) x = dense(x, p(model, 'emb.proj.w'), p(model, 'emb.proj.b'));
  const maskAdd = tf.reshape(tf.mul(tf.sub(1, mask), -1e4), [b, 1, 1, t]);
  const hidden: tf.Tensor3D[] = [];
  const attention: tf.Tensor4D[] = [];
  if (opts.keepHidden) hidden.push(tf.reshape(x, [b, t, c.hidden]));
  const depth = opts.depth ?? c.layers;
  if (opts.pooledOnly && (opts.keepHidden || opts.keepAttention || opts.checkpoint)) throw new Error('pooledOnly keeps no hidden states or attention');
  let rows = t;
  for (let i = 0; i < depth; i++) {
    const prefix = `layer.${c.shareLayers ? 0 : i}.`;
    const weights = LAYER_PARTS.map((n) => p(model, prefix + n));
    const layerSeed = seed === undefined ? undefined : seed + 10 * (i + 1);
    // With keepAttention, the last layer runs normally so that its attention is kept (the one distillation uses).
    if (opts.checkpoint && !(opts.keepAttention && i === depth - 1)) {
      x = checkpointed(([xi, mi, ...wi]) => transformerLayer(c, b, t, xi!, mi!, wi, layerSeed).out, [x, maskAdd, ...weights]);
    } else {
      // A tidy per layer frees the layer's temporaries at once when no gradient tape holds them (inference:
      // the live peak drops ~3x); under a tape it changes nothing.
      const xi = x;
      const keepProbs = opts.keepAttention === true || (opts.keepAttention === 'last' && i === depth - 1);
      const tq = opts.pooledOnly && i === depth - 1 ? Math.min(2, t) : t;
      const r = tf.tidy(() => {
        const l = transformerLayer(c, b, t, xi, maskAdd, weights, layerSeed, tq);
        return keepProbs ? { out: l.out, probs: l.probs } : { out: l.out };
      });
      x = r.out;
      rows = tq;
      if (r.probs) attention.push(r.probs as tf.Tensor4D);
    }
    if (opts.keepHidden) hidden.push(tf.reshape(x, [b, t, c.hidden]));
  }
  const sequence = x as tf.Tensor2D;
  const cls = tf.reshape(tf.slice(tf.reshape(sequence, [b, rows, c.hidden]), [0, 0, 0], [b, 1, c.hidden]), [b, c.hidden]);
  const pooled = tf.tanh(dense(cls, p(model, 'pool.w'), p(model, 'pool.b'))) as tf.Tensor2D;
  return { sequence, pooled, hidden, attention };
}

/** Masked-LM logits [N, V] for selected rows [N, H] of the flattened sequence output. */
export function mlmLogits(model: Model, rows: tf.Tensor2D): tf.Tensor2D {
  const c = model.config;
  if (!c.mlm) throw new Error('model has no masked-LM head');
  const h = layerNorm(gelu(dense(rows, p(model, 'mlm.dense.w'), p(model, 'mlm.dense.b'))), p(model, 'mlm.ln.gamma'), p(model, 'mlm.ln.beta'));
  const logits = c.mlm.tied
    ? tf.matMul(h as tf.Tensor2D, p(model, 'emb.token') as tf.Tensor2D, false, true)
    : tf.matMul(h as tf.Tensor2D, p(model, 'mlm.decoder.w') as tf.Tensor2D);
  return tf.add(logits, p(model, 'mlm.decoder.b')) as tf.Tensor2D;
}

/** Physchem head: normalised descriptors [B, P] from the pooled output. */
export function physchemHead(model: Model, pooled: tf.Tensor2D): tf.Tensor2D {
  return dense(pooled, p(model, 'physchem.w'), p(model, 'physchem.b')) as tf.Tensor2D;
}

/**
 * Task head: raw outputs [B, outputs] (logits for binary tasks). A fingerprint-aware head needs the batch's
 * ECFP4 bits as 0/1 floats, fp [B, task.fp] (see fpFeatures); a descriptor-aware one the batch's
 * standardised descriptors, desc [B, task.desc.names.length] (see descFeatures).
 */
export function taskHead(model: Model, pooled: tf.Tensor2D, fp?: tf.Tensor2D | null, desc?: tf.Tensor2D | null): tf.Tensor2D {
  let out = dense(pooled, p(model, 'task.w'), p(model, 'task.b')) as tf.Tensor2D;
  if (model.config.task?.fp) {
    if (!fp) throw new Error('this model reads the ECFP4 fingerprint with the SMILES: no fingerprints were given');
    out = tf.add(out, tf.matMul(fp, p(model, 'task.fp.w') as tf.Tensor2D));
  }
  if (model.config.task?.desc) {
    if (!desc) throw new Error('this model reads RDKit descriptors with the SMILES: no descriptors were given');
    out = tf.add(out, tf.matMul(desc, p(model, 'task.desc.w') as tf.Tensor2D));
  }
  return out;
}

/**
 * Loss and gradients of every trainable parameter of `params`, keyed by Delicate's parameter names
 * (tf.variableGrads keys them by the engine's variable names).
 */
export function paramGrads(params: Params, loss: () => tf.Scalar): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const entries = Object.entries(params).filter(([, v]) => v.trainable);
  const { value, grads } = tf.variableGrads(
    loss,
    entries.map(([, v]) => v),
  );
  const out: Record<string, tf.Tensor> = {};
  for (const [name, v] of entries) {
    const g = grads[v.name];
    if (g) out[name] = g;
  }
  return { value, grads: out };
}
