/** One stored tensor. */
export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'float16';
  /** Byte offset in the data section. */
  offset: number;
}

const MAGIC = 0x574c4344; // "DCLW" little-endian

/** float32 → IEEE half (round to nearest even), as uint16 bits. */
export function toHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i] as number;
    const x = u[0] as number;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry rounds up into the exponent
    out[i] = sign | half;
  }
  return out;
}

/** IEEE half bits → float32. */
export function fromHalf(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i] as number;
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    out[i] = e === 0 ? s * m * 2 ** -24 : e === 0x1f ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

/**
 * Packs named float32 arrays into one buffer: [magic u32][json length u32][json specs][pad to 4][data].
 * Float32 is exact; float16 halves the size for shipping. (Tensor helpers: weights-tf.ts.)
 */
export function packArrays(arrays: Map<string, { shape: number[]; values: Float32Array }>, dtype: 'float32' | 'float16' = 'float32'): Buffer {
  const specs: TensorSpec[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of [...arrays.keys()].sort()) {
    const { shape, values } = arrays.get(name) as { shape: number[]; values: Float32Array };
    const bytes = dtype === 'float16' ? new Uint8Array(toHalf(values).buffer) : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    specs.push({ name, shape, dtype, offset });
    parts.push(bytes);
    offset += bytes.byteLength;
    const pad = (4 - (offset % 4)) % 4;
    if (pad) {
      parts.push(new Uint8Array(pad));
      offset += pad;
    }
  }
  const json = Buffer.from(JSON.stringify(specs), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(json.length, 4);
  const jsonPad = Buffer.alloc((4 - ((8 + json.length) % 4)) % 4);
  return Buffer.concat([head, json, jsonPad, ...parts]);
}

/** Reads a buffer written by packTensors into float32 arrays (no tensors are created). */
export function unpackArrays(buf: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.length < 8 || view.readUInt32LE(0) !== MAGIC) throw new Error('not a Delicate weights blob (bad magic number)');
  const jsonLen = view.readUInt32LE(4);
  const specs = JSON.parse(view.subarray(8, 8 + jsonLen).toString('utf8')) as TensorSpec[];
  const dataStart = 8 + jsonLen + ((4 - ((8 + jsonLen) % 4)) % 4);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const start = dataStart + s.offset;
    const width = s.dtype === 'float16' ? 2 : 4;
    if (start + n * width > view.length) throw new Error(`weights blob is truncated at tensor ${s.name}`);
    // Copy into a fresh, aligned ArrayBuffer: a Buffer may be a view into a larger shared slab.
    const bytes = new Uint8Array(view.subarray(start, start + n * width));
    const values = s.dtype === 'float16' ? fromHalf(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer);
    out.set(s.name, { shape: s.shape, values });
  }
  return out;
}
