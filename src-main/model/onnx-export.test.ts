import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { padBatch } from './batch';
import { type EncoderConfig, createModel, disposeModel, encode, physchemHead, taskHead } from './encoder';
import { descFeatures, descriptorNorm, descriptorRow } from './fp-features';
import { inferRows } from './infer';
import { exportOnnx, isCurrentGraph, onnxGraph, quantizeColumns } from './onnx-export';
import { OrtModel } from './ort-engine';
import { initTf, tf } from './tf/backend';
import { packTensors } from './weights-tf';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const proto = (createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto')).onnx;

const base: EncoderConfig = {
  vocabSize: 20,
  maxLen: 24,
  layers: 3,
  hidden: 32,
  heads: 4,
  ff: 64,
  dropout: 0.1,
  shareLayers: false,
  mlm: { tied: true },
  physchem: 5,
  task: { type: 'regression', outputs: 2 },
};
const seqs = [Int32Array.from([2, 5, 6, 7, 8, 9, 10, 3]), Int32Array.from([2, 11, 3]), Int32Array.from([2, 12, 13, 14, 15, 5, 3])];

describe('ONNX export', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  for (const [label, over] of [
    ['unshared layers', {}],
    ['one shared layer applied 3 times', { shareLayers: true }],
    ['factorised embeddings', { embeddingSize: 16 }],
  ] as Array<[string, Partial<EncoderConfig>]>) {
    it(`matches TF.js within 1e-4 (${label})`, async () => {
      const config = { ...base, ...over };
      const model = createModel(config, 3);
      const b = padBatch(seqs);
      const ref = tf.tidy(() => {
        const out = encode(model, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]));
        return { pooled: out.pooled, task: taskHead(model, out.pooled), physchem: physchemHead(model, out.pooled) };
      });
      const session = await ort.InferenceSession.create(exportOnnx(config, packTensors(model.params)));
      const res = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(b.ids, BigInt)), [b.b, b.t]),
        attention_mask: new ort.Tensor('float32', b.mask, [b.b, b.t]),
      });
      for (const key of ['pooled', 'task', 'physchem'] as const) {
        const want = ref[key].dataSync();
        const got = res[key]?.data as Float32Array;
        expect(got.length).toBe(want.length);
        let max = 0;
        for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs((got[i] as number) - (want[i] as number)));
        expect(max).toBeLessThan(1e-4);
      }
      tf.dispose([ref.pooled, ref.task, ref.physchem]);
      await session.release();
      disposeModel(model);
    });
  }

  it('OrtModel.rows (reused input buffers, length buckets) gives the rows TF.js gives, in input order', async () => {
    const config = { ...base, shareLayers: true };
    const model = createModel(config, 5);
    // Lengths 3..20 in shuffled order; batches of 2 make buffers grow, shrink to views and be reused.
    const many = Array.from({ length: 18 }, (_, k) => {
      const len = 3 + ((k * 7) % 18);
      return Int32Array.from({ length: len }, (_, i) => (i === 0 ? 2 : i === len - 1 ? 3 : 4 + ((i * 5 + k) % 15)));
    });
    const ort = await OrtModel.create(exportOnnx(config, packTensors(model.params)), 1);
    const got = await ort.rows(many, 'task', 2);
    const want = await inferRows(model, many, 'task', 4);
    await ort.release();
    disposeModel(model);
    for (let i = 0; i < many.length; i++) {
      for (let j = 0; j < 2; j++) expect(Math.abs((got[i]?.[j] as number) - (want[i]?.[j] as number))).toBeLessThan(1e-4);
    }
  });

  it('a fingerprint-aware task head reads the ECFP4 bits on both engines alike, in input order', async () => {
    const config: EncoderConfig = { ...base, shareLayers: true, task: { type: 'regression', outputs: 2, fp: 64 } };
    const model = createModel(config, 9);
    // The fingerprint weights start at zero; random ones make the term count.
    (model.params['task.fp.w'] as tf.Variable).assign(tf.randomNormal([64, 2], 0, 0.5, 'float32', 4));
    const fps = seqs.map((_, k) => Uint8Array.from({ length: 8 }, (_, j) => (j * 37 + k * 91) % 256));
    const ortModel = await OrtModel.create(exportOnnx(config, packTensors(model.params)), 1, true, config.task);
    const got = await ortModel.rows(seqs, 'task', 2, fps);
    const pooled = await ortModel.rows(seqs, 'pooled', 2);
    await ortModel.release();
    const want = await inferRows(model, seqs, 'task', 4, fps);
    const plain = await inferRows(
      model,
      seqs,
      'task',
      4,
      fps.map(() => new Uint8Array(8)),
    );
    await expect(inferRows(model, seqs, 'task', 4)).rejects.toThrow(/ECFP4/);
    disposeModel(model);
    expect(pooled[0]?.length).toBe(32);
    for (let i = 0; i < seqs.length; i++)
      for (let j = 0; j < 2; j++) {
        expect(Math.abs((got[i]?.[j] as number) - (want[i]?.[j] as number))).toBeLessThan(1e-4);
        // The bits change the output (the fingerprint term is not dropped on the way).
        expect(Math.abs((want[i]?.[j] as number) - (plain[i]?.[j] as number))).toBeGreaterThan(1e-3);
      }
  });

  it('a descriptor-aware task head reads the standardised descriptors on both engines alike, beside the fingerprint', async () => {
    const rows = seqs.map((_, k) => Float32Array.from([300 + 40 * k, 1.5 - 0.7 * k, (k * 13) % 5]));
    const desc = descriptorNorm(rows, ['mw', 'clogp', 'hbd']);
    const config: EncoderConfig = { ...base, shareLayers: true, task: { type: 'regression', outputs: 2, fp: 64, desc } };
    const model = createModel(config, 9);
    (model.params['task.fp.w'] as tf.Variable).assign(tf.randomNormal([64, 2], 0, 0.5, 'float32', 4));
    (model.params['task.desc.w'] as tf.Variable).assign(tf.randomNormal([3, 2], 0, 0.5, 'float32', 5));
    const fps = seqs.map((_, k) => Uint8Array.from({ length: 8 }, (_, j) => (j * 37 + k * 91) % 256));
    const graph = exportOnnx(config, packTensors(model.params));
    // The graph says how to standardise its desc input.
    const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');
    const meta = onnx.ModelProto.decode(graph).metadataProps.find((p) => p.key === 'delicate.task.desc');
    expect(JSON.parse(meta?.value ?? 'null')).toEqual(desc);
    const ortModel = await OrtModel.create(graph, 1, true, config.task);
    const got = await ortModel.rows(seqs, 'task', 2, fps, rows);
    await expect(ortModel.rows(seqs, 'task', 2, fps)).rejects.toThrow(/descriptors/);
    await ortModel.release();
    // A graph without the desc input, for a model that needs it: refused, not run with the term missing.
    const plainGraph = exportOnnx({ ...config, task: { type: 'regression', outputs: 2, fp: 64 } }, packTensors(model.params));
    const wrong = await OrtModel.create(plainGraph, 1, true, config.task);
    await expect(wrong.rows(seqs, 'task', 2, fps, rows)).rejects.toThrow(/no 'desc' input/);
    await wrong.release();
    const want = await inferRows(model, seqs, 'task', 4, fps, rows);
    const atMean = await inferRows(
      model,
      seqs,
      'task',
      4,
      fps,
      rows.map(() => Float32Array.from(desc.mean)),
    );
    await expect(inferRows(model, seqs, 'task', 4, fps)).rejects.toThrow(/descriptors/);
    disposeModel(model);
    for (let i = 0; i < seqs.length; i++)
      for (let j = 0; j < 2; j++) {
        expect(Math.abs((got[i]?.[j] as number) - (want[i]?.[j] as number))).toBeLessThan(1e-4);
        expect(Math.abs((want[i]?.[j] as number) - (atMean[i]?.[j] as number))).toBeGreaterThan(1e-3);
      }
  });

  it('standardises descriptors with the training set mean and sd, clipped to 5 sd, rows in the order asked', () => {
    const norm = descriptorNorm([Float32Array.from([1, 7]), Float32Array.from([3, 7])], ['a', 'b']);
    expect(norm).toEqual({ names: ['a', 'b'], mean: [2, 7], sd: [1, 1] });
    const descs = [Float32Array.from([2, 7]), Float32Array.from([100, 6]), null];
    expect(Array.from(descFeatures(descs, [1, 0], norm))).toEqual([5, -1, 0, 0]);
    expect(() => descFeatures(descs, [2], norm)).toThrow(/compound 2 has no descriptors/);
    expect(() => descFeatures([Float32Array.from([1])], [0], norm)).toThrow(/reads 2 descriptors/);
    expect(Array.from(descriptorRow({ b: 4, a: 1.5, c: 9 }, ['a', 'b']))).toEqual([1.5, 4]);
    expect(() => descriptorRow({ a: 1 }, ['a', 'b'])).toThrow(/'b' is missing/);
  });

  it('quantises a matrix per column to int8 within half a step of each value', () => {
    const w = Float32Array.from([0.5, -2, 0, -0.25, 1, 0.001, 0.127, 0.3, -0.002]);
    const { values, scales } = quantizeColumns(w, 3, 3);
    expect(Array.from(scales, (x) => Number(x.toFixed(6)))).toEqual([0.5 / 127, 2 / 127, 0.002 / 127].map((x) => Number(x.toFixed(6))));
    for (let i = 0; i < 9; i++)
      expect(Math.abs((values[i] as number) * (scales[i % 3] as number) - (w[i] as number))).toBeLessThanOrEqual((scales[i % 3] as number) / 2 + 1e-9);
    expect(Math.max(...Array.from(values, Math.abs))).toBe(127);
  });

  it('an int8 export (MatMulInteger on quantised weights) runs on ONNX Runtime close to float, and is smaller', async () => {
    const config: EncoderConfig = { ...base, hidden: 64, ff: 128, shareLayers: true };
    const model = createModel(config, 7);
    const weights = packTensors(model.params);
    const float = exportOnnx(config, weights);
    const int8 = exportOnnx(config, weights, 'int8', { int8: true });
    expect(Buffer.from(int8).includes(Buffer.from('MatMulInteger'))).toBe(true);
    expect(Buffer.from(float).includes(Buffer.from('MatMulInteger'))).toBe(false);
    expect(int8.length).toBeLessThan(float.length * 0.75);
    const run = async (graph: Uint8Array) => {
      const m = await OrtModel.create(graph, 1);
      try {
        return await m.rows(seqs, 'pooled', 2);
      } finally {
        await m.release();
      }
    };
    const [want, got] = [await run(float), await run(int8)];
    disposeModel(model);
    let maxDiff = 0;
    let maxAbs = 0;
    want.forEach((row, i) =>
      row.forEach((v, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - (got[i]?.[j] as number)));
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }),
    );
    // Quantised, so not the same numbers; close to them.
    expect(maxDiff).toBeGreaterThan(1e-6);
    expect(maxDiff / maxAbs).toBeLessThan(0.05);
  });

  it('writes GELU so that ONNX Runtime fuses it (no Erf left in the optimised graph, float or int8)', async () => {
    const model = createModel(base, 5);
    const weights = packTensors(model.params);
    disposeModel(model);
    const dir = mkdtempSync(join(tmpdir(), 'delicate-gelu-'));
    try {
      for (const int8 of [false, true]) {
        const file = join(dir, `${int8}.onnx`);
        const s = await ort.InferenceSession.create(exportOnnx(base, weights, 'g', { int8 }), {
          graphOptimizationLevel: 'all',
          optimizedModelFilePath: file,
          logSeverityLevel: 3,
        });
        await s.release();
        const ops = (proto.ModelProto.decode(readFileSync(file)).graph?.node ?? []).map((n) => n.opType);
        expect(ops).not.toContain('Erf');
        expect(ops.filter((o) => o === 'Gelu' || o === 'BiasGelu')).toHaveLength(base.layers);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes the last layer for the first tokens only (every output reads the first), the others for all', () => {
    const model = createModel(base, 6);
    const graph = proto.ModelProto.decode(exportOnnx(base, packTensors(model.params), 'm')).graph as import('onnx-proto').onnx.IGraphProto;
    disposeModel(model);
    const producer = new Map((graph.node ?? []).flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
    /** Whether the tensor is computed from a Slice of the hidden states (first input upwards). */
    const fromSlice = (tensor: string): boolean => {
      for (let n = producer.get(tensor); n; n = producer.get(n.input?.[0] ?? '')) if (n.opType === 'Slice' && !n.input?.[0]?.startsWith('emb.')) return true;
      return false;
    };
    const inputOf = (w: string) => (graph.node ?? []).find((n) => n.input?.includes(w))?.input?.[0] as string;
    const last = base.layers - 1;
    expect(fromSlice(inputOf(`layer.${last}.ffn.in.w`))).toBe(true);
    expect(fromSlice(inputOf(`layer.${last}.attn.q.w`))).toBe(true);
    expect(fromSlice(inputOf(`layer.${last}.attn.k.w`))).toBe(false);
    expect(fromSlice(inputOf(`layer.${last - 1}.ffn.in.w`))).toBe(false);
  });

  it("scores a molecule bitwise alike in any batch (shards must equal one process's scores)", async () => {
    // The students' sizes: ONNX Runtime's CPU GEMM sums a single row in another order than several.
    const config = { ...base, maxLen: 64, hidden: 128, heads: 4, ff: 256, shareLayers: true };
    const model = createModel(config, 8);
    const many = Array.from({ length: 48 }, (_, k) => {
      const len = 3 + ((k * 11) % 45);
      return Int32Array.from({ length: len }, (_, i) => (i === 0 ? 2 : i === len - 1 ? 3 : 4 + ((i * 7 + k * 3) % 15)));
    });
    const m = await OrtModel.create(exportOnnx(config, packTensors(model.params)), 1);
    disposeModel(model);
    const together = await m.rows(many, 'task', 64);
    for (const size of [1, 5]) expect(await m.rows(many, 'task', size)).toEqual(together);
    await m.release();
  });

  it('runs a stored graph of the current version as it is, and exports an older one again from the weights', () => {
    const model = createModel(base, 6);
    const weights = packTensors(model.params);
    disposeModel(model);
    const current = exportOnnx(base, weights, 'm');
    expect(isCurrentGraph(current)).toBe(true);
    const spec = { config: base, weights, name: 'm' };
    expect(onnxGraph({ ...spec, onnx: current }, false)).toBe(current);
    const older = proto.ModelProto.decode(current);
    older.producerVersion = '';
    const olderBytes = proto.ModelProto.encode(older).finish();
    expect(isCurrentGraph(olderBytes)).toBe(false);
    expect(Buffer.from(onnxGraph({ ...spec, onnx: olderBytes }, false)).equals(Buffer.from(current))).toBe(true);
  });
});
