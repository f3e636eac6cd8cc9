import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { AppError } from '../../src-shared/errors';
import { detectFormat, openRecords } from '../import/records';
import type { Corpus } from './pretrain';

/** sha256 of a file's bytes (the training-data hash recorded with a model). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Reads the SMILES of an unlabelled corpus (SMILES, CSV or TSV, optionally gzipped). */
export async function readCorpus(path: string, smilesCol?: string): Promise<Corpus & { rejected: number }> {
  const format = await detectFormat(path);
  if (format === 'sdf') throw new AppError('INVALID_INPUT', `${path}: a pretraining corpus must be SMILES, CSV or TSV (SDF is not supported here)`);
  const source = await openRecords(path, format, { smilesCol });
  const smiles: string[] = [];
  let rejected = 0;
  for await (const item of source.records) {
    if (item.ok) smiles.push(item.rec.structure.trim());
    else rejected++;
  }
  if (smiles.length === 0) throw new AppError('PARSE_ERROR', `${path}: no SMILES found (${rejected} unreadable records)`);
  return { file: path, sha256: await fileSha256(path), smiles, rejected };
}
