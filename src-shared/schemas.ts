import { z } from 'zod';
import { DESCRIPTOR_NAMES } from './descriptors';
import type { JobKind, JobState } from './dto';

/** Every kind of job (dto JobKind). */
const JOB_KINDS = [
  'import',
  'assay',
  'conformer',
  'pretrain',
  'train',
  'screen',
  'vs',
  'setup',
  'cluster',
  'scaffolds',
  'descriptors',
] as const satisfies readonly JobKind[];
/** Every state of a job (dto JobState). */
const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const satisfies readonly JobState[];

/** Argument schemas for every Api method; the router validates against them at the boundary. */

const name = z.string().trim().min(1, 'must not be empty').max(200);
const smilesQuery = z.string().trim().min(1).max(5000);

export const importSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: z.string().min(1) }),
  // Host mode: the browser has no file paths, so the file content travels (base64).
  z.object({ kind: z.literal('upload'), fileName: z.string().min(1).max(500), dataBase64: z.string() }),
]);

const range = z.object({ min: z.number().optional(), max: z.number().optional() }).strict();
const descriptorName = z.enum(DESCRIPTOR_NAMES);

const columnName = z.string().min(1).max(500);
const compoundSort = z.object({ by: z.union([z.enum(['import', 'similarity']), descriptorName]), desc: z.boolean().optional() }).strict();
const columnSort = z.object({ column: columnName, desc: z.boolean().optional() }).strict();
const sortKey = z.union([compoundSort, columnSort]);
/** A filter on a library column (ColumnFilter): at least one condition. */
const columnFilter = z
  .object({
    column: columnName,
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    equals: z.string().optional(),
    /** With equals on a text column: the same case too (structures: c1ccccc1 is not C1CCCCC1). */
    exact: z.boolean().optional(),
    contains: z.string().optional(),
  })
  .strict()
  .refine((f) => [f.min, f.max, f.equals, f.contains].some((x) => x !== undefined), { message: 'a column filter needs min, max, equals or contains' });

/** One term of a desirability score (src-shared/mpo.ts): a column or descriptor, its function and weight. */
const scoreTerm = z.discriminatedUnion('fn', [
  z.object({ column: columnName, weight: z.number().min(0).max(100), fn: z.literal('up'), low: z.number(), high: z.number() }).strict(),
  z.object({ column: columnName, weight: z.number().min(0).max(100), fn: z.literal('down'), low: z.number(), high: z.number() }).strict(),
  z
    .object({
      column: columnName,
      weight: z.number().min(0).max(100),
      fn: z.literal('range'),
      low: z.number(),
      high: z.number(),
      tolerance: z.number().min(0).optional(),
    })
    .strict(),
  z.object({ column: columnName, weight: z.number().min(0).max(100), fn: z.literal('target'), target: z.number(), tolerance: z.number().min(0) }).strict(),
]);
const scoreDefinition = z
  .object({ name, terms: z.array(scoreTerm).min(1).max(50) })
  .strict()
  .refine((d) => d.terms.every((t) => !('low' in t) || t.low <= t.high), { message: 'each term needs low ≤ high', path: ['terms'] })
  .refine((d) => d.terms.some((t) => t.weight > 0), { message: 'at least one term needs a weight above 0', path: ['terms'] });

/** A saved view of a library (LibraryView): what the table shows and keeps. */
const libraryView = z
  .object({
    shown: z.array(columnName).max(500),
    sort: z.array(sortKey).max(10),
    ranges: z.partialRecord(descriptorName, range),
    filters: z.array(columnFilter).max(50),
    substructure: z.string().max(5000),
    similar: z.string().max(5000),
    minSim: z.number().min(0).max(1),
    selection: z.array(z.number().int().positive()).max(200_000),
    plot: z
      .object({ open: z.boolean(), x: columnName, y: columnName, color: z.union([columnName, z.literal('')]), size: z.union([columnName, z.literal('')]) })
      .strict()
      .optional(),
    histogram: z.object({ open: z.boolean(), column: columnName }).strict().optional(),
  })
  .strict();

/** The fields of a compound query (CompoundQuery) without its page. */
const compoundQuery = {
  library: name,
  substructure: smilesQuery.optional(),
  similar: smilesQuery.optional(),
  minSim: z.number().min(0).max(1).optional(),
  ranges: z.partialRecord(descriptorName, range).optional(),
  filters: z.array(columnFilter).max(50).optional(),
  sort: z.union([sortKey, z.array(sortKey).min(1).max(10)]).optional(),
  /** Tags a structure search: its progress comes as search.progress events, search.cancel stops it. */
  searchId: z.string().min(1).max(64).optional(),
};
/** Compound ids chosen in the table (a selection). */
const selection = z.array(z.number().int().positive()).min(1).max(2_000_000);

