import type { CompoundPrediction, DescriptorName, Descriptors, ScreenFilter, ScreenHit, ScreenState } from '../../src-shared/dto';
import type { ScoredChunk, ScreenItem } from '../screen/scorer';
import type { Db } from './database';
import { DESCRIPTOR_COLUMN, rangeConditions } from './compound-repo';

/** The stored descriptors, named as Descriptors names them (NULL while they are still to come). */
const DESCRIPTORS = Object.entries(DESCRIPTOR_COLUMN)
  .map(([name, column]) => `c.${column} AS ${name}`)
  .join(', ');

export interface ScreenRow {
  id: number;
  libraryId: number;
  library: string;
  models: string;
  state: ScreenState;
  domainThreshold: number;
  engine: string | null;
  cursor: number;
  total: number;
  scored: number;
  unreadable: number;
  seconds: number;
  createdAt: string;
  finishedAt: string | null;
}

const COLS = `s.id, s.library_id AS libraryId, l.name AS library, s.models, s.state, s.domain_threshold AS domainThreshold,
  s.engine, s.cursor, s.total, s.scored, s.unreadable, s.seconds, s.created_at AS createdAt, s.finished_at AS finishedAt`;

/** A compound's prediction as stored: the domain flag as 0/1, no task (the model registry has it). */
type StoredPrediction = Omit<CompoundPrediction, 'task' | 'inDomain' | 'interval' | 'intervals'> & { inDomain: number | null };

/** Screens and their predictions. */
export class ScreenRepo {
  private readonly chunkStmt;
  private readonly chunkWithDescriptorsStmt;
  private readonly insertStmt;
  private readonly modelSmilesStmt;
  private readonly progressStmt;

