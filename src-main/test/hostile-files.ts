// Seeded hostile input files for the import fuzz suite (src-main/import/fuzz.test.ts) and its benchmark
// (`npm run bench -- fuzz`). Each file comes with the good records it holds, so a run can check that none
// of them is lost: a good record is a structure from the pool, written intact, that the import must keep.
import { createInflateRaw, gzipSync } from 'node:zlib';
import { seededRandom } from '../../src-shared/random';

/** Structures known to import: SMILES, and the same molecules as V2000 and V3000 molfiles. */
export interface Pool {
  smiles: string[];
  v2000: string[];
  v3000: string[];
}

/** One generated file and what a correct import keeps of it. */
export interface HostileFile {
  name: string;
  bytes: Buffer;
  /** What the file exercises (for the report): its format and features, then how it is encoded. */
  kind: string;
  /** How the bytes are wrapped: plain, utf8-bom, utf16le-bom, utf16be-bom, bad-utf8, gzip, gzip-cut, … */
  encoding: string;
  /** Pool indices of the good records that must be in the library afterwards. */
  good: number[];
}

/** A record as written: its text (lines joined by \n) and, when good, its pool index. */
interface Rec {
  text: string;
  good: number | null;
}

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Structures that must be refused (each for its own reason), never crash anything. */
const BAD_SMILES = [
  'C1CC(((',
  'c1cccc1',
  'Xx',
  'C(C)(C)(C)(C)C',
  '[Zz]',
  'C1CC',
  '))((',
  '==C',
  '[C@@H',
  'c1ccccc1)',
  '#',
  'C'.repeat(1000),
  `C1${'C'.repeat(4998)}C1`,
  `${'C('.repeat(5000)}C${')'.repeat(5000)}`,
  'c1ccccc1'.repeat(150),
  `${'[CH2]'.repeat(700)}`,
  'C.'.repeat(600),
  `${'N'.repeat(401)}`,
];
/** Text that is not a structure at all. */
const JUNK = ['hello world', '12345', '<html>', 'NaN', 'null', '∑∂ƒ©˙∆', '🙂🙂🙂', "'; DROP TABLE compounds; --", '\t\t', '%00', '$$$$'];

/** Odd but valid ids and values: they must be kept as they are. */
const ODD_IDS = ['CHEMBL25', 'é-ü-ñ', '化合物 7', '🙂 id', 'a'.repeat(5000), '"quoted"', 'with,comma', "=cmd|' /C calc'!A0", '-1e309', '0x1F'];

/** Line endings a file may use (mixed ones too). */
const EOLS = ['\n', '\r\n', '\r'];

function smiFile(r: Rng, pool: Pool): { recs: Rec[]; eol: () => string; kind: string } {
  const recs: Rec[] = [];
  const n = int(r, 3, 30);
  for (let i = 0; i < n; i++) {
    const roll = r();
    if (roll < 0.6) {
      const k = int(r, 0, pool.smiles.length - 1);
      const id = r() < 0.8 ? ` ${r() < 0.2 ? pick(r, ODD_IDS).replace(/[\r\n]/g, '') : `mol${i}`}` : '';
      recs.push({ text: `${pool.smiles[k]}${id}`, good: k });
    } else if (roll < 0.8) recs.push({ text: `${pick(r, BAD_SMILES)} bad${i}`, good: null });
    else if (roll < 0.87) recs.push({ text: pick(r, JUNK), good: null });
    else if (roll < 0.92) recs.push({ text: `C\0CO nul${i}`, good: null });
    else if (roll < 0.96) recs.push({ text: '', good: null });
    else recs.push({ text: `# a comment ${i}`, good: null });
  }
  const mixed = r() < 0.2;
  const fixed = pick(r, EOLS);
  return { recs, eol: () => (mixed ? pick(r, EOLS) : fixed), kind: mixed ? 'smi mixed-eol' : `smi eol=${JSON.stringify(fixed)}` };
}

