import type { ClusterResult, JobProgress } from '../../../../src-shared/dto';
import { call, guarded, on, problemOfApi, type Problem } from '../api';
import type { LibrariesState } from './libraries.svelte';

/**
 * Clustering and diversity for the library in view: a Butina clustering runs as a job (progress, cancel)
 * and adds its columns to the table; a MaxMin pick becomes the selection.
 */
export class AnalysisState {
  threshold = $state(0.6);
  pick = $state(50);
  /** The clustering job running, with its newest progress. */
  job = $state<{ jobId: string; library: string; progress: JobProgress | null } | null>(null);
  result = $state<ClusterResult | null>(null);
  error = $state<Problem | null>(null);

  private readonly off: Array<() => void> = [];

  constructor(private readonly libs: LibrariesState) {
    this.off.push(
      on('job.progress', (p) => {
        if (this.job && p.jobId === this.job.jobId) this.job.progress = p;
      }),
    );
    this.off.push(
      on('job.done', (d) => {
        const job = this.job;
        if (!job || d.jobId !== job.jobId) return;
        this.job = null;
        if (d.state !== 'done') {
          this.error = d.error ? problemOfApi(d.error) : { message: `Clustering ${d.state}.`, details: null, notice: d.state === 'cancelled' };
          return;
        }
        const r = d.result as ClusterResult;
        this.result = r;
        void this.showColumns(job.library, r.columns);
      }),
    );
  }

  /** Stops listening (the view closed). */
  dispose(): void {
    for (const off of this.off.splice(0)) off();
  }

  /** Shows the clustering's columns (cluster, size, centroid), sorted by cluster, once they exist. */
  private async showColumns(library: string, columns: string[]): Promise<void> {
    if (this.libs.selected !== library) return;
    await this.libs.loadColumns(library);
    for (const c of columns) if (!this.libs.shown.includes(c)) this.libs.toggleColumn(c);
    // Cluster 1 (the largest) first, each cluster led by its centroid.
    this.libs.sort = [{ column: columns[0] as string }, { column: columns[2] as string, desc: true }];
    await this.libs.load();
  }

  async cluster(): Promise<void> {
    const library = this.libs.selected;
    if (!library || this.job) return;
    this.result = null;
    await guarded(
      (e) => (this.error = e),
      async () => {
        const { jobId } = await call('library.cluster', { library, threshold: this.threshold });
        this.job = { jobId, library, progress: null };
      },
    );
  }

  async cancel(): Promise<void> {
    if (this.job)
      await guarded(
        (e) => (this.error = e),
        () => call('job.cancel', { jobId: (this.job as { jobId: string }).jobId }),
      );
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
