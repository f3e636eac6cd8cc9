import { createRequire } from 'node:module';
import type { onnx } from 'onnx-proto';
import type { DescriptorNorm, EncoderConfig } from './encoder';
import { LN_EPS } from './encoder';
import { unpackArrays } from './weights-io';

// onnx-proto is CommonJS without named ESM exports; Node's ESM loader cannot import `onnx` from it by name.
const proto = (createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto')).onnx;

/** The nodes and initializers of a graph being written, with helpers that add to them. */
function graphBuilder(arrays: ReturnType<typeof unpackArrays>) {
  const initializers: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const used = new Set<string>();
  let n = 0;
  const tmp = (hint: string) => `${hint}_${n++}`;
  const param = (p: string): string => {
    if (!used.has(p)) {
      const a = arrays.get(p);
      if (!a) throw new Error(`weights lack parameter ${p}`);
      initializers.push({
        name: p,
        dims: a.shape,
        dataType: proto.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(a.values.buffer, a.values.byteOffset, a.values.byteLength),
      });
      used.add(p);
    }
    return p;
  };
  const constF = (values: number[], dims: number[] = []): string => {
    const nm = tmp('const');
    initializers.push({ name: nm, dims, dataType: proto.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    return nm;
  };
  const constI = (values: number[]): string => {
    const nm = tmp('shape');
    initializers.push({
      name: nm,
      dims: [values.length],
      dataType: proto.TensorProto.DataType.INT64,
      rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    });
    return nm;
  };
  const op = (opType: string, inputs: string[], attrs: onnx.IAttributeProto[] = []): string => {
    const out = tmp(opType.toLowerCase());
    nodes.push({ opType, input: inputs, output: [out], name: out, attribute: attrs });
    return out;
  };
  return { initializers, nodes, used, tmp, param, constF, constI, op };
}

/**
 * Writes a Delicate encoder (shared or unshared layers, any size) and its pooler/task/physchem heads as an
 * ONNX graph (opset 17): inputs `input_ids` int64 [batch, seq] and `attention_mask` float [batch, seq]
 * (and `fp` float [batch, bits], the ECFP4 as 0/1, for a fingerprint-aware task head; `desc` float
 * [batch, descriptors], standardised as descFeatures does, for a descriptor-aware one); outputs `pooled`
 * [batch, hidden] and, when the model has them, `task` and `physchem`. Same maths as encoder.ts (post-LN,
 * eps 1e-12, erf-GELU, additive -1e4 padding mask, tanh [CLS] pooler), so ONNX Runtime reproduces TF.js
 * outputs.
 */
export function exportOnnx(config: EncoderConfig, weights: Uint8Array, name = 'delicate', opts: { int8?: boolean } = {}): Uint8Array {
  const arrays = unpackArrays(weights);
  const { initializers, nodes, used, tmp, param, constF, constI, op } = graphBuilder(arrays);
  const intAttr = (nm: string, i: number): onnx.IAttributeProto => ({ name: nm, type: proto.AttributeProto.AttributeType.INT, i });
  const floatAttr = (nm: string, f: number): onnx.IAttributeProto => ({ name: nm, type: proto.AttributeProto.AttributeType.FLOAT, f });
  const intsAttr = (nm: string, ints: number[]): onnx.IAttributeProto => ({ name: nm, type: proto.AttributeProto.AttributeType.INTS, ints });
  /** Weight `w` [in, out] as int8 with one scale per output column (symmetric: zero point 0). */
  const int8Param = (w: string): { q: string; scale: string } => {
    const q = `${w}.int8`;
    const scale = `${w}.scale`;
    if (!used.has(q)) {
      const a = arrays.get(w);
      if (!a || a.shape.length !== 2) throw new Error(`weights lack the matrix ${w}`);
      const { values, scales } = quantizeColumns(a.values, a.shape[0] as number, a.shape[1] as number);
      initializers.push({ name: q, dims: a.shape, dataType: proto.TensorProto.DataType.INT8, rawData: new Uint8Array(values.buffer) });
      initializers.push({ name: scale, dims: [scales.length], dataType: proto.TensorProto.DataType.FLOAT, rawData: new Uint8Array(scales.buffer) });
      used.add(q);
    }
    return { q, scale };
  };
  /**
   * x·W: float, or (int8) ONNX Runtime's dynamic quantisation: the activations quantised per tensor at run
   * time (DynamicQuantizeLinear, uint8), an integer MatMul against the int8 weights, then rescaled.
   */
  const matmul = (x: string, w: string, quantised: boolean): string => {
    if (!quantised) return op('MatMul', [x, param(w)]);
    const { q, scale } = int8Param(w);
    const xq = tmp('xq');
    const xScale = tmp('xscale');
    const xZero = tmp('xzero');
    nodes.push({ opType: 'DynamicQuantizeLinear', input: [x], output: [xq, xScale, xZero], name: xq });
    const acc = op('Cast', [op('MatMulInteger', [xq, q, xZero])], [intAttr('to', proto.TensorProto.DataType.FLOAT)]);
    return op('Mul', [acc, op('Mul', [xScale, scale])]);
  };
  // The encoder's dense layers are quantised with int8; the pooler and the heads (small, last) stay float.
  const dense = (x: string, w: string, b: string, quantised = opts.int8 === true) => op('Add', [matmul(x, w, quantised), param(b)]);
  const layerNorm = (x: string, g: string, b: string) => op('LayerNormalization', [x, param(g), param(b)], [intAttr('axis', -1), floatAttr('epsilon', LN_EPS)]);
  // x·(1 + erf(x/√2))·0.5, written the way ONNX Runtime fuses it into one Gelu (BiasGelu with the bias before
  // it); the same maths. Unfused (x·0.5·(1 + erf(x·√½)), graphs before GRAPH_VERSION 2) a batch of the ESOL
  // student took 33% longer in float32 and 49% longer in int8 (one thread, scratch probe).
  const gelu = (x: string) => op('Mul', [op('Mul', [x, op('Add', [op('Erf', [op('Div', [x, constF([Math.SQRT2])])]), constF([1])])]), constF([0.5])]);

  const e = config.embeddingSize ?? config.hidden;
  const h = config.hidden;
  const a = config.heads;
  const d = h / a;
  // Embeddings: token + position[:seq], LayerNorm, optional projection.
  const seqLen = op('Shape', ['input_ids'], [intAttr('start', 1), intAttr('end', 2)]);
  const pos = op('Slice', [param('emb.position'), constI([0]), seqLen, constI([0])]);
  let x = layerNorm(op('Add', [op('Gather', [param('emb.token'), 'input_ids'], [intAttr('axis', 0)]), pos]), 'emb.ln.gamma', 'emb.ln.beta');
  if (e !== h) x = dense(x, 'emb.proj.w', 'emb.proj.b');
  // Additive padding mask [batch, 1, 1, seq].
  const maskAdd = op('Unsqueeze', [op('Mul', [op('Sub', [constF([1]), 'attention_mask']), constF([-1e4])]), constI([1, 2])]);
  for (let i = 0; i < config.layers; i++) {
    const p = `layer.${config.shareLayers ? 0 : i}.`;
    const heads = (y: string, perm: number[]) => op('Transpose', [op('Reshape', [y, constI([0, 0, a, d])])], [intsAttr('perm', perm)]);
    // Every output reads the first token's final state only (pooled, and the heads on it), so the last
    // layer computes its query, attention, output projection and feed-forward block for the first two
    // tokens alone; its keys and values still see every token. Two rows, not one: ONNX Runtime's CPU GEMM
    // sums a single row in another order (by the sequence length), which would make a molecule's score
    // depend by an ulp on the batch it is scored in, and shards must score exactly as one process.
    // The same outputs; a quarter less work for a 3-layer student.
    const rows = i === config.layers - 1 ? op('Slice', [x, constI([0]), constI([2]), constI([1])]) : x;
    const q = heads(dense(rows, `${p}attn.q.w`, `${p}attn.q.b`), [0, 2, 1, 3]);
    const kT = heads(dense(x, `${p}attn.k.w`, `${p}attn.k.b`), [0, 2, 3, 1]);
    const v = heads(dense(x, `${p}attn.v.w`, `${p}attn.v.b`), [0, 2, 1, 3]);
    const scores = op('Add', [op('Mul', [op('MatMul', [q, kT]), constF([1 / Math.sqrt(d)])]), maskAdd]);
    const probs = op('Softmax', [scores], [intAttr('axis', -1)]);
    const ctx = op('Reshape', [op('Transpose', [op('MatMul', [probs, v])], [intsAttr('perm', [0, 2, 1, 3])]), constI([0, 0, h])]);
    const h1 = layerNorm(op('Add', [rows, dense(ctx, `${p}attn.o.w`, `${p}attn.o.b`)]), `${p}attn.ln.gamma`, `${p}attn.ln.beta`);
    const f = dense(gelu(dense(h1, `${p}ffn.in.w`, `${p}ffn.in.b`)), `${p}ffn.out.w`, `${p}ffn.out.b`);
    x = layerNorm(op('Add', [h1, f]), `${p}ffn.ln.gamma`, `${p}ffn.ln.beta`);
  }
  const cls = op('Gather', [x, constI([0])], [intAttr('axis', 1)]);
  const clsFlat = op('Reshape', [cls, constI([0, h])]);
  const pooled = op('Tanh', [dense(clsFlat, 'pool.w', 'pool.b', false)]);
  const outputs: Array<{ name: string; from: string; width: number }> = [{ name: 'pooled', from: pooled, width: h }];
  if (config.task) {
    const plain = dense(pooled, 'task.w', 'task.b', false);
    const withFp = config.task.fp ? op('Add', [plain, matmul('fp', 'task.fp.w', false)]) : plain;
    const task = config.task.desc ? op('Add', [withFp, matmul('desc', 'task.desc.w', false)]) : withFp;
    outputs.push({ name: 'task', from: task, width: config.task.outputs });
  }
  if (config.physchem > 0) outputs.push({ name: 'physchem', from: dense(pooled, 'physchem.w', 'physchem.b', false), width: config.physchem });
  for (const o of outputs) nodes.push({ opType: 'Identity', input: [o.from], output: [o.name], name: `out_${o.name}` });

  return encodeModel(name, nodes, initializers, outputs, config.task?.fp ?? 0, config.task?.desc ?? null);
}

/**
 * The ONNX model of a graph: inputs `input_ids` int64 and `attention_mask` float [batch, seq] (and `fp`
 * float [batch, fpBits] when fpBits > 0, `desc` float [batch, descriptors] with `desc`, whose names, means
 * and sds the graph carries in its metadata as `delicate.task.desc`, JSON); float outputs [batch, width].
 */
function encodeModel(
  name: string,
  nodes: onnx.INodeProto[],
  initializers: onnx.ITensorProto[],
  outputs: Array<{ name: string; width: number }>,
  fpBits: number,
  desc: DescriptorNorm | null,
): Uint8Array {
  const dims = (...ds: Array<string | number>) => ({ dim: ds.map((x) => (typeof x === 'string' ? { dimParam: x } : { dimValue: x })) });
  const model = proto.ModelProto.create({
    irVersion: 8,
    producerName: 'delicate',
    producerVersion: GRAPH_VERSION,
    // How to standardise the `desc` input: a graph used outside Delicate says it itself.
    ...(desc ? { metadataProps: [{ key: 'delicate.task.desc', value: JSON.stringify(desc) }] } : {}),
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name,
      node: nodes,
      initializer: initializers,
      input: [
        { name: 'input_ids', type: { tensorType: { elemType: proto.TensorProto.DataType.INT64, shape: dims('batch', 'seq') } } },
        { name: 'attention_mask', type: { tensorType: { elemType: proto.TensorProto.DataType.FLOAT, shape: dims('batch', 'seq') } } },
        ...(fpBits > 0 ? [{ name: 'fp', type: { tensorType: { elemType: proto.TensorProto.DataType.FLOAT, shape: dims('batch', fpBits) } } }] : []),
        ...(desc ? [{ name: 'desc', type: { tensorType: { elemType: proto.TensorProto.DataType.FLOAT, shape: dims('batch', desc.names.length) } } }] : []),
      ],
      output: outputs.map((o) => ({ name: o.name, type: { tensorType: { elemType: proto.TensorProto.DataType.FLOAT, shape: dims('batch', o.width) } } })),
    },
  });
  return proto.ModelProto.encode(model).finish();
}

/** Symmetric int8 quantisation of a row-major [rows, cols] matrix, one scale per column (max |w| → 127). */
export function quantizeColumns(w: Float32Array, rows: number, cols: number): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) scales[j] = Math.max(scales[j] as number, Math.abs(w[i * cols + j] as number));
  for (let j = 0; j < cols; j++) scales[j] = (scales[j] as number) / 127 || 1;
  const values = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) values[i * cols + j] = Math.max(-127, Math.min(127, Math.round((w[i * cols + j] as number) / (scales[j] as number))));
  return { values, scales };
}

/**
 * The version of the graphs exportOnnx writes (their producerVersion). A stored graph of another version
 * (a model trained or imported before) is exported again from its weights where it is used: same outputs,
 * the current graph's speed. 2: GELU in the form ONNX Runtime fuses; 3: the last layer for the first two tokens only.
 */
export const GRAPH_VERSION = '3';

/** Whether a stored graph is what exportOnnx writes today (its GRAPH_VERSION). */
export function isCurrentGraph(graph: Uint8Array): boolean {
  return proto.ModelProto.decode(graph).producerVersion === GRAPH_VERSION;
}

/**
 * The graph a model runs on ONNX Runtime: its stored float graph (exported now when none is stored or it is
 * of an older version), or an int8 export made now.
 */
export function onnxGraph(spec: { config: EncoderConfig; weights: Uint8Array; name: string; onnx?: Uint8Array | null | undefined }, int8: boolean): Uint8Array {
  if (int8) return exportOnnx(spec.config, spec.weights, spec.name, { int8: true });
  return spec.onnx && isCurrentGraph(spec.onnx) ? spec.onnx : exportOnnx(spec.config, spec.weights, spec.name);
}
