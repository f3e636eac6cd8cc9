import { AppError } from '../../src-shared/errors';
import type { EncoderConfig } from '../model/encoder';
import type { SmilesTokenizer } from '../model/tokenizer';
import { fitPhyschem } from './physchem';
import type { Corpus, ModelManifest } from './pretrain-types';
import type { PretrainSettings } from './settings';

/** A stored model with its weights: a teacher, a starting model. */
export type Weighted = { manifest: ModelManifest; weights: Uint8Array };

/** The architecture settings of an existing model (what a run that continues it records). */
function architectureOf(c: EncoderConfig): PretrainSettings['architecture'] {
  return {
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    ff: c.ff,
    maxLen: c.maxLen,
    dropout: c.dropout,
    shareLayers: c.shareLayers,
    ...(c.embeddingSize ? { embeddingSize: c.embeddingSize } : {}),
  };
}

/**
 * The manifest of a new run: a general-distilled student of the teacher (its width, depth and the layer
 * map), a continued pretraining of `continued` (its architecture and heads), or a fresh model.
 */
export async function newManifest(
  s: PretrainSettings,
  corpus: Corpus,
  stats: { molecules: number; used: number; heldOut: number; skipped: number },
  tokenizer: SmilesTokenizer,
  trainSmiles: string[],
  from: { teacher?: Weighted; init?: Weighted; continued?: Weighted },
): Promise<ModelManifest> {
  if (from.teacher && s.distill) {
    const { teacher, init } = from;
    const tc = teacher.manifest.config;
    const k = Math.min(s.distill.layers, tc.layers);
    const ff = s.distill.ff ?? tc.ff;
    if (!(Number.isInteger(ff) && ff >= 1 && ff <= tc.ff))
      throw new AppError('INVALID_INPUT', `the student's feed-forward width must be between 1 and the teacher's ${tc.ff} (got ${ff})`);
    if (
      init &&
      (init.manifest.config.hidden !== tc.hidden ||
        init.manifest.config.heads !== tc.heads ||
        JSON.stringify(init.manifest.tokenizer) !== JSON.stringify(teacher.manifest.tokenizer))
    ) {
      throw new AppError('INVALID_INPUT', `cannot start the student from '${s.distill.init}': its width, heads or tokenizer differ from the teacher's`);
    }
    if (init && init.manifest.config.ff < ff)
      throw new AppError(
        'INVALID_INPUT',
        `cannot start a student with ${ff} feed-forward units from '${s.distill.init}', which has ${init.manifest.config.ff}: give the student ${init.manifest.config.ff} feed-forward units or fewer`,
      );
    return {
      format: 'delicate-model-v1',
      config: { ...tc, shareLayers: true, layers: k, ff },
      tokenizer: tokenizer.toJSON(),
      physchem: teacher.manifest.physchem,
      training: {
        kind: 'general-distill',
        settings: s,
        corpus: { file: corpus.file, sha256: corpus.sha256, ...stats },
        teacher: s.distill.teacher,
        layerMap: Array.from({ length: k + 1 }, (_, j) => Math.round((j * tc.layers) / k)),
      },
    };
  }
  if (from.continued) {
    const { continued } = from;
    if (!continued.manifest.config.mlm) throw new AppError('INVALID_INPUT', `cannot continue pretraining from '${s.init}': it has no masked-LM head`);
    if (s.physchemWeight > 0 && !continued.manifest.physchem)
      throw new AppError(
        'INVALID_INPUT',
        `cannot continue pretraining from '${s.init}' with the physchem loss: it has no physchem head (train without the physchem loss)`,
      );
    return {
      format: 'delicate-model-v1',
      config: { ...continued.manifest.config, task: null },
      tokenizer: tokenizer.toJSON(),
      physchem: continued.manifest.physchem,
      training: {
        kind: 'pretrain',
        settings: { ...s, architecture: architectureOf(continued.manifest.config) },
        corpus: { file: corpus.file, sha256: corpus.sha256, ...stats },
      },
    };
  }
  const physchem = s.physchemWeight > 0 ? await fitPhyschem(trainSmiles.slice(0, 1000)) : null;
  return {
    format: 'delicate-model-v1',
    config: { ...s.architecture, vocabSize: tokenizer.size, mlm: { tied: true }, physchem: physchem?.names.length ?? 0, task: null },
    tokenizer: tokenizer.toJSON(),
    physchem,
    training: { kind: 'pretrain', settings: s, corpus: { file: corpus.file, sha256: corpus.sha256, ...stats } },
  };
}
