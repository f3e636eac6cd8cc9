import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers';
import { type RecordItem, detectFormat, openRecords, splitRow, typedValue } from './records';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function read(name: string, content: string | Buffer, format?: Parameters<typeof openRecords>[1], opts = {}) {
  const p = join(tmp.dir, name);
  writeFileSync(p, content);
  const src = await openRecords(p, format ?? (await detectFormat(p)), opts);
  const items: RecordItem[] = [];
  for await (const it of src.records) items.push(it);
  return { items, columns: src.columns, format: src.format };
}

const MOL = (title: string, extra = '') => `${title}
  test

  3  2  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    2.5981    0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  2  3  1  0
M  END
${extra}`;

describe('record readers', () => {
  it('splits quoted CSV fields, doubled quotes and delimiters inside quotes', () => {
    expect(splitRow('a,"b,c","say ""hi""",', ',')).toEqual(['a', 'b,c', 'say "hi"', '']);
    expect(splitRow('"open', ',')).toBeNull();
  });

  it('types values', () => {
    expect(typedValue(' 1.5e3 ')).toBe(1500);
    expect(typedValue('')).toBeNull();
    expect(typedValue('12a')).toBe('12a');
    expect(typedValue('-0.77')).toBe(-0.77);
  });

  it('reads SMILES files with names, a header, comments and blank lines', async () => {
    const { items } = await read('a.smi', 'SMILES Name\nCCO ethanol\n\n# comment\nc1ccccc1 benzene ring\n');
    expect(items.map((i) => (i.ok ? [i.rec.record, i.rec.line, i.rec.structure, i.rec.id] : null))).toEqual([
      [1, 2, 'CCO', 'ethanol'],
      [2, 5, 'c1ccccc1', 'benzene ring'],
    ]);
  });

  it('detects SMILES and id columns in CSV, keeps typed properties, handles multi-line quoted fields', async () => {
    const { items, columns } = await read('b.csv', 'compound_id,Canonical_SMILES,pIC50,note\nX1,CCO,6.5,"two\nlines"\nX2,,7,\nX3\n');
    expect(columns).toEqual({ smiles: 'Canonical_SMILES', id: 'compound_id' });
    const [a, b, c] = items;
    expect(a).toEqual({
      ok: true,
      rec: expect.objectContaining({ record: 1, line: 2, structure: 'CCO', id: 'X1', props: { pIC50: 6.5, note: 'two\nlines' } }),
    });
    expect(b).toEqual({ ok: false, err: expect.objectContaining({ record: 2, line: 4, reason: "empty SMILES in column 'Canonical_SMILES'" }) });
    expect(c).toEqual({
      ok: false,
      err: expect.objectContaining({ record: 3, line: 5, reason: expect.stringContaining("missing column 'Canonical_SMILES'") }),
    });
  });

  it('sniffs the SMILES column when no header name says so', async () => {
    const { columns } = await read('c.tsv', 'name\tstruct\tval\nA\tCCO\t1\nB\tc1ccccc1\t2\n');
    expect(columns.smiles).toBe('struct');
  });

  it('fails clearly when a named column is absent', async () => {
    await expect(read('d.csv', 'a,b\n1,2\n', undefined, { smilesCol: 'smiles' })).rejects.toThrow(/column 'smiles' is not in the header \[a, b\]/);
  });

  it('reads SDF records with data fields, gzipped, and flags a truncated last record', async () => {
    const sdf = `${MOL('ethanol', '> <pIC50>\n5.5\n\n> <vendor>\nACME\n\n')}$$$$\n${MOL('second')}$$$$\ntruncated\n  x\n\n  3  2  0`;
    const { items, format } = await read('e.sdf.gz', gzipSync(sdf));
    expect(format).toBe('sdf');
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({ ok: true, rec: expect.objectContaining({ record: 1, line: 1, id: 'ethanol', props: { pIC50: 5.5, vendor: 'ACME' } }) });
    expect(items[1]).toEqual({ ok: true, rec: expect.objectContaining({ record: 2, id: 'second' }) });
    expect(items[2]).toEqual({ ok: false, err: expect.objectContaining({ record: 3, reason: 'truncated record at end of file (no "M  END")' }) });
  });

  it('bounds an SDF record that never ends', async () => {
    const body = Array.from({ length: 100_050 }, () => 'junk').join('\n');
    const { items } = await read('f.sdf', `${body}\n$$$$\n${MOL('ok')}$$$$\n`);
    expect(items.map((i) => (i.ok ? i.rec.id : i.err.reason))).toEqual(['SDF record longer than 100000 lines (missing $$$$?)', 'ok']);
  });
});
