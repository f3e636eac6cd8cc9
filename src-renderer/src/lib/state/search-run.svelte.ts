import { call, on } from '../api';

/**
 * The structure search the library's current query runs under: its id (the tag of the query's compound.list
 * and compound.ids calls), its progress (search.progress events) and its cancel. A new query stops the
 * previous search if it still runs, so typing a better query never waits for the worse one.
 */
export class SearchRun {
  /** The id of the current query's search; null when the query has no structure search. */
  id = $state<string | null>(null);
  /** Chunks of the library matched so far of those it will match at most; null before the first report and after the end. */
  progress = $state<{ done: number; total: number } | null>(null);
  /** The chemist stopped the current search: its page holds what it had found (said as a notice). */
  stopped = $state(false);
  private readonly window = crypto.randomUUID().slice(0, 8);
  private count = 0;

  constructor() {
    on('search.progress', (p) => {
      if (p.searchId === this.id) this.progress = p.done < p.total ? { done: p.done, total: p.total } : null;
    });
  }

  /** A new query: stops the running search, if any, and tags the new one (when it searches structures). */
  next(searching: boolean): void {
    this.stop();
    this.stopped = false;
    this.id = searching ? `${this.window}-${++this.count}` : null;
  }

  /** Stops the current search: its page comes back with what it found so far. */
  stop(): void {
    if (this.id && this.progress) {
      void call('search.cancel', { searchId: this.id }).catch(() => undefined);
      this.stopped = true;
    }
    this.progress = null;
  }

  /** The current query's calls end: nothing runs under its id any more. */
  ended(): void {
    this.progress = null;
  }
}
