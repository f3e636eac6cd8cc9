import type { Descriptors } from '../../src-shared/dto';
import { type RDKit, loadRdkit, morganOf, stereoFree } from '../chem/rdkit';
import { createModel, disposeModel, type Model } from '../model/encoder';
import { descriptorRow, descriptorRowsOf } from '../model/fp-features';
import { inferRows, type InferOutput } from '../model/infer';
import { onnxGraph } from '../model/onnx-export';
import { OrtModel, loadOrt, ortProblem } from '../model/ort-engine';
import { initTf } from '../model/tf/backend';
import { SmilesTokenizer } from '../model/tokenizer';
import { assignWeights } from '../model/weights-tf';
import { taskValue } from '../train/finetune';
import { RandomForest } from '../train/forest';
import type { ConsensusModelSpec, EncoderSpec, Engine, ForestModelSpec, MemberSpec, ScoringSpec, TaskModelSpec } from '../train/predict-types';
import { DomainIndex, onBits } from './domain';

/** An isotope label ([2H], [13C]). A deuterium changes RDKit's ECFP4 (it stays an atom), a 13C label does not. */
const ISOTOPE = /\[\d/;

/**
 * The item with the ECFP4 its models learnt from: every model (forest, fingerprint-aware head, domain)
 * was trained on, and `predict` reads, the fingerprints of model SMILES, which carry no isotopes. A
 * deuterated parent's stored or parsed ECFP4 differs, so a labelled compound's is computed again.
 */
function modelFp(rd: RDKit, it: ScreenItem): ScreenItem {
  if (!ISOTOPE.test(it.smiles)) return it;
  const fp = morganOf(rd, it.modelSmiles ?? stereoFree(rd, it.smiles) ?? it.smiles);
  return fp ? { ...it, fp } : it;
}

/**
 * One compound to score: its id, standardised SMILES, model SMILES (null when not yet stored), ECFP4 and,
 * where known, its descriptors (a descriptor-aware model reads them; computed here where absent).
 */
export interface ScreenItem {
  id: number;
  smiles: string;
  modelSmiles: string | null;
  fp: Uint8Array;
  descriptors?: Descriptors | null;
}

/** One model's results for a chunk, aligned with the items: NaN where there is no value. */
export interface ModelScores {
  model: string;
  score: Float64Array;
  maxSim: Float64Array;
  /** Spread of the model's ensemble (the forest's trees), NaN where the model has none. */
  uncertainty: Float64Array;
  /** Why a compound has no score (unknown tokens, too long), else null. */
  notes: Array<string | null>;
}

export interface ScoredChunk {
  /** Model SMILES computed here for items that had none (to be stored). */
  modelSmiles: Array<{ id: number; smiles: string }>;
  models: ModelScores[];
}

/**
 * A loaded model on one engine: raw rows of an output for token sequences (and their ECFP4 and
 * descriptors, for a fingerprint- or descriptor-aware head).
 */
export interface Runner {
  rows(seqs: Int32Array[], output: InferOutput, fps?: Array<Uint8Array | null>, descs?: Array<Float32Array | null>): Promise<Float32Array[]>;
  release(): Promise<void>;
  /** The engine, as the user is told: `onnxruntime-cpu (2 threads)`, `tfjs-wasm (why not ONNX Runtime)`. */
  engine: string;
}

/**
 * Loads a model on ONNX Runtime (its stored graph, or one exported on the fly) when the engine allows and
 * the runtime loads, else on TF.js; `threads` is ONNX Runtime's intra-op thread count.
 */
export async function loadRunner(spec: EncoderSpec, engine: Engine, threads: number, spin = true): Promise<Runner> {
  if (engine === 'onnxruntime' || engine === 'onnxruntime-int8' || (engine === 'auto' && loadOrt() !== null)) {
    const int8 = engine === 'onnxruntime-int8';
    const m = await OrtModel.create(onnxGraph(spec, int8), threads, spin, spec.config.task);
    return {
      rows: (seqs, output, fps, descs) => m.rows(seqs, output, 64, fps, descs),
      release: () => m.release(),
      engine: `onnxruntime-${m.provider}${int8 ? ' int8' : ''}${m.provider === 'cpu' ? ` (${m.threads} threads)` : ''}`,
    };
  }
  const backend = (await initTf()).selected;
  const model: Model = createModel(spec.config, 1);
  assignWeights(model.params, spec.weights);
  return {
    rows: (seqs, output, fps, descs) => inferRows(model, seqs, output, 64, fps, descs),
    release: async () => disposeModel(model),
    engine: `tfjs-${backend}${engine === 'auto' ? ` (${ortProblem()})` : ''}`,
  };
}

/**
 * Scores chunks of a library with task models: tokenises the model SMILES, runs inference grouped by
 * token length, checks the applicability domain (max ECFP4 Tanimoto to the training set), and reports
 * compounds a model cannot read (unknown tokens, too long) per compound instead of dropping them.
 */
export class Scorer {
  private constructor(
    private readonly models: ScorerModel[],
    readonly engine: string,
  ) {}

  /** `spin`: see OrtModel.create. */
  static async create(specs: ScoringSpec[], engine: Engine = 'auto', threads = 1, spin = true): Promise<Scorer> {
    const rd = await loadRdkit();
    const models: ScorerModel[] = [];
    const domainOf = (smiles: string[]) => new DomainIndex(smiles.map((s) => morganOf(rd, s)).filter((f): f is Uint8Array => f !== null));
    const member = async (spec: MemberSpec): Promise<MemberModel> => {
      if (spec.kind === 'forest') return { kind: 'forest', spec, forest: RandomForest.fromJSON(spec.forest), domain: domainOf(spec.domain) };
      if (!spec.config.task) throw new Error(`model '${spec.name}' has no task head`);
      const runner = await loadRunner(spec, engine, threads, spin);
      return { kind: 'transformer', spec, tokenizer: SmilesTokenizer.fromJSON(spec.tokenizer), runner, domain: domainOf(spec.domain) };
    };
    try {
      for (const spec of specs) {
        if (spec.kind !== 'consensus') {
          models.push(await member(spec));
          continue;
        }
        const c: ScorerModel = { kind: 'consensus', spec, members: [], domain: domainOf(spec.domain) };
        // Pushed first, so a member that fails to load leaves the loaded ones to release.
        models.push(c);
        for (const m of spec.members) c.members.push({ model: await member(m.spec), weight: m.weight });
      }
    } catch (err) {
      await releaseAll(models);
      throw err;
    }
    const engineOf = (m: ScorerModel): string[] =>
      m.kind === 'forest' ? ['ECFP4 forest'] : m.kind === 'transformer' ? [m.runner.engine] : m.members.flatMap((x) => engineOf(x.model));
    const engines = [...new Set(models.flatMap(engineOf))];
    return new Scorer(models, engines.join(' + '));
  }

  async score(given: ScreenItem[]): Promise<ScoredChunk> {
    const filled: ScoredChunk['modelSmiles'] = [];
    const needSmiles = this.models.some((m) => m.kind === 'transformer' || (m.kind === 'consensus' && m.members.some((x) => x.model.kind === 'transformer')));
    const labelled = given.some((it) => ISOTOPE.test(it.smiles));
    const rd = labelled || (needSmiles && given.some((it) => it.modelSmiles === null)) ? await loadRdkit() : null;
    const items = labelled && rd ? given.map((it) => modelFp(rd, it)) : given;
    const inputs = needSmiles
      ? items.map((it) => {
          if (it.modelSmiles !== null || !rd) return it.modelSmiles ?? it.smiles;
          const s = stereoFree(rd, it.smiles) ?? it.smiles;
          filled.push({ id: it.id, smiles: s });
          return s;
        })
      : [];
    // Set bits once per compound, shared by every model's domain check.
    const bits = items.map((it) => onBits(it.fp));
    // The descriptors a descriptor-aware head reads, once per chunk: those the item has (the library's stored
    // ones, or a file screen's computed with the parent), else of the model SMILES. An isotope label changes
    // the molecular weight, so a labelled compound's are those of its model SMILES, as training and predict read.
    const computed = new Map<string, Promise<Array<Float32Array | null>>>();
    const descsOf = (names: string[]) => {
      const key = names.join(',');
      let rows = computed.get(key);
      if (!rows) {
        const own = items.map((it) => (it.descriptors && !ISOTOPE.test(it.smiles) ? descriptorRow(it.descriptors, names) : null));
        const missing = own.flatMap((d, i) => (d ? [] : [i]));
        rows = !missing.length
          ? Promise.resolve(own)
          : loadRdkit().then((rd) => {
              const got = descriptorRowsOf(
                rd,
                missing.map((i) => inputs[i] as string),
                names,
              );
              missing.forEach((i, k) => (own[i] = got[k] ?? null));
              return own;
            });
        computed.set(key, rows);
      }
      return rows;
    };
    const out: ModelScores[] = [];
    for (const m of this.models) out.push(await this.scoreOne(m, items, inputs, bits, descsOf));
    return { modelSmiles: filled, models: out };
  }

  /**
   * One model's scores. A consensus is its members' weighted mean (no score where a member with weight
   * has none, with that member's reason) and its uncertainty the weighted spread of its members.
   */
  private async scoreOne(
    m: ScorerModel,
    items: ScreenItem[],
    inputs: string[],
    bits: number[][],
    descsOf: (names: string[]) => Promise<Array<Float32Array | null>>,
  ): Promise<ModelScores> {
    const n = items.length;
    const r: ModelScores = {
      model: m.spec.name,
      score: new Float64Array(n).fill(Number.NaN),
      maxSim: new Float64Array(n).fill(Number.NaN),
      uncertainty: new Float64Array(n).fill(Number.NaN),
      notes: new Array(n).fill(null),
    };
    bits.forEach((b, i) => {
      const sim = m.domain.maxSimilarityOfBits(b);
      if (sim !== null) r.maxSim[i] = sim;
    });
    if (m.kind === 'consensus') {
      const parts: ModelScores[] = [];
      for (const x of m.members) parts.push(await this.scoreOne(x.model, items, inputs, bits, descsOf));
      // Plain loops: this runs once per compound of the library.
      const k = m.members.length;
      for (let i = 0; i < n; i++) {
        let mean = 0;
        let missing = -1;
        for (let j = 0; j < k; j++) {
          const v = (parts[j] as ModelScores).score[i] as number;
          if (Number.isNaN(v)) {
            missing = j;
            break;
          }
          mean += (m.members[j] as { weight: number }).weight * v;
        }
        if (missing >= 0) {
          r.notes[i] = `${(m.members[missing] as { model: MemberModel }).model.spec.name}: ${(parts[missing] as ModelScores).notes[i] ?? 'no score'}`;
          continue;
        }
        let spread = 0;
        let note: string | null = null;
        for (let j = 0; j < k; j++) {
          const p = parts[j] as ModelScores;
          spread += (m.members[j] as { weight: number }).weight * ((p.score[i] as number) - mean) ** 2;
          note ??= p.notes[i] ?? null;
        }
        r.score[i] = mean;
        r.uncertainty[i] = Math.sqrt(spread);
        r.notes[i] = note;
      }
      return r;
    }
    if (m.kind === 'forest') {
      // The forest reads the stored ECFP4 directly: every compound is readable.
      items.forEach((it, i) => {
        const p = m.forest.predict(it.fp);
        r.score[i] = p.mean;
        r.uncertainty[i] = p.sd;
      });
    } else {
      const seqs: Int32Array[] = [];
      const at: number[] = [];
      const names = m.spec.config.task?.desc?.names;
      const all = names ? await descsOf(names) : null;
      inputs.forEach((smiles, i) => {
        const enc = m.tokenizer.encode(smiles, m.spec.config.maxLen);
        if (!enc.ok) r.notes[i] = `${enc.tokens} tokens, longer than the model's maximum ${enc.maxLength}`;
        else if (enc.unknown > 0) r.notes[i] = `${enc.unknown} token(s) unknown to the model`;
        else if (all && !all[i]) r.notes[i] = 'RDKit cannot compute the descriptors the model reads';
        else {
          seqs.push(enc.ids);
          at.push(i);
        }
      });
      const fps = m.spec.config.task?.fp ? at.map((i) => (items[i] as ScreenItem).fp) : undefined;
      const descs = all ? at.map((i) => all[i] as Float32Array) : undefined;
      const rows = seqs.length ? await m.runner.rows(seqs, 'task', fps, descs) : [];
      const type = m.spec.config.task?.type ?? 'regression';
      rows.forEach((row, k) => (r.score[at[k] as number] = taskValue(type, row[0] as number, m.spec.task.norm)));
    }
    return r;
  }

  async release(): Promise<void> {
    await releaseAll(this.models);
  }
}

type MemberModel =
  | { kind: 'transformer'; spec: TaskModelSpec; tokenizer: SmilesTokenizer; runner: Runner; domain: DomainIndex }
  | { kind: 'forest'; spec: ForestModelSpec; forest: RandomForest; domain: DomainIndex };

type ScorerModel = MemberModel | { kind: 'consensus'; spec: ConsensusModelSpec; members: Array<{ model: MemberModel; weight: number }>; domain: DomainIndex };

async function releaseAll(models: ScorerModel[]): Promise<void> {
  for (const m of models) {
    if (m.kind === 'transformer') await m.runner.release();
    else if (m.kind === 'consensus') await releaseAll(m.members.map((x) => x.model));
  }
}

/** Sequences embedded per step: progress is reported, and a stop request honoured, between steps. */
export const EMBED_STEP = 1024;

/** Thrown by embed() when `stopped()` turns true between steps. */
export class EmbedStopped extends Error {}

/**
 * Unit-length embeddings (the pooled [CLS] output) of model SMILES; null for a SMILES the model cannot
 * read (unknown tokens, too long). Runs EMBED_STEP sequences at a time, calls `onProgress` after each
 * and throws EmbedStopped at the next step once `stopped()` is true (the model is released either way).
 */
export async function embed(
  spec: EncoderSpec,
  smiles: string[],
  engine: Engine = 'auto',
  threads = 1,
  hooks: { onProgress?: (done: number, total: number) => void; stopped?: () => boolean } = {},
): Promise<Array<Float32Array | null>> {
  const tokenizer = SmilesTokenizer.fromJSON(spec.tokenizer);
  const out: Array<Float32Array | null> = new Array(smiles.length).fill(null);
  const seqs: Int32Array[] = [];
  const at: number[] = [];
  smiles.forEach((s, i) => {
    const enc = tokenizer.encode(s, spec.config.maxLen);
    if (enc.ok && enc.unknown === 0) {
      seqs.push(enc.ids);
      at.push(i);
    }
  });
  const runner = await loadRunner(spec, engine, threads);
  try {
    for (let from = 0; from < seqs.length; from += EMBED_STEP) {
      // A macrotask turn, so a stop request posted to this thread is seen between steps.
      await new Promise((resolve) => setImmediate(resolve));
      if (hooks.stopped?.()) throw new EmbedStopped(`stopped after ${from === 0 ? 0 : (at[from] as number)} of ${smiles.length} compounds`);
      const rows = await runner.rows(seqs.slice(from, from + EMBED_STEP), 'pooled');
      rows.forEach((r, k) => {
        let norm = 0;
        for (const v of r) norm += v * v;
        norm = Math.sqrt(norm) || 1;
        out[at[from + k] as number] = r.map((v) => v / norm);
      });
      // Counted in input SMILES (the unreadable ones pass with their neighbours).
      const next = from + EMBED_STEP;
      hooks.onProgress?.(next >= seqs.length ? smiles.length : (at[next] as number), smiles.length);
    }
  } finally {
    await runner.release();
  }
  return out;
}
