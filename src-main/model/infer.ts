import { lengthBatches, padBatch } from './batch';
import { type Model, encode, physchemHead, taskHead } from './encoder';
import { descFeatures, fpFeatures } from './fp-features';
import { tf } from './tf/backend';

export type InferOutput = 'pooled' | 'task' | 'physchem';

/**
 * Runs a model over token sequences in length-bucketed batches (molecules of similar length together,
 * so little compute goes to padding) and returns one row per input, in input order. A fingerprint-aware
 * task head also reads `fps` (each input's packed ECFP4, aligned with `seqs`), a descriptor-aware one
 * `descs` (each input's descriptors, as descriptorRow gives them).
 */
export async function inferRows(
  model: Model,
  seqs: ReadonlyArray<Int32Array>,
  output: InferOutput,
  batchSize = 64,
  fps?: ReadonlyArray<Uint8Array | null>,
  descs?: ReadonlyArray<Float32Array | null>,
): Promise<Float32Array[]> {
  const fpBits = output === 'task' ? (model.config.task?.fp ?? 0) : 0;
  if (fpBits && !fps) throw new Error('this model reads the ECFP4 fingerprint with the SMILES: no fingerprints were given');
  const norm = output === 'task' ? model.config.task?.desc : undefined;
  if (norm && !descs) throw new Error('this model reads RDKit descriptors with the SMILES: no descriptors were given');
  const rows: Float32Array[] = new Array(seqs.length);
  for (const idx of lengthBatches(
    seqs.map((s) => s.length),
    batchSize,
  )) {
    const b = padBatch(idx.map((i) => seqs[i] as Int32Array));
    const out = tf.tidy(() => {
      const r = encode(model, tf.tensor2d(b.ids, [b.b, b.t], 'int32'), tf.tensor2d(b.mask, [b.b, b.t]), { pooledOnly: true });
      const fp = fpBits && fps ? tf.tensor2d(fpFeatures(fps, idx, fpBits), [b.b, fpBits]) : null;
      const desc = norm && descs ? tf.tensor2d(descFeatures(descs, idx, norm), [b.b, norm.names.length]) : null;
      return output === 'pooled' ? r.pooled : output === 'task' ? taskHead(model, r.pooled, fp, desc) : physchemHead(model, r.pooled);
    });
    const data = (await out.data()) as Float32Array;
    const width = out.shape[1] as number;
    out.dispose();
    idx.forEach((i, k) => (rows[i] = data.slice(k * width, (k + 1) * width)));
  }
  return rows;
}
