// `npm run bench -- inference`: molecules/s of a teacher-like and a student-like model on realistic
// ChEMBL lengths with TF.js-WASM and ONNX Runtime (1 and 2 threads), achieved GFLOP/s, and the share of
// each engine's plain-matmul roofline, all in one run. Run it on an idle machine.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { onnx } from 'onnx-proto';
import { lengthBatches } from '../src-main/model/batch';
import { type EncoderConfig, createModel, disposeModel } from '../src-main/model/encoder';
import { inferRows } from '../src-main/model/infer';
import { exportOnnx } from '../src-main/model/onnx-export';
import { OrtModel } from '../src-main/model/ort-engine';
import { initTf, tf } from '../src-main/model/tf/backend';
import { SmilesTokenizer } from '../src-main/model/tokenizer';
import { packTensors } from '../src-main/model/weights-tf';
import { report, timeIt } from './_report';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const proto = (require('onnx-proto') as typeof import('onnx-proto')).onnx;
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

/**
 * FLOPs of one batch padded to t tokens (layers, attention, pooler and task head), as both engines compute
 * it: the last layer for the first two tokens only but its keys and values (the ONNX graphs from version 3
 * on, TF.js's inferRows).
 */
function batchFlops(c: EncoderConfig, b: number, t: number): number {
  const h = c.hidden;
  const layer = (rows: number) => 2 * b * rows * (4 * h * h + 2 * h * c.ff + 2 * t * h);
  const last = layer(2) - 2 * b * 2 * (2 * h * h) + 2 * b * t * (2 * h * h);
  return (c.layers - 1) * layer(t) + last + 2 * b * (h * h + h);
}

