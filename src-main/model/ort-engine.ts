import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { BackendStatus } from '../../src-shared/dto';
import { lengthBatches, padBatch } from './batch';
import type { DescriptorNorm } from './encoder';
import { descFeatures, fpFeatures } from './fp-features';
import type { InferOutput } from './infer';

type Ort = typeof import('onnxruntime-node');

/** An execution provider and why it is (not) used: the same shape as a TF.js backend's status. */
export type ProviderStatus = BackendStatus;

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

/** The accelerated provider worth trying on this platform: CUDA (Linux/Windows), DirectML (Windows), CoreML (macOS). */
function acceleratedProviders(): string[] {
  return process.platform === 'win32' ? ['cuda', 'dml'] : process.platform === 'darwin' ? ['coreml'] : ['cuda'];
}

/** Why each provider was or was not used by the last session created (filled by OrtModel.create). */
let lastProviders: ProviderStatus[] | null = null;

/**
 * ONNX Runtime execution providers in preference order with the reason for each. onnxruntime-node's npm
 * package bundles the CPU provider; its install script fetches the CUDA 12 provider, which Delicate's
 * .npmrc skips (no network here): with internet access and CUDA 12, remove that line and run
 * `npm rebuild onnxruntime-node`.
 */
export function executionProviders(): ProviderStatus[] {
  if (lastProviders) return lastProviders;
  const o = loadOrt();
  if (!o) return [{ name: 'cpu', available: false, selected: false, reason: ortProblem() }];
  const supported = new Map(o.listSupportedBackends().map((b) => [b.name, b.bundled]));
  return [
    ...acceleratedProviders().map((name) => ({
      name,
      available: false,
      selected: false,
      reason: providerGap(name, supported) ?? 'installed; tried when a model is loaded',
    })),
    { name: 'cpu', available: true, selected: true, reason: `bundled; ${availableParallelism()} intra-op threads` },
  ];
}

function providerGap(name: string, supported: Map<string, boolean>): string | null {
  const bundled = supported.get(name);
  if (bundled === undefined) return `not supported by this onnxruntime-node build on ${process.platform}`;
  if (!bundled && name === 'cuda') {
    return "not installed: onnxruntime-node's install script fetches it (with internet access and CUDA 12, remove onnxruntime-node-install=skip from .npmrc and run `npm rebuild onnxruntime-node`)";
  }
  return bundled ? null : 'not installed with this onnxruntime-node';
}

/** One ONNX Runtime session over an exported Delicate graph, with length-bucketed batches. */
export class OrtModel {
  private constructor(
    private readonly session: InferenceSession,
    private readonly o: Ort,
    readonly threads: number,
    /** The execution provider in use. */
    readonly provider: string,
    /** The ECFP4 bits the model's task head reads (its config's task.fp; the graph's `fp` input), 0 for a plain head. */
    readonly fpBits: number,
    /** The descriptors a descriptor-aware head reads (its config's task.desc; the graph's `desc` input). */
    readonly descNorm: DescriptorNorm | null,
  ) {}

  /**
   * `spin: false` stops the intra-op threads from busy-waiting between operators: for a session that
   * shares the cores with other work (a file screen's chemistry workers), where spinning takes their CPU.
   * `head`: the model's config's task head (a fingerprint-aware head reads the graph's `fp` input, a
   * descriptor-aware one its `desc` input).
   */
  static async create(
    graph: Uint8Array,
    threads = availableParallelism(),
    spin = true,
    head: { fp?: number; desc?: DescriptorNorm } | null | undefined = null,
  ): Promise<OrtModel> {
    const fpBits = head?.fp ?? 0;
    const desc = head?.desc ?? null;
    const o = loadOrt();
    if (!o) throw new Error(ortProblem());
    const supported = new Map(o.listSupportedBackends().map((b) => [b.name, b.bundled]));
    const statuses: ProviderStatus[] = [];
    const options = {
      graphOptimizationLevel: 'all' as const,
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    };
    // An accelerated provider where it is installed and loads, else the CPU; each one's reason is kept.
    for (const name of acceleratedProviders()) {
      const gap = providerGap(name, supported);
      if (gap) {
        statuses.push({ name, available: false, selected: false, reason: gap });
        continue;
      }
      try {
        const session = await o.InferenceSession.create(graph, { ...options, executionProviders: [name] });
        statuses.push({ name, available: true, selected: true, reason: 'loaded' });
        lastProviders = [...statuses, { name: 'cpu', available: true, selected: false, reason: `not needed: ${name} is preferred` }];
        return new OrtModel(session, o, threads, name, fpBits, desc);
      } catch (err) {
        statuses.push({ name, available: false, selected: false, reason: `failed to load: ${(err as Error).message.split('\n')[0]}` });
      }
    }
    const session = await o.InferenceSession.create(graph, { ...options, executionProviders: ['cpu'] });
    lastProviders = [...statuses, { name: 'cpu', available: true, selected: true, reason: `bundled; ${threads} intra-op threads` }];
    return new OrtModel(session, o, threads, 'cpu', fpBits, desc);
  }

