import { AppError } from '../../src-shared/errors';
import { detectFormat, openRecords } from '../import/records';

/** The structures (SMILES or molfiles) and ids of a file, in order; unreadable records are an error naming them. */
export async function readStructures(file: string, smilesCol?: string): Promise<Array<{ structure: string; id: string | null }>> {
  const source = await openRecords(file, await detectFormat(file), { smilesCol });
  const out: Array<{ structure: string; id: string | null }> = [];
  for await (const item of source.records) {
    if (!item.ok) throw new AppError('PARSE_ERROR', `${file}: record ${item.err.record}${item.err.line ? ` (line ${item.err.line})` : ''}: ${item.err.reason}`);
    out.push({ structure: item.rec.structure, id: item.rec.id });
  }
  return out;
}
