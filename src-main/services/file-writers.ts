import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { RDKit } from '../chem/rdkit';

/** One CSV field, quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

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
  const mol = rd.get_mol(smiles);
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

/** Streams text to a file with back-pressure; `fn` gets the writer, the file is closed either way. */
export async function writeStreamed(out: string, fn: (write: (s: string) => Promise<void>) => Promise<void>): Promise<void> {
  const ws = createWriteStream(out);
  const write = async (s: string) => {
    if (!ws.write(s)) await once(ws, 'drain');
  };
  try {
    await fn(write);
  } finally {
    ws.end();
    await once(ws, 'close');
  }
}
