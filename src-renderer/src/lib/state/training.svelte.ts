import type { AssaySummary, EpochPoint, ImportPreview, InterruptedRun, JobInfo, JobProgress, ModelSummary, TrainOutcome } from '../../../../src-shared/dto';
import { type AssayColumns, givenColumns } from '../../../../src-shared/assay-columns';
import { call, on, problemOf, problemOfApi, runningJobs, type Problem } from '../api';
import { toBase64 } from './libraries.svelte';

export interface TrainForm {
  target: string;
  task: 'regression' | 'classification';
  /** The unit of potencies in the file (IC50, Ki…): they become p-values (pIC50 = -log10 molar); '' = use the values as they are. */
  unit: '' | 'nM' | 'uM' | 'mM' | 'pM' | 'M';
  out: string;
  teacher: string;
  distill: boolean;
  /** The transformers' task heads also read the ECFP4 (settings.fpHead). */
  fpHead: boolean;
  /** The task heads also read the RDKit descriptors (settings.descHead). */
  descHead: boolean;
  studentLayers: number;
  split: 'scaffold' | 'random' | 'temporal';
  /** The file's date column (a temporal split trains on the oldest compounds, tests on the newest); a stored assay brings its dates. */
  dateCol: string;
  /** The file's SMILES and compound-ID columns; '' = found by name (and, for SMILES, by content). */
  smilesCol: string;
  idCol: string;
  epochs: number;
  seeds: number;
}

/** The finished training runs the Training view lists. */
const FINISHED_SHOWN = 10;

/** The columns the form names for a file (a stored assay brings its own). */
const fileColumns = (f: TrainForm): Pick<AssayColumns, 'smilesCol' | 'idCol' | 'dateCol'> =>
  givenColumns({ smilesCol: f.smilesCol.trim(), idCol: f.idCol.trim(), dateCol: f.dateCol.trim() });

/** The training form as the chemist left it: the file or stored assay, the choices, the open panels. */
export interface TrainDraft {
  form: TrainForm;
  files: FileList | null;
  /** '' for a file, else the name of a stored assay. */
  assay: string;
  advanced: boolean;
  /** The stored assay's compound table is open (loaded when opened). */
  showAssay: boolean;
}

/**
 * A QSAR training job: the form's choices, its live epoch curves, and the comparison at the end. One per
 * window (it outlives the view), so a run is followed wherever the chemist goes.
 */
export class TrainingState {
  draft = $state<TrainDraft>({
    form: {
      target: '',
      task: 'regression',
      unit: '',
      out: '',
      teacher: '',
      distill: true,
      fpHead: true,
      descHead: false,
      studentLayers: 3,
      split: 'scaffold',
      dateCol: '',
      smilesCol: '',
      idCol: '',
      epochs: 15,
      seeds: 3,
    },
    files: null,
    assay: '',
    advanced: false,
    showAssay: false,
  });
  teachers = $state<ModelSummary[]>([]);
  /** Assays stored by earlier runs: they train again without their files. */
  assays = $state<AssaySummary[]>([]);
  /** Runs cancelled or cut off (a crash): each resumes from its latest checkpoint. */
  runs = $state<InterruptedRun[]>([]);
  jobId = $state<string | null>(null);
  /** What the running job does: train models, or read an assay file into a stored assay. */
  jobKind = $state<'train' | 'assay'>('train');
  /** The assay the last finished read stored (the view selects it). */
  readAssay = $state<string | null>(null);
  progress = $state<JobProgress | null>(null);
  points = $state<EpochPoint[]>([]);
  outcome = $state<TrainOutcome | null>(null);
  /** Training runs this database finished (the app's and `delicate train`'s, newest first): each one's comparison can be shown again. */
  finished = $state<JobInfo[]>([]);
  /** The finished run whose outcome is shown, when it is one of `finished` (not the run that just ended here). */
  shown = $state<JobInfo | null>(null);
  /** The shown run's models no longer registered under their names (renamed or deleted since). */
  gone = $state<string[]>([]);
  error = $state<Problem | null>(null);
  /** The chosen file's first records and columns, as reading it would see them (the form's pick-lists). */
  filePreview = $state<{ file: File; preview: ImportPreview } | null>(null);
  /** This window is starting a job (its id not answered yet): another window's is not taken up meanwhile. */
  private starting = false;
  /** Asking which job runs (one question at a time, however many progress events arrive meanwhile). */
  private attaching: Promise<void> | null = null;

  /** Reads the head of the chosen file (256 KiB) for its columns and first records; null clears it. */
  async previewFile(file: File | null): Promise<void> {
    if (file === null) {
      this.filePreview = null;
      return;
    }
    if (this.filePreview?.file === file) return;
    try {
      const head = new File([file.slice(0, 256 * 1024)], file.name);
      const preview = await call('library.preview', { source: { kind: 'upload', fileName: file.name, dataBase64: await toBase64(head) } });
      if (this.draft.files?.[0] === file) this.filePreview = { file, preview };
    } catch (e) {
      this.error = problemOf(e);
      this.filePreview = null;
    }
  }

