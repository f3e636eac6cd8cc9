import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One physical line of an input file, decoded, or the reason it could not be read. */
export type Line =
  | { lineNo: number; text: string; error?: undefined }
  | { lineNo: number; text?: undefined; error: string };

/** Lines longer than this are rejected (and skipped without buffering them). */
export const MAX_LINE_BYTES = 1 << 20;

const GZIP_MAGIC = [0x1f, 0x8b];

/** True when the file starts with the gzip magic bytes (whatever its name says). */
export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1];
  } finally {
    await fh.close();
  }
}

/** A byte stream of the file, transparently gunzipped; `onRawBytes` counts bytes read from disk. */
export async function openBytes(path: string, onRawBytes?: (n: number) => void): Promise<AsyncIterable<Buffer>> {
  const raw = createReadStream(path, { highWaterMark: 1 << 16 });
  // Counting in a generator (not a 'data' listener, which would start the stream flowing too early).
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of raw) {
      onRawBytes?.((chunk as Buffer).length);
      yield chunk as Buffer;
    }
  }
  return (await isGzip(path)) ? Readable.from(counted(), { objectMode: false }).pipe(createGunzip()) : counted();
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream into lines at constant memory: accepts \n and \r\n, strips a UTF-8 BOM, reports
 * invalid UTF-8 and over-long lines per line instead of failing the whole file.
 */
export async function* readLines(bytes: AsyncIterable<Buffer>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let partLen = 0;
  let tooLong = false;
  let lineNo = 0;
  let first = true;

  const finish = (): Line => {
    lineNo++;
    if (tooLong) {
      tooLong = false;
      parts = [];
      partLen = 0;
      return { lineNo, error: `line longer than ${maxLineBytes} bytes` };
    }
    let buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, partLen);
    parts = [];
    partLen = 0;
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    if (first) {
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    if (buf.includes(0)) return { lineNo, error: 'binary data (NUL bytes)' };
    try {
      return { lineNo, text: decoder.decode(buf) };
    } catch {
      return { lineNo, error: 'bad encoding (not valid UTF-8)' };
    }
  };

  const append = (chunk: Buffer) => {
    if (tooLong) return;
    if (partLen + chunk.length > maxLineBytes) {
      tooLong = true;
      parts = [];
      partLen = 0;
      return;
    }
    if (chunk.length > 0) {
      // Copy: the stream may reuse its buffer.
      parts.push(Buffer.from(chunk));
      partLen += chunk.length;
    }
  };

  for await (const chunk of bytes) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      append(chunk.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    if (start < chunk.length) append(chunk.subarray(start));
  }
  if (partLen > 0 || tooLong) yield finish();
}

/**
 * Quick check of the first bytes of a file: a file that is mostly binary can't be any supported format,
 * and is refused before anything is written.
 */
export async function looksBinary(path: string): Promise<boolean> {
  const bytes = await openBytes(path);
  let sample: Buffer | null = null;
  for await (const chunk of bytes) {
    sample = chunk.subarray(0, 8192);
    break;
  }
  if (!sample || sample.length === 0) return false;
  let control = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  return control / sample.length > 0.1;
}
