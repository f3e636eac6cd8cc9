import type { ColumnFilter, ColumnType, LibraryColumn, PropValue, SortKey } from '../../../src-shared/dto';

/** The descriptors a plot or a score can use, with their names in the app. */
export const NUMERIC_DESCRIPTORS: ReadonlyArray<readonly [string, string]> = [
  ['mw', 'MW'],
  ['clogp', 'cLogP'],
  ['tpsa', 'TPSA'],
  ['hbd', 'HBD'],
  ['hba', 'HBA'],
  ['rotatableBonds', 'rotatable bonds'],
  ['aromaticRings', 'aromatic rings'],
  ['heavyAtoms', 'heavy atoms'],
  ['fractionSp3', 'Fsp3'],
];

/** How each column type is named in the column chooser. */
export const TYPE_LABEL: Record<ColumnType, string> = { number: 'number', text: 'text', date: 'date', boolean: 'yes/no' };

/**
 * A cell of one of the library's columns, in its type: whole numbers as they are (a compound or batch number,
 * a count: rounding 12345 to 4 digits would show 12350), others to 4 significant digits, very large and very
 * small ones exponential; yes/no for booleans.
 */
export function cellText(v: PropValue | undefined, type: ColumnType): string {
  if (v === null || v === undefined || v === '') return '';
  if (type === 'number' && typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  }
  if (type === 'boolean') return /^(true|yes|1)$/i.test(String(v)) ? 'yes' : /^(false|no|0)$/i.test(String(v)) ? 'no' : String(v);
  return String(v);
}

/** A column filter as its chip says it. */
export function filterText(f: ColumnFilter, columns: LibraryColumn[]): string {
  if (f.contains !== undefined) return `${f.column} contains “${f.contains}”`;
  if (f.equals !== undefined) return `${f.column} = ${cellText(f.equals, columns.find((c) => c.name === f.column)?.type ?? 'text')}`;
  return `${f.min ?? '…'} ≤ ${f.column} ≤ ${f.max ?? '…'}`;
}

/**
 * Row sizes (structure width × height): every row has the same height, so the rows in view follow from
 * the scroll offset alone. The chemist's choice is remembered.
 */
export const ROW_SIZES = { S: { row: 92, w: 110, h: 80 }, M: { row: 152, w: 210, h: 140 }, L: { row: 232, w: 300, h: 220 } } as const;
export type RowSize = keyof typeof ROW_SIZES;
const SIZE_KEY = 'delicate.rowSize';

export function savedRowSize(): RowSize {
  try {
    const v = localStorage.getItem(SIZE_KEY);
    return v === 'S' || v === 'M' || v === 'L' ? v : 'M';
  } catch {
    return 'M';
  }
}

export function saveRowSize(s: RowSize): void {
  try {
    localStorage.setItem(SIZE_KEY, s);
  } catch {
    // Unavailable storage: the size lasts this session.
  }
}

/** The columns a library's table shows, as the chemist last chose them (null: never chosen). */
export function readShown(library: string): string[] | null {
  try {
    const v = localStorage.getItem(`delicate.columns.${library}`);
    return v ? (JSON.parse(v) as string[]) : null;
  } catch {
    return null;
  }
}

export function writeShown(library: string, shown: string[]): void {
  try {
    localStorage.setItem(`delicate.columns.${library}`, JSON.stringify(shown));
  } catch {
    // Storage full or unavailable: the choice lasts this session only.
  }
}

/** The compound table's fixed sortable headers: the import order (ID) first, then the descriptors shown. */
export const SORTABLE: Array<[SortKey & { by: string }, string]> = [
  [{ by: 'import' }, 'ID'],
  [{ by: 'mw' }, 'MW'],
  [{ by: 'clogp' }, 'cLogP'],
  [{ by: 'tpsa' }, 'TPSA'],
  [{ by: 'hbd' }, 'HBD/HBA'],
];
