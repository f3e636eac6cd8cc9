import type {
  AssayPage,
  AssaySummary,
  CompoundDetail,
  CompoundPage,
  DoctorReport,
  ImportPreview,
  InterruptedRun,
  LibraryView,
  JobDone,
  JobInfo,
  JobProgress,
  LibraryColumn,
  LibrarySummary,
  ModelSummary,
  ScreenHit,
  RGroupResult,
  ScaffoldRow,
  ScoreResult,
  ScreenSummary,
  SearchProgress,
} from './dto';
import type { Result } from './errors';
import type { ScoreDefinition } from './mpo';
import type { ArgsOf } from './schemas';

/**
 * The one contract between the renderer and the main process (Electron IPC or host mode).
 * Names are `area.verb`; long jobs return a job id and report through Events.
 */
export interface Api {
  'app.doctor'(args: ArgsOf<'app.doctor'>): Promise<DoctorReport>;
  /** What this process said at its start (on the terminal for the CLI), for the window to say too. */
  'app.notices'(args: ArgsOf<'app.notices'>): Promise<{ notices: string[] }>;
  /** A notice read: no window of this process shows it again (false: no such notice). */
  'app.dismissNotice'(args: ArgsOf<'app.dismissNotice'>): Promise<{ dismissed: boolean }>;
  'library.list'(args: ArgsOf<'library.list'>): Promise<{ libraries: LibrarySummary[] }>;
  'library.import'(args: ArgsOf<'library.import'>): Promise<{ jobId: string }>;
  'library.export'(args: ArgsOf<'library.export'>): Promise<{ written: number }>;
  'library.preview'(args: ArgsOf<'library.preview'>): Promise<ImportPreview>;
  'library.delete'(args: ArgsOf<'library.delete'>): Promise<{ deleted: boolean }>;
  /** The library's own columns (the properties its files brought) with their types. */
  'library.columns'(args: ArgsOf<'library.columns'>): Promise<LibraryColumn[]>;
  /** Sorts and filters a column as another type; the library's columns after the change. */
  'library.setColumnType'(args: ArgsOf<'library.setColumnType'>): Promise<LibraryColumn[]>;
  'compound.list'(args: ArgsOf<'compound.list'>): Promise<CompoundPage>;
  'compound.ids'(args: ArgsOf<'compound.ids'>): Promise<{ ids: number[] }>;
  'compound.download'(args: ArgsOf<'compound.download'>): Promise<{ fileName: string; content: string; written: number }>;
  'library.fromSelection'(args: ArgsOf<'library.fromSelection'>): Promise<LibrarySummary>;
  /** Butina clustering on ECFP4 as a job (result: ClusterResult); writes the cluster columns into the library. */
  'library.cluster'(args: ArgsOf<'library.cluster'>): Promise<{ jobId: string }>;
  /** Bemis–Murcko scaffolds as a job (result: ScaffoldResult); writes the scaffold columns into the library. */
  'library.scaffolds'(args: ArgsOf<'library.scaffolds'>): Promise<{ jobId: string }>;
  /** The scaffold view: compounds per scaffold with a numeric column's mean, min and max. */
  'library.scaffoldSummary'(args: ArgsOf<'library.scaffoldSummary'>): Promise<{ rows: ScaffoldRow[] }>;
  /** Saves a desirability (MPO) score with the library and writes it as a column (0–1). */
  'library.score'(args: ArgsOf<'library.score'>): Promise<ScoreResult>;
  /** The library's saved score definitions. */
  'library.scores'(args: ArgsOf<'library.scores'>): Promise<{ scores: ScoreDefinition[] }>;
  /** The SAR table of chosen compounds: R groups around a core (drawn, or their MCS). */
  'compound.rgroups'(args: ArgsOf<'compound.rgroups'>): Promise<RGroupResult>;
  /** The numbers behind a plot: ids and each asked column (import order), column by column. */
  'compound.values'(args: ArgsOf<'compound.values'>): Promise<{ ids: number[]; columns: string[]; values: Array<Array<number | null>> }>;
  /** Saves (or replaces) a named view of the library. */
  'library.saveView'(args: ArgsOf<'library.saveView'>): Promise<{ views: Array<{ name: string; view: LibraryView }> }>;
  /** The library's saved views, by name. */
  'library.views'(args: ArgsOf<'library.views'>): Promise<{ views: Array<{ name: string; view: LibraryView }> }>;
  'library.deleteView'(args: ArgsOf<'library.deleteView'>): Promise<{ deleted: boolean }>;
  /** A MaxMin pick of n diverse compounds (ids): a selection. */
  'compound.diverse'(args: ArgsOf<'compound.diverse'>): Promise<{ ids: number[] }>;
  'compound.get'(args: ArgsOf<'compound.get'>): Promise<CompoundDetail>;
  'compound.depict'(args: ArgsOf<'compound.depict'>): Promise<{ svg: string }>;
  'compound.conformer'(args: ArgsOf<'compound.conformer'>): Promise<{ molblock: string; cached: boolean }>;
  'model.list'(args: ArgsOf<'model.list'>): Promise<{ models: ModelSummary[] }>;
  'model.pretrain'(args: ArgsOf<'model.pretrain'>): Promise<{ jobId: string }>;
  'model.delete'(args: ArgsOf<'model.delete'>): Promise<{ deleted: boolean }>;
  /** Renames a model; the models made from it, its screens and predictions and interrupted runs follow. */
  'model.rename'(args: ArgsOf<'model.rename'>): Promise<{ model: ModelSummary }>;
  /** Inference speed of a task model on this machine (512 drug-like molecules, the engine screening would use). */
  'model.speed'(args: ArgsOf<'model.speed'>): Promise<{ molPerSec: number; engine: string; molecules: number }>;
  'model.download'(args: ArgsOf<'model.download'>): Promise<{ fileName: string; dataBase64: string }>;
  'model.import'(args: ArgsOf<'model.import'>): Promise<{ model: ModelSummary }>;
  'model.train'(args: ArgsOf<'model.train'>): Promise<{ jobId: string }>;
  /** Training runs that were cancelled or cut off, newest first: each resumes from its latest checkpoint. */
  'model.runs'(args: ArgsOf<'model.runs'>): Promise<{ runs: InterruptedRun[] }>;
  /** Resumes an interrupted run by name with its own request and a copy of its data (a job, like model.train). */
  'model.resume'(args: ArgsOf<'model.resume'>): Promise<{ jobId: string }>;
  /** Discards an interrupted run's checkpoint. */
  'model.discardRun'(args: ArgsOf<'model.discardRun'>): Promise<{ discarded: boolean }>;
  'assay.list'(args: ArgsOf<'assay.list'>): Promise<{ assays: AssaySummary[] }>;
  /** Reads an assay file into a stored assay (a job; its result is the AssaySummary), to inspect and train on. */
  'assay.import'(args: ArgsOf<'assay.import'>): Promise<{ jobId: string }>;
  /** Deletes a stored assay and its measurements (models trained on it keep their own record of the data). */
  'assay.delete'(args: ArgsOf<'assay.delete'>): Promise<{ deleted: boolean }>;
  /** A stored assay's compounds in file order: mean, replicate count and spread, censoring, date. */
  'assay.get'(args: ArgsOf<'assay.get'>): Promise<AssayPage>;
  'screen.run'(args: ArgsOf<'screen.run'>): Promise<{ jobId: string }>;
  'screen.list'(args: ArgsOf<'screen.list'>): Promise<{ screens: ScreenSummary[] }>;
  /** Enrichment of a labelled library against known actives (a job, with progress and cancel; its result is the VsOutcome). */
  'screen.vs'(args: ArgsOf<'screen.vs'>): Promise<{ jobId: string }>;
  'screen.results'(
    args: ArgsOf<'screen.results'>,
  ): Promise<{ summary: ScreenSummary; hits: ScreenHit[]; histogram: { model: string; min: number; max: number; counts: number[] } }>;
  'screen.export'(args: ArgsOf<'screen.export'>): Promise<{ written: number; file: string }>;
  'screen.download'(args: ArgsOf<'screen.download'>): Promise<{ fileName: string; content: string; written: number }>;
  'job.get'(args: ArgsOf<'job.get'>): Promise<JobInfo>;
  'job.list'(args: ArgsOf<'job.list'>): Promise<{ jobs: JobInfo[] }>;
  'job.cancel'(args: ArgsOf<'job.cancel'>): Promise<{ cancelled: boolean }>;
  /** Stops the structure searches running under this searchId: their calls end with CANCELLED. */
  'search.cancel'(args: ArgsOf<'search.cancel'>): Promise<{ cancelled: boolean }>;
}