/** A 1024³ MatMul as an ONNX graph: ORT's plain-matmul roofline. */
function matmulGraph(): Uint8Array {
  const f = proto.TensorProto.DataType.FLOAT;
  const vi = (name: string): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: f, shape: { dim: [{ dimValue: 1024 }, { dimValue: 1024 }] } } },
  });
  return proto.ModelProto.encode(
    proto.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'mm', node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }], input: [vi('a'), vi('b')], output: [vi('c')] },
    }),
  ).finish();
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const seconds = quick ? 1 : 5;
  const n = quick ? 512 : 2048;
  await initTf('wasm');
  const text = gunzipSync(readFileSync(resolve(here, '../../shared/data/pretrain/chembl31_150k.csv.gz'))).toString('utf8');
  const smiles = text
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(',')[0] as string);
  const tokenizer = SmilesTokenizer.fromCorpus(smiles.slice(0, 20000));
  // Every 50th molecule from the rest of the corpus: realistic lengths.
  const sample = smiles.filter((_, i) => i >= 20000 && i % 50 === 0).slice(0, n);
  const seqs = sample
    .map((s) => tokenizer.encode(s, 128))
    .filter((e) => e.ok)
    .map((e) => (e as { ids: Int32Array }).ids);
  const batch = 64;
  const base = { vocabSize: tokenizer.size, maxLen: 128, heads: 4, dropout: 0.1, mlm: null, physchem: 0, task: { type: 'regression' as const, outputs: 1 } };
  const configs: Array<{ name: string; config: EncoderConfig }> = [
    { name: 'teacher L12 H128', config: { ...base, layers: 12, hidden: 128, ff: 512, shareLayers: false } },
    { name: 'student 1 shared layer x3, H128', config: { ...base, layers: 3, hidden: 128, ff: 512, shareLayers: true } },
  ];
  const lengths = seqs.map((s) => s.length);
  const flopsOf = (c: EncoderConfig) =>
    lengthBatches(lengths, batch).reduce((f, idx) => f + batchFlops(c, idx.length, Math.max(...idx.map((i) => lengths[i] as number))), 0);

  // Rooflines: plain 1024³ matmul on each engine.
  const a = tf.randomNormal([1024, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  const tfRoof =
    (2 * 1024 ** 3) /
    (await timeIt(async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }, seconds)) /
    1e9;
  tf.dispose([a, b]);
  const ortRoof: Record<number, number> = {};
  for (const threads of [1, 2]) {
    const s = await ort.InferenceSession.create(matmulGraph(), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 1024 * 1024 }, () => Math.random()),
      [1024, 1024],
    );
    ortRoof[threads] =
      (2 * 1024 ** 3) /
      (await timeIt(async () => {
        await s.run({ a: x, b: x });
      }, seconds)) /
      1e9;
    await s.release();
  }

  const rows: string[][] = [];
  const results: unknown[] = [];
  const perModel: Record<string, Record<string, number>> = {};
  for (const { name, config } of configs) {
    const model = createModel(config, 1);
    const flops = flopsOf(config);
    const tfSec = await timeIt(async () => {
      await inferRows(model, seqs, 'task', batch);
    }, seconds);
    const graph = exportOnnx(config, packTensors(model.params));
    disposeModel(model);
    const engines: Array<{ engine: string; sec: number; roof: number }> = [{ engine: 'TF.js WASM (1 thread)', sec: tfSec, roof: tfRoof }];
    for (const threads of [1, 2]) {
      const m = await OrtModel.create(graph, threads);
      engines.push({
        engine: `ONNX Runtime CPU (${threads} thread${threads > 1 ? 's' : ''})`,
        sec: await timeIt(async () => void (await m.rows(seqs, 'task', batch)), seconds),
        roof: ortRoof[threads] as number,
      });
      await m.release();
    }
    perModel[name] = {};
    for (const e of engines) {
      const molPerSec = seqs.length / e.sec;
      const gflops = flops / e.sec / 1e9;
      (perModel[name] as Record<string, number>)[e.engine] = molPerSec;
      results.push({ model: name, engine: e.engine, molPerSec, gflops, rooflineGflops: e.roof, shareOfRoofline: gflops / e.roof });
      rows.push([name, e.engine, molPerSec.toFixed(0), gflops.toFixed(1), e.roof.toFixed(1), `${((gflops / e.roof) * 100).toFixed(0)}%`]);
    }
  }
  const student = perModel[configs[1]?.name as string] as Record<string, number>;
  const teacher = perModel[configs[0]?.name as string] as Record<string, number>;
  const best = (r: Record<string, number>) => Math.max(r['ONNX Runtime CPU (1 thread)'] as number, r['ONNX Runtime CPU (2 threads)'] as number);
  report(
    'inference',
    {
      molecules: seqs.length,
      batch,
      meanTokens: lengths.reduce((x, y) => x + y, 0) / lengths.length,
      rooflines: { tfjsWasm: tfRoof, ort1: ortRoof[1], ort2: ortRoof[2] },
      results,
    },
    [['model', 'engine', 'molecules/s', 'GFLOP/s', 'engine matmul roofline GFLOP/s', 'share of roofline'], ...rows],
    [
      `${seqs.length} ChEMBL molecules (mean ${(lengths.reduce((x, y) => x + y, 0) / lengths.length).toFixed(1)} tokens with [CLS]/[SEP]), length-bucketed batches of ${batch}; random weights (speed does not depend on them).`,
      `ONNX Runtime vs TF.js-WASM, student: ${(best(student) / (student['TF.js WASM (1 thread)'] as number)).toFixed(2)}x; teacher: ${(best(teacher) / (teacher['TF.js WASM (1 thread)'] as number)).toFixed(2)}x. Student vs teacher on ONNX Runtime: ${(best(student) / best(teacher)).toFixed(2)}x.`,
      "Rooflines: a plain 1024³ float32 matmul on the same engine and thread count (not the CPU's peak: a share above 100% means the model's smaller matrices ran faster than it). FLOPs: the work the engines do, the last layer for the first two tokens but its keys and values.",
    ],
  );
}
