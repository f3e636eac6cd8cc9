import { type RDKit, descriptorsOfSmiles } from '../chem/rdkit';
import type { Descriptors } from '../../src-shared/dto';
import type { DescriptorNorm } from './encoder';

/**
 * The fingerprint a fingerprint-aware task head reads (EncoderConfig.task.fp): the compound's ECFP4 as the
 * import stores it (Morgan r=2, packed bits: bit j·8+k is bit k of byte j), unpacked to 0/1 floats, one
 * row of `bits` per compound, rows in the order of `at` (indices into `fps`). `out` (at least that long) is
 * reused instead of a new array: a screen's batches share one buffer.
 */
export function fpFeatures(
  fps: ReadonlyArray<Uint8Array | null | undefined>,
  at: ReadonlyArray<number>,
  bits: number,
  out = new Float32Array(at.length * bits),
): Float32Array {
  out.fill(0, 0, at.length * bits);
  at.forEach((i, row) => {
    const fp = fps[i];
    if (!fp) throw new Error(`compound ${i} has no ECFP4 fingerprint for the model's fingerprint-aware head`);
    if (fp.length * 8 !== bits) throw new Error(`the model's head reads ${bits}-bit fingerprints; compound ${i} has ${fp.length * 8} bits`);
    const base = row * bits;
    for (let j = 0; j < fp.length; j++) {
      const byte = fp[j] as number;
      if (byte === 0) continue;
      for (let k = 0; k < 8; k++) if (byte & (1 << k)) out[base + j * 8 + k] = 1;
    }
  });
  return out;
}

/** A descriptor value standardised with the training set's mean and sd is clipped to this many sds. */
const DESC_CLIP = 5;

/** A compound's descriptors (as stored, or any values by name) in the order of `names` (as DescriptorNorm.names lists them). */
export function descriptorRow(d: Descriptors | Readonly<Record<string, number>>, names: readonly string[]): Float32Array {
  const byName = d as Readonly<Record<string, number | undefined>>;
  return Float32Array.from(names, (n) => {
    const v = byName[n];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`descriptor '${n}' is missing`);
    return v;
  });
}

/** The mean and sd of each descriptor over a training set's rows (an sd of 0, a constant column, counts as 1). */
export function descriptorNorm(rows: ReadonlyArray<Float32Array>, names: readonly string[]): DescriptorNorm {
  if (rows.length === 0) throw new Error('no compounds to standardise descriptors on');
  const mean = names.map((_, j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const sd = names.map((_, j) => Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / rows.length) || 1);
  return { names: [...names], mean, sd };
}

/**
 * What a descriptor-aware task head reads (EncoderConfig.task.desc): each compound's descriptors (rows of
 * `descs`, as descriptorRow gives them) standardised with the training set's mean and sd and clipped to
 * ±5 sd, one row per compound, rows in the order of `at`. `out` is reused as in fpFeatures.
 */
export function descFeatures(
  descs: ReadonlyArray<Float32Array | null | undefined>,
  at: ReadonlyArray<number>,
  norm: DescriptorNorm,
  out = new Float32Array(at.length * norm.names.length),
): Float32Array {
  const n = norm.names.length;
  at.forEach((i, row) => {
    const d = descs[i];
    if (!d) throw new Error(`compound ${i} has no descriptors for the model's descriptor-aware head`);
    if (d.length !== n) throw new Error(`the model's head reads ${n} descriptors; compound ${i} has ${d.length}`);
    for (let j = 0; j < n; j++) {
      const z = ((d[j] as number) - (norm.mean[j] as number)) / (norm.sd[j] as number);
      out[row * n + j] = Math.max(-DESC_CLIP, Math.min(DESC_CLIP, z));
    }
  });
  return out;
}

/** Each structure's descriptors in the order of `names` (descriptorRow), null where RDKit cannot read it. */
export function descriptorRowsOf(rd: RDKit, smiles: ReadonlyArray<string>, names: readonly string[]): Array<Float32Array | null> {
  return smiles.map((s) => {
    const d = descriptorsOfSmiles(rd, s);
    return d ? descriptorRow(d, names) : null;
  });
}
