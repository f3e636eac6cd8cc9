import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The rows of every scores file of a file screen's folder, by record number; a record found twice is an error. */
export function scoreRows(dir: string): Map<number, string> {
  const rows = new Map<number, string>();
  for (const f of readdirSync(dir).filter((n) => /^scores-.*\.csv\.gz$/.test(n))) {
    const lines = gunzipSync(readFileSync(join(dir, f)))
      .toString('utf8')
      .trim()
      .split('\n')
      .slice(1);
    for (const l of lines) {
      const record = Number(l.slice(0, l.indexOf(',')));
      if (rows.has(record)) throw new Error(`record ${record} is in two rows of ${dir}`);
      rows.set(record, l);
    }
  }
  return rows;
}

/** The unreadable records of every shard of a folder (without their headers), sorted. */
export function unreadableRows(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^unreadable-.*\.csv$/.test(n))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1))
    .sort();
}
