import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { AppError } from '../../src-shared/errors';

/** One physical line of an input file, decoded, or the reason it could not be read. */
export type Line =
  { lineNo: number; text: string; error?: undefined; fatal?: undefined } | { lineNo: number; text?: undefined; error: string; fatal?: boolean };

/** Lines longer than this are rejected (and skipped without buffering them). */
export const MAX_LINE_BYTES = 1 << 20;

const GZIP_MAGIC = [0x1f, 0x8b];

/** The readable part of a file ended in damage (a cut or corrupted gzip stream): nothing after it can be read. */
export class InputDamaged extends Error {}

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

export interface ByteOptions {
  /** Counts bytes read from disk (compressed bytes for gzip). */
  onRawBytes?: ((n: number) => void) | undefined;
  /** Sees every byte read from disk, in order (e.g. to hash the file while it is read). */
  onRawChunk?: ((chunk: Buffer) => void) | undefined;
  /** Something the reader tolerated but the user should know (e.g. trailing data after a gzip stream). */
  onWarning?: ((msg: string) => void) | undefined;
}

/**
 * A byte stream of the file as UTF-8: transparently gunzipped, UTF-16 (with a byte-order mark, as Excel's
 * "Unicode text" writes it) transcoded. A damaged gzip stream ends in InputDamaged after every byte that
 * could be decoded; trailing data after a complete gzip stream is ignored with a warning.
 */
export async function openBytes(path: string, opts: ByteOptions = {}): Promise<AsyncIterable<Buffer>> {
  const raw = createReadStream(path, { highWaterMark: 1 << 16 });
  // Counting in a generator (not a 'data' listener, which would start the stream flowing too early).
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of raw) {
      opts.onRawBytes?.((chunk as Buffer).length);
      opts.onRawChunk?.(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  const bytes = (await isGzip(path)) ? gunzipped(counted(), opts.onWarning) : counted();
  return utf8(bytes);
}

/** Gzip header flags (RFC 1952) whose optional fields precede the compressed data. */
const GZIP_FLAGS = { FHCRC: 2, FEXTRA: 4, FNAME: 8, FCOMMENT: 16 };

/**
 * Gunzips a byte stream member by member (concatenated members, as bgzip and `cat a.gz b.gz` write them,
 * are read in turn). Every decoded byte is handed on before damage is reported, and bytes after the last
 * complete member that are not gzip are ignored with a warning: Node's Gunzip cannot do either (it drops
 * output still buffered when it meets a bad header or a cut stream).
 */
async function* gunzipped(input: AsyncIterable<Buffer>, onWarning?: (msg: string) => void): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let eof = false;
  /** Reads the next input chunk into `buf`; false at the end of the input. */
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const n = await it.next();
    if (n.done) {
      eof = true;
      return false;
    }
    buf = buf.length ? Buffer.concat([buf, n.value]) : n.value;
    return true;
  };
  const need = async (bytes: number): Promise<boolean> => {
    while (buf.length < bytes) if (!(await more())) return false;
    return true;
  };
  const cut = () => new InputDamaged('damaged gzip data (unexpected end of file)');
  try {
    for (let member = 0; ; member++) {
      if (!(await need(1))) return;
      if (!(await need(10)) || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 8) {
        if (member === 0) throw buf.length < 10 ? cut() : new InputDamaged('damaged gzip data (bad header)');
        onWarning?.('data after the end of the gzip stream was ignored (the file has trailing bytes that are not gzip)');
        return;
      }
      const flags = buf[3] as number;
      let at = 10;
      if (flags & GZIP_FLAGS.FEXTRA) {
        if (!(await need(at + 2))) throw cut();
        at += 2 + buf.readUInt16LE(at);
      }
      for (const flag of [GZIP_FLAGS.FNAME, GZIP_FLAGS.FCOMMENT]) {
        if (!(flags & flag)) continue;
        for (;;) {
          if (!(await need(at + 1))) throw cut();
          const zero = buf.indexOf(0, at);
          if (zero >= 0) {
            at = zero + 1;
            break;
          }
          if (!(await more())) throw cut();
        }
      }
      if (flags & GZIP_FLAGS.FHCRC) at += 2;
      if (!(await need(at))) throw cut();
      buf = buf.subarray(at);

      const inflater = createInflateRaw();
      const out: Buffer[] = [];
      let ended = false;
      let failure: Error | null = null;
      inflater.on('data', (c: Buffer) => out.push(c));
      inflater.on('end', () => (ended = true));
      inflater.on('error', (e) => (failure = e));
      let crc = 0;
      let size = 0;
      try {
        for (;;) {
          if (!buf.length && !(await more())) throw cut();
          const chunk = buf;
          buf = Buffer.alloc(0);
          const before = inflater.bytesWritten;
          // A chunk that fails never calls back: wait for the callback or the stream's end of life.
          await new Promise<void>((r) => {
            inflater.once('close', r);
            inflater.write(chunk, () => {
              inflater.off('close', r);
              r();
            });
          });
          // 'end' and 'error' follow the write's callback on the next turn.
          await new Promise<void>((r) => setImmediate(r));
          for (const c of out.splice(0)) {
            crc = crc32(c, crc);
            size = (size + c.length) >>> 0;
            yield c;
          }
          if (failure) throw new InputDamaged(`damaged gzip data (${(failure as Error).message})`);
          if (ended) {
            buf = chunk.subarray(inflater.bytesWritten - before);
            break;
          }
        }
      } finally {
        inflater.destroy();
      }
      if (!(await need(8))) throw cut();
      if (buf.readUInt32LE(0) !== crc || buf.readUInt32LE(4) !== size)
        throw new InputDamaged('damaged gzip data (checksum mismatch: the data read so far may be corrupt)');
      buf = buf.subarray(8);
    }
  } finally {
    await it.return?.();
  }
}

