import type {
  ClusterResult,
  HistogramSettings,
  JobProgress,
  LibraryView,
  PlotSettings,
  RGroupResult,
  ScaffoldResult,
  ScaffoldRow,
} from '../../../../src-shared/dto';
import { call, guarded, on, problemOfApi, type Problem } from '../api';
import { NUMERIC_DESCRIPTORS } from '../columns';
import type { LibrariesState } from './libraries.svelte';

const DESCRIPTOR_KEYS = new Set(NUMERIC_DESCRIPTORS.map(([k]) => k));

type AnalysisJob = { jobId: string; library: string; kind: 'cluster' | 'scaffolds'; progress: JobProgress | null };

/**
 * Clustering, scaffolds and diversity for the library in view: a Butina clustering or a scaffold analysis
 * runs as a job (progress, cancel) and adds its columns to the table; the scaffold view lists the
 * commonest scaffolds with a column's mean, min and max (a click filters the table to one); a MaxMin pick
 * becomes the selection.
 */
export class AnalysisState {
  threshold = $state(0.6);
  pick = $state(50);
  /** The analysis job running, with its newest progress. */
  job = $state<AnalysisJob | null>(null);
  result = $state<ClusterResult | null>(null);
  scaffoldResult = $state<ScaffoldResult | null>(null);
  /** The scaffold view: its rows and the column it summarises ('' none). */
  scaffolds = $state<ScaffoldRow[] | null>(null);
  scaffoldColumn = $state('');
  /** The SAR table of the selection, and the core drawn for it ('' : the selection's common core). */
  rgroups = $state<RGroupResult | null>(null);
  core = $state('');
  /** The library's saved views. */
  views = $state<Array<{ name: string; view: LibraryView }>>([]);
  /** The scatter plot and the histogram (saved with a view). */
  plot = $state<PlotSettings>({ open: false, x: 'mw', y: 'clogp', color: '', size: '' });
  histogram = $state<HistogramSettings>({ open: false, column: 'mw' });
  error = $state<Problem | null>(null);
  private readonly off: Array<() => void> = [];

  constructor(private readonly libs: LibrariesState) {
    this.off.push(
      on('job.progress', (p) => {
        if (this.job && p.jobId === this.job.jobId) this.job.progress = p;
      }),
    );
    this.off.push(on('job.done', (d) => void this.ended(d.jobId, d.state, d.result, d.error ?? undefined)));
  }

  private async ended(jobId: string, state: string, result: unknown, error: { code: string; message: string } | undefined): Promise<void> {
    const job = this.job;
    if (!job || jobId !== job.jobId) return;
    this.job = null;
    if (state !== 'done') {
      const what = job.kind === 'cluster' ? 'Clustering' : 'Scaffold analysis';
      this.error = error ? problemOfApi(error) : { message: `${what} ${state}.`, details: null, notice: state === 'cancelled' };
      return;
    }
    if (this.libs.selected !== job.library) return;
    await this.libs.loadColumns(job.library);
    const columns = (result as ClusterResult | ScaffoldResult).columns;
    for (const c of columns) if (!this.libs.shown.includes(c)) this.libs.toggleColumn(c);
    if (job.kind === 'cluster') {
      this.result = result as ClusterResult;
      // Cluster 1 (the largest) first, each cluster led by its centroid.
      this.libs.sort = [{ column: columns[0] as string }, { column: columns[2] as string, desc: true }];
      await this.libs.load();
    } else {
      this.scaffoldResult = result as ScaffoldResult;
      await this.libs.load();
      await this.loadScaffolds();
    }
  }

  /** Stops listening (the view closed). */
  dispose(): void {
    for (const off of this.off.splice(0)) off();
  }

  private async start(kind: AnalysisJob['kind']): Promise<void> {
    const library = this.libs.selected;
    if (!library || this.job) return;
    await guarded(
      (e) => (this.error = e),
      async () => {
        const { jobId } =
          kind === 'cluster' ? await call('library.cluster', { library, threshold: this.threshold }) : await call('library.scaffolds', { library });
        this.job = { jobId, library, kind, progress: null };
      },
    );
  }

  cluster = () => this.start('cluster');
  findScaffolds = () => this.start('scaffolds');

  async cancel(): Promise<void> {
    const job = this.job;
    if (job)
      await guarded(
        (e) => (this.error = e),
        () => call('job.cancel', { jobId: job.jobId }),
      );
  }

