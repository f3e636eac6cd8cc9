import { basename } from 'node:path';
import type { ImportFormat, PropValue } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import { type ByteOptions, type Line, openBytes, readLines } from './lines';

/** One input record with its structure (SMILES or molfile) and everything else it carried. */
export interface RawRecord {
  record: number;
  line: number;
  structure: string;
  id: string | null;
  props: Record<string, PropValue>;
  /** The record as it was in the file (SMILES line, CSV row or SDF record). */
  original: string;
}

export interface RecordError {
  record: number;
  line: number | null;
  reason: string;
  raw: string | null;
}

export type RecordItem = { ok: true; rec: RawRecord } | { ok: false; err: RecordError };

export interface ReaderOptions {
  smilesCol?: string | undefined;
  idCol?: string | undefined;
}

export interface ColumnChoice {
  smiles: string | null;
  id: string | null;
}

/** A streaming record source; `columns` is filled once the header (if any) has been read. */
export interface RecordSource {
  format: ImportFormat;
  columns: ColumnChoice;
  records: AsyncGenerator<RecordItem>;
}

const RAW_LIMIT = 2000;
const clip = (s: string) => (s.length > RAW_LIMIT ? `${s.slice(0, RAW_LIMIT)}…` : s);

/** Picks the format from --format, else the extension (ignoring .gz), else by sniffing the first lines. */
export async function detectFormat(path: string, given?: ImportFormat): Promise<ImportFormat> {
  if (given) return given;
  const name = basename(path).toLowerCase().replace(/\.gz$/, '');
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const byExt: Record<string, ImportFormat> = {
    smi: 'smi',
    smiles: 'smi',
    ism: 'smi',
    can: 'smi',
    csv: 'csv',
    tsv: 'tsv',
    tab: 'tsv',
    sdf: 'sdf',
    sd: 'sdf',
    mol: 'sdf',
    sdfile: 'sdf',
  };
  const known = byExt[ext];
  if (known) return known;
  let first: string | null = null;
  let n = 0;
  for await (const line of readLines(await openBytes(path))) {
    if (++n > 400) break;
    if (line.text === undefined) continue;
    if (/^M {2}END/.test(line.text)) return 'sdf';
    if (first === null && line.text.trim() !== '') first = line.text;
  }
  if (first === null) return 'smi';
  if (first.includes('\t')) return 'tsv';
  if (first.includes(',')) return 'csv';
  return 'smi';
}

/** Opens a record stream for a file in the given format. */
export async function openRecords(path: string, format: ImportFormat, opts: ReaderOptions = {}, bytes: ByteOptions = {}): Promise<RecordSource> {
  const lines = readLines(await openBytes(path, bytes));
  const columns: ColumnChoice = { smiles: null, id: null };
  switch (format) {
    case 'smi':
      return { format, columns, records: smiRecords(lines) };
    case 'csv':
    case 'tsv':
      return { format, columns, records: delimitedRecords(path, lines, format === 'csv' ? ',' : '\t', opts, columns) };
    case 'sdf':
      columns.id = opts.idCol ?? '(title line)';
      return { format, columns, records: sdfRecords(lines, opts) };
  }
}

/** Types a field: numbers become numbers, empty becomes null, everything else stays text. */
export function typedValue(raw: string): PropValue {
  const s = raw.trim();
  if (s === '') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n)) return n;
  }
  return s;
}

async function* smiRecords(lines: AsyncGenerator<Line>): AsyncGenerator<RecordItem> {
  let record = 0;
  let sawData = false;
  for await (const line of lines) {
    if (line.error !== undefined) {
      record++;
      yield { ok: false, err: { record, line: line.lineNo, reason: line.error, raw: null } };
      continue;
    }
    const text = line.text.trim();
    if (text === '' || text.startsWith('#')) continue;
    const [smiles = '', ...rest] = text.split(/\s+/);
    if (!sawData) {
      sawData = true;
      if (/^(smiles|smi|canonical_smiles|isomeric_smiles)$/i.test(smiles)) continue;
    }
    record++;
    const name = rest.join(' ');
    yield {
      ok: true,
      rec: { record, line: line.lineNo, structure: smiles, id: name === '' ? null : name, props: {}, original: clip(text) },
    };
  }
}

