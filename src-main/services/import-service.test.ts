import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src-shared/errors';
import { ChemPool } from '../chem/chem-pool';
import { type Db, openDatabase } from '../db/database';
import { sharedData, tempDir } from '../test/helpers';
import { importFile, previewFile } from './import-service';

let chem: ChemPool;
const tmp = tempDir();
beforeAll(() => {
  chem = new ChemPool(2);
});
afterAll(async () => {
  await chem.close();
  tmp.cleanup();
});

const file = (name: string, content: string | Buffer) => {
  const p = join(tmp.dir, name);
  writeFileSync(p, content);
  return p;
};
const count = (db: Db, sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

describe('importFile', () => {
  it('imports ESOL: every record accounted for, duplicates linked to one compound', async () => {
    const db = openDatabase(':memory:');
    const s = await importFile(db, chem, { file: sharedData('qsar/esol.csv'), library: 'esol' });
    expect(s.read).toBe(1128);
    expect(s.imported + s.duplicates + s.rejected).toBe(s.read);
    expect(s.rejected).toBe(0);
    expect(s.duplicates).toBeGreaterThan(0);
    expect(count(db, 'SELECT COUNT(*) AS n FROM library_members')).toBe(1128);
    expect(count(db, 'SELECT COUNT(DISTINCT compound_id) AS n FROM library_members')).toBe(s.imported);
    // A duplicate points at the first member with the same compound.
    expect(count(db, 'SELECT COUNT(*) AS n FROM library_members WHERE duplicate_of IS NOT NULL')).toBe(s.duplicates);
    const member = db.prepare('SELECT original_id AS id, props FROM library_members WHERE record = 1').get() as { id: string; props: string };
    expect(member).toEqual({ id: 'Amigdalin', props: JSON.stringify({ logS: -0.77 }) });
  });

  it('keeps every good record of a malformed file and reports each bad one with its line', async () => {
    const db = openDatabase(':memory:');
    const longLine = `${'C'.repeat(10 * 1024 * 1024)} huge\r\n`;
    const p = file(
      'messy.smi',
      Buffer.concat([
        Buffer.from('CCO ethanol\r\n\r\n   \r\nC1CC broken-ring\r\nc1ccccc1 benzene\r\n'),
        Buffer.from([0x43, 0x43, 0xfe, 0x20, 0x78, 0x0d, 0x0a]), // invalid UTF-8
        Buffer.from(longLine),
        Buffer.from([0x00, 0x13, 0x37, 0x0a]), // binary garbage line
        Buffer.from('OCC ethanol-again\r\nCC(=O)O acetic'), // duplicate of ethanol; no final newline
      ]),
    );
    const s = await importFile(db, chem, { file: p, library: 'messy' });
    expect(s.read).toBe(8);
    expect(s.imported).toBe(3); // ethanol, benzene, acetic acid (the last line has no newline)
    expect(s.duplicates).toBe(1); // OCC is ethanol again
    expect(s.rejected).toBe(4);
    expect(s.errors).toEqual([
      { record: 2, line: 4, reason: 'unparseable structure: C1CC' },
      { record: 4, line: 6, reason: 'bad encoding (not valid UTF-8)' },
      { record: 5, line: 7, reason: `line longer than ${1 << 20} bytes` },
      { record: 6, line: 8, reason: 'binary data (NUL bytes)' },
    ]);
    const kept = db.prepare('SELECT original_id AS id FROM library_members ORDER BY record').all();
    expect(kept).toEqual([{ id: 'ethanol' }, { id: 'benzene' }, { id: 'ethanol-again' }, { id: 'acetic' }]);
  });

  it('reads a truncated SDF: complete records are kept, the cut one is reported', async () => {
    const db = openDatabase(':memory:');
    const atom = (x: string, el: string) => `    ${x}    0.0000    0.0000 ${el}   0  0  0  0  0  0  0  0  0  0  0  0`;
    const mol = (t: string, el: string) =>
      `${t}\n  x\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n${atom('0.0000', 'C')}\n${atom('1.2000', el)}\n  1  2  1  0\nM  END\n> <activity>\n4.2\n\n$$$$\n`;
    const sdf = `${mol('A', 'O')}${mol('B', 'N')}C\n  x\n\n  2  1  0  0`;
    const s = await importFile(db, chem, { file: file('cut.sdf.gz', gzipSync(sdf)), library: 'sdf' });
    expect([s.read, s.imported, s.rejected]).toEqual([3, 2, 1]);
    expect(s.errors[0]).toEqual({ record: 3, line: 25, reason: 'truncated record at end of file (no "M  END")' });
    const props = db.prepare('SELECT original_id AS id, props FROM library_members ORDER BY record').all();
    expect(props).toEqual([
      { id: 'A', props: '{"activity":4.2}' },
      { id: 'B', props: '{"activity":4.2}' },
    ]);
  });

  it('refuses a binary file and a file with no readable record, writing nothing', async () => {
    const db = openDatabase(':memory:');
    await expect(importFile(db, chem, { file: file('garbage.csv', randomBytes(50_000)), library: 'g' })).rejects.toThrow(/garbage\.csv: binary data/);
    await expect(importFile(db, chem, { file: file('bad.smi', 'xyz\nC1CC\nnot_a_molecule\n'), library: 'g' })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof AppError && e.code === 'PARSE_ERROR' && /none of the 3 records.*record 1 \(line 1\): unparseable structure: xyz/.test(e.message),
    );
    await expect(importFile(db, chem, { file: join(tmp.dir, 'missing.smi'), library: 'g' })).rejects.toThrow(/missing\.smi: file not found/);
    expect(count(db, 'SELECT COUNT(*) AS n FROM libraries')).toBe(0);
    expect(count(db, 'SELECT COUNT(*) AS n FROM imports')).toBe(0);
    expect(count(db, 'SELECT COUNT(*) AS n FROM compounds')).toBe(0);
  });

  it('does not duplicate rows when the same file is imported again', async () => {
    const db = openDatabase(':memory:');
    const p = file('twice.smi', 'CCO a\nCCN b\n');
    await importFile(db, chem, { file: p, library: 'lib' });
    const again = await importFile(db, chem, { file: p, library: 'lib' });
    expect(again.alreadyImported).toBe(true);
    expect(again.read).toBe(2);
    expect(count(db, 'SELECT COUNT(*) AS n FROM library_members')).toBe(2);
  });

  it('cancels between batches leaving a consistent library, and a re-run resumes without duplicates', async () => {
    const db = openDatabase(join(tmp.dir, 'resume.db'));
    const src = sharedData('qsar/lipophilicity.csv');
    const abort = new AbortController();
    let cancelledAt = 0;
    const first = importFile(db, chem, {
      file: src,
      library: 'lipo',
      batchSize: 100,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.read >= 500 && !abort.signal.aborted) {
          cancelledAt = p.read;
          abort.abort();
        }
      },
    });
    await expect(first).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'CANCELLED');
    const committed = count(db, 'SELECT COUNT(*) AS n FROM library_members');
    expect(cancelledAt).toBeGreaterThanOrEqual(500);
    expect(committed).toBeGreaterThanOrEqual(cancelledAt);
    expect(committed).toBeLessThan(4200);
    expect(committed % 100).toBe(0); // whole batches only
    const state = db.prepare('SELECT state, next_record AS next FROM imports').get();
    expect(state).toEqual({ state: 'cancelled', next: committed + 1 });

    const second = await importFile(db, chem, { file: src, library: 'lipo', batchSize: 100 });
    expect(second.resumed).toBe(true);
    expect(second.read).toBe(4200);
    expect(second.imported + second.duplicates + second.rejected).toBe(4200);
    expect(count(db, 'SELECT COUNT(*) AS n FROM library_members')).toBe(4200);
    expect(count(db, 'SELECT COUNT(DISTINCT record) AS n FROM library_members')).toBe(4200);
    db.close();
  });

  it('previews the first records as the import would read them, also from a gzip head cut short', async () => {
    const p = await previewFile(chem, sharedData('qsar/esol.csv'), { rows: 5 });
    expect(p).toMatchObject({ format: 'csv', smilesCol: 'smiles', idCol: 'name' });
    expect(p.columns.slice(0, 2)).toEqual(['smiles', 'name']);
    expect(p.columns).toContain('logS');
    expect(p.rows).toHaveLength(5);
    expect(p.rows[0]).toMatchObject({ record: 1, id: 'Amigdalin', props: { logS: expect.any(Number) } });
    const other = await previewFile(chem, sharedData('qsar/esol.csv'), { rows: 3, idCol: 'logS' });
    expect(other.idCol).toBe('logS');
    const gz = gzipSync(readFileSync(sharedData('qsar/esol.csv')));
    const head = file('head.csv.gz', gz.subarray(0, 3000));
    const h = await previewFile(chem, head, { rows: 10 });
    expect(h.rows.length).toBeGreaterThan(0);
  });

  it('standardises the previewed rows as the import would: the SMILES it stores, or why it rejects one', async () => {
    const f = file('preview.smi', 'CC(=O)Oc1ccccc1C(=O)O aspirin\nC1CC broken\n[Na+].[O-]C(=O)c1ccccc1 benzoate\n');
    const p = await previewFile(chem, f);
    expect(p.rows.map((r) => r.id)).toEqual(['aspirin', 'broken', 'benzoate']);
    expect(p.rows[0]).toMatchObject({ smiles: 'CC(=O)Oc1ccccc1C(=O)O', reason: null });
    expect(p.rows[1]).toMatchObject({ smiles: null, reason: expect.stringMatching(/unparseable/) });
    // Largest fragment, neutralised: the parent the library would hold.
    expect(p.rows[2]).toMatchObject({ structure: '[Na+].[O-]C(=O)c1ccccc1', smiles: 'O=C(O)c1ccccc1', reason: null });
    // The import agrees, record for record.
    const db = openDatabase(join(tmp.dir, 'preview.db'));
    const s = await importFile(db, chem, { file: f, library: 'p' });
    expect(s.errors.map((e) => e.record)).toEqual(p.rows.filter((r) => r.smiles === null).map((r) => r.record));
    db.close();
  });
});
