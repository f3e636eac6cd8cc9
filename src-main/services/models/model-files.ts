// Model files (.dlcm) of the models that are not transformers: an ECFP4 forest baseline (its trees) and a
// consensus, which carries the files of its members so that one file screens on another machine.
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../../src-shared/errors';
import type { Db } from '../../db/database';
import { type ModelRepo, type ModelRow, metricsOf, parentsOf } from '../../db/model-repo';
import { type ModelFileHeader, readModelFile, writeModelFile } from '../../model/model-file';
import { packArrays, unpackArrays } from '../../model/weights-io';
import { isCalibration } from '../../train/ensemble';
import type { ForestJson } from '../../train/forest';
import type { ConsensusManifest } from '../../train/manifests';

/** A consensus file's header names its members' files, which follow one another as its payload. */
interface ConsensusFileHeader extends ModelFileHeader {
  members: Array<{ name: string; bytes: number }>;
}

/** Writes a transformer's model file (registry.exportModel's own format). */
export type TransformerFile = (name: string, dtype: 'float32' | 'float16') => Buffer;

/** Imports one model file's content under a name, in the caller's transaction (registry.importBuffer). */
export type ImportOne = (parsed: { header: ModelFileHeader; weights: Buffer }, file: string, name: string) => void;

/** A stored model's file header (every kind's: the registry writes transformers' with it too). */
export const fileHeader = (r: ModelRow, manifest: unknown): ModelFileHeader => ({
  format: 'delicate-model-file-v1',
  name: r.name,
  kind: r.kind,
  parents: parentsOf(r),
  metrics: metricsOf(r),
  steps: r.steps,
  manifest,
});

/** The file of a forest or a consensus (with its members' files; transformers as `transformer` writes them). */
export function scoringModelFile(repo: ModelRepo, name: string, dtype: 'float32' | 'float16', transformer: TransformerFile): Buffer {
  const row = repo.byName(name);
  if (row?.kind === 'baseline') {
    const { row: r, manifest, weights } = repo.ready(name, { kinds: ['baseline'] });
    return writeModelFile(fileHeader(r, manifest), weights);
  }
  const { row: r, manifest } = repo.ready(name, { kinds: ['consensus'] });
  const members: Buffer[] = [];
  const listed: ConsensusFileHeader['members'] = [];
  for (const m of manifest.members) {
    const member = repo.byName(m.name);
    if (!member) {
      // A member the fit gave no weight does not score: the file goes without it.
      if (m.weight === 0) continue;
      throw new AppError('NOT_FOUND', `the consensus '${name}' combines '${m.name}', which was deleted: it cannot be exported`, { model: m.name });
    }
    const file = member.kind === 'baseline' ? scoringModelFile(repo, m.name, dtype, transformer) : transformer(m.name, dtype);
    members.push(file);
    listed.push({ name: m.name, bytes: file.length });
  }
  const header: ConsensusFileHeader = { ...fileHeader(r, manifest), members: listed };
  return writeModelFile(header, Buffer.concat(members));
}

/**
 * Refuses a model file whose header would be stored broken (lineage, metrics, steps; a transformer's
 * architecture and vocabulary): a parse error naming the file, before anything is registered.
 */
export function checkHeader(header: ModelFileHeader, file: string): void {
  const bad = (what: string) => new AppError('PARSE_ERROR', `${file}: the model file's ${what} cannot be read`);
  if (typeof header.name !== 'string' || header.name === '') throw bad('name');
  if (!Array.isArray(header.parents) || !header.parents.every((p) => typeof p === 'string')) throw bad('lineage');
  if (typeof header.metrics !== 'object' || header.metrics === null || Array.isArray(header.metrics)) throw bad('metrics');
  if (!Number.isFinite(header.steps)) throw bad('steps');
  if (typeof header.manifest !== 'object' || header.manifest === null) throw bad('manifest');
  const calibration = (header.manifest as { calibration?: unknown }).calibration;
  if (calibration !== undefined && calibration !== null && !isCalibration(calibration)) throw bad('interval calibration');
  if (header.kind === 'baseline' || header.kind === 'consensus') return;
  const m = header.manifest as { config?: { layers?: unknown; hidden?: unknown }; tokenizer?: unknown };
  if (!Number.isInteger(m.config?.layers) || !Number.isInteger(m.config?.hidden) || typeof m.tokenizer !== 'object' || m.tokenizer === null)
    throw bad('architecture or vocabulary');
}

/** The parameters a model file of a forest or a consensus stands for (a forest's tree nodes; a consensus none). */
export function scoringParams(header: ModelFileHeader, weights: Buffer, file: string): number {
  if (header.kind !== 'baseline') return 0;
  try {
    const forest = JSON.parse(gunzipSync(weights).toString('utf8')) as ForestJson;
    return forest.trees.reduce((n, t) => n + t.feature.length, 0);
  } catch (err) {
    throw new AppError('PARSE_ERROR', `${file}: the forest '${header.name}' cannot be read (${(err as Error).message})`);
  }
}

