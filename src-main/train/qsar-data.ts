import { AppError } from '../../src-shared/errors';
import { givenColumns } from '../../src-shared/assay-columns';
import { DESCRIPTOR_NAMES } from '../../src-shared/descriptors';
import { type RDKit, descriptorsOfSmiles, loadRdkit, morganOf, murckoScaffold } from '../chem/rdkit';
import { descriptorRow } from '../model/fp-features';
import type { EncoderConfig } from '../model/encoder';
import { SmilesTokenizer } from '../model/tokenizer';
import { type AssayData, boundOf, readAssay } from './assay';
import type { TaskType } from './ensemble';
import { censoredRegressionMetrics, classificationMetrics } from './metrics';
import type { QsarRequest } from './qsar-types';

/** An assay made ready for a QSAR run: the compounds the model can read, tokenised, fingerprinted, with their bounds. */
export interface QsarData {
  rd: RDKit;
  assay: AssayData;
  points: AssayData['points'];
  seqs: Int32Array[];
  tokenizer: SmilesTokenizer;
  /** The teacher's architecture (or the from-scratch one). */
  baseConfig: EncoderConfig;
  fps: Uint8Array[];
  /**
   * Each compound's descriptors (descriptorRow over descNames), for a descriptor-aware head: with the
   * descHead setting or a teacher that reads them; else null.
   */
  descs: Float32Array[] | null;
  descNames: string[];
  /** Murcko scaffolds (scaffold split only). */
  scaffolds: string[];
  /** Per compound: -1 a `<` bound, 1 a `>` bound, 0 a measured value (always 0 for classification). */
  bounds: Int8Array;
  anyBound: boolean;
  tooLong: number;
  unknownTokenRate: number;
  classify: boolean;
  kind: TaskType;
  /** The test metrics of predictions `p` of the compounds `test` with values `y`. */
  metricsOf(test: number[], y: number[], p: ArrayLike<number>): Record<string, number>;
}

/**
 * Reads the assay of a QSAR request and prepares it: molecules the model cannot read (too long) are
 * reported as rejected records, not dropped silently; at least 20 usable compounds are needed.
 */
export async function qsarData(req: QsarRequest): Promise<QsarData> {
  const s = req.settings;
  const assay = await readAssay(req.data, { target: req.target, task: req.task, ...givenColumns(req) });
  const rd = await loadRdkit();
  const tokenizer = req.teacher ? SmilesTokenizer.fromJSON(req.teacher.tokenizer) : SmilesTokenizer.fromCorpus(assay.points.map((p) => p.smiles));
  const baseConfig: EncoderConfig = req.teacher
    ? req.teacher.config
    : { ...s.scratchArchitecture, vocabSize: tokenizer.size, shareLayers: false, mlm: null, physchem: 0, task: null };
  // A teacher that reads descriptors keeps its own; a new descriptor-aware head reads those of the import.
  const descNames = req.teacher?.config.task?.desc?.names ?? (s.descHead ? [...DESCRIPTOR_NAMES] : []);
  const descs: Float32Array[] = [];
  const points: AssayData['points'] = [];
  const seqs: Int32Array[] = [];
  let tooLong = 0;
  let unknown = 0;
  let tokens = 0;
  for (const p of assay.points) {
    const enc = tokenizer.encode(p.smiles, baseConfig.maxLen);
    if (!enc.ok) {
      tooLong++;
      assay.rejected.push({ record: p.record, line: null, reason: `${enc.tokens} tokens, longer than the model's maximum ${enc.maxLength}` });
      continue;
    }
    const d = descNames.length ? descriptorsOfSmiles(rd, p.smiles) : null;
    if (descNames.length && !d) {
      assay.rejected.push({ record: p.record, line: null, reason: 'RDKit cannot compute the descriptors the model reads' });
      continue;
    }
    if (d) descs.push(descriptorRow(d, descNames));
    unknown += enc.unknown;
    tokens += enc.ids.length - 2;
    points.push(p);
    seqs.push(enc.ids);
  }
  if (points.length < 20)
    throw new AppError('INVALID_INPUT', `${req.data}: only ${points.length} usable compounds; at least 20 are needed to train and test a model`);
  const classify = req.task === 'classification';
  // Censored regression values (`<`/`>` bounds, e.g. inactives tested up to the top concentration) train
  // through the censored loss; the test metrics compare predictions with measured values, and boundsKept
  // says how many bounds the predictions respect.
  const bounds = Int8Array.from(points, (p) => (classify ? 0 : boundOf(p)));
  return {
    rd,
    assay,
    points,
    seqs,
    tokenizer,
    baseConfig,
    fps: points.map((p) => morganOf(rd, p.smiles) as Uint8Array),
    descs: descNames.length ? descs : null,
    descNames,
    scaffolds: s.split === 'scaffold' ? points.map((p) => murckoScaffold(rd, p.smiles) ?? p.smiles) : [],
    bounds,
    anyBound: bounds.some((b) => b !== 0),
    tooLong,
    unknownTokenRate: tokens ? unknown / tokens : 0,
    classify,
    kind: classify ? 'classification' : 'regression',
    metricsOf: (test, y, p) =>
      classify
        ? { ...classificationMetrics(y, p) }
        : {
            ...censoredRegressionMetrics(
              y,
              p,
              test.map((i) => bounds[i] as number),
            ),
          },
  };
}
