import type { Descriptors, PropValue } from '../../src-shared/dto';
import { loadRdkit } from '../chem/rdkit';
import { csvField, sdfRecord, writeStreamed } from './file-writers';

/** The columns every compound export starts with, before the library's own. */
const FIXED = [
  'smiles',
  'id',
  'inchikey',
  'formula',
  'mw',
  'clogp',
  'tpsa',
  'hbd',
  'hba',
  'rotatable_bonds',
  'rings',
  'aromatic_rings',
  'fraction_sp3',
  'heavy_atoms',
  'lipinski_violations',
];

const NO_VALUES: Partial<Record<keyof Descriptors, null>> = {};

/** A compound as an export writes it: structure, ids, descriptors, the library's own values and an SDF title. */
export interface ExportRow {
  smiles: string;
  originalId: string | null;
  inchikey: string;
  formula: string | null;
  /** Null, or null values, where they are still being computed after the import: empty cells. */
  descriptors: { [K in keyof Descriptors]: number | null } | null;
  props: Record<string, PropValue>;
  /** The SDF record's title line. */
  title: string;
}

/**
 * Streams compounds to CSV (the fixed columns, then `columns`: the library's own), SDF (the library's
 * values and the main descriptors as data items) or SMILES (with the id); returns how many were written
 * (a structure RDKit cannot write as a molblock is left out of an SDF).
 */
export async function writeCompounds(out: string, format: 'csv' | 'sdf' | 'smi', columns: string[], rows: Iterable<ExportRow>): Promise<number> {
  const own = columns.filter((k) => !FIXED.includes(k));
  const rd = format === 'sdf' ? await loadRdkit() : null;
  let written = 0;
  await writeStreamed(out, async (write) => {
    if (format === 'csv') await write(`${[...FIXED, ...own].map(csvField).join(',')}\n`);
    for (const c of rows) {
      const d = c.descriptors ?? NO_VALUES;
      if (format === 'smi') await write(`${c.smiles}${c.originalId ? ` ${c.originalId}` : ''}\n`);
      else if (format === 'csv') {
        const fixed = [
          c.smiles,
          c.originalId,
          c.inchikey,
          c.formula,
          d.mw,
          d.clogp,
          d.tpsa,
          d.hbd,
          d.hba,
          d.rotatableBonds,
          d.rings,
          d.aromaticRings,
          d.fractionSp3,
          d.heavyAtoms,
          d.lipinskiViolations,
        ];
        await write(`${[...fixed, ...own.map((k) => c.props[k])].map(csvField).join(',')}\n`);
      } else {
        const data = { ...c.props, SMILES: c.smiles, InChIKey: c.inchikey, MW: d.mw, cLogP: d.clogp, TPSA: d.tpsa };
        const rec = sdfRecord(rd as Awaited<ReturnType<typeof loadRdkit>>, c.smiles, c.title, data);
        if (!rec) continue;
        await write(rec);
      }
      written++;
    }
  });
  return written;
}