/** Passes UTF-8 through; transcodes UTF-16 announced by a byte-order mark. */
async function* utf8(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let decoder: TextDecoder | null = null;
  let first = true;
  let head = Buffer.alloc(0);
  for await (const chunk of input) {
    if (first) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) continue;
      first = false;
      if (head[0] === 0xff && head[1] === 0xfe) decoder = new TextDecoder('utf-16le');
      else if (head[0] === 0xfe && head[1] === 0xff) decoder = new TextDecoder('utf-16be');
      yield decoder ? Buffer.from(decoder.decode(head, { stream: true }), 'utf8') : head;
      continue;
    }
    yield decoder ? Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8') : chunk;
  }
  if (first && head.length) yield head;
  if (decoder) {
    const rest = decoder.decode();
    if (rest) yield Buffer.from(rest, 'utf8');
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream into lines at constant memory: accepts \n, \r\n and a lone \r (classic Mac OS),
 * strips a UTF-8 BOM, reports invalid UTF-8, NUL bytes and over-long lines per line instead of failing the
 * whole file. Damage that ends the readable part (InputDamaged) ends the lines with a `fatal` error line.
 */
export async function* readLines(bytes: AsyncIterable<Buffer>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let partLen = 0;
  let tooLong = false;
  let lineNo = 0;
  let first = true;
  // The previous chunk ended in \r: a \n starting this one belongs to it.
  let afterCr = false;

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

  try {
    for await (const chunk of bytes) {
      let start = 0;
      if (afterCr && chunk[0] === 0x0a) start = 1;
      afterCr = false;
      // The next LF and CR, each searched for natively and again only once passed (no per-byte loop).
      let lf = chunk.indexOf(0x0a, start);
      let cr = chunk.indexOf(0x0d, start);
      while (lf >= 0 || cr >= 0) {
        const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
        append(chunk.subarray(start, at));
        yield finish();
        start = at + 1;
        if (chunk[at] === 0x0d) {
          if (at + 1 === chunk.length) afterCr = true;
          else if (chunk[at + 1] === 0x0a) start = at + 2;
        }
        if (lf >= 0 && lf < start) lf = chunk.indexOf(0x0a, start);
        if (cr >= 0 && cr < start) cr = chunk.indexOf(0x0d, start);
      }
      if (start < chunk.length) append(chunk.subarray(start));
    }
  } catch (err) {
    if (!(err instanceof InputDamaged)) throw err;
    // The line being read when the damage came is cut: it is part of what was lost.
    yield { lineNo: lineNo + 1, error: `${err.message} at line ${lineNo + 1}: the rest of the file cannot be read (the lines before it were)`, fatal: true };
    return;
  }
  if (partLen > 0 || tooLong) yield finish();
}

/**
 * Why a file cannot be any supported format, judged from its first bytes; null when it may be text. Only a
 * mostly binary file is refused here: a stray NUL byte fails just its own record later.
 */
export async function binaryReason(path: string): Promise<string | null> {
  const bytes = await openBytes(path);
  let sample: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of bytes) {
      sample = Buffer.concat([sample, chunk]);
      if (sample.length >= 8192) break;
    }
  } catch (err) {
    // Damage is reported by the reader, after the records before it; judge the bytes that could be read.
    if (!(err instanceof InputDamaged)) throw err;
  }
  sample = sample.subarray(0, 8192);
  if (sample.length === 0) return null;
  let nul = 0;
  let nulOdd = 0;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i] as number;
    if (b === 0) {
      nul++;
      if (i % 2 === 1) nulOdd++;
    } else if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  // Text in UTF-16 without a byte-order mark: every other byte is NUL.
  if (nul > sample.length / 4 && (nulOdd > nul * 0.9 || nulOdd < nul * 0.1)) {
    return 'UTF-16 text without a byte-order mark: save it as UTF-8 (or as "Unicode text" with its BOM)';
  }
  // Bytes that no text encoding we read would produce: control characters and invalid UTF-8 sequences
  // (each decodes to U+FFFD). Random or compiled data is full of both; a text file with a stray bad byte
  // (or a Latin-1 accent) has a few, which fail only their own records.
  const invalid = (new TextDecoder('utf-8').decode(sample).match(/\uFFFD/g) ?? []).length;
  if ((nul + control + invalid) / sample.length <= 0.1) return null;
  // Mostly binary, but a clean line of text in it (a file damaged after its first records, e.g. a corrupted
  // gzip stream) is read line by line, keeping what can be read. Random data holds no such line: 16 bytes
  // of clean UTF-8 text by chance are about 1e-7 likely.
  if (hasCleanLine(sample)) return null;
  return 'binary data, not a SMILES, CSV/TSV or SDF file (gzip is read transparently)';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True when the sample holds a line of at least 16 bytes of valid UTF-8 without control characters. */
