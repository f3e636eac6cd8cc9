import type { CompoundDetail, CompoundPage, CompoundQuery, CompoundRow, LibrarySummary, PropValue } from '../../src-shared/dto';
import { AppError } from '../../src-shared/errors';
import type { ChemPool } from '../chem/chem-pool';
import { loadRdkit, morganOf, popcount, tanimoto } from '../chem/rdkit';
import type { Db } from '../db/database';
import { CompoundRepo } from '../db/compound-repo';
import { LibraryRepo, type LibraryRow } from '../db/library-repo';
import { csvField, exportFormat, sdfRecord, writeStreamed } from './file-writers';

const DEFAULT_LIMIT = 100;
const SUBSTRUCTURE_CHUNK = 2000;

/** Browsing, searching, exporting and deleting libraries. */
export class LibraryService {
  private readonly libraries: LibraryRepo;
  private readonly compounds: CompoundRepo;

  constructor(
    private readonly db: Db,
    private readonly chem: ChemPool,
  ) {
    this.libraries = new LibraryRepo(db);
    this.compounds = new CompoundRepo(db);
  }

  list(): LibrarySummary[] {
    return this.libraries.list();
  }

  /** The library of that name, or NOT_FOUND listing the libraries there are. */
  library(name: string): LibraryRow {
    const lib = this.libraries.byName(name);
    if (!lib) {
      const known = this.libraries.list().map((l) => l.name);
      throw new AppError('NOT_FOUND', `no library named '${name}'${known.length ? ` (libraries: ${known.join(', ')})` : ''}`);
    }
    return lib;
  }

  /** Compounds of a library: a page in import order, or substructure/similarity hits (bounded by limit). */
  async query(q: CompoundQuery): Promise<CompoundPage> {
    const lib = this.library(q.library);
    const limit = q.limit ?? DEFAULT_LIMIT;
    const total = this.libraries.countCompounds(lib.id);
    let candidates: Array<{ id: number; similarity?: number }> | null = null;

    if (q.similar !== undefined) {
      const rd = await loadRdkit();
      const fp = morganOf(rd, q.similar);
      if (!fp) throw new AppError('INVALID_INPUT', `cannot parse the similarity query SMILES: ${q.similar}`);
      const minSim = q.minSim ?? 0.5;
      const countQ = popcount(fp);
      const hits: Array<{ id: number; similarity: number }> = [];
      for (const c of this.compounds.fingerprints(lib.id)) {
        const s = tanimoto(fp, c.fp, countQ);
        if (s >= minSim) hits.push({ id: c.id, similarity: Math.round(s * 10000) / 10000 });
      }
      hits.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
      candidates = hits;
    }

    if (q.substructure !== undefined) {
      const need = (q.offset ?? 0) + limit;
      const matched = await this.substructureIds(lib.id, q.substructure, candidates?.map((c) => c.id) ?? null, need);
      const keep = new Set(matched);
      candidates = candidates ? candidates.filter((c) => keep.has(c.id)) : matched.map((id) => ({ id }));
    }

    if (candidates === null) return { compounds: this.compounds.page(lib.id, limit, q.offset ?? 0), total };

    const slice = candidates.slice(q.offset ?? 0, (q.offset ?? 0) + limit);
    const rows = this.compounds.byIds(lib.id, slice.map((c) => c.id));
    const sim = new Map(slice.map((c) => [c.id, c.similarity]));
    const out: CompoundRow[] = rows.map((r) => {
      const s = sim.get(r.id);
      return s === undefined ? r : { ...r, similarity: s };
    });
    return { compounds: out, total };
  }

