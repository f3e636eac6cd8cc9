// The longer-trained base teacher's distillations, each one stage that outlives the machine it ran on.
//
// Once the teacher's segments (scripts/_continue.ts) are long enough, the DeLiCaTe chain is made again
// from the last segment, as train-base makes the shipped one: first the shared-layer teacher (one layer
// applied 12 times, distilled from the teacher), then the student (that layer applied 3 times, its
// feed-forward block pruned, distilled from the teacher). Each stage is about an hour on one core, so one
// call runs the next stage only, and writes its model as float16 beside the segments, with a line in
// distilled.json: a new machine brings the teacher and the earlier stage back from their files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppContext } from '../src-main/services/app-context';
import { bringBack, type ContinueOptions, exportFloat16, num, SEGMENTS_DIR, type Segment, segmentsOf, sha256, trainedOn } from './_continue';
import { stateOf, stored } from './_base';

export interface DistilledStage {
  stage: 'shared' | 'student';
  name: string;
  /** The teacher segment it was distilled from (segments.json). */
  teacher: string;
  /** The model it started from: the teacher for the shared-layer teacher, the shared-layer teacher for the student. */
  init: string;
  layers: number;
  ff: number;
  steps: number;
  seconds: number;
  mlmAccuracy: number | null;
  physchemR2: number | null;
  params: number;
  sha256: string;
  finished: string;
  machine: string;
}

export interface DistillLongOptions extends Pick<ContinueOptions, 'db' | 'corpus' | 'delicate'> {
  /** The shipped names the stages take with a -long suffix: the shared-layer teacher and the student. */
  shared: string;
  student: string;
  sharedSteps: number;
  studentSteps: number;
  studentFf: number;
  studentLayers?: number;
  dir?: string;
}

export function distilledOf(dir = SEGMENTS_DIR): DistilledStage[] {
  const file = join(dir, 'distilled.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DistilledStage[]) : [];
}

/** The file a stage's model is committed as. */
const fileOf = (dir: string, name: string): string => join(dir, `${name}.dlcm`);

/** A stored model's architecture. */
function configOf(db: string, name: string): { layers: number; ff: number } {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    return stored(app, name).manifest.config;
  } finally {
    void app.close();
  }
}

/** Runs (or resumes) the next stage that distilled.json lacks; null when both are there. */
export async function distillLong(o: DistillLongOptions): Promise<DistilledStage | null> {
  const dir = o.dir ?? SEGMENTS_DIR;
  const last: Segment | undefined = segmentsOf(dir).at(-1);
  if (!last) throw new Error('no teacher segment yet: run --continue-teacher first');
  const done = distilledOf(dir);
  const stale = done.find((d) => d.teacher !== last.name);
  if (stale)
    throw new Error(
      `${stale.name} was distilled from ${stale.teacher}, but the last teacher segment is ${last.name}: remove distilled.json (and those models from the database) to distil the chain again`,
    );
  if (done.length === 2) return null;
  const stage: DistilledStage['stage'] = done.length === 0 ? 'shared' : 'student';
  const name = `${stage === 'shared' ? o.shared : o.student}-long`;
  // The newest segment's file (continueTeacher's stem: the segment's name without -sK).
  const teacherFile = fileOf(dir, last.name.replace(/-s\d+$/, ''));
  const state = stateOf(o.db, name);
  if (state !== 'ready') {
    await bringBack(o, teacherFile, last.name, last.sha256, `segment ${last.segment}`);
    const shared = done[0];
    if (shared) await bringBack(o, fileOf(dir, shared.name), shared.name, shared.sha256, 'the shared-layer teacher');
    // The shared-layer teacher applies its one layer as often as the teacher has layers.
    const layers = stage === 'shared' ? configOf(o.db, last.name).layers : (o.studentLayers ?? 3);
    const argv = ['distill', '--teacher', last.name, '--corpus', o.corpus, '--student-layers', String(layers), '--out', name];
    if (shared) argv.push('--init', shared.name, '--student-ff', String(o.studentFf));
    argv.push('--max-steps', String(stage === 'shared' ? o.sharedSteps : o.studentSteps), '--checkpoint-every', '50', '--grad-checkpointing', '--db', o.db);
    await o.delicate(...argv, ...(state === 'training' ? ['--resume'] : []));
  }
  const file = fileOf(dir, name);
  const m = await exportFloat16(o, name, file);
  const config = configOf(o.db, name);
  const entry: DistilledStage = {
    stage,
    name,
    teacher: last.name,
    init: done[0]?.name ?? last.name,
    layers: config.layers,
    ff: config.ff,
    steps: m.steps,
    seconds: Math.round(Number(m.metrics.trainSeconds ?? 0)),
    mlmAccuracy: num(m.metrics.mlmAccuracy),
    physchemR2: num(m.metrics.physchemR2),
    params: m.params,
    sha256: sha256(file),
    finished: new Date().toISOString(),
    machine: trainedOn(),
  };
  writeFileSync(join(dir, 'distilled.json'), `${JSON.stringify([...done, entry], null, 2)}\n`);
  return entry;
}
