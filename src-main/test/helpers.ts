import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DESCRIPTOR_NAMES } from '../../src-shared/descriptors';

/** A file of ../shared/data; fails with a clear message when the data folder is absent. */
export function sharedData(rel: string): string {
  const base = process.env.DELICATE_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
  const p = join(base, rel);
  if (!existsSync(p)) {
    throw new Error(`test data missing: ${p}. The tests read ../shared/data next to the checkout (or set DELICATE_SHARED_DATA).`);
  }
  return p;
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix = 'delicate-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The first n SMILES of the ChEMBL pretraining corpus (a test slice). */
export function corpusSlice(n: number): string[] {
  const text = gunzipSync(readFileSync(sharedData('pretrain/chembl31_150k.csv.gz'))).toString('utf8');
  return text
    .split('\n')
    .slice(1, n + 1)
    .map((l) => l.split(',')[0] as string)
    .filter(Boolean);
}

/** The two tiny models the screening tests use: 'm1' (regression) and 'm2' (binary), on `vocab`'s tokens. */
export async function registerScreenTestModels(db: import('../db/database').Db, vocab: string[]): Promise<void> {
  await registerTinyTaskModel(db, 'm1', { vocab, domain: vocab.slice(0, 40), seed: 1 });
  await registerTinyTaskModel(db, 'm2', { vocab, domain: vocab.slice(0, 40), seed: 2, type: 'binary' });
}

/**
 * Registers a tiny task model with random weights (what screening needs of a model: a task head, a
 * tokenizer, a domain) so screening tests need no training; `vocab` builds the tokenizer. `fp`: a
 * fingerprint-aware head (2,048 ECFP4 bits) with random fingerprint weights; `desc`: a descriptor-aware
 * head (the 11 stored descriptors, standardised with drug-like means and sds) with random weights;
 * `calibration`: the intervals it states.
 */
export async function registerTinyTaskModel(
  db: import('../db/database').Db,
  name: string,
  opts: {
    vocab: string[];
    domain: string[];
    seed?: number;
    maxLen?: number;
    type?: 'regression' | 'binary';
    fp?: boolean;
    desc?: boolean;
    calibration?: import('../train/ensemble').Calibration;
  },
): Promise<void> {
  const { initTf, tf } = await import('../model/tf/backend');
  const { createModel, disposeModel, countParams } = await import('../model/encoder');
  const { SmilesTokenizer } = await import('../model/tokenizer');
  const { packTensors } = await import('../model/weights-tf');
  const { exportOnnx } = await import('../model/onnx-export');
  const { ModelRepo } = await import('../db/model-repo');
  await initTf('wasm');
  const tokenizer = SmilesTokenizer.fromCorpus(opts.vocab);
  const config = {
    vocabSize: tokenizer.size,
    maxLen: opts.maxLen ?? 128,
    layers: 2,
    hidden: 16,
    heads: 2,
    ff: 32,
    dropout: 0,
    shareLayers: true,
    mlm: null,
    physchem: 0,
    task: {
      type: opts.type ?? 'regression',
      outputs: 1,
      ...(opts.fp ? { fp: 2048 } : {}),
      ...(opts.desc
        ? { desc: { names: [...DESCRIPTOR_NAMES], mean: [350, 2.5, 70, 1.5, 4.5, 5, 3, 2, 0.35, 25, 0.2], sd: [100, 1.5, 30, 1.2, 2, 3, 1.2, 1, 0.2, 7, 0.5] } }
        : {}),
    },
  } as const;
  const model = createModel({ ...config, task: { ...config.task } }, opts.seed ?? 1);
  if (opts.fp) (model.params['task.fp.w'] as import('../model/tf/backend').tf.Variable).assign(tf.randomNormal([2048, 1], 0, 0.3, 'float32', 5));
  if (opts.desc)
    (model.params['task.desc.w'] as import('../model/tf/backend').tf.Variable).assign(tf.randomNormal([DESCRIPTOR_NAMES.length, 1], 0, 0.5, 'float32', 6));
  const weights = new Uint8Array(packTensors(model.params));
  const repo = new ModelRepo(db);
  const manifest = {
    format: 'delicate-model-v1',
    config,
    tokenizer: tokenizer.toJSON(),
    physchem: null,
    task: { target: 'y', type: opts.type === 'binary' ? 'classification' : 'regression', norm: opts.type === 'binary' ? null : { mean: 5, sd: 2 } },
    training: { kind: 'finetune', teacher: null },
    domain: { smiles: opts.domain, threshold: 0.3 },
    ...(opts.calibration ? { calibration: opts.calibration } : {}),
  };
  const id = repo.create({
    name,
    kind: 'teacher',
    state: 'training',
    manifest,
    params: countParams(model),
    layers: 2,
    shareLayers: true,
    hidden: 16,
    parents: [],
    totalSteps: 0,
    jobId: null,
  });
  repo.finish(id, { weights: Buffer.from(weights), metrics: {}, steps: 1 });
  repo.setOnnx(id, exportOnnx(config as never, weights, name));
  disposeModel(model);
}

/**
 * A chemistry pool and a temporary folder for a test file's imports: the pool starts before its tests and
 * both go after them. `file` writes a file into the folder and returns its path.
 */
export function importFixture(workers = 2) {
  const tmp = tempDir();
  let pool: import('../chem/chem-pool').ChemPool | null = null;
  beforeAll(async () => {
    const { ChemPool } = await import('../chem/chem-pool');
    pool = new ChemPool(workers);
  });
  afterAll(async () => {
    await pool?.close();
    tmp.cleanup();
  });
  return {
    dir: tmp.dir,
    get chem() {
      if (!pool) throw new Error('importFixture: the pool starts in beforeAll');
      return pool;
    },
    file(name: string, content: string | Buffer): string {
      const p = join(tmp.dir, name);
      writeFileSync(p, content);
      return p;
    },
  };
}

/**
 * A command line as arguments: the literal text split at whitespace, each `${value}` one whole argument
 * (a path with spaces stays one), joined to the literal text it touches (`--out=${file}`).
 */
export function argv(strings: TemplateStringsArray, ...values: Array<string | number>): string[] {
  const out: string[] = [];
  let current: string | null = null;
  const push = () => {
    if (current !== null) out.push(current);
    current = null;
  };
  strings.forEach((text, i) => {
    for (const ch of text) {
      if (/\s/.test(ch)) push();
      else current = (current ?? '') + ch;
    }
    if (i < values.length) current = (current ?? '') + String(values[i]);
  });
  push();
  return out;
}
