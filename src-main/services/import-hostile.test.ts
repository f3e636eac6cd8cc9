// Regression tests for hostile input (issue 31): each case was a crash or a loss of good records before.
import { spawn } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../db/database';
import { corpusSlice, importFixture } from '../test/helpers';
import { importFile } from './import-service';

const fx = importFixture();
const file = fx.file;
const smilesOf = (db: Db, library: string) =>
  (
    db
      .prepare(
        'SELECT c.smiles FROM library_members m JOIN compounds c ON c.id = m.compound_id JOIN libraries l ON l.id = m.library_id WHERE l.name = ? ORDER BY m.record',
      )
      .all(library) as Array<{ smiles: string }>
  ).map((r) => r.smiles);

const corpus = corpusSlice(1500);
/** n ChEMBL molecules, one per line: "SMILES idK". */
const molecules = (n: number) => corpus.slice(0, n).map((smi, i) => `${smi} id${i}`);
/** Records that became library members (new compounds and duplicates). */
const kept = (s: { imported: number; duplicates: number }) => s.imported + s.duplicates;

describe('damaged gzip', () => {
  const lines = molecules(1500);
  const gz = gzipSync(`${lines.join('\n')}\n`);

  it('keeps the records before a cut and names the damage and its line', async () => {
    const db = openDatabase(':memory:');
    const s = await importFile(db, fx.chem, { file: file('cut.smi.gz', gz.subarray(0, Math.floor(gz.length * 0.6))), library: 'cut' });
    expect(kept(s)).toBeGreaterThan(500);
    expect(s.rejected).toBe(1);
    expect(s.errors[0]?.reason).toMatch(/damaged gzip data \(unexpected end of file\) at line \d+: the rest of the file cannot be read/);
    // Every record before the damaged line is there.
    expect(smilesOf(db, 'cut')).toHaveLength(kept(s));
    expect(s.errors[0]?.line).toBe(kept(s) + 1);
  });

  it('keeps everything before damage inside the first batch', async () => {
    const small = gzipSync(`${molecules(100).join('\n')}\n`);
    const db = openDatabase(':memory:');
    const s = await importFile(db, fx.chem, { file: file('cut-early.smi.gz', small.subarray(0, small.length - 30)), library: 'early' });
    expect(kept(s)).toBeGreaterThan(50);
    expect(s.rejected).toBe(1);
  });

  it('reads a file with trailing bytes after the gzip stream whole, with a warning', async () => {
    const db = openDatabase(':memory:');
    const s = await importFile(db, fx.chem, { file: file('trailing.smi.gz', Buffer.concat([gz, Buffer.from('this is not gzip')])), library: 'trail' });
    expect(kept(s)).toBe(1500);
    expect(s.rejected).toBe(0);
    expect(s.warnings).toEqual([expect.stringMatching(/data after the end of the gzip stream was ignored/)]);
  });

  it('names the file when damage comes before any record', async () => {
    const flipped = Buffer.from(gz);
    flipped[20] = (flipped[20] as number) ^ 0xff;
    const db = openDatabase(':memory:');
    await expect(importFile(db, fx.chem, { file: file('flipped.smi.gz', flipped), library: 'flip' })).rejects.toMatchObject({
      code: 'PARSE_ERROR',
      message: expect.stringMatching(/flipped\.smi\.gz: .*damaged gzip data/),
    });
  });
});

