import type { LibrarySummary } from '../../src-shared/dto';
import type { Db } from './database';

export interface LibraryRow {
  id: number;
  name: string;
  createdAt: string;
}

/** Libraries: named collections of imported compounds. */
export class LibraryRepo {
  constructor(private readonly db: Db) {}

  byName(name: string): LibraryRow | null {
    const row = this.db.prepare('SELECT id, name, created_at AS createdAt FROM libraries WHERE name = ?').get(name) as LibraryRow | undefined;
    return row ?? null;
  }

  create(name: string): LibraryRow {
    const info = this.db.prepare('INSERT INTO libraries (name) VALUES (?)').run(name);
    return this.byId(Number(info.lastInsertRowid)) as LibraryRow;
  }

  byId(id: number): LibraryRow | null {
    const row = this.db.prepare('SELECT id, name, created_at AS createdAt FROM libraries WHERE id = ?').get(id) as LibraryRow | undefined;
    return row ?? null;
  }

  list(): LibrarySummary[] {
    return this.db
      .prepare(
        `SELECT l.name, l.created_at AS createdAt,
                (SELECT COUNT(DISTINCT compound_id) FROM library_members m WHERE m.library_id = l.id) AS compounds,
                (SELECT COUNT(*) FROM library_members m WHERE m.library_id = l.id) AS members,
                (SELECT COUNT(DISTINCT m.compound_id) FROM library_members m JOIN compounds c ON c.id = m.compound_id
                  WHERE m.library_id = l.id AND c.descriptors_pending = 1) AS descriptorsPending
           FROM libraries l ORDER BY l.name`,
      )
      .all() as LibrarySummary[];
  }

  countCompounds(libraryId: number): number {
    return (
      this.db.prepare('SELECT COUNT(DISTINCT compound_id) AS n FROM library_members WHERE library_id = ?').get(libraryId) as {
        n: number;
      }
    ).n;
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM libraries WHERE id = ?').run(id);
  }
}