const csvQuote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function csvFile(r: Rng, pool: Pool, delimiter: ',' | '\t'): { recs: Rec[]; eol: () => string; kind: string } {
  const recs: Rec[] = [{ text: ['smiles', 'id', 'value', 'note'].join(delimiter), good: null }];
  const n = int(r, 3, 30);
  let unclosed = false;
  for (let i = 0; i < n; i++) {
    const roll = r();
    const k = int(r, 0, pool.smiles.length - 1);
    const note = delimiter === ',' && r() < 0.15 && !unclosed ? csvQuote(pick(r, ['a, b', 'say "hi"', 'two\nlines', 'x'])) : 'x';
    if (roll < 0.6) {
      const id = r() < 0.15 ? pick(r, ODD_IDS).replace(/[\r\n\t"]/g, '') : `m${i}`;
      const fields = [pool.smiles[k] as string, delimiter === ',' ? csvQuote(id) : id, String(int(r, -5, 5)), note];
      // Short rows (missing trailing fields) and long ones still have their SMILES.
      if (r() < 0.1) fields.length = 2;
      if (r() < 0.1) fields.push('extra', 'more');
      recs.push({ text: fields.join(delimiter), good: k });
    } else if (roll < 0.75) recs.push({ text: [pick(r, BAD_SMILES), `b${i}`, '1', 'x'].join(delimiter), good: null });
    else if (roll < 0.8) recs.push({ text: ['', `empty${i}`, '1'].join(delimiter), good: null });
    else if (roll < 0.85) recs.push({ text: [`CC\0O`, `nul${i}`, '1'].join(delimiter), good: null });
    else if (roll < 0.88 && delimiter === ',' && !unclosed) {
      // An unclosed quote: this row is lost, the rows after it are not (they hold no quotes).
      unclosed = true;
      recs.push({ text: [pool.smiles[k] as string, `"open${i}`, '1'].join(delimiter), good: null });
    } else recs.push({ text: pick(r, JUNK), good: null });
  }
  // Rows after an unclosed quote must not close it: drop their quoted notes.
  if (unclosed) for (const rec of recs) if (rec.good !== null) rec.text = rec.text.replace(/"[^"]*"/g, 'q');
  const fixed = pick(r, EOLS);
  return { recs, eol: () => fixed, kind: `${delimiter === ',' ? 'csv' : 'tsv'}${unclosed ? ' unclosed-quote' : ''} eol=${JSON.stringify(fixed)}` };
}

function sdfFile(r: Rng, pool: Pool): { recs: Rec[]; eol: () => string; kind: string } {
  const recs: Rec[] = [];
  const n = int(r, 2, 15);
  let truncatedLast = false;
  for (let i = 0; i < n; i++) {
    const roll = r();
    const k = int(r, 0, pool.smiles.length - 1);
    const block = (r() < 0.5 ? pool.v2000[k] : pool.v3000[k]) as string;
    const body = block.replace(/\n$/, '').split('\n');
    body[0] = `mol${i}`;
    const fields = `> <value>\n${int(r, 0, 9)}\n\n> <note>\n${pick(r, ['x', 'two\nlines', '∑'])}\n`;
    if (roll < 0.6) recs.push({ text: `${body.join('\n')}\n${fields}\n$$$$`, good: k });
    else if (roll < 0.7) recs.push({ text: `${body.filter((l) => !l.startsWith('M  END')).join('\n')}\n$$$$`, good: null });
    else if (roll < 0.78) {
      // A counts line that promises 999 atoms, with 999 atom lines: over the size limit.
      const atoms = Array.from({ length: 999 }, () => '    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0');
      recs.push({ text: `big${i}\n  fuzz\n\n999  0  0  0  0  0  0  0  0  0999 V2000\n${atoms.join('\n')}\nM  END\n$$$$`, good: null });
    } else if (roll < 0.86) {
      const broken = [...body];
      broken.splice(int(r, 4, Math.max(4, broken.length - 2)), 1, 'garbage garbage garbage');
      recs.push({ text: `${broken.join('\n')}\n$$$$`, good: null });
    } else if (i === n - 1) {
      truncatedLast = true;
      recs.push({ text: body.slice(0, Math.max(1, Math.floor(body.length / 2))).join('\n'), good: null });
    } else recs.push({ text: `${pick(r, JUNK)}\n$$$$`, good: null });
  }
  const fixed = pick(r, ['\n', '\r\n']);
  return { recs, eol: () => fixed, kind: `sdf${truncatedLast ? ' truncated-last' : ''} eol=${JSON.stringify(fixed)}` };
}

/** Serialises records; returns the bytes and, per record, its byte range (end includes its line break). */
function serialise(recs: Rec[], eol: () => string): { text: string; ends: number[] } {
  let text = '';
  const ends: number[] = [];
  for (const rec of recs) {
    text += rec.text
      .split('\n')
      .map((l) => `${l}${eol()}`)
      .join('');
    ends.push(Buffer.byteLength(text, 'utf8'));
  }
  return { text, ends };
}

/** The decompressed bytes a reader can recover from (possibly damaged) gzip data, up to the damage. */
async function recoverable(gz: Buffer): Promise<Buffer> {
  if (gz.length < 10) return Buffer.alloc(0);
  const z = createInflateRaw();
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  await new Promise<void>((resolve) => {
    z.on('error', () => resolve());
    z.on('end', () => resolve());
    z.on('close', () => resolve());
    z.end(gz.subarray(10));
  });
  return Buffer.concat(out);
}

/** Pool indices of the good records lying wholly (line break included) inside `intact` bytes of the text. */
function goodWithin(recs: Rec[], ends: number[], intact: number, headerNeeded: boolean): number[] {
  if (headerNeeded && (ends[0] ?? Infinity) > intact) return [];
  return recs.flatMap((rec, i) => (rec.good !== null && (ends[i] as number) <= intact ? [rec.good] : []));
}

const commonPrefix = (a: Buffer, b: Buffer) => {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
};

/**
 * `count` hostile files from `seed`: SMILES, CSV, TSV and SDF files with bad records among good ones, odd
 * encodings and line endings, gzip (whole, cut, corrupted, with trailing bytes, multi-member), oversize
 * structures and lines, bounded decompression bombs, binary and empty files.
 */
export async function hostileFiles(seed: number, count: number, pool: Pool): Promise<HostileFile[]> {
  const r = seededRandom(seed);
  const files: HostileFile[] = [];
  for (let f = 0; f < count; f++) {
    const roll = r();
    if (roll < 0.04) {
      files.push(special(r, f));
      continue;
    }
    const fmt = pick(r, ['smi', 'smi', 'csv', 'csv', 'tsv', 'sdf'] as const);
    const { recs, eol, kind } = fmt === 'smi' ? smiFile(r, pool) : fmt === 'sdf' ? sdfFile(r, pool) : csvFile(r, pool, fmt === 'csv' ? ',' : '\t');
    const { text, ends } = serialise(recs, eol);
    const header = fmt === 'csv' || fmt === 'tsv';
    const plain = Buffer.from(text, 'utf8');
    const all = recs.flatMap((rec) => (rec.good === null ? [] : [rec.good]));
    const enc = r();
    if (enc < 0.45) {
      files.push({ name: `f${f}.${fmt}`, bytes: plain, kind, encoding: 'plain', good: all });
    } else if (enc < 0.52) {
      files.push({
        name: `f${f}.${fmt}`,
        bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), plain]),
        kind: `${kind} utf8-bom`,
        encoding: 'utf8-bom',
        good: all,
      });
    } else if (enc < 0.6) {
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      if (r() < 0.5) files.push({ name: `f${f}.${fmt}`, bytes: le, kind: `${kind} utf16le-bom`, encoding: 'utf16le-bom', good: all });
      else {
        const be = Buffer.from(le);
        be.swap16();
        files.push({ name: `f${f}.${fmt}`, bytes: be, kind: `${kind} utf16be-bom`, encoding: 'utf16be-bom', good: all });
      }
    } else if (enc < 0.65) {
      // A byte that is not UTF-8 inside one record: that record only is lost.
      const at = int(r, 0, recs.length - 1);
      const start = at === 0 ? 0 : (ends[at - 1] as number);
      const bytes = Buffer.from(plain);
      if (start < bytes.length) bytes[start] = 0xff;
      const good = recs.flatMap((rec, i) => (rec.good !== null && i !== at && !(header && at === 0) ? [rec.good] : []));
      files.push({ name: `f${f}.${fmt}`, bytes, kind: `${kind} bad-utf8`, encoding: 'bad-utf8', good });
    } else {
      const gz = gzipSync(plain);
      const damage = r();
      if (damage < 0.35) files.push({ name: `f${f}.${fmt}.gz`, bytes: gz, kind: `${kind} gzip`, encoding: 'gzip', good: all });
      else if (damage < 0.55) {
        const cut = gz.subarray(0, int(r, 0, gz.length - 1));
        const intact = commonPrefix(await recoverable(cut), plain);
        files.push({ name: `f${f}.${fmt}.gz`, bytes: cut, kind: `${kind} gzip-cut`, encoding: 'gzip-cut', good: goodWithin(recs, ends, intact, header) });
      } else if (damage < 0.75) {
        const flipped = Buffer.from(gz);
        const at = int(r, 10, gz.length - 9);
        flipped[at] = (flipped[at] as number) ^ (1 << int(r, 0, 7));
        // Records wholly decoded before the corruption shows are intact; a flip the decoder cannot see
        // still fails the checksum, so nothing after it counts either.
        const intact = commonPrefix(await recoverable(flipped), plain);
        files.push({
          name: `f${f}.${fmt}.gz`,
          bytes: flipped,
          kind: `${kind} gzip-flipped`,
          encoding: 'gzip-flipped',
          good: goodWithin(recs, ends, intact, header),
        });
      } else if (damage < 0.9) {
        const trailing = Buffer.from(Array.from({ length: int(r, 1, 200) }, () => int(r, 0, 255)));
        // Trailing bytes that happen to start a gzip header are read as a (damaged) next member.
        if (trailing[0] === 0x1f) trailing[0] = 0x20;
        files.push({ name: `f${f}.${fmt}.gz`, bytes: Buffer.concat([gz, trailing]), kind: `${kind} gzip-trailing`, encoding: 'gzip-trailing', good: all });
      } else {
        // Two members (as `cat a.gz b.gz` or bgzip write): both halves are read.
        const cutAt = ends[Math.floor(recs.length / 2)] as number;
        const two = Buffer.concat([gzipSync(plain.subarray(0, cutAt)), gzipSync(plain.subarray(cutAt))]);
        files.push({ name: `f${f}.${fmt}.gz`, bytes: two, kind: `${kind} gzip-members`, encoding: 'gzip-members', good: all });
      }
    }
  }
  return files;
}