  /** The scaffold view's rows (the 12 commonest) for the chosen column. */
  async loadScaffolds(): Promise<void> {
    const library = this.libs.selected;
    if (!library) return;
    const r = await guarded(
      (e) => (this.error = e),
      () => call('library.scaffoldSummary', { library, limit: 12, ...(this.scaffoldColumn ? { column: this.scaffoldColumn } : {}) }),
    );
    if (r) this.scaffolds = r.rows;
  }

  /** Shows only this scaffold's compounds (an exact filter on the scaffold column). */
  async showScaffold(scaffold: string): Promise<void> {
    this.libs.filters = [...this.libs.filters.filter((f) => f.column !== 'scaffold'), { column: 'scaffold', equals: scaffold, exact: true }];
    await this.libs.load();
  }

  /** Decomposes the selected compounds (at most 5,000) into R groups around the core. */
  async decompose(): Promise<void> {
    const library = this.libs.selected;
    if (!library || this.libs.selection.size === 0) return;
    const ids = [...this.libs.selection].slice(0, 5000);
    const core = this.core.trim();
    this.rgroups = null;
    const r = await guarded(
      (e) => (this.error = e),
      () => call('compound.rgroups', { library, ids, ...(core ? { core } : {}) }),
    );
    if (r) this.rgroups = r;
  }

  async loadViews(): Promise<void> {
    const library = this.libs.selected;
    if (!library) return;
    const r = await guarded(
      (e) => (this.error = e),
      () => call('library.views', { library }),
    );
    if (r) this.views = r.views;
  }

  /** Saves what the table shows now (columns, order, filters, searches, selection, plots) under a name. */
  async saveView(name: string): Promise<boolean> {
    const library = this.libs.selected;
    if (!library || !name.trim()) return false;
    const l = this.libs;
    const view: LibraryView = $state.snapshot({
      shown: l.shown,
      sort: l.sort,
      ranges: l.ranges,
      filters: l.filters,
      substructure: l.substructure.trim(),
      similar: l.similar.trim(),
      minSim: l.minSim,
      selection: [...l.selection].slice(0, 200_000),
      plot: this.plot,
      histogram: this.histogram,
    });
    const r = await guarded(
      (e) => (this.error = e),
      () => call('library.saveView', { library, name: name.trim(), view }),
    );
    if (r) this.views = r.views;
    return r !== undefined;
  }

  /** Shows a saved view: its columns (those the library still has), order, filters, searches, selection and plots. */
  async applyView(name: string): Promise<void> {
    const v = this.views.find((x) => x.name === name)?.view;
    if (!v) return;
    const l = this.libs;
    l.shown = v.shown.filter((n) => l.columns.some((c) => c.name === n));
    l.sort = v.sort.length ? v.sort : [{ by: 'import' }];
    l.ranges = v.ranges;
    l.filters = v.filters.filter((f) => l.columns.some((c) => c.name === f.column));
    l.substructure = v.substructure;
    l.similar = v.similar;
    l.minSim = v.minSim;
    l.selection.clear();
    for (const id of v.selection) l.selection.add(id);
    l.selectionNote = `view '${name}'`;
    // A column the library no longer has falls back to a descriptor.
    const has = (c: string) => c === '' || DESCRIPTOR_KEYS.has(c) || (c === 'similarity' && v.similar !== '') || l.columns.some((x) => x.name === c);
    if (v.plot) {
      const p = v.plot;
      this.plot = { open: p.open, x: has(p.x) ? p.x : 'mw', y: has(p.y) ? p.y : 'clogp', color: has(p.color) ? p.color : '', size: has(p.size) ? p.size : '' };
    }
    if (v.histogram) this.histogram = { open: v.histogram.open, column: has(v.histogram.column) ? v.histogram.column : 'mw' };
    await l.load();
  }

  /** Selects a MaxMin pick of `pick` diverse compounds of the library (replacing the selection). */
  async diverse(): Promise<void> {
    const library = this.libs.selected;
    if (!library) return;
    const r = await guarded(
      (e) => (this.error = e),
      () => call('compound.diverse', { library, n: this.pick }),
    );
    if (!r) return;
    this.libs.selection.clear();
    for (const id of r.ids) this.libs.selection.add(id);
    this.libs.selectionNote = `${r.ids.length} diverse compounds selected (MaxMin on ECFP4)`;
  }
}