  constructor() {
    on('job.progress', (p) => {
      if (p.jobId !== this.jobId) {
        // A run or an assay read another window (host mode: another tab) started is followed when this one follows none.
        if (this.jobId === null && !this.starting && (p.kind === 'train' || p.kind === 'assay'))
          this.attaching ??= this.attach().finally(() => (this.attaching = null));
        return;
      }
      this.progress = p;
      if (p.epoch) this.points.push(p.epoch);
    });
    on('job.done', (d) => {
      if (d.jobId !== this.jobId) return;
      this.jobId = null;
      if (d.state === 'done' && this.jobKind === 'assay') {
        this.readAssay = (d.result as AssaySummary).name;
        void this.refresh();
      } else if (d.state === 'done') {
        this.outcome = d.result as TrainOutcome;
        this.shown = null;
        void this.refresh(); // the run stored its assay
      } else {
        // A cancel is what the chemist asked for: said as a notice (where the run waits), not as a failure.
        const p = !d.error ? { message: `Training ${d.state}.`, details: null } : problemOfApi(d.error);
        this.error = d.state === 'cancelled' ? { ...p, notice: true } : p;
        void this.refresh(); // a run cut short is saved: it appears under the interrupted runs
      }
    });
  }

  /** Encoders a teacher can be fine-tuned from. */
  async refresh(): Promise<void> {
    try {
      this.teachers = (await call('model.list', {})).models.filter((m) => m.state === 'ready' && (m.kind === 'pretrained' || m.kind === 'shared'));
      this.assays = (await call('assay.list', {})).assays;
      this.runs = (await call('model.runs', {})).runs;
      this.finished = (await call('job.list', { kind: 'train', state: 'done', limit: FINISHED_SHOWN })).jobs.filter((j) => j.result);
    } catch (e) {
      this.error = problemOf(e);
    }
  }

  /**
   * Takes up a training run or an assay read the main process runs already, with its curves so far: this
   * window was opened or reloaded mid-job, or another window started one (the last outcome shown goes).
   */
  async attach(): Promise<void> {
    try {
      const [job] = await runningJobs(['train', 'assay']);
      if (!job || this.jobId !== null || this.starting) return;
      this.outcome = null;
      this.shown = null;
      this.jobId = job.jobId;
      this.jobKind = job.kind === 'assay' ? 'assay' : 'train';
      this.progress = job.progress;
      this.points = job.epochs ?? [];
    } catch (e) {
      this.error = problemOf(e);
    }
  }

  /** Shows a finished run's comparison again (its curves are not kept), saying which of its models are gone since. */
  async show(job: JobInfo): Promise<void> {
    this.error = null;
    this.points = [];
    this.progress = null;
    const outcome = job.result as TrainOutcome;
    this.outcome = outcome;
    this.shown = job;
    this.gone = [];
    try {
      const names = (await call('model.list', {})).models.map((m) => m.name);
      if (this.shown === job) this.gone = outcome.registered.filter((n) => !names.includes(n));
    } catch (e) {
      this.error = problemOf(e);
    }
  }

  /** A training job begins: the last one's outcome, curves and error go. */
  private begin(): void {
    this.error = null;
    this.outcome = null;
    this.shown = null;
    this.points = [];
    this.progress = null;
    this.jobKind = 'train';
  }

  /** Starts a job (its body runs once the call has answered with its id); a failure to start is shown. */
  private async launch(starting: () => Promise<{ jobId: string }>): Promise<void> {
    this.starting = true;
    try {
      this.jobId = (await starting()).jobId;
    } catch (e) {
      this.error = problemOf(e);
    } finally {
      this.starting = false;
    }
  }

  /** Trains on an uploaded file or on a stored assay (by name). */
  async start(data: File | string, f: TrainForm): Promise<void> {
    this.begin();
    await this.launch(async () =>
      call('model.train', {
        ...(typeof data === 'string' ? { assay: data } : { source: { kind: 'upload' as const, fileName: data.name, dataBase64: await toBase64(data) } }),
        target: f.target,
        task: f.task,
        // A stored assay is converted already, and brings its dates.
        ...(typeof data !== 'string' && f.unit && f.task === 'regression' ? { unit: f.unit } : {}),
        ...(typeof data !== 'string' ? fileColumns(f) : {}),
        out: f.out,
        ...(f.teacher ? { teacher: f.teacher } : {}),
        distill: f.distill,
        studentLayers: f.studentLayers,
        split: f.split,
        epochs: f.epochs,
        seeds: f.seeds,
        settings: { fpHead: f.fpHead, descHead: f.descHead },
      }),
    );
  }

  /** Resumes an interrupted run from its latest checkpoint (its own request and copy of the data). */
  async resume(name: string): Promise<void> {
    this.begin();
    await this.launch(() => call('model.resume', { name }));
  }

  /** Drops an interrupted run's checkpoint. */
  async discard(name: string): Promise<void> {
    try {
      this.error = null;
      await call('model.discardRun', { name });
      await this.refresh();
    } catch (e) {
      this.error = problemOf(e);
    }
  }

  /** Reads an uploaded assay file into a stored assay named `f.out`, to look at before training on it. */
  async read(data: File, f: TrainForm): Promise<void> {
    this.error = null;
    this.progress = null;
    this.readAssay = null;
    this.jobKind = 'assay';
    await this.launch(async () =>
      call('assay.import', {
        source: { kind: 'upload' as const, fileName: data.name, dataBase64: await toBase64(data) },
        name: f.out,
        target: f.target,
        task: f.task,
        ...(f.unit && f.task === 'regression' ? { unit: f.unit } : {}),
        ...fileColumns(f),
      }),
    );
  }

  /** Deletes a stored assay (a wrong unit or column: read it again); true when it went. */
  async deleteAssay(name: string): Promise<boolean> {
    try {
      this.error = null;
      const { deleted } = await call('assay.delete', { name });
      await this.refresh();
      return deleted;
    } catch (e) {
      this.error = problemOf(e);
      return false;
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId) await call('job.cancel', { jobId: this.jobId });
  }
}
