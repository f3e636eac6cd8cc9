// `npm run train:base -- [options]`: reproduces the shipped base models from the pretraining corpus and
// writes their model cards. Every stage is resumable and skipped when its model is finished, so the
// command can be run again (also in later sessions) until everything is done:
//   1. pretrain delicate-base-teacher (MLM + physchem) on ../shared/data/pretrain/chembl31_150k.csv.gz
//   2. derive delicate-base-shared-teacher: one shared layer applied 12 times, distilled from the teacher
//   3. general distillation of delicate-base-student from the teacher: the shared-layer teacher's layer
//      applied 3 times, its feed-forward block pruned from 512 to 256 units to start with
//   4. export all three as float16 to resources/models/ (what every install registers on first run)
//   5. measure float16 vs float32 outputs, inference speed (student vs teacher, same run) and, with
//      --downstream, the default `delicate train` recipe on ESOL, Lipophilicity and BBBP beside ECFP4+RF
//   6. write resources/models/<name>.md and cards.json
// Options: --db PATH (default .tmp/base/base.db), --teacher-steps N, --shared-steps N, --student-steps N,
//          --student-ff N (default 256), --cards-only,
//          --downstream esol,lipophilicity,bbbp, --epochs N, --seeds N, --split scaffold|random,
//          --ship-task esol[,lipophilicity]  (also ship each set's downstream student as
//          delicate-SET-student: the task models `delicate screen` uses when no model is named),
//          --ship-from DB [--suffix -long]  (ship models trained as NAME-long in DB, e.g. a longer
//          pretraining continuing the shipped teacher: --db is written as a copy of DB where the shipped
//          models take the names installs will keep them under and the new ones the shipped names;
//          scripts/_ship.ts; --ship-teacher NAME: the teacher is NAME in DB, e.g. its last segment
//          delicate-base-teacher-long-s3)
//          --continue-teacher N  (one more N-step segment of the base teacher's longer pretraining, from
//          the last committed one in training/base-teacher/; scripts/_continue.ts)
//          --distill-long [--shared-steps N --student-steps N --student-ff N]  (the next distillation of the
//          last teacher segment: the shared-layer teacher, then the student, each as float16 in
//          training/base-teacher/ with a line in distilled.json; scripts/_distill-long.ts)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { EncoderConfig } from '../src-main/model/encoder';
import { AppContext } from '../src-main/services/app-context';
import { BASE_SHARED_TEACHER, BASE_STUDENT, BASE_TEACHER } from '../src-main/services/models';
import { machine } from '../bench/_report';
import { BASE_MODELS, corpus, data, delicate, out, root, stateOf } from './_base';
import { continueTeacher } from './_continue';
import { distillLong } from './_distill-long';
import { writeCards } from './_model-cards';
import { prepareShip } from './_ship';