export interface Events {
  'job.progress': JobProgress;
  'job.done': JobDone;
  'search.progress': SearchProgress;
}

export type ApiMethod = keyof Api;
export type ApiArgs<M extends ApiMethod> = Parameters<Api[M]>[0];
export type ApiReturn<M extends ApiMethod> = Awaited<ReturnType<Api[M]>>;
export type EventName = keyof Events;

/** Every method name, for building clients (preload, host client) without writing the list twice. */
export const API_METHODS = [
  'app.doctor',
  'app.notices',
  'app.dismissNotice',
  'library.list',
  'library.import',
  'library.export',
  'library.preview',
  'library.delete',
  'library.columns',
  'library.setColumnType',
  'compound.list',
  'compound.ids',
  'compound.download',
  'library.fromSelection',
  'library.cluster',
  'library.scaffolds',
  'library.scaffoldSummary',
  'library.score',
  'library.scores',
  'compound.rgroups',
  'compound.values',
  'library.saveView',
  'library.views',
  'library.deleteView',
  'compound.diverse',
  'compound.get',
  'compound.depict',
  'compound.conformer',
  'model.list',
  'model.delete',
  'model.rename',
  'model.speed',
  'model.download',
  'model.import',
  'model.pretrain',
  'model.train',
  'model.runs',
  'model.resume',
  'model.discardRun',
  'assay.list',
  'assay.import',
  'assay.delete',
  'assay.get',
  'screen.run',
  'screen.list',
  'screen.vs',
  'screen.results',
  'screen.export',
  'screen.download',
  'job.get',
  'job.list',
  'job.cancel',
  'search.cancel',
] as const satisfies readonly ApiMethod[];

export const EVENT_NAMES = ['job.progress', 'job.done', 'search.progress'] as const satisfies readonly EventName[];

/** Electron IPC channel names derived from the contract. */
export const IPC_INVOKE_CHANNEL = 'delicate:invoke';
export const IPC_EVENT_CHANNEL = 'delicate:event';

/**
 * A transport to the main process: what the preload exposes as `window.api` and what host mode's
 * WebSocket client implements. Results come as envelopes; the renderer's api.ts unwraps them.
 */
export interface Transport {
  invoke(method: ApiMethod, args: unknown): Promise<Result<unknown>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

// Compile-time check that API_METHODS lists every method of Api.
type MissingMethods = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
const _everyMethodListed: [MissingMethods] extends [never] ? true : MissingMethods = true;
void _everyMethodListed;