/** Splits one CSV/TSV row (RFC 4180 quotes); returns null while a quoted field is still open. */
export function splitRow(row: string, delimiter: string): string[] | null {
  const out: string[] = [];
  let field = '';
  let inQuotes = false;
  let quotedField = false;
  for (let i = 0; i < row.length; i++) {
    const ch = row[i] as string;
    if (inQuotes) {
      if (ch === '"') {
        if (row[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += ch;
    } else if (ch === '"' && field === '' && !quotedField) {
      inQuotes = true;
      quotedField = true;
    } else if (ch === delimiter) {
      out.push(field);
      field = '';
      quotedField = false;
    } else field += ch;
  }
  if (inQuotes) return null;
  out.push(field);
  return out;
}

/** A quoted field may span at most this many lines (and characters) before its quote counts as unclosed. */
export const MAX_QUOTED_LINES = 100;
export const MAX_QUOTED_CHARS = 1 << 16;

/** One logical CSV/TSV row, or why it could not be read. */
interface Row {
  lineNo: number;
  fields?: string[];
  text?: string;
  error?: string;
}

const SMILES_NAMES = ['smiles', 'smi', 'canonical_smiles', 'isomeric_smiles', 'smiles_string', 'structure', 'mol', 'molecule'];
const ID_NAMES = [
  'id',
  'name',
  'compound_id',
  'compoundid',
  'cid',
  'chembl_id',
  'molecule_chembl_id',
  'cmpd_chemblid',
  'mol_id',
  'title',
  'identifier',
  'compound',
  'compound id',
];
const SMILES_LIKE = /^[A-Za-z0-9@+\-[\]()=#$%\\/.:*~]+$/;

function findColumn(header: string[], names: string[], exclude: string | null): string | null {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const n of names) {
    const i = lower.indexOf(n);
    if (i >= 0 && header[i] !== exclude) return header[i] as string;
  }
  return null;
}

/** Guesses the SMILES column from sample rows when no header name gives it away. */
function sniffSmilesColumn(header: string[], rows: string[][]): string | null {
  let best: { col: string; score: number } | null = null;
  header.forEach((col, i) => {
    let score = 0;
    for (const r of rows) {
      const v = (r[i] ?? '').trim();
      if (v !== '' && SMILES_LIKE.test(v) && /[BCNOSPFIcnosp]/.test(v) && typeof typedValue(v) !== 'number') score++;
    }
    if (score > 0 && score >= rows.length * 0.6 && (!best || score > best.score)) best = { col, score };
  });
  return best ? (best as { col: string }).col : null;
}

/**
 * Logical rows: a quoted field may span physical lines, but only so far. A quote that is never closed
 * would otherwise swallow the rest of the file: past the bound (or at the end of the file) its first
 * line is rejected and the lines after it are read again as rows of their own.
 */
async function* logicalRows(lines: AsyncGenerator<Line>, delimiter: string): AsyncGenerator<Row> {
  const replay: Line[] = [];
  let pending: Line[] = [];
  let pendingText = '';
  let pendingBytes = 0;
  /** Rejects the row the open quote started; its other lines (then `after`) are read again, in order. */
  const giveUp = function* (reason: string, after?: Line): Generator<Row> {
    const [head, ...rest] = pending;
    pending = [];
    pendingText = '';
    pendingBytes = 0;
    replay.unshift(...rest, ...(after ? [after] : []));
    if (head) yield { lineNo: head.lineNo, error: reason };
  };
  const next = async (): Promise<Line | null> => {
    const r = replay.shift();
    if (r) return r;
    const n = await lines.next();
    return n.done ? null : n.value;
  };
  for (;;) {
    const line = await next();
    if (line === null) {
      if (!pending.length) return;
      yield* giveUp('unterminated quoted field at end of file');
      continue;
    }
    if (line.error !== undefined) {
      if (pending.length) {
        // A quoted field cannot run into an unreadable line: the row it started is lost, its other lines are not.
        yield* giveUp(`unterminated quoted field (${line.error} on line ${line.lineNo})`, line);
        continue;
      }
      yield { lineNo: line.lineNo, error: line.error };
      continue;
    }
    const text: string = pending.length ? `${pendingText}\n${line.text}` : line.text;
    const lineNo: number = pending.length ? (pending[0] as Line).lineNo : line.lineNo;
    const fields = splitRow(text, delimiter);
    if (fields === null) {
      pending.push(line);
      pendingText = text;
      pendingBytes += line.text.length;
      if (pending.length > MAX_QUOTED_LINES || pendingBytes > MAX_QUOTED_CHARS) {
        yield* giveUp(`unterminated quoted field (no closing quote within ${MAX_QUOTED_LINES} lines)`);
      }
      continue;
    }
    pending = [];
    pendingText = '';
    pendingBytes = 0;
    yield { lineNo, fields, text };
  }
}

async function* delimitedRecords(
  path: string,
  lines: AsyncGenerator<Line>,
  delimiter: string,
  opts: ReaderOptions,
  columns: ColumnChoice,
): AsyncGenerator<RecordItem> {
  const file = basename(path);
  const it = logicalRows(lines, delimiter);
  let header: string[] | null = null;
  const buffered: Row[] = [];
  // Header, then a few rows to sniff columns.
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    const r = next.value;
    if (header === null) {
      if (r.error !== undefined) throw new AppError('PARSE_ERROR', `${file}, line ${r.lineNo}: cannot read the header: ${r.error}`);
      if ((r.text ?? '').trim() === '') continue;
      header = (r.fields as string[]).map((h) => h.trim());
      continue;
    }
    buffered.push(r);
    if (buffered.length >= 50) break;
  }
  if (header === null) return;

  const smilesCol =
    opts.smilesCol ??
    findColumn(header, SMILES_NAMES, null) ??
    sniffSmilesColumn(
      header,
      buffered.filter((b) => b.fields).map((b) => b.fields as string[]),
    );
  if (smilesCol === null) {
    throw new AppError('INVALID_INPUT', `${file}: no SMILES column found in header [${header.join(', ')}]; name the SMILES column`);
  }
  const smilesIdx = header.indexOf(smilesCol);
  if (smilesIdx < 0) {
    throw new AppError('INVALID_INPUT', `${file}: column '${smilesCol}' is not in the header [${header.join(', ')}]`);
  }
  const idCol = opts.idCol ?? findColumn(header, ID_NAMES, smilesCol);
  const idIdx = idCol === null ? -1 : header.indexOf(idCol);
  if (opts.idCol && idIdx < 0) {
    throw new AppError('INVALID_INPUT', `${file}: id column '${opts.idCol}' is not in the header [${header.join(', ')}]`);
  }
  columns.smiles = smilesCol;
  columns.id = idCol;

  let record = 0;
  const emit = (r: Row): RecordItem | null => {
    if (r.error === undefined && (r.text ?? '').trim() === '') return null;
    record++;
    if (r.error !== undefined) return { ok: false, err: { record, line: r.lineNo, reason: r.error, raw: null } };
    const fields = r.fields as string[];
    const raw = clip(r.text as string);
    if (fields.length <= smilesIdx) {
      return {
        ok: false,
        err: { record, line: r.lineNo, reason: `missing column '${smilesCol}' (row has ${fields.length} fields, header has ${header.length})`, raw },
      };
    }
    const structure = (fields[smilesIdx] as string).trim();
    if (structure === '') return { ok: false, err: { record, line: r.lineNo, reason: `empty SMILES in column '${smilesCol}'`, raw } };
    const props: Record<string, PropValue> = {};
    header.forEach((col, i) => {
      if (i !== smilesIdx && i !== idIdx && col !== '') props[col] = typedValue(fields[i] ?? '');
    });
    const id = idIdx >= 0 ? (fields[idIdx] ?? '').trim() || null : null;
    return { ok: true, rec: { record, line: r.lineNo, structure, id, props, original: raw } };
  };
  for (const r of buffered) {
    const item = emit(r);
    if (item) yield item;
  }
  for await (const r of it) {
    const item = emit(r);
    if (item) yield item;
  }
}

/** An SDF record longer than this (in lines) is rejected; keeps memory bounded when `$$$$` never comes. */
export const MAX_SDF_RECORD_LINES = 100_000;

async function* sdfRecords(lines: AsyncGenerator<Line>, opts: ReaderOptions): AsyncGenerator<RecordItem> {
  let record = 0;
  let buf: string[] = [];
  let startLine = 0;
  let badLine: { lineNo: number; error: string } | null = null;

  const flush = (terminated: boolean): RecordItem | null => {
    const lines = buf;
    const first = startLine;
    const bad = badLine;
    buf = [];
    badLine = null;
    if (!bad && lines.every((l) => l.trim() === '')) return null;
    record++;
    const original = clip(lines.join('\n'));
    if (bad) return { ok: false, err: { record, line: bad.lineNo, reason: bad.error, raw: null } };
    const end = lines.findIndex((l) => /^M {2}END/.test(l));
    if (end < 0) {
      return {
        ok: false,
        err: { record, line: first, reason: terminated ? 'molfile without "M  END"' : 'truncated record at end of file (no "M  END")', raw: original },
      };
    }
    const molblock = `${lines.slice(0, end + 1).join('\n')}\n`;
    const props: Record<string, PropValue> = {};
    let current: string | null = null;
    let values: string[] = [];
    const put = () => {
      if (current !== null) props[current] = typedValue(values.join('\n'));
    };
    for (const l of lines.slice(end + 1)) {
      const m = /^>.*<([^>]+)>/.exec(l);
      if (m) {
        put();
        current = (m[1] as string).trim();
        values = [];
      } else if (current !== null && l.trim() !== '') values.push(l);
      else if (current !== null && l.trim() === '') {
        put();
        current = null;
      }
    }
    put();
    let id: string | null;
    if (opts.idCol) {
      const v = props[opts.idCol];
      id = v === undefined || v === null ? null : String(v);
      delete props[opts.idCol];
    } else id = (lines[0] ?? '').trim() || null;
    return { ok: true, rec: { record, line: first, structure: molblock, id, props, original } };
  };

  for await (const line of lines) {
    if (buf.length === 0 && !badLine) startLine = line.lineNo;
    if (line.error !== undefined) {
      badLine ??= { lineNo: line.lineNo, error: line.error };
      buf.push('');
      continue;
    }
    if (line.text.startsWith('$$$$')) {
      const item = flush(true);
      if (item) yield item;
      continue;
    }
    if (buf.length >= MAX_SDF_RECORD_LINES) {
      // Drop the lines but remember the failure; the record ends at the next $$$$.
      badLine ??= { lineNo: startLine, error: `SDF record longer than ${MAX_SDF_RECORD_LINES} lines (missing $$$$?)` };
      buf = [''];
      continue;
    }
    buf.push(line.text);
  }
  const last = flush(false);
  if (last) yield last;
}
