// The base teacher's longer pretraining, in segments that outlive the machine they ran on.
//
// A run of many CPU-hours spans sessions, and a session may start on a new machine where nothing
// git ignores (databases, checkpoints) is left: 16.5 h of base-chain training were lost that way.
// So the pretraining continues in segments, each short enough for one sitting: a segment starts from
// the previous segment's committed file (training/base-teacher/), trains on a fresh warm-restart
// schedule (warm-up, then linear decay to zero) with its own seed (another order of the corpus), and
// is exported back as float16 with a line in segments.json. Each finished segment is a usable,
// annealed teacher; within a sitting a cut-off segment resumes from its 50-step checkpoints.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { AppContext } from '../src-main/services/app-context';
import { root, stateOf } from './_base';

export const SEGMENTS_DIR = join(root, 'training/base-teacher');

export interface Segment {
  segment: number;
  name: string;
  /** The model it continues: the shipped teacher for the first, else the previous segment. */
  init: string;
  steps: number;
  seed: number;
  lr: number;
  seconds: number;
  mlmAccuracy: number | null;
  physchemR2: number | null;
  /** sha256 of the committed float16 file. */
  sha256: string;
  finished: string;
  machine: string;
}

export interface ContinueOptions {
  db: string;
  corpus: string;
  /** The model the first segment continues. */
  base: string;
  steps: number;
  /** Where the file and segments.json live (SEGMENTS_DIR). */
  dir?: string;
  /** Name stem of the segments' models. */
  stem?: string;
  lr?: number;
  /** Runs `delicate …` in-process (train-base's runner). */
  delicate: (...argv: string[]) => Promise<string>;
}

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Registers a committed file in the database under `name` when it is not there (a new machine), after
 * checking it is the file its log names (`what`: 'segment 2', …).
 */
export async function bringBack(o: Pick<ContinueOptions, 'db' | 'delicate'>, file: string, name: string, sha: string, what: string): Promise<void> {
  if (stateOf(o.db, name) !== 'absent') return;
  if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing: the log lists ${what}`);
  if (sha256(file) !== sha) throw new Error(`${relative(root, file)} is not ${what}'s file (sha256 differs from its log)`);
  await o.delicate('model', 'import', file, '--as', name, '--db', o.db);
}

/** The machine this runs on, for the logs: its CPU model and core count. */
export const trainedOn = (): string => `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`;

export const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** Exports a finished model as float16 beside `file`, moves it over it (no half-written file under its name), returns its summary. */
export async function exportFloat16(o: Pick<ContinueOptions, 'db' | 'delicate'>, name: string, file: string): Promise<ReturnType<AppContext['models']['get']>> {
  mkdirSync(dirname(file), { recursive: true });
  await o.delicate('model', 'export', name, '--out', `${file}.part`, '--dtype', 'float16', '--db', o.db);
  renameSync(`${file}.part`, file);
  const app = new AppContext(o.db, { chemWorkers: 1, shippedModels: false });
  try {
    return app.models.get(name);
  } finally {
    await app.close();
  }
}

export function segmentsOf(dir = SEGMENTS_DIR): Segment[] {
  const file = join(dir, 'segments.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Segment[]) : [];
}

/** Trains (or resumes) the next segment and commits nothing itself: it writes the file and the log for git. */
export async function continueTeacher(o: ContinueOptions): Promise<Segment> {
  const dir = o.dir ?? SEGMENTS_DIR;
  const stem = o.stem ?? `${o.base}-long`;
  const file = join(dir, `${stem}.dlcm`);
  const done = segmentsOf(dir);
  const last = done.at(-1);
  const k = done.length + 1;
  const name = `${stem}-s${k}`;
  const state = stateOf(o.db, name);
  // A new machine's database lacks it: bring the previous segment back from its file.
  if (last && state !== 'ready') await bringBack(o, file, last.name, last.sha256, `segment ${last.segment}`);
  const init = last?.name ?? o.base;
  const seed = 100 + k;
  const lr = o.lr ?? 0.0007;
  if (state !== 'ready') {
    await o.delicate(
      'pretrain',
      '--corpus',
      o.corpus,
      '--out',
      name,
      '--init',
      init,
      '--max-steps',
      String(o.steps),
      '--lr',
      String(lr),
      '--seed',
      String(seed),
      '--checkpoint-every',
      '50',
      '--grad-checkpointing',
      '--db',
      o.db,
      ...(state === 'training' ? ['--resume'] : []),
    );
  }
  // Exported beside the file, then moved over it: a crash leaves the previous segment's file whole (and
  // one between the move and the log is mended by running again: this segment is ready in the database).
  const m = await exportFloat16(o, name, file);
  const seg: Segment = {
    segment: k,
    name,
    init,
    steps: m.steps,
    seed,
    lr,
    seconds: Math.round(Number(m.metrics.trainSeconds ?? 0)),
    mlmAccuracy: num(m.metrics.mlmAccuracy),
    physchemR2: num(m.metrics.physchemR2),
    sha256: sha256(file),
    finished: new Date().toISOString(),
    machine: trainedOn(),
  };
  writeFileSync(join(dir, 'segments.json'), `${JSON.stringify([...done, seg], null, 2)}\n`);
  return seg;
}
