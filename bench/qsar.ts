// `npm run bench -- qsar`: DeLiCaTe on the MoleculeNet sets in ../shared/data — teacher, shared-layer
// teacher, KD student, DeLiCaTe student and ECFP4+RF on the same splits and seeds, in one run.
//
//   npm run bench -- qsar --db PATH --teacher T --shared-teacher S --student D [--datasets esol,bbbp]
//                         [--splits scaffold,random] [--seeds 3] [--epochs 15] [--student-layers 3]
//   npm run bench -- qsar --quick     tiny models made on the fly (minutes): checks the pipeline, not the science
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src-main/db/database';
import { ModelService } from '../src-main/services/model-service';
import { DEFAULT_QSAR, type QsarSettings } from '../src-main/train/qsar-settings';
import { DEFAULT_DISTILL, DEFAULT_PRETRAIN } from '../src-main/train/settings';
import { report } from './_report';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data');
const SETS: Record<string, { file: string; target: string; task: 'regression' | 'classification' }> = {
  esol: { file: 'qsar/esol.csv', target: 'logS', task: 'regression' },
  freesolv: { file: 'qsar/freesolv.csv', target: 'expt', task: 'regression' },
  lipophilicity: { file: 'qsar/lipophilicity.csv', target: 'logD', task: 'regression' },
  bbbp: { file: 'qsar/bbbp.csv', target: 'p_np', task: 'classification' },
  bace: { file: 'qsar/bace.csv', target: 'class', task: 'classification' },
};

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      teacher: { type: 'string' },
      'shared-teacher': { type: 'string' },
      student: { type: 'string' },
      datasets: { type: 'string' },
      splits: { type: 'string' },
      seeds: { type: 'string' },
      epochs: { type: 'string' },
      'student-layers': { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick;
  const dbPath = values.db ?? join(mkdtempSync(join(tmpdir(), 'delicate-bench-')), 'bench.db');
  const db = openDatabase(dbPath);
  const models = new ModelService(db);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  let names = { teacher: values.teacher, shared: values['shared-teacher'], student: values.student };
  const k = Number(values['student-layers'] ?? (quick ? 2 : DEFAULT_QSAR.studentLayers));
  if (quick) {
    // Tiny base models from the corpus: enough to exercise every path, not to judge the method.
    const corpus = join(data, 'pretrain/chembl31_150k.csv.gz');
    const arch = { ...DEFAULT_PRETRAIN.architecture, layers: 4, hidden: 64, heads: 4, ff: 256 };
    const base = { ...DEFAULT_PRETRAIN, maxSteps: 60, timeBudgetSeconds: null, batch: 32, checkpointEvery: 1000 };
    log('quick: pretraining a tiny teacher, a tiny shared-layer teacher and distilling a tiny student');
    await models.pretrain({ corpus, out: 'q-teacher', settings: { ...base, architecture: arch }, resume: false });
    await models.pretrain({ corpus, out: 'q-shared', settings: { ...base, architecture: { ...arch, shareLayers: true } }, resume: false });
    await models.pretrain({ corpus, out: 'q-student', settings: { ...base, distill: { ...DEFAULT_DISTILL, teacher: 'q-teacher', layers: k } }, resume: false });
    names = { teacher: 'q-teacher', shared: 'q-shared', student: 'q-student' };
  }
  if (!names.teacher) throw new Error('give --teacher MODEL (and --shared-teacher, --student) or --quick');
  const datasets = (values.datasets ?? (quick ? 'esol' : Object.keys(SETS).join(','))).split(',');
  const splits = (values.splits ?? 'scaffold,random').split(',') as Array<QsarSettings['split']>;
  const settings: QsarSettings = { ...DEFAULT_QSAR, seeds: Number(values.seeds ?? 3), epochs: Number(values.epochs ?? (quick ? 2 : DEFAULT_QSAR.epochs)), studentLayers: k };
  const rows: string[][] = [];
  const results: unknown[] = [];
  let run = 0;
  for (const ds of datasets) {
    const set = SETS[ds];
    if (!set) throw new Error(`unknown dataset ${ds}: ${Object.keys(SETS).join(', ')}`);
    for (const split of splits) {
      const s = { ...settings, split };
      const base = { data: join(data, set.file), target: set.target, task: set.task };
      const key = set.task === 'regression' ? 'rmse' : 'rocAuc';
      const variants = [
        { label: 'teacher + DeLiCaTe student + ECFP4-RF', req: { ...base, teacher: names.teacher, ...(names.student ? { student: names.student } : {}), settings: { ...s, distill: true } } },
        { label: 'KD student (unshared)', req: { ...base, teacher: names.teacher, settings: { ...s, distill: true, studentShared: false } } },
        ...(names.shared ? [{ label: 'shared-layer teacher', req: { ...base, teacher: names.shared, settings: { ...s, distill: false } } }] : []),
      ];
      for (const v of variants) {
        log(`${ds} / ${split}: ${v.label}`);
        const r = await models.train({ ...v.req, out: `b${run++}` }, { onProgress: (m) => log(`  ${m}`) });
        for (const m of r.models) {
          if (v.label.startsWith('KD') && m.role !== 'student') continue;
          if (v.label.startsWith('shared') && m.role !== 'teacher') continue;
          const role = v.label.startsWith('KD') ? 'KD student' : v.label.startsWith('shared') ? 'shared-layer teacher' : m.role === 'student' ? 'DeLiCaTe student' : m.role === 'baseline' ? 'ECFP4 + RF' : 'teacher';
          // Seconds per epoch over the task's training set, from the measured training throughput (so a
          // distilled student's augmented SMILES do not inflate its epochs).
          const perEpoch = m.trainSeqPerSec ? r.n.train / m.trainSeqPerSec : m.trainSeconds;
          const inference = m.role === 'baseline' ? null : await models.inferenceSpeed(m.name);
          results.push({ dataset: ds, split, model: role, name: m.name, params: m.params, layers: m.layers, metrics: m.metrics, trainSecondsPerEpoch: perEpoch, trainSeqPerSec: m.trainSeqPerSec, inferenceSeqPerSec: inference });
          rows.push([ds, split, role, `${(m.metrics[key] as number).toFixed(3)} ± ${(m.metrics[`${key}Sd`] as number).toFixed(3)}`, String(m.params), String(m.layers), perEpoch.toFixed(1), inference === null ? '-' : inference.toFixed(0)]);
        }
      }
    }
  }
  report('qsar', { quick, db: dbPath, models: names, settings, results }, [['dataset', 'split', 'model', 'metric (RMSE or ROC-AUC) ± sd', 'params', 'layer applications', 'train s/epoch', 'inference seq/s'], ...rows], [
    quick
      ? 'QUICK run: tiny base models pretrained for 60 steps on the fly. It shows the pipeline works end to end; its numbers say nothing about DeLiCaTe.'
      : `Base models: teacher '${names.teacher}', shared-layer teacher '${names.shared ?? '-'}', general-distilled student '${names.student ?? '-'}'.`,
    `Seeds: ${settings.seeds}, epochs: ${settings.epochs}, student depth: ${k}. Inference seq/s: TF.js on this machine, ChEMBL molecules, batch 64, length-bucketed.`,
  ]);
  db.close();
}
