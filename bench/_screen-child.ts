// One screen in its own process, so its peak memory (all threads) is its own: prints one JSON line.
// Used by bench/screen.ts: tsx bench/_screen-child.ts DB LIBRARY MODEL
import { OrtModel } from '../src-main/model/ort-engine';
import { SmilesTokenizer } from '../src-main/model/tokenizer';
import { AppContext } from '../src-main/services/app-context';

const [db, library, model] = process.argv.slice(2) as [string, string, string];
const app = new AppContext(db, { chemWorkers: 1 });
try {
  const t0 = performance.now();
  const r = await app.screens.screen({ library, models: [model] });
  const wall = (performance.now() - t0) / 1000;
  // Pure inference on the same engine over the library's first 10k compounds (same length distribution).
  const spec = app.models.taskSpec(model);
  const tokenizer = SmilesTokenizer.fromJSON(spec.tokenizer);
  const rows = app.db
    .prepare(
      `SELECT c.model_smiles AS s FROM compounds c WHERE c.id IN (SELECT compound_id FROM library_members m JOIN libraries l ON l.id = m.library_id WHERE l.name = ?) ORDER BY c.id LIMIT 10000`,
    )
    .all(library) as Array<{ s: string }>;
  const seqs = rows
    .map((x) => tokenizer.encode(x.s, spec.config.maxLen))
    .filter((e) => e.ok && e.unknown === 0)
    .map((e) => (e as { ids: Int32Array }).ids);
  const ort = await OrtModel.create(spec.onnx as Uint8Array);
  await ort.rows(seqs.slice(0, 256), 'task');
  const p0 = performance.now();
  await ort.rows(seqs, 'task');
  const pure = seqs.length / ((performance.now() - p0) / 1000);
  await ort.release();
  process.stdout.write(
    `${JSON.stringify({ screen: r.screen, total: r.total, scored: r.scored, unreadable: r.unreadable, seconds: r.seconds, wall, molPerSec: r.molPerSec, pureMolPerSec: pure, engine: r.engine, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
} finally {
  await app.close();
}
