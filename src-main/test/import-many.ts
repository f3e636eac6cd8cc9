// Test helper process: imports N small files into one database, as a second Delicate process would.
// Usage: node --import tsx import-many.ts DB WHO N
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChemPool } from '../chem/chem-pool';
import { openDatabase } from '../db/database';
import { importFile } from '../services/import-service';

const [dbPath, who, n] = process.argv.slice(2) as [string, string, string];
const db = openDatabase(dbPath);
const chem = new ChemPool(1);
const dir = mkdtempSync(join(tmpdir(), 'delicate-many-'));
try {
  for (let i = 0; i < Number(n); i++) {
    const path = join(dir, `${who}${i}.smi`);
    writeFileSync(path, `${Array.from({ length: 20 }, (_, k) => `${'C'.repeat(1 + k)}O ${who}-${i}-${k}`).join('\n')}\n`);
    const s = await importFile(db, chem, { file: path, library: `${who}${i}` });
    process.stdout.write(`${who}${i}: ${s.imported}\n`);
  }
} finally {
  await chem.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
