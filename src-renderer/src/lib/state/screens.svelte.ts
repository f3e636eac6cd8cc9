import type { ApiArgs } from '../../../../src-shared/contract';
import type { JobProgress, ModelSummary, ScreenHit, ScreenSummary, VsOutcome } from '../../../../src-shared/dto';
import { MIME, saveDownload } from '../download';
import { call, guarded, on, problemOfApi, runningJobs, type Problem } from '../api';

const PAGE = 50;

/**
 * Screening: the models that can score, the screen runs, a running screen's progress, a screen's ranked
 * results, and enrichment evaluations. One per window (it outlives the view), so a job started here is
 * followed wherever the chemist goes; a window reloaded mid-job takes the job up again.
 */
export class ScreensState {
  models = $state<ModelSummary[]>([]);
  /** Every finished model (embeddings can come from any encoder). */
  allModels = $state<ModelSummary[]>([]);
  screens = $state<ScreenSummary[]>([]);
  running = $state<{ jobId: string; progress: JobProgress | null } | null>(null);
  current = $state<ScreenSummary | null>(null);
  model = $state<string | null>(null);
  hits = $state<ScreenHit[]>([]);
  histogram = $state<{ model: string; min: number; max: number; counts: number[] } | null>(null);
  offset = $state(0);
  minScore = $state<number | null>(null);
  inDomainOnly = $state(false);
  /** Lowest scores first. */
  ascending = $state(false);
  substructure = $state('');
  /** The compounds the chosen model could not score (with why), instead of its ranking. */
  unreadableOnly = $state(false);
  error = $state<Problem | null>(null);
  loading = $state(false);
  /** The enrichment evaluation in progress (embedding a large library, or screening it with a model, takes a while). */
  vsRunning = $state<{ jobId: string; progress: JobProgress | null } | null>(null);
  /** Evaluations done, newest first: one per library, method and model. */
  vsResults = $state<VsOutcome[]>([]);
  vsError = $state<Problem | null>(null);

  constructor() {
    on('job.progress', (p) => {
      // A screen or evaluation another window (host mode: another tab) started is followed when none is.
      if (p.kind === 'screen' && this.running === null) this.running = { jobId: p.jobId, progress: p };
      if (p.kind === 'vs' && this.vsRunning === null) this.vsRunning = { jobId: p.jobId, progress: p };
      if (this.running?.jobId === p.jobId) this.running.progress = p;
      if (this.vsRunning?.jobId === p.jobId) this.vsRunning.progress = p;
    });
    on('job.done', (d) => {
      if (this.vsRunning?.jobId === d.jobId) {
        this.vsRunning = null;
        if (d.state === 'done') {
          const r = d.result as VsOutcome;
          this.vsResults = [r, ...this.vsResults.filter((x) => x.library !== r.library || x.method !== r.method || x.model !== r.model)];
        } else if (d.state === 'cancelled' || !d.error)
          this.vsError = { message: 'Evaluation cancelled: model SMILES and any screen already computed are kept.', details: null, notice: true };
        else this.vsError = problemOfApi(d.error);
        void this.attach(); // another window's evaluation may still run
        return;
      }
      if (this.running?.jobId !== d.jobId) return;
      this.running = null;
      if (d.state !== 'done')
        this.error =
          d.state === 'cancelled' || !d.error
            ? { message: 'Screen cancelled: what was scored is kept; run it again to resume.', details: null, notice: d.state === 'cancelled' }
            : problemOfApi(d.error);
      void this.refresh().then(() => {
        const s = d.result as ScreenSummary | null;
        if (d.state === 'done' && s) void this.open(s.screen);
      });
      void this.attach(); // another window's screen may still run
    });
  }

  private guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return guarded((m) => (this.error = m), fn);
  }

  /**
   * Takes up a screen or an evaluation the main process runs already: this window was opened or reloaded
   * mid-job, or the one it followed ended while another window's still runs.
   */
  async attach(): Promise<void> {
    await this.guard(async () => {
      for (const j of await runningJobs(['screen', 'vs'])) {
        if (j.kind === 'screen') this.running ??= { jobId: j.jobId, progress: j.progress };
        else this.vsRunning ??= { jobId: j.jobId, progress: j.progress };
      }
    });
  }

  /** Evaluates a ranking method against the library's known actives (a job: progress, cancel). */
  async runVs(args: ApiArgs<'screen.vs'>): Promise<void> {
    await guarded(
      (m) => (this.vsError = m),
      async () => {
        this.vsRunning = { jobId: (await call('screen.vs', args)).jobId, progress: null };
      },
    );
  }

  async cancelVs(): Promise<void> {
    const jobId = this.vsRunning?.jobId;
    if (jobId)
      await guarded(
        (m) => (this.vsError = m),
        () => call('job.cancel', { jobId }),
      );
  }

  /** Models that score compounds (task models and ECFP4 forests) and the screen runs. */
  async refresh(): Promise<void> {
    await this.guard(async () => {
      this.allModels = (await call('model.list', {})).models.filter((m) => m.state === 'ready');
      this.models = this.allModels.filter((m) => m.task !== null);
      this.screens = (await call('screen.list', {})).screens;
    });
  }

  async run(library: string, models: string[], resume: boolean): Promise<void> {
    await this.guard(async () => {
      const { jobId } = await call('screen.run', { library, models, resume });
      this.running = { jobId, progress: null };
    });
  }

  async cancel(): Promise<void> {
    const jobId = this.running?.jobId;
    if (jobId) await this.guard(() => call('job.cancel', { jobId }));
  }

  async open(screen: number): Promise<void> {
    this.offset = 0;
    this.model = null;
    this.unreadableOnly = false;
    await this.load(screen);
  }

  async load(screen = this.current?.screen): Promise<void> {
    if (screen === undefined) return;
    this.loading = true;
    await this.guard(async () => {
      const r = await call('screen.results', { screen, limit: PAGE, offset: this.offset, ...this.filter() });
      this.current = r.summary;
      this.model ??= r.summary.models[0] ?? null;
      this.hits = r.hits;
      this.histogram = r.histogram;
    });
    this.loading = false;
  }

  /** The filtered ranking as CSV or SDF, saved by the browser (host mode and Electron alike). */
  async download(format: 'csv' | 'sdf'): Promise<void> {
    const screen = this.current?.screen;
    if (screen === undefined) return;
    await this.guard(async () => {
      const r = await call('screen.download', { screen, format, ...this.filter() });
      saveDownload(r.fileName, r.content, MIME[format]);
    });
  }

  private filter() {
    return {
      ...(this.model ? { model: this.model } : {}),
      ...(this.minScore !== null && Number.isFinite(this.minScore) ? { minScore: this.minScore } : {}),
      ...(this.inDomainOnly ? { inDomainOnly: true } : {}),
      ...(this.substructure.trim() ? { substructure: this.substructure.trim() } : {}),
      ...(this.unreadableOnly ? { unreadable: true } : {}),
      ...(this.ascending ? { ascending: true } : {}),
    };
  }

  /** Switches between the ranking and the compounds the model could not read. */
  /** Highest scores first, or lowest first (ranks follow). */
  async toggleOrder(): Promise<void> {
    this.ascending = !this.ascending;
    this.offset = 0;
    await this.load();
  }

  async showUnreadable(on: boolean): Promise<void> {
    this.unreadableOnly = on;
    this.offset = 0;
    await this.load();
  }

  async page(delta: number): Promise<void> {
    this.offset = Math.max(0, this.offset + delta * PAGE);
    await this.load();
  }

  get pageSize(): number {
    return PAGE;
  }
}
