import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AppError } from '../../src-shared/errors';
import { onnxGraph } from '../model/onnx-export';
import type { MemberSpec, ScoringSpec } from '../train/predict-types';

/**
 * The models of a file screen, frozen in its output folder (`models.json.gz`) when it starts: every shard,
 * on any node, and every resume scores with exactly these bytes, and no shard needs the database (SQLite
 * over a cluster's network file system is not safe). Byte arrays (weights, ONNX graphs) are base64.
 */
export const BUNDLE_FILE = 'models.json.gz';
const FORMAT = 'delicate-screen-models-v1';

interface BundleFile {
  format: typeof FORMAT;
  models: ScoringSpec[];
}

export interface ModelBundle {
  models: ScoringSpec[];
  /** sha256 of the bundle file: what the provenance of every shard names. */
  sha256: string;
  /** sha256 per model, of its own serialised spec (weights, graph, tokenizer, domain and calibration). */
  hashes: Record<string, string>;
}

const BYTES = '$bytes';

// The holder's own value: a Node Buffer (what protobuf and SQLite hand out) reaches a replacer already
// turned into { type: 'Buffer', data: [...] } by its toJSON.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? { [BYTES]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && BYTES in value) {
    const b = Buffer.from((value as Record<string, string>)[BYTES] as string, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  return value;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function bundleOf(buf: Buffer, models: ScoringSpec[]): ModelBundle {
  return { models, sha256: sha256(buf), hashes: Object.fromEntries(models.map((m) => [m.name, sha256(JSON.stringify(m, replacer))])) };
}

/**
 * The spec with the float graph that runs (a graph stored by an older exporter is exported again from the
 * weights, as the scorer would on every shard), so the bundle's bytes are what every shard runs.
 */
function withCurrentGraph<T extends ScoringSpec | MemberSpec>(spec: T): T {
  if (spec.kind === 'consensus') return { ...spec, members: spec.members.map((m) => ({ ...m, spec: withCurrentGraph(m.spec) })) };
  if (spec.kind === 'forest') return spec;
  return { ...spec, onnx: onnxGraph(spec, false) };
}

/** Writes the bundle (atomically: shards starting together may race to write the same bytes). */
export async function writeBundle(path: string, specs: ScoringSpec[]): Promise<ModelBundle> {
  const models = specs.map(withCurrentGraph);
  const buf = gzipSync(JSON.stringify({ format: FORMAT, models } satisfies BundleFile, replacer));
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, buf);
  await rename(tmp, path);
  return bundleOf(buf, models);
}

/** Reads a bundle; a damaged or foreign file is a PARSE_ERROR naming it. */
export async function readBundle(path: string): Promise<ModelBundle> {
  const buf = await readFile(path);
  let parsed: BundleFile;
  try {
    parsed = JSON.parse(gunzipSync(buf).toString('utf8'), reviver) as BundleFile;
  } catch (err) {
    throw new AppError('PARSE_ERROR', `${path}: not a readable model bundle (${(err as Error).message}); delete it to freeze the models again`);
  }
  if (parsed.format !== FORMAT || !Array.isArray(parsed.models))
    throw new AppError('PARSE_ERROR', `${path}: not a ${FORMAT} model bundle; delete it to freeze the models again`);
  return bundleOf(buf, parsed.models);
}
