import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src-shared/random';
import { binaryReason, readLines } from './lines';

async function collect(chunks: Buffer[], max?: number) {
  const out = [];
  for await (const l of readLines(Readable.from(chunks), max)) out.push(l);
  return out;
}

describe('readLines', () => {
  it('handles LF, CRLF, a BOM, and a last line without newline', async () => {
    const lines = await collect([Buffer.from('\ufeffa,b\r\nc'), Buffer.from('d\n\ne')]);
    expect(lines).toEqual([
      { lineNo: 1, text: 'a,b' },
      { lineNo: 2, text: 'cd' },
      { lineNo: 3, text: '' },
      { lineNo: 4, text: 'e' },
    ]);
  });

  it('reads CR-only (classic Mac) and mixed line endings, a CRLF split across chunks as one break', async () => {
    const lines = await collect([Buffer.from('a\rb\r'), Buffer.from('\nc\n\rd\r'), Buffer.from('\r\ne')]);
    expect(lines.map((l) => l.text)).toEqual(['a', 'b', 'c', '', 'd', '', 'e']);
    expect(lines.map((l) => l.lineNo)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('reports invalid UTF-8 and NUL bytes per line and carries on', async () => {
    const lines = await collect([Buffer.from([0x43, 0x43, 0xff, 0x0a, 0x00, 0x01, 0x0a]), Buffer.from('CCO\n')]);
    expect(lines[0]).toEqual({ lineNo: 1, error: 'bad encoding (not valid UTF-8)' });
    expect(lines[1]).toEqual({ lineNo: 2, error: 'binary data (NUL bytes)' });
    expect(lines[2]).toEqual({ lineNo: 3, text: 'CCO' });
  });

  it('rejects an over-long line without buffering it and keeps the next one', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x43);
    const chunks = [Buffer.from('CC\n')];
    for (let i = 0; i < big.length; i += 65536) chunks.push(big.subarray(i, i + 65536));
    chunks.push(Buffer.from('\nCCN\n'));
    const lines = await collect(chunks);
    expect(lines.map((l) => l.text ?? l.error)).toEqual(['CC', `line longer than ${1 << 20} bytes`, 'CCN']);
  });
});

describe('binaryReason', () => {
  it('refuses random bytes every time, and passes text with stray bad bytes, accents or one NUL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'delicate-binary-'));
    try {
      const rand = seededRandom(7);
      for (let i = 0; i < 100; i++) {
        const p = join(dir, `r${i}.csv`);
        writeFileSync(p, Buffer.from(Array.from({ length: 1000 + i * 97 }, () => Math.floor(rand() * 256))));
        expect(await binaryReason(p), `random file ${i}`).toMatch(/^binary data/);
      }
      const text = Array.from({ length: 200 }, (_, i) => `CCO,ethanol ${i},caf\u00e9`).join('\n');
      const latin1 = join(dir, 'latin1.csv');
      writeFileSync(latin1, Buffer.from(text, 'latin1'));
      expect(await binaryReason(latin1)).toBeNull();
      const nul = join(dir, 'nul.csv');
      writeFileSync(nul, `smiles,id\nCC\0O,a\n${text}`);
      expect(await binaryReason(nul)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
