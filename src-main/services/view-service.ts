import type { LibraryView } from '../../src-shared/dto';
import type { Db } from '../db/database';
import type { LibraryService } from './library-service';

/** Named views of a library (columns, order, filters, searches, a selection), saved with it in the database. */
export class ViewService {
  constructor(
    private readonly db: Db,
    private readonly libraries: LibraryService,
  ) {}

  list(library: string): Array<{ name: string; view: LibraryView }> {
    const lib = this.libraries.library(library);
    return (
      this.db.prepare('SELECT name, view FROM library_views WHERE library_id = ? ORDER BY name').all(lib.id) as Array<{ name: string; view: string }>
    ).map((r) => ({ name: r.name, view: JSON.parse(r.view) as LibraryView }));
  }

  /** Saves the view under its name (replacing one of the same name); returns the library's views. */
  save(library: string, name: string, view: LibraryView): Array<{ name: string; view: LibraryView }> {
    const lib = this.libraries.library(library);
    this.db
      .prepare(
        "INSERT INTO library_views (library_id, name, view) VALUES (?, ?, ?) ON CONFLICT (library_id, name) DO UPDATE SET view = excluded.view, updated_at = datetime('now')",
      )
      .run(lib.id, name, JSON.stringify(view));
    return this.list(library);
  }

  delete(library: string, name: string): boolean {
    const lib = this.libraries.library(library);
    return this.db.prepare('DELETE FROM library_views WHERE library_id = ? AND name = ?').run(lib.id, name).changes > 0;
  }
}
