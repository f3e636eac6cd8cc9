import { AppError } from '../../src-shared/errors';
import { fileSha256 } from './corpus';
import { meanSd } from './metrics';
import { type QsarData, qsarData } from './qsar-data';
import { runSeed } from './qsar-seed';
import type { ModelReport, Progress, QsarRequest, QsarResult, QsarRunOptions, Recommendation, Role, RunTotals, SeedsDone } from './qsar-types';

export * from './qsar-types';

/** The totals a run starts from: nothing, or what the finished seeds of the run it resumes gave. */
function totalsFrom(from: SeedsDone | undefined, seconds: Partial<Record<Role, number>> | undefined, distill: boolean): RunTotals {
  return {
    perSeed: {
      teacher: [...(from?.perSeed.teacher ?? [])],
      student: [...(from?.perSeed.student ?? [])],
      baseline: [...(from?.perSeed.baseline ?? [])],
      consensus: [...(from?.perSeed.consensus ?? [])],
    },
    seconds: { teacher: 0, student: 0, baseline: 0, consensus: 0, ...seconds },
    throughput: from ? structuredClone(from.throughput) : { teacher: { n: 0, s: 0, cpu: 0 }, student: { n: 0, s: 0, cpu: 0 } },
    trained: [...(from?.trained ?? [])],
    baseline: from?.baseline ?? null,
    consensus: from?.consensus ?? null,
    // A checkpoint from before recommendations existed: its finished seeds count as the default pick.
    picks: from ? [...(from.picks ?? from.perSeed.teacher.map((): Role => (distill ? 'student' : 'teacher')))] : [],
    recommended: from?.recommended ?? null,
    predictions: from?.predictions ?? [],
    sizes: { train: 0, valid: 0, test: 0 },
    teacherParams: 0,
    studentParams: 0,
    studentDepth: 0,
  };
}

/**
 * The QSAR pipeline of `delicate train`: fine-tune a teacher on the assay, optionally distil a DeLiCaTe
 * student (one shared layer applied k times) from it, and fit the ECFP4+RF baseline and their consensus,
 * all on the same splits for each seed; metrics on the test split, mean and sd over seeds. `signal`
 * cancels it (CANCELLED); `opts.onCheckpoint` gets a checkpoint after every epoch that `opts.resume`
 * continues from, to the same result.
 */
export async function runQsar(req: QsarRequest, progress: Progress = () => {}, signal?: AbortSignal, opts: QsarRunOptions = {}): Promise<QsarResult> {
  const s = req.settings;
  const resume = opts.resume;
  const data = await qsarData(req);
  const totals = totalsFrom(resume?.done, resume?.seconds, s.distill);
  const first = s.firstSeed ?? 0;
  // A teacher already fine-tuned on this assay, split and seed (a benchmark re-using it) is taken as is;
  // it belongs to one seed, so it cannot serve several.
  const reuse = Boolean(s.teacherFineTuned && req.teacher?.config.task);
  if (reuse && s.seeds > 1)
    throw new AppError('INVALID_INPUT', 'an already fine-tuned teacher belongs to one seed: run one seed at a time (firstSeed) with it');
  if (resume && (resume.seed < first || resume.seed >= first + s.seeds))
    throw new AppError('INVALID_INPUT', `the checkpoint is of seed ${resume.seed + 1}, outside this run's seeds`);
  for (let seed = resume?.seed ?? first; seed < first + s.seeds; seed++) {
    const at = resume?.seed === seed ? resume : null;
    await runSeed({
      req,
      data,
      totals,
      seed,
      first,
      at,
      reuse,
      progress,
      ...(signal ? { signal } : {}),
      ...(opts.onCheckpoint ? { onCheckpoint: opts.onCheckpoint } : {}),
    });
  }
  return report(req, data, totals);
}

/** Mean and sd over the seeds that have each metric (boundsKept needs censored compounds in the seed's test split). */
function summarise(rows: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set(rows.flatMap((r) => Object.keys(r)))) {
    const { mean, sd } = meanSd(rows.filter((r) => key in r).map((r) => r[key] as number));
    out[key] = mean;
    out[`${key}Sd`] = sd;
  }
  return out;
}

