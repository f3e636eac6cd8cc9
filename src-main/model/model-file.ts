/** A model as one portable file: header JSON (manifest and registry facts) followed by the weights blob. */
export interface ModelFileHeader {
  format: 'delicate-model-file-v1';
  name: string;
  kind: string;
  parents: string[];
  metrics: Record<string, number | null>;
  steps: number;
  manifest: unknown;
}

const MAGIC = Buffer.from('DLCMODEL', 'latin1');

export function writeModelFile(header: ModelFileHeader, weights: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  return Buffer.concat([MAGIC, len, json, weights]);
}

/** Parses a model file; says what is wrong with a file that is not one. */
export function readModelFile(buf: Buffer, file: string): { header: ModelFileHeader; weights: Buffer } {
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw new Error(`${file} is not a Delicate model file`);
  const n = buf.readUInt32LE(8);
  if (12 + n > buf.length) throw new Error(`${file} is truncated`);
  let header: ModelFileHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + n).toString('utf8')) as ModelFileHeader;
  } catch {
    throw new Error(`${file}: the model header is not valid JSON`);
  }
  if (header.format !== 'delicate-model-file-v1') throw new Error(`${file}: unknown model file format ${String(header.format)}`);
  return { header, weights: buf.subarray(12 + n) };
}
