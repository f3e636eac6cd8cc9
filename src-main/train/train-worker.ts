import { parentPort } from 'node:worker_threads';
import { AppError } from '../../src-shared/errors';
import { initTf } from '../model/tf/backend';
import { readAssay } from './assay';
import { fileSha256, readCorpus } from './corpus';
import { Pretrainer } from './pretrain';
import { evaluateWith, predictWith, trainingSpeedWith } from './predict';
import { runQsar } from './qsar';
import type { TrainEvent, TrainRequest } from './train-protocol';

/**
 * The training worker thread: runs a pretraining job off the main thread and reports progress and
 * checkpoints; storage stays with the main thread.
 */
const port = parentPort;
if (!port) throw new Error('train-worker must run as a worker thread');
/** Aborted by the main thread's `cancel` message: every job of this worker stops at its next check. */
const cancel = new AbortController();
const post = (e: TrainEvent, transfer: ArrayBuffer[] = []) => port.postMessage(e, transfer);

async function pretrain(req: Extract<TrainRequest, { type: 'pretrain' }>): Promise<void> {
  const backend = await initTf(req.backend);
  const corpus = await readCorpus(req.corpus, req.smilesCol);
  const resume = req.resume
    ? { manifest: req.resume.manifest, checkpoint: { state: req.resume.state, weights: req.resume.weights, optimizer: req.resume.optimizer } }
    : undefined;
  const trainer = await Pretrainer.create(corpus, req.settings, resume, req.teacher, req.init);
  const s = trainer.settings;
  const budget = s.timeBudgetSeconds;
  if (trainer.state.totalSteps <= 0) {
    // A time budget: provisional total until the rate is measured on the first steps, then fixed.
    trainer.state.totalSteps = s.maxSteps ?? 100_000;
  }
  post({ type: 'started', manifest: trainer.manifest, params: trainer.params, backend, state: structuredClone(trainer.state) });
  const measuring = s.maxSteps === null && budget !== null && trainer.state.step === 0;
  // Seconds per padded token, not per step: length-pooled batches range from short to long molecules,
  // so a few measured steps say little of an average step; their padded tokens do. The plan is fixed on
  // steps 2-6, then once more on steps 2 to a tenth of that plan (the first steps run slower: new shapes).
  let measuredTokens = 0;
  let fixAt = 6;
  let sinceCheckpoint = 0;
  const t0 = performance.now();
  let t1 = t0;
  const startSeconds = trainer.state.seconds;
  const startStep = trainer.state.step;
  const checkpoint = (type: 'checkpoint' | 'cancelled') => {
    const c = trainer.checkpoint();
    post({ type, state: c.state, weights: c.weights, optimizer: c.optimizer }, [c.weights.buffer as ArrayBuffer, c.optimizer.buffer as ArrayBuffer]);
  };
  while (trainer.state.step < trainer.state.totalSteps) {
    if (cancel.signal.aborted) {
      checkpoint('cancelled');
      trainer.dispose();
      return;
    }
    const before = performance.now();
    const point = await trainer.step();
    trainer.state.seconds += (performance.now() - before) / 1000;
    if (measuring && trainer.state.step === 1) t1 = performance.now();
    else if (measuring && trainer.state.step <= fixAt) measuredTokens += trainer.paddedTokens(trainer.state.step - 1);
    if (measuring && trainer.state.step === fixAt && budget !== null) {
      // Steps 2 to fixAt give the rate that fixes the budget (step 1 includes XNNPACK and optimizer set-up).
      const perStep = ((performance.now() - t1) / 1000 / measuredTokens) * trainer.meanPaddedTokens();
      trainer.state.totalSteps = Math.max(fixAt, Math.floor((budget - (performance.now() - t0) / 1000) / perStep) + fixAt);
      fixAt = fixAt === 6 ? Math.max(12, Math.round(trainer.state.totalSteps / 10)) : 0;
    }
    const done = trainer.state.step - startStep;
    const elapsed = (performance.now() - t0) / 1000;
    const rate = (done * s.batch) / Math.max(1e-9, elapsed);
    post({
      type: 'progress',
      progress: {
        ...point,
        step: trainer.state.step,
        totalSteps: trainer.state.totalSteps,
        seqPerSec: rate,
        etaSeconds: done > 0 ? ((trainer.state.totalSteps - trainer.state.step) * elapsed) / done : null,
        lr: s.lr,
      },
    });
    if (++sinceCheckpoint >= s.checkpointEvery && trainer.state.step < trainer.state.totalSteps) {
      sinceCheckpoint = 0;
      checkpoint('checkpoint');
    }
    // Let the cancel message in.
    await new Promise<void>((r) => setImmediate(r));
  }
  const evaluation = await trainer.evaluate();
  const c = trainer.checkpoint();
  post({ type: 'done', state: c.state, weights: c.weights, evaluation, seconds: trainer.state.seconds - startSeconds }, [c.weights.buffer as ArrayBuffer]);
  trainer.dispose();
}

async function qsar(req: Extract<TrainRequest, { type: 'qsar' }>): Promise<void> {
  const backend = await initTf(req.backend);
  post({ type: 'qsar-started', backend });
  // Checkpoints are copied, not transferred: the fit keeps using the best epoch's weights it holds.
  const result = await runQsar(
    req.request,
    (message, epoch, batch) => post({ type: 'qsar-progress', message, ...(epoch ? { epoch } : {}), ...(batch ? { batch } : {}) }),
    cancel.signal,
    {
      ...(req.resume ? { resume: req.resume } : {}),
      ...(req.checkpoints ? { onCheckpoint: (checkpoint) => post({ type: 'qsar-checkpoint', checkpoint }) } : {}),
    },
  );
  post({ type: 'qsar-done', result });
}

port.on('message', (req: TrainRequest) => {
  if (req.type === 'cancel') {
    cancel.abort();
    return;
  }
  const run = async () => {
    if (req.type === 'pretrain') return pretrain(req);
    if (req.type === 'qsar') return qsar(req);
    if (req.type === 'read-assay') {
      // RDKit standardises every record: off the main thread, like training.
      const assay = await readAssay(req.file, req.opts, { signal: cancel.signal, onProgress: (p) => post({ type: 'assay-progress', ...p }) });
      return post({ type: 'assay-read', assay, sha256: await fileSha256(req.file) });
    }
    if (req.type === 'train-speed') return post({ type: 'train-speed', ...(await trainingSpeedWith(req.model, req.inputs)) });
    if (req.type === 'predict') post({ type: 'predicted', ...(await predictWith(req.model, req.inputs, req.engine)) });
    else
      post({
        type: 'evaluated',
        result: await evaluateWith(
          req.model,
          req.file,
          req.target,
          { ...(req.smilesCol ? { smilesCol: req.smilesCol } : {}), ...(req.unit ? { unit: req.unit } : {}) },
          req.engine,
        ),
      });
  };
  run().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (/Aborted\(|memory access out of bounds/.test(message)) {
      // The wasm heap (4 GiB at most) ran out; it fails this way, without an out-of-memory message.
      post({
        type: 'error',
        code: 'INVALID_INPUT',
        message: `the model ran out of WebAssembly memory (4 GiB at most): use gradient checkpointing, a smaller batch or a smaller model (${message.split('\n')[0]})`,
      });
    } else if (err instanceof AppError) post({ type: 'error', code: err.code, message });
    else post({ type: 'error', code: 'BUG', message: err instanceof Error && err.stack ? err.stack : message });
  });
});