function option(args: string[], name: string, fallback?: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

export async function run(args: string[]): Promise<void> {
  const db = resolve(option(args, '--db', join(root, '.tmp/base/base.db')) as string);
  mkdirSync(dirname(db), { recursive: true });
  if (await longTraining(db, args)) return;
  const from = option(args, '--ship-from');
  if (from) {
    const teacher = option(args, '--ship-teacher');
    const renamed = prepareShip(
      resolve(from),
      db,
      option(args, '--suffix', '-long') as string,
      [...BASE_MODELS, 'delicate-esol-student'],
      teacher ? { [BASE_TEACHER]: teacher } : {},
    );
    for (const [a, b] of renamed) process.stdout.write(`${a} → ${b}\n`);
    // The downstream results were the replaced models': measured again (--downstream) for the new ones.
    writeFileSync(join(out, 'downstream.json'), '{}\n');
  }
  const cardsOnly = args.includes('--cards-only');
  if (!cardsOnly) {
    const teacherSteps = option(args, '--teacher-steps', '1400') as string;
    const sharedSteps = option(args, '--shared-steps', '451') as string;
    const studentSteps = option(args, '--student-steps', '1583') as string;
    const studentFf = option(args, '--student-ff', '256') as string;
    const t = stateOf(db, BASE_TEACHER);
    if (t !== 'ready') {
      await delicate(
        'pretrain',
        '--corpus',
        corpus,
        '--out',
        BASE_TEACHER,
        '--layers',
        '12',
        '--hidden',
        '128',
        '--heads',
        '4',
        '--ff',
        '512',
        '--lr',
        '0.0007',
        '--max-steps',
        teacherSteps,
        '--checkpoint-every',
        '100',
        '--grad-checkpointing',
        '--db',
        db,
        ...(t === 'training' ? ['--resume'] : []),
      );
    }
    const sh = stateOf(db, BASE_SHARED_TEACHER);
    if (sh !== 'ready') {
      await delicate(
        'distill',
        '--teacher',
        BASE_TEACHER,
        '--corpus',
        corpus,
        '--student-layers',
        '12',
        '--out',
        BASE_SHARED_TEACHER,
        '--max-steps',
        sharedSteps,
        '--checkpoint-every',
        '50',
        '--grad-checkpointing',
        '--db',
        db,
        ...(sh === 'training' ? ['--resume'] : []),
      );
    }
    const s = stateOf(db, BASE_STUDENT);
    if (s !== 'ready') {
      await delicate(
        'distill',
        '--teacher',
        BASE_TEACHER,
        '--init',
        BASE_SHARED_TEACHER,
        '--student-ff',
        studentFf,
        '--corpus',
        corpus,
        '--student-layers',
        '3',
        '--out',
        BASE_STUDENT,
        '--max-steps',
        studentSteps,
        '--checkpoint-every',
        '100',
        '--db',
        db,
        ...(s === 'training' ? ['--resume'] : []),
      );
    }
    mkdirSync(out, { recursive: true });
    for (const name of BASE_MODELS) await delicate('model', 'export', name, '--out', join(out, `${name}.dlcm`), '--dtype', 'float16', '--db', db);
    const downstream = option(args, '--downstream');
    if (downstream) await runDownstream(db, downstream.split(','), args);
  }
  const ship = option(args, '--ship-task');
  for (const set of ship ? ship.split(',') : []) await shipTask(db, set);
  await writeCards(db);
}

/** The longer pretraining's steps (--continue-teacher N, --distill-long); false when neither is asked for. */
async function longTraining(db: string, args: string[]): Promise<boolean> {
  const segmentSteps = option(args, '--continue-teacher');
  if (segmentSteps) {
    const seg = await continueTeacher({ db, corpus, base: BASE_TEACHER, steps: Number(segmentSteps), delicate });
    process.stdout.write(
      `segment ${seg.segment}: ${seg.name}, ${seg.steps} steps in ${seg.seconds} s, MLM accuracy ${seg.mlmAccuracy}, physchem R² ${seg.physchemR2}\n`,
    );
    return true;
  }
  if (args.includes('--distill-long')) {
    const stage = await distillLong({
      db,
      corpus,
      shared: BASE_SHARED_TEACHER,
      student: BASE_STUDENT,
      sharedSteps: Number(option(args, '--shared-steps', '451')),
      studentSteps: Number(option(args, '--student-steps', '1583')),
      studentFf: Number(option(args, '--student-ff', '256')),
      delicate,
    });
    process.stdout.write(
      stage
        ? `${stage.stage}: ${stage.name} from ${stage.teacher}, ${stage.steps} steps in ${stage.seconds} s, MLM accuracy ${stage.mlmAccuracy}, physchem R² ${stage.physchemR2}\n`
        : 'both distillations of the last teacher segment are done (training/base-teacher/distilled.json)\n',
    );
    return true;
  }
  return false;
}

const DOWNSTREAM: Record<string, { file: string; target: string; task: 'regression' | 'classification' }> = {
  esol: { file: 'qsar/esol.csv', target: 'logS', task: 'regression' },
  lipophilicity: { file: 'qsar/lipophilicity.csv', target: 'logD', task: 'regression' },
  bbbp: { file: 'qsar/bbbp.csv', target: 'p_np', task: 'classification' },
};

/** The default `delicate train` recipe (base teacher, base student) per data set; results kept in downstream.json. */
async function runDownstream(db: string, sets: string[], args: string[]): Promise<void> {
  const file = join(out, 'downstream.json');
  const done = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  for (const set of sets) {
    const d = DOWNSTREAM[set];
    if (!d) throw new Error(`unknown data set ${set} (${Object.keys(DOWNSTREAM).join(', ')})`);
    if (done[set]) continue;
    const extra = ['--epochs', '--seeds', '--split'].flatMap((f) => (option(args, f) ? [f, option(args, f) as string] : []));
    const json = await delicate(
      'train',
      '--data',
      join(data, d.file),
      '--target',
      d.target,
      '--task',
      d.task,
      '--out',
      `base-${set}`,
      '--distill',
      ...extra,
      '--db',
      db,
      '--json',
    );
    const r = JSON.parse(json) as Record<string, unknown>;
    delete r.predictions;
    done[set] = {
      ...r,
      machine: machine(),
      recipe: { epochs: option(args, '--epochs') ?? 'default', seeds: option(args, '--seeds') ?? 'default', split: option(args, '--split') ?? 'default' },
    };
    // Re-read before writing: another invocation (one set per core) may have finished a set meanwhile.
    const onDisk = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(file, `${JSON.stringify({ ...onDisk, [set]: done[set] }, null, 2)}\n`);
  }
}

/** Ships the downstream student of a data set (`base-SET-student`) as `delicate-SET-student`, float16, with a card. */
async function shipTask(db: string, set: string): Promise<void> {
  const d = DOWNSTREAM[set];
  if (!d) throw new Error(`unknown data set ${set}`);
  const name = `delicate-${set}-student`;
  const file = join(out, `${name}.dlcm`);
  await delicate('model', 'export', `base-${set}-student`, '--out', file, '--dtype', 'float16', '--db', db);
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    const s = app.models.get(`base-${set}-student`);
    const row = app.models.repo.byName(`base-${set}-student`);
    const manifest = JSON.parse(row?.manifest ?? '{}') as {
      task: { target: string; type: string };
      training: { data: { file: string; sha256: string }; split: string; settings: { epochs: number; seeds: number } };
      config: EncoderConfig;
    };
    const metrics = Object.entries(s.metrics)
      .filter(([k]) => !k.endsWith('Sd'))
      .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
      .join(', ');
    writeFileSync(
      join(out, `${name}.md`),
      [
        `# Model card: ${name}`,
        '',
        `A DeLiCaTe student for ${d.task} of \`${manifest.task.target}\` (${set}): one shared transformer layer applied ${manifest.config.layers} times, ${s.params.toLocaleString('en')} parameters, distilled from a teacher fine-tuned from delicate-base-teacher and started from delicate-base-student (the default \`delicate train\` recipe). \`delicate screen\` uses it when no model is named.`,
        '',
        `- data: ${basename(manifest.training.data.file)} (sha256 \`${manifest.training.data.sha256}\`), ${manifest.training.split} split, ${manifest.training.settings.epochs} epochs`,
        `- test-split metrics (first seed): ${metrics}`,
        `- applicability domain: max ECFP4 Tanimoto ≥ 0.3 to its training set (stored with the model)`,
        `- made from: ${s.parent.join(' and ')} (the fine-tuned teacher it was distilled from stays in the database that trained it; only the student ships)`,
        '',
        'See delicate-base-teacher.md for the downstream comparison with the teacher and ECFP4 + random forest.',
        '',
      ].join('\n'),
    );
  } finally {
    await app.close();
  }
}

await run(process.argv.slice(2));