/** Filters on a screen's results (ScreenFilter). */
const screenFilter = z.object({
  model: name.optional(),
  minScore: z.number().optional(),
  maxScore: z.number().optional(),
  inDomainOnly: z.boolean().optional(),
  ranges: z.partialRecord(descriptorName, range).optional(),
  substructure: smilesQuery.optional(),
  unreadable: z.boolean().optional(),
  ascending: z.boolean().optional(),
  limit: z.number().int().min(1).max(100000).optional(),
  offset: z.number().int().min(0).optional(),
});

/** The finer settings of a training run (QsarSettings): distillation weights, augmentation, optimisation. */
const trainSettings = z
  .object({
    /** Weight of the teacher's soft predictions in distillation (the rest: the measured values). */
    alpha: z.number().min(0).max(1).optional(),
    /** Weight of the hidden-state loss in distillation. */
    hiddenWeight: z.number().min(0).max(100).optional(),
    /** Random SMILES per training molecule for distillation. */
    augment: z.number().int().min(0).max(50).optional(),
    batch: z.number().int().min(1).max(1024).optional(),
    lr: z.number().gt(0).lt(1).optional(),
    /** Batches drawn from pools of this many batches sorted by length (1: plain random batches). */
    lengthPool: z.number().int().min(1).max(256).optional(),
    /** The consensus model takes the fine-tuned teacher too. */
    consensusTeacher: z.boolean().optional(),
    /** Fingerprint-aware task heads: the teacher's and the student's heads also read the ECFP4. */
    fpHead: z.boolean().optional(),
    /** Descriptor-aware task heads: they also read the RDKit descriptors, standardised on the training split. */
    descHead: z.boolean().optional(),
  })
  .strict();