/** Whether a stored model is the one a file holds (same kind and weights; a float16 file's are the stored ones halved). */
function sameModel(repo: ModelRepo, row: ModelRow, parsed: { header: ModelFileHeader; weights: Buffer }): boolean {
  if (row.kind !== parsed.header.kind) return false;
  const stored = repo.weights(row.id);
  if (!stored) return false;
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  if (row.kind === 'baseline') return same(stored, parsed.weights);
  return same(stored, packArrays(unpackArrays(parsed.weights), 'float32')) || same(packArrays(unpackArrays(stored), 'float16'), parsed.weights);
}

/**
 * The names a consensus's members take when it is imported as `as`: its run's names with the run's stem
 * changed (sol-consensus as herg-consensus: sol-student → herg-student), else `as`-member.
 */
function memberNames(from: string, as: string, members: string[]): Map<string, string> {
  const stem = (n: string) => n.replace(/-consensus$/, '');
  const [old, now] = [stem(from), stem(as)];
  return new Map(members.map((m) => [m, from === as ? m : m.startsWith(`${old}-`) ? `${now}${m.slice(old.length)}` : `${as}-${m}`]));
}

/**
 * Registers a consensus file under `name` with its members, all in one transaction: a member the database
 * already holds as the same model is used as it is; one held as another model is a conflict (nothing is
 * registered). Returns the member names registered.
 */
export function importConsensus(
  db: Db,
  repo: ModelRepo,
  parsed: { header: ModelFileHeader; weights: Buffer },
  file: string,
  name: string,
  importOne: ImportOne,
): string[] {
  const header = parsed.header as ConsensusFileHeader;
  const listed = (m: unknown) =>
    typeof m === 'object' && m !== null && typeof (m as { name: unknown }).name === 'string' && Number.isSafeInteger((m as { bytes: unknown }).bytes);
  const manifest = header.manifest as ConsensusManifest | null;
  // The header's name and lineage were checked by the caller (checkHeader).
  if (!Array.isArray(header.members) || !header.members.every(listed) || !Array.isArray(manifest?.members))
    throw new AppError('PARSE_ERROR', `${file}: the consensus file does not list its members (name and size each)`);
  if (new Set(header.members.map((m) => m.name)).size !== header.members.length)
    throw new AppError('PARSE_ERROR', `${file}: the consensus file lists a member twice`);
  const names = memberNames(
    header.name,
    name,
    header.members.map((m) => m.name),
  );
  const files: Array<{ name: string; parsed: { header: ModelFileHeader; weights: Buffer }; reuse: boolean }> = [];
  let at = 0;
  for (const m of header.members) {
    const buf = parsed.weights.subarray(at, at + m.bytes);
    at += m.bytes;
    if (buf.length !== m.bytes) throw new AppError('PARSE_ERROR', `${file} is truncated (in its member '${m.name}')`);
    let member: { header: ModelFileHeader; weights: Buffer };
    try {
      member = readModelFile(buf, `${file} (member '${m.name}')`);
    } catch (err) {
      throw new AppError('PARSE_ERROR', (err as Error).message);
    }
    checkHeader(member.header, `${file} (member '${m.name}')`);
    if (member.header.kind === 'consensus') throw new AppError('PARSE_ERROR', `${file}: its member '${m.name}' is itself a consensus`);
    const as = names.get(m.name) as string;
    const held = repo.byName(as);
    if (held && !sameModel(repo, held, member))
      throw new AppError('CONFLICT', `${file}: the consensus's member '${as}' exists here as another model (a consensus's members are named after it)`, {
        model: as,
        remedy: 'import-as',
      });
    files.push({ name: as, parsed: member, reuse: held !== null });
  }
  const rename = (n: string) => names.get(n) ?? n;
  db.transaction(() => {
    for (const f of files) {
      if (f.reuse) continue;
      const h = f.parsed.header;
      const m = h.manifest as { training?: { teacher?: string | null } };
      // The lineage inside the file follows the members' new names.
      const training = m.training && typeof m.training.teacher === 'string' ? { ...m.training, teacher: rename(m.training.teacher) } : m.training;
      importOne(
        { header: { ...h, parents: h.parents.map(rename), manifest: { ...m, ...(training ? { training } : {}) } }, weights: f.parsed.weights },
        file,
        f.name,
      );
    }
    const id = repo.create({
      name,
      kind: 'consensus',
      state: 'training',
      manifest: { ...manifest, members: (manifest as ConsensusManifest).members.map((m) => ({ ...m, name: rename(m.name) })) },
      params: 0,
      layers: 0,
      shareLayers: false,
      hidden: 0,
      parents: header.parents.map(rename),
      totalSteps: 0,
      jobId: null,
    });
    repo.finish(id, { weights: Buffer.alloc(0), metrics: header.metrics, steps: 0 });
  })();
  return files.filter((f) => !f.reuse).map((f) => f.name);
}