  constructor(private readonly db: Db) {
    const chunk = (columns: string) =>
      db.prepare(
        `SELECT ${columns}
           FROM (SELECT DISTINCT compound_id AS id FROM library_members
                  WHERE library_id = ? AND compound_id > ? ORDER BY compound_id LIMIT ?) k
           JOIN compounds c ON c.id = k.id ORDER BY c.id`,
      );
    const item = 'c.id, c.smiles, c.model_smiles AS modelSmiles, c.fp';
    this.chunkStmt = chunk(item);
    this.chunkWithDescriptorsStmt = chunk(`${item}, ${DESCRIPTORS}`);
    this.insertStmt = db.prepare(
      `INSERT INTO predictions (screen_id, model, compound_id, score, max_sim, in_domain, uncertainty, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.modelSmilesStmt = db.prepare('UPDATE compounds SET model_smiles = ? WHERE id = ? AND model_smiles IS NULL');
    this.progressStmt = db.prepare('UPDATE screens SET cursor = ?, scored = scored + ?, unreadable = unreadable + ?, seconds = ? WHERE id = ?');
  }

  create(s: { libraryId: number; models: string[]; domainThreshold: number; total: number; jobId: string | null }): number {
    return Number(
      this.db
        .prepare('INSERT INTO screens (library_id, models, state, domain_threshold, total, job_id) VALUES (?, ?, ?, ?, ?, ?)')
        .run(s.libraryId, JSON.stringify(s.models), 'running', s.domainThreshold, s.total, s.jobId).lastInsertRowid,
    );
  }

  get(id: number): ScreenRow | null {
    return (this.db.prepare(`SELECT ${COLS} FROM screens s JOIN libraries l ON l.id = s.library_id WHERE s.id = ?`).get(id) as ScreenRow | undefined) ?? null;
  }

  list(): ScreenRow[] {
    return this.db.prepare(`SELECT ${COLS} FROM screens s JOIN libraries l ON l.id = s.library_id ORDER BY s.id DESC`).all() as ScreenRow[];
  }

  /** The newest unfinished screen of this library with exactly these models (what --resume continues). */
  resumable(libraryId: number, models: string[]): ScreenRow | null {
    return (
      (this.db
        .prepare(
          `SELECT ${COLS} FROM screens s JOIN libraries l ON l.id = s.library_id WHERE s.library_id = ? AND s.models = ? AND s.state <> 'done' ORDER BY s.id DESC LIMIT 1`,
        )
        .get(libraryId, JSON.stringify(models)) as ScreenRow | undefined) ?? null
    );
  }

  /**
   * The next `limit` distinct compounds of the library with id > after, in id order; with `descriptors`
   * (a descriptor-aware model screens), their stored descriptors too (null while still to come: the
   * scorer computes them).
   */
  chunk(libraryId: number, after: number, limit: number, descriptors = false): ScreenItem[] {
    type Row = { id: number; smiles: string; modelSmiles: string | null; fp: Buffer } & Partial<Record<DescriptorName, number | null>>;
    const stmt = descriptors ? this.chunkWithDescriptorsStmt : this.chunkStmt;
    return (stmt.all(libraryId, after, limit) as Row[]).map(({ id, smiles, modelSmiles, fp, ...d }) => ({
      id,
      smiles,
      modelSmiles,
      // A copy of its own: a view could share a pooled ArrayBuffer that the worker message would clone whole.
      fp: new Uint8Array(fp),
      ...(descriptors ? { descriptors: d.mw === null ? null : (d as Descriptors) } : {}),
    }));
  }

  /**
   * Writes one scored chunk in one transaction: a prediction per compound and model, the model SMILES
   * computed on the way, and the cursor, so a crash never leaves half a chunk and resume skips it.
   */
  commit(screenId: number, items: ScreenItem[], result: ScoredChunk, domainThreshold: number, seconds: number): { scored: number; unreadable: number } {
    let scored = 0;
    let unreadable = 0;
    this.db.transaction(() => {
      items.forEach((item, i) => {
        let readable = true;
        for (const m of result.models) {
          const score = m.score[i] as number;
          const sim = m.maxSim[i] as number;
          const hasSim = !Number.isNaN(sim);
          if (Number.isNaN(score)) readable = false;
          const u = m.uncertainty[i] as number;
          this.insertStmt.run(
            screenId,
            m.model,
            item.id,
            Number.isNaN(score) ? null : score,
            hasSim ? sim : null,
            hasSim ? Number(sim >= domainThreshold) : null,
            Number.isNaN(u) ? null : u,
            m.notes[i] ?? null,
          );
        }
        if (readable) scored++;
        else unreadable++;
      });
      for (const f of result.modelSmiles) this.modelSmilesStmt.run(f.smiles, f.id);
      this.progressStmt.run((items[items.length - 1] as ScreenItem).id, scored, unreadable, seconds, screenId);
    })();
    return { scored, unreadable };
  }

  /**
   * A compound's predictions in every finished screen, newest first, each with how many compounds its
   * model ranked there. CROSS JOIN fixes the join order, so each screen and model is one point lookup on
   * the primary key (screen, model, compound); left to itself SQLite scans the whole screen's predictions.
   */
  predictionsOf(compoundId: number): StoredPrediction[] {
    return this.db
      .prepare(
        `SELECT s.id AS screen, l.name AS library, m.value AS model, p.score, p.rank, p.max_sim AS maxSimilarity, p.in_domain AS inDomain,
                p.uncertainty, p.note, s.finished_at AS finishedAt,
                (SELECT MAX(q.rank) FROM predictions q WHERE q.screen_id = s.id AND q.model = m.value) AS ranked
           FROM screens s JOIN libraries l ON l.id = s.library_id CROSS JOIN json_each(s.models) m
           CROSS JOIN predictions p ON p.screen_id = s.id AND p.model = m.value AND p.compound_id = ?
          WHERE s.state = 'done'
          ORDER BY s.id DESC, m.key`,
      )
      .all(compoundId) as StoredPrediction[];
  }

  setSeconds(id: number, seconds: number): void {
    this.db.prepare('UPDATE screens SET seconds = ? WHERE id = ?').run(seconds, id);
  }

  setEngine(id: number, engine: string, jobId: string | null): void {
    this.db.prepare("UPDATE screens SET engine = ?, job_id = COALESCE(?, job_id), state = 'running' WHERE id = ?").run(engine, jobId, id);
  }

  /** Ranks every model's scored predictions (1 = highest score) and marks the screen done. */
  finish(id: number, models: string[]): void {
    const rank = this.db.prepare(
      `UPDATE predictions SET rank = r.rk
         FROM (SELECT compound_id, ROW_NUMBER() OVER (ORDER BY score DESC, compound_id) AS rk
                 FROM predictions WHERE screen_id = @screen AND model = @model AND score IS NOT NULL) r
        WHERE predictions.screen_id = @screen AND predictions.model = @model AND predictions.compound_id = r.compound_id`,
    );
    this.db.transaction(() => {
      for (const m of models) rank.run({ screen: id, model: m });
      this.db.prepare("UPDATE screens SET state = 'done', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(id);
    })();
  }

  setState(id: number, state: ScreenState): void {
    this.db.prepare('UPDATE screens SET state = ? WHERE id = ?').run(state, id);
  }

  /** Predictions of one model in rank order (or the unreadable ones), filtered in SQL; substructure is the caller's. */
  hits(screen: ScreenRow, model: string, f: Omit<ScreenFilter, 'substructure' | 'model'>): ScreenHit[] {
    const where = ['p.screen_id = @screen', 'p.model = @model', f.unreadable ? 'p.score IS NULL' : 'p.rank IS NOT NULL'];
    const params: Record<string, unknown> = { screen: screen.id, model, library: screen.libraryId, limit: f.limit ?? 100, offset: f.offset ?? 0 };
    if (f.minScore !== undefined) {
      where.push('p.score >= @minScore');
      params.minScore = f.minScore;
    }
    if (f.maxScore !== undefined) {
      where.push('p.score <= @maxScore');
      params.maxScore = f.maxScore;
    }
    if (f.inDomainOnly) where.push('p.in_domain = 1');
    where.push(...rangeConditions(f.ranges, params));
    const rows = this.db
      .prepare(
        `SELECT p.compound_id AS compoundId, c.smiles, p.model, p.score, p.rank, p.max_sim AS maxSimilarity, p.in_domain AS inDomain,
                p.uncertainty, p.note, c.mw, c.clogp, c.tpsa, c.hbd, c.hba, c.rotatable_bonds AS rotatableBonds, c.rings,
                c.aromatic_rings AS aromaticRings, c.fraction_sp3 AS fractionSp3, c.heavy_atoms AS heavyAtoms,
                c.lipinski_violations AS lipinskiViolations,
                (SELECT m.original_id FROM library_members m WHERE m.library_id = @library AND m.compound_id = c.id ORDER BY m.id LIMIT 1) AS originalId,
                (SELECT m.props FROM library_members m WHERE m.library_id = @library AND m.compound_id = c.id ORDER BY m.id LIMIT 1) AS props
           FROM predictions p JOIN compounds c ON c.id = p.compound_id
          WHERE ${where.join(' AND ')}
          ORDER BY ${f.unreadable ? 'p.compound_id' : f.ascending ? 'p.rank DESC' : 'p.rank'} LIMIT @limit OFFSET @offset`,
      )
      .all(params) as Array<Record<string, unknown>>;
    return rows.map((r) => {
      const { compoundId, smiles, score, rank, maxSimilarity, inDomain, uncertainty, note, originalId, props, model: m, ...d } = r;
      return {
        compoundId: compoundId as number,
        smiles: smiles as string,
        originalId: (originalId as string | null) ?? null,
        props: JSON.parse((props as string | null) ?? '{}') as ScreenHit['props'],
        model: m as string,
        score: score as number | null,
        rank: rank as number | null,
        maxSimilarity: maxSimilarity as number | null,
        inDomain: inDomain === null ? null : inDomain === 1,
        uncertainty: uncertainty as number | null,
        // The model's calibration is the model registry's: the screen service adds the interval.
        interval: null,
        note: note as string | null,
        descriptors: d.mw === null ? null : (d as unknown as ScreenHit['descriptors']),
      };
    });
  }

  /** Every distinct compound of a library with its members' properties (for labels), in id order. */
  labelled(
    libraryId: number,
  ): Array<{ id: number; inchikey: string; smiles: string; modelSmiles: string | null; fp: Uint8Array; props: Array<Record<string, unknown>> }> {
    const out = new Map<
      number,
      { id: number; inchikey: string; smiles: string; modelSmiles: string | null; fp: Uint8Array; props: Array<Record<string, unknown>> }
    >();
    const rows = this.db
      .prepare(
        `SELECT c.id, c.inchikey, c.smiles, c.model_smiles AS modelSmiles, c.fp, m.props
           FROM library_members m JOIN compounds c ON c.id = m.compound_id WHERE m.library_id = ? ORDER BY c.id, m.id`,
      )
      .iterate(libraryId) as Iterable<{ id: number; inchikey: string; smiles: string; modelSmiles: string | null; fp: Buffer; props: string }>;
    for (const r of rows) {
      let c = out.get(r.id);
      if (!c) {
        c = { id: r.id, inchikey: r.inchikey, smiles: r.smiles, modelSmiles: r.modelSmiles, fp: new Uint8Array(r.fp), props: [] };
        out.set(r.id, c);
      }
      c.props.push(JSON.parse(r.props) as Record<string, unknown>);
    }
    return [...out.values()];
  }

  /** Stores model SMILES computed for compounds that had none. */
  setModelSmiles(items: Array<{ id: number; modelSmiles: string }>): void {
    this.db.transaction(() => {
      for (const it of items) this.modelSmilesStmt.run(it.modelSmiles, it.id);
    })();
  }

  /** The newest finished screen of a library by exactly these models. */
  latestDone(libraryId: number, models: string[]): ScreenRow | null {
    return (
      (this.db
        .prepare(
          `SELECT ${COLS} FROM screens s JOIN libraries l ON l.id = s.library_id WHERE s.library_id = ? AND s.models = ? AND s.state = 'done' ORDER BY s.id DESC LIMIT 1`,
        )
        .get(libraryId, JSON.stringify(models)) as ScreenRow | undefined) ?? null
    );
  }

  /** Score per compound of one model in a screen (null: unreadable). */
  scores(screenId: number, model: string): Map<number, number | null> {
    const rows = this.db.prepare('SELECT compound_id AS id, score FROM predictions WHERE screen_id = ? AND model = ?').all(screenId, model) as Array<{
      id: number;
      score: number | null;
    }>;
    return new Map(rows.map((r) => [r.id, r.score]));
  }

  /** Distribution of one model's scores: `bins` equal-width bins between the lowest and highest score. */
  histogram(screenId: number, model: string, bins = 20): { min: number; max: number; counts: number[] } {
    const r = this.db
      .prepare('SELECT MIN(score) AS lo, MAX(score) AS hi FROM predictions WHERE screen_id = ? AND model = ? AND score IS NOT NULL')
      .get(screenId, model) as { lo: number | null; hi: number | null };
    const counts = new Array<number>(bins).fill(0);
    if (r.lo === null || r.hi === null) return { min: 0, max: 0, counts };
    const width = (r.hi - r.lo) / bins || 1;
    const rows = this.db
      .prepare(
        'SELECT MIN(CAST((score - ?) / ? AS INTEGER), ?) AS bin, COUNT(*) AS n FROM predictions WHERE screen_id = ? AND model = ? AND score IS NOT NULL GROUP BY bin',
      )
      .all(r.lo, width, bins - 1, screenId, model) as Array<{ bin: number; n: number }>;
    for (const x of rows) counts[x.bin] = x.n;
    return { min: r.lo, max: r.hi, counts };
  }

  /** Predictions per model (tests and consistency checks). */
  counts(id: number): Array<{ model: string; n: number; compounds: number }> {
    return this.db
      .prepare('SELECT model, COUNT(*) AS n, COUNT(DISTINCT compound_id) AS compounds FROM predictions WHERE screen_id = ? GROUP BY model ORDER BY model')
      .all(id) as Array<{
      model: string;
      n: number;
      compounds: number;
    }>;
  }
}