/** Where the teacher and the student came from, in words. */
function teacherSource(req: QsarRequest, layers: number): string {
  const s = req.settings;
  return (
    (req.teacher ? `fine-tuned from '${req.teacher.name}'` : 'no pretrained teacher given or registered: the teacher was trained from scratch on the assay') +
    (s.distill
      ? req.student
        ? `; student started from the general-distilled '${req.student.name}'`
        : '; student started from the fine-tuned teacher (no general-distilled student given)'
      : '') +
    (s.distill && !req.student && s.studentLayers > layers
      ? `; the student applies its layer ${layers} times, not the ${s.studentLayers} asked: the teacher has only ${layers} layers`
      : '') +
    (s.fpHead || req.teacher?.config.task?.fp ? '; fingerprint-aware heads: they read the ECFP4 beside the SMILES' : '') +
    (s.descHead || req.teacher?.config.task?.desc ? '; descriptor-aware heads: they read the RDKit descriptors beside the SMILES' : '')
  );
}

/** The run's result: each model's metrics over the seeds, throughput, the recommendation, what to register. */
async function report(req: QsarRequest, data: QsarData, t: RunTotals): Promise<QsarResult> {
  const s = req.settings;
  const perCpu = (x: { n: number; cpu: number | null }) => (x.cpu && x.n ? x.n / x.cpu : null);
  const transformer = (role: 'teacher' | 'student', params: number, layers: number): ModelReport => ({
    name: role,
    role,
    params,
    layers,
    metrics: summarise(t.perSeed[role]),
    trainSeconds: t.seconds[role] / s.seeds,
    trainSeqPerSec: t.throughput[role].n / Math.max(1e-9, t.throughput[role].s),
    trainSeqPerCpuSec: perCpu(t.throughput[role]),
  });
  const models: ModelReport[] = [
    transformer('teacher', t.teacherParams, data.baseConfig.layers),
    ...(s.distill ? [transformer('student', t.studentParams, t.studentDepth)] : []),
    {
      name: 'ecfp4-rf',
      role: 'baseline',
      params: 0,
      layers: 0,
      metrics: summarise(t.perSeed.baseline),
      trainSeconds: t.seconds.baseline / s.seeds,
      trainSeqPerSec: null,
      trainSeqPerCpuSec: null,
    },
    {
      name: 'consensus',
      role: 'consensus',
      params: 0,
      layers: 0,
      metrics: summarise(t.perSeed.consensus),
      trainSeconds: 0,
      trainSeqPerSec: null,
      trainSeqPerCpuSec: null,
    },
  ];
  // Each seed's pick, judged on that seed's test split.
  const pickCounts: Partial<Record<Role, number>> = {};
  for (const r of t.picks) pickCounts[r] = (pickCounts[r] ?? 0) + 1;
  const recommended: Recommendation | null = t.recommended
    ? { ...t.recommended, metrics: summarise(t.picks.map((r, k) => t.perSeed[r][k] ?? {})), picks: pickCounts }
    : null;
  const { assay } = data;
  return {
    models,
    split: s.split,
    seeds: s.seeds,
    n: {
      compounds: data.points.length,
      ...t.sizes,
      rejected: assay.rejected.length,
      tooLong: data.tooLong,
      replicates: assay.replicates,
      censored: data.bounds.filter((b) => b !== 0).length,
      unknownTokenRate: data.unknownTokenRate,
    },
    teacherSource: teacherSource(req, data.baseConfig.layers),
    data: { file: req.data, sha256: await fileSha256(req.data), target: req.target, task: req.task },
    predictions: t.predictions,
    trained: t.trained,
    baseline: t.baseline,
    consensus: t.consensus,
    recommended,
    assay: { unit: assay.unit, points: assay.points, read: assay.read, rejected: assay.rejected, replicates: assay.replicates, censored: assay.censored },
  };
}