  /** Input buffers reused across batches (grown when a batch needs more); tensors are views of them. */
  private idsBuf = new BigInt64Array(0);
  private maskBuf = new Float32Array(0);
  private fpBuf = new Float32Array(0);
  private descBuf = new Float32Array(0);

  /**
   * One row per input, in input order (like model/infer.ts inferRows). A graph with an `fp` input reads
   * each input's packed ECFP4 from `fps` (aligned with `seqs`), one with a `desc` input each input's
   * descriptors from `descs`; asked only for `pooled`, they get zeros.
   */
  async rows(
    seqs: ReadonlyArray<Int32Array>,
    output: InferOutput,
    batchSize = 64,
    fps?: ReadonlyArray<Uint8Array | null>,
    descs?: ReadonlyArray<Float32Array | null>,
  ): Promise<Float32Array[]> {
    const rows: Float32Array[] = new Array(seqs.length);
    const fpBits = this.fpBits;
    if (fpBits && !this.session.inputNames.includes('fp')) throw new Error(`the ONNX graph has no 'fp' input for the model's ${fpBits}-bit fingerprint head`);
    if (fpBits && output === 'task' && !fps) throw new Error('this model reads the ECFP4 fingerprint with the SMILES: no fingerprints were given');
    const norm = this.descNorm;
    if (norm && !this.session.inputNames.includes('desc')) throw new Error("the ONNX graph has no 'desc' input for the model's descriptor head");
    if (norm && output === 'task' && !descs) throw new Error('this model reads RDKit descriptors with the SMILES: no descriptors were given');
    for (const idx of lengthBatches(
      seqs.map((s) => s.length),
      batchSize,
    )) {
      const b = padBatch(idx.map((i) => seqs[i] as Int32Array));
      const n = b.ids.length;
      if (this.idsBuf.length < n) {
        this.idsBuf = new BigInt64Array(n);
        this.maskBuf = new Float32Array(n);
      }
      const ids = this.idsBuf.subarray(0, n);
      for (let i = 0; i < n; i++) ids[i] = BigInt(b.ids[i] as number);
      const mask = this.maskBuf.subarray(0, n);
      mask.set(b.mask);
      const feeds: Record<string, Tensor> = {
        input_ids: new this.o.Tensor('int64', ids, [b.b, b.t]),
        attention_mask: new this.o.Tensor('float32', mask, [b.b, b.t]),
      };
      if (fpBits) {
        if (this.fpBuf.length < b.b * fpBits) this.fpBuf = new Float32Array(b.b * fpBits);
        const fp = this.fpBuf.subarray(0, b.b * fpBits);
        if (fps && output === 'task') fpFeatures(fps, idx, fpBits, fp);
        else fp.fill(0);
        feeds.fp = new this.o.Tensor('float32', fp, [b.b, fpBits]);
      }
      if (norm) {
        const w = norm.names.length;
        if (this.descBuf.length < b.b * w) this.descBuf = new Float32Array(b.b * w);
        const desc = this.descBuf.subarray(0, b.b * w);
        if (descs && output === 'task') descFeatures(descs, idx, norm, desc);
        else desc.fill(0);
        feeds.desc = new this.o.Tensor('float32', desc, [b.b, w]);
      }
      const res = await this.session.run(feeds, [output]);
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