describe('encodings and line structure', () => {
  const rows = molecules(12).map((l) => l.replace(' ', ','));
  const csv = (body: string[]) => `smiles,id\n${body.join('\n')}\n`;

  it('rejects only the row with a NUL byte', async () => {
    const withNul = [...rows];
    withNul.splice(1, 0, 'CC\0O,bad');
    const db = openDatabase(':memory:');
    const s = await importFile(db, fx.chem, { file: file('nul.csv', csv(withNul)), library: 'nul' });
    expect(kept(s)).toBe(12);
    expect(s.errors).toEqual([{ record: 2, line: 3, reason: 'binary data (NUL bytes)' }]);
  });

  it('reads UTF-16 with a byte-order mark (both byte orders), and names UTF-16 without one', async () => {
    const text = csv(rows);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const [name, bytes] of [
      ['le.csv', le],
      ['be.csv', be],
    ] as const) {
      const db = openDatabase(':memory:');
      const s = await importFile(db, fx.chem, { file: file(name, bytes), library: 'u16' });
      expect(kept(s), name).toBe(12);
      expect(s.rejected, name).toBe(0);
    }
    const db = openDatabase(':memory:');
    await expect(importFile(db, fx.chem, { file: file('nobom.csv', Buffer.from(text, 'utf16le')), library: 'x' })).rejects.toMatchObject({
      code: 'PARSE_ERROR',
      message: expect.stringMatching(/UTF-16 text without a byte-order mark: save it as UTF-8/),
    });
  });

  it('reads classic Mac (CR-only) and mixed line endings', async () => {
    const db = openDatabase(':memory:');
    const s = await importFile(db, fx.chem, {
      file: file('mac.csv', `smiles,id\r${rows.slice(0, 6).join('\r')}\r\n${rows.slice(6).join('\n')}\r`),
      library: 'mac',
    });
    expect(kept(s)).toBe(12);
    expect(s.rejected).toBe(0);
  });

  it('bounds an unclosed quote: its row is rejected, the rows after it are read', async () => {
    const many = molecules(150).map((l) => l.replace(' ', ','));
    const broken = [...many];
    broken[10] = `${(many[10] as string).split(',')[0]},"never closed`;
    const db = openDatabase(':memory:');
    const s = await importFile(db, fx.chem, { file: file('quote.csv', csv(broken)), library: 'quote' });
    expect(kept(s)).toBe(149);
    expect(s.errors).toEqual([{ record: 11, line: 12, reason: expect.stringMatching(/unterminated quoted field/) }]);
    // A legitimate quoted field over two lines still reads as one value.
    const db2 = openDatabase(':memory:');
    const ok = await importFile(db2, fx.chem, { file: file('multiline.csv', 'smiles,id,note\nCCO,a,"two\nlines"\nCCN,b,plain\n'), library: 'ml' });
    expect(ok.imported).toBe(2);
  });
});

describe('paths', () => {
  it('names a link loop, a folder and a missing file as such', async () => {
    const a = join(fx.dir, 'loop-a.smi');
    const b = join(fx.dir, 'loop-b.smi');
    symlinkSync(b, a);
    symlinkSync(a, b);
    const db = openDatabase(':memory:');
    await expect(importFile(db, fx.chem, { file: a, library: 'x' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: `${a}: too many levels of symbolic links (a link loop)`,
    });
    await expect(importFile(db, fx.chem, { file: fx.dir, library: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: `${fx.dir}: not a file` });
    await expect(importFile(db, fx.chem, { file: join(fx.dir, 'nope.smi'), library: 'x' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/nope\.smi: file not found/),
    });
  });
});

describe('concurrent imports', () => {
  it('refuses the same import started twice at once, and counts it once', async () => {
    const path = file('twice.smi', `${molecules(600).join('\n')}\n`);
    const db = openDatabase(join(fx.dir, 'twice.db'));
    const [a, b] = await Promise.allSettled([
      importFile(db, fx.chem, { file: path, library: 'same' }),
      importFile(db, fx.chem, { file: path, library: 'same' }),
    ]);
    const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? 'done' : (r.reason as { code: string }).code)).sort();
    expect(outcomes).toEqual(['CONFLICT', 'done']);
    const done = a.status === 'fulfilled' ? a.value : (b as PromiseFulfilledResult<Awaited<ReturnType<typeof importFile>>>).value;
    expect(kept(done)).toBe(600);
    expect(smilesOf(db, 'same')).toHaveLength(600);
    // Once finished, importing it again adds nothing.
    expect((await importFile(db, fx.chem, { file: path, library: 'same' })).alreadyImported).toBe(true);
    db.close();
  });

  it('two processes importing many small files into one database both finish', async () => {
    const dbPath = join(fx.dir, 'two.db');
    openDatabase(dbPath).close();
    const script = join(import.meta.dirname, '../test/import-many.ts');
    const run = (who: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', script, dbPath, who, '12'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += String(d)));
        p.stderr.on('data', (d) => (out += String(d)));
        p.on('exit', (code) => resolve({ code, out }));
      });
    const [x, y] = await Promise.all([run('x'), run('y')]);
    expect(x.out).not.toMatch(/locked|BUG/);
    expect(y.out).not.toMatch(/locked|BUG/);
    expect([x.code, y.code]).toEqual([0, 0]);
    const db = openDatabase(dbPath);
    expect((db.prepare('SELECT COUNT(*) AS n FROM libraries').get() as { n: number }).n).toBe(24);
    expect((db.prepare(`SELECT COUNT(*) AS n FROM imports WHERE state = 'done'`).get() as { n: number }).n).toBe(24);
    db.close();
  }, 180_000);
});
