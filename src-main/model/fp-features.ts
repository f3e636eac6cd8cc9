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
