import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, test } from '@playwright/test';

// The Electron app runs the bundled workers in out/main (not the TypeScript sources the CLI and unit tests
// use); this checks that the build produced workers that load and work.
const outMain = resolve(import.meta.dirname, '..', 'out', 'main');

test('the built training worker pretrains a tiny model', async () => {
  const corpus = join(tmpdir(), `delicate-built-${process.pid}.smi`);
  writeFileSync(corpus, Array.from({ length: 60 }, (_, i) => ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC', 'OC(=O)c1ccccc1'][i % 5]).join('\n'));
  const worker = new Worker(join(outMain, 'train-worker.js'));
  const done = new Promise<{ type: string; message?: string; evaluation?: { molecules: number } }>((res, rej) => {
    worker.on('message', (m: { type: string }) => (m.type === 'done' || m.type === 'error') && res(m));
    worker.on('error', rej);
  });
  worker.postMessage({
    type: 'pretrain',
    corpus,
    backend: 'wasm',
    settings: {
      architecture: { layers: 1, hidden: 16, heads: 2, ff: 32, maxLen: 64, dropout: 0, shareLayers: true },
      batch: 8,
      lr: 1e-3,
      warmupFraction: 0.1,
      clipNorm: 1,
      weightDecay: 0,
      maxSteps: 2,
      timeBudgetSeconds: null,
      physchemWeight: 1,
      maskRate: 0.15,
      seed: 1,
      heldOutEvery: 10,
      heldOutMax: 6,
      checkpointEvery: 50,
      gradientCheckpointing: false,
    },
  });
  const m = await done;
  await worker.terminate();
  expect(m.message ?? '').toBe('');
  expect(m).toMatchObject({ type: 'done', evaluation: { molecules: 6 } });
});

test('the built chemistry worker starts', async () => {
  const worker = new Worker(join(outMain, 'chem-worker.js'));
  const online = new Promise<void>((res, rej) => {
    worker.once('online', () => res());
    worker.once('error', rej);
  });
  await online;
  await worker.terminate();
});

test('the built screening worker loads a model and scores a chunk', async () => {
  const worker = new Worker(join(outMain, 'screen-worker.js'));
  const messages: Array<{ type: string; message?: string; engine?: string; result?: { models: Array<{ score: Float64Array; maxSim: Float64Array }> } }> = [];
  const next = () =>
    new Promise<(typeof messages)[number]>((res, rej) => {
      worker.once('message', (m) => res(m));
      worker.once('error', rej);
    });
  // A one-leaf forest (pure JS) and a one-molecule domain: RDKit must load inside the bundled worker.
  const forest = { kind: 'ecfp-rf-v1', bits: 2048, trees: [{ feature: [-1], left: [-1], right: [-1], value: [0.7] }] };
  let reply = next();
  worker.postMessage({
    type: 'load',
    engine: 'auto',
    threads: 1,
    models: [{ name: 'rf', kind: 'forest', forest, task: { target: 'y', type: 'regression', norm: null }, domain: ['CCO'] }],
  });
  messages.push(await reply);
  reply = next();
  worker.postMessage({ type: 'score', chunk: 0, items: [{ id: 1, smiles: 'CCO', modelSmiles: 'CCO', fp: new Uint8Array(256) }] });
  messages.push(await reply);
  reply = next();
  worker.postMessage({ type: 'close' });
  messages.push(await reply);
  await worker.terminate();
  expect(messages.map((m) => m.message ?? m.type)).toEqual(['loaded', 'scored', 'closed']);
  expect(messages[1]?.result?.models[0]?.score[0]).toBeCloseTo(0.7, 10);
  expect(messages[1]?.result?.models[0]?.maxSim[0]).toBe(0);
});

test('the built virtual-screening worker ranks a labelled library against its actives', async () => {
  const worker = new Worker(join(outMain, 'vs-worker.js'));
  // Two actives sharing bits 0-7, two decoys with other bits; the actives are also the queries (2 folds).
  const fp = (from: number) => Uint8Array.from({ length: 256 }, (_, i) => (i >= from && i < from + 8 ? 255 : 0));
  const fps = [fp(0), fp(1), fp(100), fp(200)];
  const keys = ['A1', 'A2', 'D1', 'D2'];
  // A progress message after each fold, then the result.
  type VsEvent =
    | { type: 'pass'; done: number; passes: number }
    | { type: 'done'; result: { metrics: { rocAuc: number }; folds: number } }
    | { type: 'error'; message: string };
  const events: VsEvent[] = [];
  const reply = new Promise<VsEvent>((res, rej) => {
    worker.on('message', (e: VsEvent) => {
      events.push(e);
      if (e.type !== 'pass') res(e);
    });
    worker.once('error', rej);
  });
  worker.postMessage({
    data: { labels: Uint8Array.from([1, 1, 0, 0]), keys, fps, queries: { keys: keys.slice(0, 2), fps: fps.slice(0, 2) } },
    method: 'ecfp',
    folds: 2,
    seed: 1,
  });
  const m = await reply;
  await worker.terminate();
  expect(m.type === 'error' ? m.message : '').toBe('');
  expect(events.slice(0, 2)).toEqual([
    { type: 'pass', done: 1, passes: 2 },
    { type: 'pass', done: 2, passes: 2 },
  ]);
  if (m.type !== 'done') throw new Error('no result');
  expect(m.result.folds).toBe(2);
  expect(m.result.metrics.rocAuc).toBe(1);
});