  /** Ids of compounds containing the query, scanning in chunks on the chemistry pool until `need` are found. */
  private async substructureIds(libraryId: number, query: string, within: number[] | null, need: number): Promise<number[]> {
    const source: Iterable<{ id: number; smiles: string }> = within
      ? this.compounds.byIds(libraryId, within).map((c) => ({ id: c.id, smiles: c.smiles }))
      : this.compounds.structures(libraryId);
    const found: number[] = [];
    let chunk: Array<{ id: number; smiles: string }> = [];
    const inFlight: Array<Promise<number[]>> = [];
    const flush = () => {
      if (chunk.length) inFlight.push(this.chem.run({ op: 'substructure', query, items: chunk }));
      chunk = [];
    };
    const settle = async () => {
      const ids = await (inFlight.shift() as Promise<number[]>).catch((e: Error) => {
        throw new AppError('INVALID_INPUT', e.message);
      });
      found.push(...ids);
    };
    for (const item of source) {
      chunk.push(item);
      if (chunk.length >= SUBSTRUCTURE_CHUNK) {
        flush();
        while (inFlight.length >= this.chem.size) await settle();
        if (found.length >= need) break;
      }
    }
    flush();
    while (inFlight.length) await settle();
    return found;
  }

  compound(id: number): CompoundDetail {
    const c = this.compounds.get(id);
    if (!c) throw new AppError('NOT_FOUND', `no compound with id ${id}`);
    return c;
  }

  async depict(smiles: string, width = 250, height = 200): Promise<string> {
    const svg = await this.chem.run({ op: 'depict', smiles, width, height });
    if (svg === null) throw new AppError('INVALID_INPUT', `cannot parse SMILES for depiction: ${smiles}`);
    return svg;
  }

  /** A 3D conformer (OpenChemLib + MMFF94s+), generated on the chemistry pool once and cached in the database. */
  async conformer(id: number): Promise<{ molblock: string; cached: boolean }> {
    const cached = this.compounds.conformer(id);
    if (cached) return { molblock: cached, cached: true };
    const c = this.compound(id);
    const molblock = await this.chem.run({ op: 'conformer', smiles: c.smiles });
    if (!molblock) throw new AppError('PARSE_ERROR', `no 3D conformer could be generated for ${c.smiles}`);
    this.compounds.saveConformer(id, molblock, 'openchemlib ConformerGenerator + MMFF94s+');
    return { molblock, cached: false };
  }

  /** Writes every member of the library (duplicates included) to CSV or SDF; returns the number written. */
  async export(name: string, out: string): Promise<number> {
    const lib = this.library(name);
    let format: 'csv' | 'sdf';
    try {
      format = exportFormat(out);
    } catch (err) {
      throw new AppError('INVALID_INPUT', (err as Error).message);
    }
    let written = 0;
    await writeStreamed(out, async (write) => {
      if (format === 'csv') {
        // Two passes keep memory constant: first the union of property names, then the rows.
        const keySet = new Set<string>();
        for (const m of this.compounds.members(lib.id)) for (const k of Object.keys(JSON.parse(m.props) as object)) keySet.add(k);
        const propKeys = [...keySet];
        const fixed = ['smiles', 'id', 'inchikey', 'formula', 'mw', 'clogp', 'tpsa', 'hbd', 'hba', 'rotatable_bonds', 'rings', 'aromatic_rings', 'fraction_sp3', 'heavy_atoms', 'lipinski_violations'];
        await write(`${[...fixed, ...propKeys.filter((k) => !fixed.includes(k))].map(csvField).join(',')}\n`);
        for (const m of this.compounds.members(lib.id)) {
          const props = JSON.parse(m.props) as Record<string, PropValue>;
          const values: unknown[] = [m.smiles, m.originalId, m.inchikey, m.formula, m.mw, m.clogp, m.tpsa, m.hbd, m.hba, m.rotatableBonds, m.rings, m.aromaticRings, m.fractionSp3, m.heavyAtoms, m.lipinskiViolations];
          for (const k of propKeys) if (!fixed.includes(k)) values.push(props[k]);
          await write(`${values.map(csvField).join(',')}\n`);
          written++;
        }
      } else {
        const rd = await loadRdkit();
        for (const m of this.compounds.members(lib.id)) {
          const rec = sdfRecord(rd, m.smiles, m.originalId ?? '', { ...(JSON.parse(m.props) as object), SMILES: m.smiles, InChIKey: m.inchikey, MW: m.mw, cLogP: m.clogp, TPSA: m.tpsa });
          if (!rec) continue;
          await write(rec);
          written++;
        }
      }
    });
    return written;
  }

  delete(name: string): boolean {
    const lib = this.libraries.byName(name);
    if (!lib) return false;
    this.db.transaction(() => this.libraries.delete(lib.id))();
    return true;
  }
}
