// `npm run bench -- fuzz [--files N] [--seed S]`: the import fuzz suite at scale (default 5,000 seeded
// hostile files; `npm test` runs 1,000 of seed 31). One long-lived process, so a poisoned chemistry worker
// would show in the files after it. Writes bench/results/fuzz.json and fuzz.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChemPool } from '../src-main/chem/chem-pool';
import { openDatabase } from '../src-main/db/database';
import { runFuzz } from '../src-main/test/fuzz-run';
import { report } from './_report';

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}

export async function run(args: string[]): Promise<void> {
  const files = Number(option(args, '--files', '5000'));
  const seed = Number(option(args, '--seed', '2026'));
  const dir = mkdtempSync(join(tmpdir(), 'delicate-fuzz-bench-'));
  const db = openDatabase(join(dir, 'fuzz.db'));
  const chem = new ChemPool(2);
  try {
    const c = await runFuzz(db, chem, dir, seed, files, (i, so) => {
      if ((i + 1) % 500 === 0)
        process.stderr.write(`${i + 1}/${files} files, ${so.crashed} crashes, ${so.goodLost} good records lost, ${so.seconds.toFixed(0)} s\n`);
    });
    const kinds = Object.entries(c.byKind).sort((a, b) => b[1].files - a[1].files);
    report(
      'fuzz',
      { seed, chemRestarts: chem.restarts, ...c },
      [
        ['files', 'imported', 'refused (clear error)', 'crashes', 'good records', 'good records lost', 'records rejected', 'chemistry failures', 'seconds'],
        [c.files, c.imported, c.refused, c.crashed, c.goodRecords, c.goodLost, c.recordsRejected, c.chemistryBroken, c.seconds.toFixed(1)].map(String),
      ],
      [
        `Seed ${seed}. Files by encoding (files / refused with a clear error): ${kinds.map(([k, v]) => `${k} ${v.files}/${v.refused}`).join('; ')}.`,
        'Formats: SMILES, CSV and TSV (rows with bad structures, NUL bytes, empty SMILES, unclosed quotes, odd ids, short and long rows), SDF (V2000 and V3000, missing M  END, 999-atom counts lines, broken atom blocks, a cut last record); line endings LF, CRLF, CR and mixed.',
        'A good record is a pool structure written intact (for damaged gzip: wholly decoded before the damage); "lost" counts good records missing from the library afterwards.',
        `Chemistry workers replaced after a crash or a timeout: ${chem.restarts}.`,
        ...(c.failures.length ? ['', 'Failures:', ...c.failures.map((f) => `- ${f.file} (${f.kind}): ${f.problem}`)] : []),
      ],
    );
  } finally {
    await chem.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
