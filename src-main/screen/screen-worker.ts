import { parentPort } from 'node:worker_threads';
import { Scorer, embed } from './scorer';
import type { ScreenEvent, ScreenRequest } from './screen-protocol';

/** A screening worker thread: holds the loaded models and scores the chunks it is sent, one at a time. */
const port = parentPort;
if (!port) throw new Error('screen-worker must run as a worker thread');
const post = (e: ScreenEvent) => port.postMessage(e);
let scorer: Scorer | null = null;
let queue: Promise<void> = Promise.resolve();

port.on('message', (req: ScreenRequest) => {
  queue = queue.then(async () => {
    try {
      if (req.type === 'load') {
        scorer = await Scorer.create(req.models, req.engine, req.threads);
        post({ type: 'loaded', engine: scorer.engine });
      } else if (req.type === 'embed') {
        post({ type: 'embedded', vectors: await embed(req.model, req.smiles, req.engine, req.threads) });
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
      post({ type: 'error', message: (err as Error).message });
    }
  });
});
