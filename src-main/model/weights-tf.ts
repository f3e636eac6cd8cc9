import type { Model } from './encoder';
import { tf } from './tf/backend';
import { packArrays, unpackArrays } from './weights-io';

/**
 * Packs named tensors (see packArrays for the format).
 */
export function packTensors(tensors: Record<string, tf.Tensor>, dtype: 'float32' | 'float16' = 'float32'): Buffer {
  const arrays = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32') throw new Error(`tensor ${name} is ${t.dtype}; only float32 tensors are stored`);
    arrays.set(name, { shape: t.shape, values: t.dataSync() as Float32Array });
  }
  return packArrays(arrays, dtype);
}

/** Unpacks into tensors the caller owns. */
export function unpackTensors(buf: Uint8Array): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, a] of unpackArrays(buf)) out[name] = tf.tensor(a.values, a.shape, 'float32');
  return out;
}

/** Assigns stored weights to a model's variables; every parameter must be present with its shape. */
export function assignWeights(params: Record<string, tf.Variable>, buf: Uint8Array): void {
  const arrays = unpackArrays(buf);
  for (const [name, v] of Object.entries(params)) {
    const a = arrays.get(name);
    if (!a) throw new Error(`stored weights lack parameter ${name}`);
    if (a.shape.join('x') !== v.shape.join('x'))
      throw new Error(`parameter ${name} has shape [${a.shape}] in the stored weights but [${v.shape}] in the model`);
    tf.tidy(() => v.assign(tf.tensor(a.values, a.shape, 'float32')));
  }
}

/** Copies stored parameters into a model where names and shapes match; returns how many were copied. */
export function copyMatching(model: Model, weights: Uint8Array, rename: (name: string) => string = (n) => n): number {
  const arrays = unpackArrays(weights);
  let copied = 0;
  for (const [name, v] of Object.entries(model.params)) {
    const a = arrays.get(rename(name));
    if (a && a.shape.join('x') === v.shape.join('x')) {
      tf.tidy(() => v.assign(tf.tensor(a.values, a.shape)));
      copied++;
    }
  }
  return copied;
}
