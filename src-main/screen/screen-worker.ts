import { parentPort } from 'node:worker_threads';
import { EmbedStopped, Scorer, embed } from './scorer';
import type { ScreenEvent, ScreenRequest } from './screen-protocol';

/** A screening worker thread: holds the loaded models and scores the chunks it is sent, one at a time. */
const port = parentPort;
if (!port) throw new Error('screen-worker must run as a worker thread');
const post = (e: ScreenEvent) => port.postMessage(e);
let scorer: Scorer | null = null;
let queue: Promise<void> = Promise.resolve();
/** Set by a 'stop' message, which is not queued: the embedding in progress sees it between steps. */
let stopRequested = false;

port.on('message', (req: ScreenRequest) => {
  if (req.type === 'stop') {
    stopRequested = true;
    return;
  }
  queue = queue.then(async () => {
    try {
      if (req.type === 'load') {
        scorer = await Scorer.create(req.models, req.engine, req.threads, req.spin ?? true);
        post({ type: 'loaded', engine: scorer.engine });
      } else if (req.type === 'embed') {
        const vectors = await embed(req.model, req.smiles, req.engine, req.threads, {
          onProgress: (done, total) => post({ type: 'embedding', done, total }),
          stopped: () => stopRequested,
        });
        post({ type: 'embedded', vectors });
      } else if (req.type === 'close') {
        // ONNX Runtime aborts the process when a thread holding a live session is terminated.
        await scorer?.release();
        scorer = null;
        post({ type: 'closed' });
      } else {
        if (!scorer) throw new Error('score before load');
        post({ type: 'scored', chunk: req.chunk, result: await scorer.score(req.items) });
      }
    } catch (err) {
      post(err instanceof EmbedStopped ? { type: 'stopped', message: err.message } : { type: 'error', message: (err as Error).message });
    }
  });
});
