import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from './app-context';
import { corpusSlice, registerTinyTaskModel, tempDir } from '../test/helpers';
import { scoreRows, unreadableRows } from '../test/screen-files';
import type { FileScreenRequest } from '../screen/file-screen';
import { TopK } from '../screen/top-k';
import { mergeScreen as mergeShards, screenFile } from './file-screen-service';

const tmp = tempDir();
const slice = corpusSlice(400);
let app: AppContext;
let input: string;

const request = (out: string, more: Partial<FileScreenRequest> = {}): FileScreenRequest => ({
  files: [input],
  out,
  models: ['m1', 'm2'],
  top: 25,
  chunk: 40,
  ...more,
});
const hooks = (more: Partial<Parameters<typeof screenFile>[1]> = {}) => ({ registry: async () => app.models, ...more });

beforeAll(async () => {
  app = new AppContext(join(tmp.dir, 'models.db'), { chemWorkers: 1, shippedModels: false });
  await registerTinyTaskModel(app.db, 'm1', { vocab: slice, domain: slice.slice(0, 30), seed: 1 });
  await registerTinyTaskModel(app.db, 'm2', { vocab: slice, domain: slice.slice(0, 30), seed: 2, type: 'binary' });
  // Intervals by band of similarity to the training set: ±1.5 below 0.6, ±0.5 from it.
  const bins = [
    { from: 0, n: 30, q: 1.5 },
    { from: 0.6, n: 30, q: 0.5 },
  ];
  await registerTinyTaskModel(app.db, 'm3', {
    vocab: slice,
    domain: slice.slice(0, 30),
    seed: 3,
    calibration: { method: 'mondrian-conformal', level: 0.8, n: 60, halfWidth: 0.75, bins },
  });
  // A gzipped CSV with a structure RDKit cannot read, an empty SMILES and a token the models never saw.
  const rows = slice.map((s, i) => `${s},C${i}`);
  rows.splice(17, 0, 'C1CC(,broken');
  rows.splice(101, 0, ',empty');
  rows.push('c1cc[se]c1CCO,selenium');
  input = join(tmp.dir, 'library.csv.gz');
  writeFileSync(input, gzipSync(`smiles,id\n${rows.join('\n')}\n`));
}, 120_000);

afterAll(async () => {
  await app.close();
  tmp.cleanup();
});

/** One process over the whole file: the reference the other tests compare with (run once). */
let single: ReturnType<typeof screenFile> | null = null;
const reference = () => (single ??= screenFile(request(join(tmp.dir, 'single')), hooks()));

