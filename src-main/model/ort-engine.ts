import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { lengthBatches, padBatch } from './batch';
import type { InferOutput } from './infer';

type Ort = typeof import('onnxruntime-node');

export interface ProviderStatus {
  name: string;
  available: boolean;
  selected: boolean;
  reason: string;
}

let ort: Ort | null | undefined;
let loadError = '';

/** onnxruntime-node, or null with the reason in `ortProblem()` (TF.js is then the inference engine). */
export function loadOrt(): Ort | null {
  if (ort === undefined) {
    try {
      ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;
    } catch (err) {
      ort = null;
      loadError = `onnxruntime-node failed to load: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return ort;
}

export function ortProblem(): string {
  return loadError;
}

/**
 * ONNX Runtime execution providers in preference order with the reason for each: CUDA 12 where its
 * libraries are installed (onnxruntime-node ships only the CPU provider in its npm package; the CUDA
 * provider is downloaded by its install script, which Delicate's .npmrc skips), DirectML on Windows,
 * CoreML on macOS, else the CPU.
 */
export function executionProviders(): ProviderStatus[] {
  const o = loadOrt();
  if (!o) return [{ name: 'cpu', available: false, selected: false, reason: ortProblem() }];
  const supported = new Map(o.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const out: ProviderStatus[] = [];
  const platformEp = process.platform === 'win32' ? 'dml' : process.platform === 'darwin' ? 'coreml' : 'cuda';
  const bundled = supported.get(platformEp);
  out.push({
    name: platformEp,
    available: false,
    selected: false,
    reason:
      bundled === undefined
        ? `not supported by this onnxruntime-node build on ${process.platform}`
        : bundled
          ? 'bundled but not enabled by Delicate yet'
          : `not installed: onnxruntime-node's install script fetches it (run \`npm rebuild onnxruntime-node\` with internet access and CUDA 12 installed, without onnxruntime-node-install=skip)`,
  });
  out.push({ name: 'cpu', available: true, selected: true, reason: `bundled; ${availableParallelism()} intra-op threads` });
  return out;
}

/** One ONNX Runtime session over an exported Delicate graph, with length-bucketed batches. */
export class OrtModel {
  private constructor(
    private readonly session: InferenceSession,
    private readonly o: Ort,
    readonly threads: number,
  ) {}

  static async create(graph: Uint8Array, threads = availableParallelism()): Promise<OrtModel> {
    const o = loadOrt();
    if (!o) throw new Error(ortProblem());
    const session = await o.InferenceSession.create(graph, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    return new OrtModel(session, o, threads);
  }

  /** One row per input, in input order (like model/infer.ts inferRows). */
  async rows(seqs: ReadonlyArray<Int32Array>, output: InferOutput, batchSize = 64): Promise<Float32Array[]> {
    const rows: Float32Array[] = new Array(seqs.length);
    for (const idx of lengthBatches(seqs.map((s) => s.length), batchSize)) {
      const b = padBatch(idx.map((i) => seqs[i] as Int32Array));
      const ids = new BigInt64Array(b.ids.length);
      for (let i = 0; i < ids.length; i++) ids[i] = BigInt(b.ids[i] as number);
      const res = await this.session.run(
        { input_ids: new this.o.Tensor('int64', ids, [b.b, b.t]), attention_mask: new this.o.Tensor('float32', b.mask, [b.b, b.t]) },
        [output],
      );
      const t = res[output];
      if (!t) throw new Error(`the ONNX graph has no output '${output}'`);
      const data = t.data as Float32Array;
      const width = t.dims[1] as number;
      idx.forEach((i, k) => (rows[i] = data.slice(k * width, (k + 1) * width)));
      t.dispose();
    }
    return rows;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
