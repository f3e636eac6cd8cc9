import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The wasm backend internals the patched kernels use (public methods of BackendWasm, untyped in its
 * d.ts because the kernels receive a generic KernelBackend).
 */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

type Args = Parameters<KernelFunc>[0];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * BatchMatMul for wasm that always reaches XNNPACK's fast path. The stock kernel only uses XNNPACK for
 * the plain case (no transpose, batch 1) and otherwise runs a naive loop at 1-3 GFLOP/s; every matmul
 * gradient is transposed, so training ran ~8x slower (../shared/research/feasibility-ml.md, section 1).
 * Transposed operands are transposed physically; a broadcast right operand is folded into rows; a real
 * batch loops over slices, each copied into a fresh tensor because XNNPACK caches packed weights by id.
 */
function fastBatchMatMul(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args: Args) => {
    const backend = args.backend as unknown as WasmBackend;
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    let a = args.inputs.a as TensorInfo;
    let b = args.inputs.b as TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args) as TensorInfo;
    const temps: TensorInfo[] = [];
    const swapLastTwo = (x: TensorInfo): TensorInfo => {
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
      const t = transpose({ inputs: { x }, backend: args.backend, attrs: { perm } }) as TensorInfo;
      temps.push(t);
      return t;
    };
    try {
      if (attrs.transposeA) a = swapLastTwo(a);
      if (attrs.transposeB) b = swapLastTwo(b);
      const ra = a.shape.length;
      const rb = b.shape.length;
      const m = a.shape[ra - 2] as number;
      const k = a.shape[ra - 1] as number;
      const n = b.shape[rb - 1] as number;
      if (b.shape[rb - 2] !== k) {
        throw new Error(`Error in matMul: inner shapes (${k}) and (${b.shape[rb - 2]}) of tensors with shapes ${a.shape} and ${b.shape} must match.`);
      }
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const batchA = size(a.shape.slice(0, -2));
      const batchB = size(b.shape.slice(0, -2));
      const plain = { transposeA: false, transposeB: false };
      const call = (x: TensorInfo, y: TensorInfo) => original({ inputs: { a: x, b: y }, backend: args.backend, attrs: plain }) as TensorInfo;
      if (batchB === 1) {
        // [batchA*m, k] x [k, n]: one XNNPACK call, the right operand keeps its id (weights stay packed).
        const out = call({ dataId: a.dataId, shape: [1, batchA * m, k], dtype: 'float32' }, { dataId: b.dataId, shape: [1, k, n], dtype: 'float32' });
        out.shape = [...outer, m, n];
        return out;
      }
      if (batchA !== 1 && batchA !== batchB) {
        // Multi-axis broadcasting (e.g. [2,1] x [1,3]) does not occur in Delicate's models; keep the stock path.
        return original({ inputs: { a, b }, backend: args.backend, attrs: plain }) as TensorInfo;
      }
      const batch = batchB;
      const out = backend.makeOutput([...outer, m, n], 'float32');
      const sliceOf = (x: TensorInfo, i: number, rows: number, cols: number): TensorInfo => {
        const s = backend.makeOutput([1, rows, cols], 'float32');
        const src = backend.typedArrayFromHeap(x); // read views after every allocation: the heap may have grown
        (backend.typedArrayFromHeap(s) as Float32Array).set(src.subarray(i * rows * cols, (i + 1) * rows * cols));
        return s;
      };
      for (let i = 0; i < batch; i++) {
        const ai = batchA === 1 ? null : sliceOf(a, i, m, k);
        const bi = sliceOf(b, i, k, n);
        const r = call(ai ?? { dataId: a.dataId, shape: [1, m, k], dtype: 'float32' }, bi);
        (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(r), i * m * n);
        backend.disposeData(r.dataId);
        backend.disposeData(bi.dataId);
        if (ai) backend.disposeData(ai.dataId);
      }
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** The gradient of gather, missing from the wasm backend: out[ids[i]] += x[i]. */
function unsortedSegmentSum(args: Args): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const x = args.inputs.x as TensorInfo;
  const ids = args.inputs.segmentIds as TensorInfo;
  const numSegments = (args.attrs as unknown as { numSegments: number }).numSegments;
  const n = size(ids.shape);
  const inner = n === 0 ? 0 : size(x.shape) / n;
  const out = backend.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
  const o = backend.typedArrayFromHeap(out);
  const xs = backend.typedArrayFromHeap(x);
  const is = backend.typedArrayFromHeap(ids);
  o.fill(0);
  for (let i = 0; i < n; i++) {
    const seg = is[i] as number;
    if (seg < 0 || seg >= numSegments) continue;
    const src = i * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) (o[dst + j] as number) += xs[src + j] as number;
  }
  return out;
}

let patched = false;

/**
 * Registers Delicate's wasm kernel fixes. Must run before the wasm backend is initialised (before
 * `setBackend('wasm')`), because setup functions run at backend initialisation. `batchMatMul: false`
 * keeps the stock matmul (only the benchmark that measures the fix uses it).
 */
export function patchWasmKernels(opts: { batchMatMul?: boolean } = {}): void {
  if (patched) return;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as KernelFunc });
  }
  patched = true;
  if (opts.batchMatMul === false) return;
  const bmm = tf.getKernel('BatchMatMul', 'wasm');
  const tr = tf.getKernel('Transpose', 'wasm');
  if (!bmm || !tr) throw new Error('the wasm backend is not registered: import @tensorflow/tfjs-backend-wasm first');
  tf.unregisterKernel('BatchMatMul', 'wasm');
  const config: KernelConfig = { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: fastBatchMatMul(bmm.kernelFunc, tr.kernelFunc) };
  if (bmm.setupFunc) config.setupFunc = bmm.setupFunc;
  tf.registerKernel(config);
}
