// `npm run bench -- model`: inference and training speed of a teacher-like and a student-like encoder
// (seq 64, batch 32) on the selected TF.js backend, beside the plain-matmul roofline of that backend.
// Each measurement runs in its own process so peak memory is that configuration's own.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scalar, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { report, timeIt } from './_report';

interface One {
  what: 'infer' | 'train' | 'roofline';
  config?: { layers: number; hidden: number; heads: number; ff: number; shareLayers: boolean };
  stock?: boolean;
  seq: number;
  batch: number;
  seconds: number;
}

const VOCAB = 68; // the ChEMBL corpus vocabulary (see the tokenizer notes)

/** Forward FLOPs per sequence (multiply-add = 2): layers, attention and the MLM head on 15% of tokens. */
function forwardFlops(c: NonNullable<One['config']>, t: number): number {
  const h = c.hidden;
  return 2 * t * (c.layers * (4 * h * h + 2 * h * c.ff + 2 * t * h)) + 2 * 0.15 * t * (h * h + h * VOCAB);
}

async function measure(o: One): Promise<Record<string, number | string>> {
  const { initTf, tf } = await import('../src-main/model/tf/backend');
  const backend = (await initTf(undefined, { stockWasmKernels: o.stock === true })).selected;
  const heap = () => ((tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0) / 2 ** 20;
  if (o.what === 'roofline') {
    const a = tf.randomNormal([1024, 1024]);
    const b = tf.randomNormal([1024, 1024]);
    const sec = await timeIt(async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }, o.seconds);
    return { backend, gflops: (2 * 1024 ** 3) / sec / 1e9, heapMiB: heap() };
  }
  const { createModel, encode, mlmLogits, paramGrads } = await import('../src-main/model/encoder');
  const { LeanAdam } = await import('../src-main/model/tf/adam');
  const c = o.config as NonNullable<One['config']>;
  const model = createModel({ vocabSize: VOCAB, maxLen: 128, dropout: 0.1, mlm: { tied: true }, physchem: 0, task: null, ...c }, 1);
  const ids = tf.randomUniform([o.batch, o.seq], 5, VOCAB, 'int32') as Tensor2D;
  const mask = tf.ones([o.batch, o.seq]) as Tensor2D;
  const masked = tf.tensor1d(
    Array.from({ length: Math.round(0.15 * o.batch * o.seq) }, (_, i) => Math.floor((i * 6.67) % (o.batch * o.seq))),
    'int32',
  );
  const labels = tf.oneHot(tf.randomUniform([masked.size], 5, VOCAB, 'int32') as Tensor1D, VOCAB);
  let sec: number;
  if (o.what === 'infer') {
    sec = await timeIt(async () => {
      const pooled = tf.tidy(() => encode(model, ids, mask).pooled);
      await pooled.data();
      pooled.dispose();
    }, o.seconds);
  } else {
    const adam = new LeanAdam();
    sec = await timeIt(async () => {
      const { value, grads } = paramGrads(model.params, () =>
        tf.tidy(() => {
          // Per-layer gradient checkpointing, as pretraining uses for deep models (a 12-layer H256 teacher
          // needs more than the 4 GiB wasm heap without it).
          const out = encode(model, ids, mask, { seed: 1, checkpoint: true });
          const logits = mlmLogits(model, tf.gather(out.sequence, masked) as Tensor2D);
          return tf.mean(tf.sub(tf.logSumExp(logits, -1), tf.sum(tf.mul(labels, logits), -1))) as Scalar;
        }),
      );
      await value.data();
      value.dispose();
      adam.apply(model.params, grads, 1e-4);
    }, o.seconds);
  }
  const params = Object.values(model.params).reduce((n, v) => n + v.size, 0);
  const flops = forwardFlops(c, o.seq) * (o.what === 'train' ? 3 : 1);
  return { backend, params, seqPerSec: o.batch / sec, gflops: (flops * o.batch) / sec / 1e9, heapMiB: heap() };
}

export async function run(args: string[]): Promise<void> {
  if (args[0] === '--one') {
    const r = await measure(JSON.parse(args[1] as string) as One);
    process.stdout.write(`${JSON.stringify({ ...r, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
    return;
  }
  const quick = args.includes('--quick');
  const seconds = quick ? 2 : 8;
  // The shapes Delicate ships (issue 8): a 12-layer teacher and a DeLiCaTe student, one shared layer x3.
  const teacher = { layers: 12, hidden: 128, heads: 4, ff: 512, shareLayers: false };
  const student = { layers: 3, hidden: 128, heads: 4, ff: 512, shareLayers: true };
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'bench.mjs');
  const one = (o: One) => {
    process.stderr.write(`measuring ${JSON.stringify(o)}\n`);
    const out = execFileSync(process.execPath, [bin, 'model', '--one', JSON.stringify(o)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number | string>;
  };
  const base = { seq: 64, batch: 32, seconds };
  const rows = [
    { name: 'teacher L12 H128 (unshared)', what: 'infer' as const, config: teacher },
    { name: 'teacher L12 H128 (unshared)', what: 'train' as const, config: teacher },
    { name: 'student: 1 shared layer x3, H128', what: 'infer' as const, config: student },
    { name: 'student: 1 shared layer x3, H128', what: 'train' as const, config: student },
    { name: 'student, stock wasm kernels (no fixes)', what: 'train' as const, config: student, stock: true },
  ].map((r) => ({ ...r, result: one({ ...base, what: r.what, config: r.config, ...(r.stock ? { stock: true } : {}) }) }));
  const roof = one({ what: 'roofline', seq: 0, batch: 0, seconds });
  const roofG = roof.gflops as number;
  const fmt = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x));
  const table = [
    ['model', 'pass', 'params', 'seq/s', 'GFLOP/s', '% of roofline', 'peak RSS MiB', 'wasm heap MiB', 'backend'],
    ...rows.map((r) => [
      r.name,
      r.what === 'infer' ? 'inference' : 'training step',
      String(r.result.params),
      fmt(r.result.seqPerSec),
      fmt(r.result.gflops),
      fmt(((r.result.gflops as number) / roofG) * 100, 0),
      fmt(r.result.peakRssMiB, 0),
      fmt(r.result.heapMiB, 0),
      String(r.result.backend),
    ]),
    ['plain matmul 1024³ (roofline)', '-', '-', '-', fmt(roofG), '100', fmt(roof.peakRssMiB, 0), fmt(roof.heapMiB, 0), String(roof.backend)],
  ];
  const teacherInfer = rows[0]?.result.seqPerSec as number;
  const studentInfer = rows[2]?.result.seqPerSec as number;
  const studentTrain = rows[3]?.result.seqPerSec as number;
  const stockTrain = rows[4]?.result.seqPerSec as number;
  report(
    'model',
    { seq: 64, batch: 32, rows: rows.map((r) => ({ name: r.name, pass: r.what, config: r.config, stock: r.stock ?? false, ...r.result })), roofline: roof },
    table,
    [
      `Sequence length 64, batch 32, vocabulary ${VOCAB}; training = forward + backward (per-layer gradient checkpointing) + AdamW on an MLM loss over 15% of tokens.`,
      `FLOPs counted as 2·T·L·(4H² + 2H·FF + 2TH) + MLM head per sequence forward, ×3 for a training step.`,
      `Student vs teacher inference, same run: ${(studentInfer / teacherInfer).toFixed(2)}x. Wasm kernel fixes vs stock kernels on the student training step: ${(studentTrain / stockTrain).toFixed(1)}x.`,
    ],
  );
}