export const schemas = {
  'app.doctor': z.object({}).strict(),
  'app.notices': z.object({}).strict(),
  'app.dismissNotice': z.object({ notice: z.string().max(4000) }).strict(),
  'library.list': z.object({}).strict(),
  'library.import': z
    .object({
      source: importSourceSchema,
      library: name,
      smilesCol: z.string().min(1).optional(),
      idCol: z.string().min(1).optional(),
      format: z.enum(['smi', 'csv', 'tsv', 'sdf']).optional(),
    })
    .strict(),
  'library.export': z.object({ library: name, out: z.string().min(1) }).strict(),
  'library.preview': z
    .object({
      source: importSourceSchema,
      smilesCol: z.string().min(1).optional(),
      idCol: z.string().min(1).optional(),
      format: z.enum(['smi', 'csv', 'tsv', 'sdf']).optional(),
    })
    .strict(),
  'library.delete': z.object({ library: name }).strict(),
  'library.columns': z.object({ library: name }).strict(),
  /** A new library of the selected compounds (with their records and columns). */
  'library.fromSelection': z.object({ library: name, ids: selection, name }).strict(),
  /** threshold: the ECFP4 Tanimoto at or above which two compounds are neighbours (default 0.6). */
  'library.cluster': z.object({ library: name, threshold: z.number().min(0.05).max(1).optional() }).strict(),
  'library.scaffolds': z.object({ library: name }).strict(),
  /** column: a number column of the library or a descriptor (mw, clogp, …) summarised per scaffold. */
  'library.scaffoldSummary': z
    .object({ library: name, column: z.string().min(1).max(200).optional(), limit: z.number().int().min(1).max(10_000).optional() })
    .strict(),
  /** Saves a desirability score for the library and writes it as a column (0–1). */
  'library.score': z.object({ library: name, score: scoreDefinition }).strict(),
  'library.scores': z.object({ library: name }).strict(),
  /** R-group decomposition of chosen compounds around a core (drawn) or their MCS: at most 5,000. */
  'compound.rgroups': z.object({ library: name, ids: z.array(z.number().int().positive()).min(1).max(5000), core: smilesQuery.optional() }).strict(),
  /** Numbers for plots: up to 4 numeric columns or descriptors of every compound the query keeps. */
  'compound.values': z.object({ ...compoundQuery, sort: z.undefined().optional(), columns: z.array(z.string().min(1).max(200)).min(1).max(4) }).strict(),
  'library.saveView': z.object({ library: name, name, view: libraryView }).strict(),
  'library.views': z.object({ library: name }).strict(),
  'library.deleteView': z.object({ library: name, name }).strict(),
  'compound.diverse': z.object({ library: name, n: z.number().int().min(1).max(100_000) }).strict(),
  'library.setColumnType': z.object({ library: name, column: columnName, type: z.enum(['number', 'text', 'date', 'boolean']) }).strict(),
  'compound.list': z.object({ ...compoundQuery, limit: z.number().int().min(1).max(10000).optional(), offset: z.number().int().min(0).optional() }).strict(),
  /** Every id the query matches, in its order ("select all matching"). */
  'compound.ids': z.object(compoundQuery).strict(),
  /** A selection of the library's compounds as a download (CSV, SDF or SMILES; nothing cut). */
  'compound.download': z.object({ library: name, ids: selection, format: z.enum(['csv', 'sdf', 'smi']) }).strict(),
  'compound.get': z.object({ id: z.number().int().positive() }).strict(),
  'compound.depict': z
    .object({
      smiles: smilesQuery,
      width: z.number().int().min(50).max(2000).optional(),
      height: z.number().int().min(50).max(2000).optional(),
      highlight: smilesQuery.optional(),
    })
    .strict(),
  'compound.conformer': z.object({ id: z.number().int().positive() }).strict(),
  'model.list': z.object({}).strict(),
  'model.delete': z.object({ name }).strict(),
  'model.rename': z.object({ name, to: name }).strict(),
  'model.speed': z.object({ name }).strict(),
  'model.download': z.object({ name, dtype: z.enum(['float32', 'float16']).optional() }).strict(),
  'model.import': z.object({ source: importSourceSchema, as: name.optional() }).strict(),
  'model.pretrain': z
    .object({
      corpus: z.string().min(1),
      out: name,
      layers: z.number().int().min(1).max(48).optional(),
      hidden: z.number().int().min(8).max(2048).optional(),
      heads: z.number().int().min(1).max(64).optional(),
      ff: z.number().int().min(8).max(8192).optional(),
      shareLayers: z.boolean().optional(),
      maxSteps: z.number().int().min(1).optional(),
      timeBudgetMinutes: z.number().positive().max(10080).optional(),
      batch: z.number().int().min(1).max(1024).optional(),
      resume: z.boolean().optional(),
    })
    .strict()
    .refine((a) => (a.hidden ?? 128) % (a.heads ?? 4) === 0, { message: 'hidden must be divisible by heads', path: ['hidden'] })
    .refine((a) => a.maxSteps === undefined || a.timeBudgetMinutes === undefined, { message: 'give maxSteps or a time budget, not both', path: ['maxSteps'] }),
  'model.train': z
    .object({
      /** A file path (Electron, CLI) or the file's content (host mode). */
      data: z.string().min(1).optional(),
      source: importSourceSchema.optional(),
      /** An assay stored by an earlier training run (its aggregated measurements). */
      assay: name.optional(),
      target: z.string().min(1),
      task: z.enum(['regression', 'classification']),
      out: name,
      teacher: name.optional(),
      student: name.optional(),
      distill: z.boolean().optional(),
      studentLayers: z.number().int().min(1).max(48).optional(),
      split: z.enum(['random', 'scaffold', 'temporal']).optional(),
      dateCol: z.string().min(1).optional(),
      seeds: z.number().int().min(1).max(20).optional(),
      epochs: z.number().int().min(1).max(1000).optional(),
      unit: z.enum(['M', 'mM', 'uM', 'µM', 'nM', 'pM']).optional(),
      smilesCol: z.string().min(1).optional(),
      /** The compound ID column (default: auto-detected; SDF: the title line). */
      idCol: z.string().min(1).optional(),
      /** Discard an interrupted run of this name and start over (model.resume continues one). */
      restart: z.boolean().optional(),
      /** The recipe's finer settings (the defaults suit most assays). */
      settings: trainSettings.optional(),
    })
    .strict()
    .refine((a) => [a.data, a.source, a.assay].filter((x) => x !== undefined).length === 1, {
      message: 'give the assay as data (a path), source (a file) or assay (a stored assay): exactly one',
    })
    // A stored assay's values were converted when it was read, and it knows its SMILES and dates.
    .refine((a) => a.assay === undefined || [a.unit, a.smilesCol, a.idCol, a.dateCol].every((x) => x === undefined), {
      message: 'a stored assay brings its own SMILES, IDs, dates and converted values: give no unit, smilesCol, idCol or dateCol with it',
    })
    // A general-distilled student brings its own depth, and only a distillation uses it.
    .refine((a) => a.student === undefined || a.distill === true, {
      message: 'a student (a general-distilled model to start from) needs distill',
      path: ['student'],
    })
    .refine((a) => a.student === undefined || a.studentLayers === undefined, {
      message: 'a student brings its own depth: give student or studentLayers, not both',
      path: ['studentLayers'],
    })
    // A temporal split orders the compounds by date: a file needs its date column named (a stored assay knows its own).
    .refine((a) => a.split !== 'temporal' || a.assay !== undefined || a.dateCol !== undefined, {
      message: 'a temporal split needs the date column',
      path: ['dateCol'],
    }),
  'model.runs': z.object({}).strict(),
  'model.resume': z.object({ name }).strict(),
  'model.discardRun': z.object({ name }).strict(),
  'assay.list': z.object({}).strict(),
  'assay.import': z
    .object({
      source: importSourceSchema,
      name,
      target: z.string().min(1),
      task: z.enum(['regression', 'classification']),
      unit: z.enum(['M', 'mM', 'uM', 'µM', 'nM', 'pM']).optional(),
      smilesCol: z.string().min(1).optional(),
      idCol: z.string().min(1).optional(),
      dateCol: z.string().min(1).optional(),
    })
    .strict(),
  'assay.delete': z.object({ name }).strict(),
  'assay.get': z
    .object({
      name,
      /** Only compounds measured more than once, or only censored ones. */
      only: z.enum(['replicates', 'censored']).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      offset: z.number().int().min(0).optional(),
    })
    .strict(),
  'screen.run': z
    .object({
      library: name,
      models: z.array(name).min(1).max(20),
      resume: z.boolean().optional(),
      top: z.number().int().min(1).max(10000).optional(),
    })
    .strict(),
  'screen.list': z.object({}).strict(),
  'screen.vs': z
    .object({
      library: name,
      labelCol: z.string().min(1),
      method: z.enum(['ecfp', 'embedding', 'fusion', 'model']),
      model: name.optional(),
      embeddingModel: name.optional(),
      folds: z.number().int().min(2).max(20).optional(),
      /** Few-query protocol: `queries` actives drawn at random, `draws` times (instead of folds). */
      queries: z.number().int().min(1).max(100).optional(),
      draws: z.number().int().min(1).max(200).optional(),
    })
    .strict()
    .refine((a) => a.queries === undefined || a.folds === undefined, { message: 'folds or queries (the few-query protocol), not both' })
    .refine((a) => a.draws === undefined || a.queries !== undefined, { message: 'draws goes with queries' })
    .refine((a) => a.queries === undefined || a.method !== 'model', { message: 'the few-query protocol ranks by similarity: not with method model' }),
  'screen.results': screenFilter.extend({ screen: z.number().int().positive() }).strict(),
  /** Written to a file as it is read: no cap on how many. */
  'screen.export': screenFilter.extend({ screen: z.number().int().positive(), out: z.string().min(1), limit: z.number().int().min(1).optional() }).strict(),
  'screen.download': screenFilter.extend({ screen: z.number().int().positive(), format: z.enum(['csv', 'sdf']) }).strict(),
  'job.get': z.object({ jobId: z.string().min(1) }).strict(),
  /** `running`: only the jobs this process runs now (their events reach this window), with their epochs so far. */
  'job.list': z
    .object({
      running: z.boolean().optional(),
      /** Only this kind of job (the finished training runs, say), newest first. */
      kind: z.enum(JOB_KINDS).optional(),
      /** Only the jobs in this state (the finished ones: `done`). */
      state: z.enum(JOB_STATES).optional(),
      /** At most this many (default 100). */
      limit: z.number().int().min(1).max(1000).optional(),
    })
    .strict(),
  'job.cancel': z.object({ jobId: z.string().min(1) }).strict(),
  'search.cancel': z.object({ searchId: z.string().min(1).max(64) }).strict(),
} as const;

export type Schemas = typeof schemas;
export type ImportSource = z.infer<typeof importSourceSchema>;
export type ArgsOf<M extends keyof Schemas> = z.input<Schemas[M]>;