/** Files with no good record at all: every one must be refused with a clear error, and nothing kept. */
function special(r: Rng, f: number): HostileFile {
  const which = int(r, 0, 7);
  const random = (n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 0, 255)));
  switch (which) {
    case 0:
      return { name: `f${f}.smi`, bytes: Buffer.alloc(0), kind: 'empty', encoding: 'refused: empty', good: [] };
    case 1:
      return { name: `f${f}.bin`, bytes: random(int(r, 100, 20_000)), kind: 'binary', encoding: 'refused: binary', good: [] };
    case 2:
      // A bounded bomb: 20 MB of one line, 20 kB compressed.
      return {
        name: `f${f}.smi.gz`,
        bytes: gzipSync(Buffer.alloc(20 << 20, 0x43)),
        kind: 'gzip bomb (one 20 MB line)',
        encoding: 'refused: gzip bomb (one 20 MB line)',
        good: [],
      };
    case 3:
      return {
        name: `f${f}.smi.gz`,
        bytes: gzipSync(Buffer.alloc(2 << 20, 0x0a)),
        kind: 'gzip bomb (2M empty lines)',
        encoding: 'refused: gzip bomb (2M empty lines)',
        good: [],
      };
    case 4:
      return { name: `f${f}.csv`, bytes: Buffer.from('smiles,id\n'), kind: 'header only', encoding: 'refused: header only', good: [] };
    case 5:
      return { name: `f${f}.csv`, bytes: Buffer.from('smi\0les,id\nCCO,a\n'), kind: 'NUL in the header', encoding: 'refused: NUL in the header', good: [] };
    case 6:
      return { name: `f${f}.smi`, bytes: Buffer.from('CCO ethanol\n', 'utf16le'), kind: 'utf16 without BOM', encoding: 'refused: utf16 without BOM', good: [] };
    default:
      return { name: `f${f}.sdf`, bytes: Buffer.from('\n\n\n$$$$\n$$$$\n'), kind: 'empty SDF records', encoding: 'refused: empty SDF records', good: [] };
  }
}
