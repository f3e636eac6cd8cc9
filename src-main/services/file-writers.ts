import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../src-shared/errors';
import { type RDKit, parseMol } from '../chem/rdkit';
import { csvField } from '../util/csv';

export { csvField };

/**
 * A stored assay as a CSV that `train` reads back to the same per-compound values: one row per compound, the
 * aggregated value (already converted, e.g. to pIC50) with its qualifier, and the date.
 */
export function assayCsv(assay: { target: string }, measurements: Array<{ smiles: string; value: number; qualifier: string; date: string | null }>): string {
  const rows = measurements.map((m) => [csvField(m.smiles), `${m.qualifier === '=' ? '' : m.qualifier}${m.value}`, csvField(m.date)].join(','));
  return `${['smiles', csvField(assay.target), 'date'].join(',')}\n${rows.map((r) => `${r}\n`).join('')}`;
}

/** One SDF record (2D molblock titled `title`, then the data fields); null when RDKit cannot read the SMILES. */
export function sdfRecord(rd: RDKit, smiles: string, title: string, fields: Record<string, unknown>): string | null {
  const mol = parseMol(rd, smiles);
  if (!mol) return null;
  let block: string;
  try {
    block = mol.get_molblock();
  } finally {
    mol.delete();
  }
  const lines = block.split('\n');
  lines[0] = title;
  let rec = lines.join('\n').replace(/\n*$/, '\n');
  for (const [k, v] of Object.entries(fields)) if (v !== null && v !== undefined) rec += `> <${k}>\n${String(v)}\n\n`;
  return `${rec}$$$$\n`;
}

/** The export format from a file name, or an error naming the file. */
export function exportFormat(out: string): 'csv' | 'sdf' {
  const lower = out.toLowerCase();
  if (lower.endsWith('.sdf')) return 'sdf';
  if (lower.endsWith('.csv')) return 'csv';
  throw new Error(`${out}: export writes .csv or .sdf`);
}

/** Why a file cannot be written, in the user's terms. */
function writeProblem(out: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return `cannot write ${out}: the folder ${dirname(out)} does not exist`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `cannot write ${out}: permission denied`;
    case 'EISDIR':
      return `cannot write ${out}: it is a folder`;
    case 'ENOTDIR':
      return `cannot write ${out}: part of the path is not a folder`;
    case 'ENOSPC':
      return `cannot write ${out}: the disk is full`;
    default:
      return `cannot write ${out}: ${err.message}`;
  }
}

/**
 * Streams text to a file with back-pressure; `fn` gets the writer, the file is closed either way. A file
 * that cannot be opened or written is an INVALID_INPUT naming it (never an unhandled stream error).
 */
export async function writeStreamed(out: string, fn: (write: (s: string) => Promise<void>) => Promise<void>): Promise<void> {
  const fh = await open(out, 'w').catch((err: NodeJS.ErrnoException) => {
    throw new AppError('INVALID_INPUT', writeProblem(out, err));
  });
  const ws = fh.createWriteStream();
  let failure: NodeJS.ErrnoException | null = null;
  ws.on('error', (err) => {
    failure = err;
  });
  const write = async (s: string) => {
    if (failure) throw new AppError('INVALID_INPUT', writeProblem(out, failure));
    if (!ws.write(s)) await once(ws, 'drain');
  };
  try {
    await fn(write);
  } finally {
    if (!ws.destroyed) ws.end();
    if (!ws.closed) await once(ws, 'close').catch(() => undefined);
  }
  if (failure) throw new AppError('INVALID_INPUT', writeProblem(out, failure));
}