function hasCleanLine(sample: Buffer): boolean {
  let start = 0;
  while (start < sample.length) {
    let end = sample.indexOf(0x0a, start);
    if (end < 0) end = sample.length;
    const line = sample.subarray(start, end > start && sample[end - 1] === 0x0d ? end - 1 : end);
    start = end + 1;
    if (line.length < 16 || line.some((b) => b < 0x09 || (b > 0x0d && b < 0x20))) continue;
    try {
      strictUtf8.decode(line);
      return true;
    } catch {
      // not text: look at the next line
    }
  }
  return false;
}

/** Why a path cannot be read, in the user's terms. */
export function fileAccessError(file: string, err: NodeJS.ErrnoException): AppError {
  switch (err.code) {
    case 'ENOENT':
      return new AppError('INVALID_INPUT', `${file}: file not found`);
    case 'ELOOP':
      return new AppError('INVALID_INPUT', `${file}: too many levels of symbolic links (a link loop)`);
    case 'EACCES':
    case 'EPERM':
      return new AppError('INVALID_INPUT', `${file}: permission denied`);
    case 'ENOTDIR':
      return new AppError('INVALID_INPUT', `${file}: part of the path is not a folder`);
    case 'ENAMETOOLONG':
      return new AppError('INVALID_INPUT', `${file}: the path is too long`);
    default:
      return new AppError('INVALID_INPUT', `${file}: cannot read it (${err.code ?? err.message})`);
  }
}