describe('screen of a file as a stream', () => {
  it('scores every readable record, lists the others with reasons, and keeps the top K', async () => {
    const s = await reference();
    const dir = join(tmp.dir, 'single');
    expect(s.state).toBe('complete');
    expect(s.read).toBe(403);
    expect(s.unreadable).toBe(2);
    expect(s.taken).toBe(403);
    // The selenium compound has a score from neither model: its row says why.
    expect(s.scored).toEqual({ m1: 400, m2: 400 });
    const rows = scoreRows(dir);
    expect(rows.size).toBe(401);
    expect([...rows.values()].find((r) => r.includes(',selenium,'))).toMatch(/token\(s\) unknown to the model/);
    expect(unreadableRows(dir).map((r) => r.split(',')[4])).toEqual(["empty SMILES in column 'smiles'", 'unparseable structure']);
    const top = readFileSync(join(dir, 'top.csv'), 'utf8').trim().split('\n');
    expect(top[0]).toBe(
      'rank,record,file,line,id,smiles,m1,m1.uncertainty,m1.max_similarity,m1.in_domain,m1.note,m2,m2.uncertainty,m2.max_similarity,m2.in_domain,m2.note',
    );
    expect(top).toHaveLength(26);
    const scores = top.slice(1).map((l) => Number(l.split(',')[6]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The best score of the file is the top row.
    const all = [...rows.values()]
      .map((r) => r.split(',')[5] as string)
      .filter((x) => x !== '')
      .map(Number);
    expect(scores[0]).toBe(Math.max(...all));
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { inputs: Array<{ sha256: string }>; models: Array<{ sha256: string }> };
    expect(summary.inputs[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.models.map((m) => m.sha256)).toHaveLength(2);
  }, 120_000);

  it("states each compound's 80% interval from its band of similarity to the training set", async () => {
    const dir = join(tmp.dir, 'banded');
    const s = await screenFile(request(dir, { models: ['m3'] }), hooks());
    expect(s.state).toBe('complete');
    const widths = new Set<number>();
    for (const row of scoreRows(dir).values()) {
      // record, file, line, id, smiles, m3, uncertainty, interval low and high, max similarity, in domain, note
      const fields = row.split(',').slice(5);
      if (fields[0] === '') continue;
      const [score, , low, high, sim] = fields.map(Number) as number[];
      const w = (sim as number) >= 0.6 ? 0.5 : 1.5;
      expect((score as number) - (low as number)).toBeCloseTo(w, 5);
      expect((high as number) - (score as number)).toBeCloseTo(w, 5);
      widths.add(w);
    }
    // The training compounds are in the file (similarity 1), and most of it is far from them.
    expect([...widths].sort()).toEqual([0.5, 1.5]);
  }, 120_000);

  it('as three shards merged gives every score and the top K of one process', async () => {
    await reference();
    const dir = join(tmp.dir, 'shards');
    for (const index of [2, 0, 1]) {
      const s = await screenFile(request(dir, { shard: { index, count: 3 } }), hooks());
      expect(s.merged).toBeNull();
      expect(s.taken).toBe(index === 0 ? 135 : 134);
    }
    const m = await mergeShards([dir]);
    expect([m.read, m.taken, m.unreadable, m.scored]).toEqual([403, 403, 2, { m1: 400, m2: 400 }]);
    expect(scoreRows(dir)).toEqual(scoreRows(join(tmp.dir, 'single')));
    expect(unreadableRows(dir)).toEqual(unreadableRows(join(tmp.dir, 'single')));
    expect(readFileSync(join(dir, 'top.csv'), 'utf8')).toBe(readFileSync(join(tmp.dir, 'single', 'top.csv'), 'utf8'));
    // A smaller K from the same shards is the head of the same ranking.
    const m10 = await mergeShards([dir], { top: 10, out: join(tmp.dir, 'top10') });
    expect(readFileSync(m10.files.top, 'utf8')).toBe(
      readFileSync(join(tmp.dir, 'single', 'top.csv'), 'utf8')
        .split('\n')
        .slice(0, 11)
        .join('\n') + '\n',
    );
    await expect(mergeShards([dir], { top: 26 })).rejects.toThrow(/kept their best 25 each/);
  }, 180_000);

  it('continues a stopped shard from its last commit and drops what a killed process wrote after it', async () => {
    await reference();
    const dir = join(tmp.dir, 'stopped');
    const abort = new AbortController();
    await expect(
      screenFile(request(dir, { commitSeconds: 0 }), hooks({ signal: abort.signal, onProgress: (p) => p.done >= 80 && abort.abort() })),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    const state = JSON.parse(readFileSync(join(dir, 'shard-0-of-1.json'), 'utf8')) as { state: string; progress: { nextRecord: number } };
    expect(state.state).toBe('stopped');
    expect(state.progress.nextRecord).toBeGreaterThan(0);
    expect(state.progress.nextRecord).toBeLessThan(403);
    // What a process killed between a write and its commit leaves behind: rows after the committed point.
    appendFileSync(join(dir, 'scores-0-of-1.csv.gz'), gzipSync('999,junk\n'));
    appendFileSync(join(dir, 'unreadable-0-of-1.csv'), 'half a line');
    const s = await screenFile(request(dir), hooks());
    expect(s.resumed).toBe(true);
    expect([s.state, s.read, s.taken, s.unreadable]).toEqual(['complete', 403, 403, 2]);
    expect(scoreRows(dir)).toEqual(scoreRows(join(tmp.dir, 'single')));
    expect(unreadableRows(dir)).toEqual(unreadableRows(join(tmp.dir, 'single')));
    expect(readFileSync(join(dir, 'top.csv'), 'utf8')).toBe(readFileSync(join(tmp.dir, 'single', 'top.csv'), 'utf8'));
    // A complete shard started again does nothing and says so.
    const again = await screenFile(request(dir), hooks({ registry: () => Promise.reject(new Error('no database needed')) }));
    expect([again.state, again.resumed, again.taken]).toEqual(['complete', true, 403]);
  }, 180_000);

  it('refuses a folder that holds another screen, and a merge of missing or unfinished shards', async () => {
    await reference();
    const dir = join(tmp.dir, 'single');
    await expect(screenFile(request(dir, { models: ['m2'] }), hooks())).rejects.toThrow(/holds a screen with m1, m2, not m2/);
    await expect(screenFile(request(dir, { top: 5 }), hooks())).rejects.toThrow(/another --top/);
    await expect(screenFile(request(join(tmp.dir, 'x'), { files: [join(tmp.dir, 'nope.smi')] }), hooks())).rejects.toThrow(/nope\.smi: file not found/);
    await expect(screenFile(request(join(tmp.dir, 'x'), { shard: { index: 3, count: 3 } }), hooks())).rejects.toThrow(/--shard must be i\/N/);
    const partial = join(tmp.dir, 'partial');
    await screenFile(request(partial, { shard: { index: 1, count: 2 } }), hooks());
    await expect(mergeShards([partial])).rejects.toThrow(/shard 0\/2 of 2 not found/);
    await expect(mergeShards([join(tmp.dir, 'empty-dir-that-is-not-there')])).rejects.toThrow(/not a folder/);
  }, 120_000);
});

describe('TopK', () => {
  it('keeps the K best, ties to the earlier record, whatever the order rows come in', () => {
    const rows = [5, 1, 9, 9, 3, 7, 9, 2].map((score, record) => ({ record, score, fields: [String(record)] }));
    const pick = (order: typeof rows, ascending = false) => {
      const t = new TopK(3, ascending);
      for (const r of order) t.add(r);
      t.add({ record: 99, score: Number.NaN, fields: [] });
      return t.sorted().map((e) => e.record);
    };
    expect(pick(rows)).toEqual([2, 3, 6]);
    expect(pick([...rows].reverse())).toEqual([2, 3, 6]);
    expect(pick(rows, true)).toEqual([1, 7, 4]);
  });
});
