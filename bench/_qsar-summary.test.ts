import { describe, expect, it } from 'vitest';
import {
  type Cell,
  doneShare,
  goalLines,
  modelGoalLines,
  referenceRows,
  type Role,
  type SummaryRow,
  teacherGoalLines,
  teacherOf,
  untilOrder,
  untilTime,
  worseThanTeacher,
} from './_qsar-summary';

const cell = (role: Role, seed: number, metrics: Record<string, number>): Cell => ({
  key: `x/scaffold/${seed}/${role}`,
  dataset: 'x',
  split: 'scaffold',
  seed,
  role,
  name: `${role}-${seed}`,
  params: 1,
  layers: 1,
  metrics,
  trainSecondsPerEpoch: 1,
  trainSeqPerSec: 1,
  inference: null,
});

describe('worseThanTeacher', () => {
  it('compares over the seeds both models have', () => {
    const teacher = [cell('teacher', 0, { rocAuc: 0.8 }), cell('teacher', 1, { rocAuc: 0.6 }), cell('teacher', 2, { rocAuc: 0.7 })];
    // Only seed 0 in common: 1 - 0.76 / 0.8 = 0.05 (against all three teacher seeds it would be -0.086).
    expect(worseThanTeacher('rocAuc', [cell('DeLiCaTe student', 0, { rocAuc: 0.76 })], teacher)).toBeCloseTo(0.05, 10);
    // RMSE: lower is better, so worse = mean / teacher's - 1; the student's seed 1 has no teacher yet.
    const rmse = [cell('KD student', 0, { rmse: 1.1 }), cell('KD student', 1, { rmse: 5 })];
    expect(worseThanTeacher('rmse', rmse, [cell('teacher', 0, { rmse: 1.0 })])).toBeCloseTo(0.1, 10);
    expect(worseThanTeacher('rmse', rmse, [cell('teacher', 2, { rmse: 1.0 })])).toBeNull();
  });
});

const row = (dataset: string, model: Role, o: Partial<SummaryRow>): SummaryRow => ({
  dataset,
  split: 'scaffold',
  model,
  seeds: 3,
  metric: 'rmse',
  mean: 1,
  sd: 0.01,
  worseThanTeacher: model === 'teacher' ? null : 0,
  params: model === 'teacher' ? 2_400_000 : 170_000,
  layers: model === 'teacher' ? 12 : 3,
  trainSecondsPerEpoch: 1,
  trainOverTeacher: model === 'teacher' ? null : 5,
  inference: { onnxruntime: 1, tfjs: 1 },
  inferenceOverTeacher: model === 'teacher' ? null : 5,
  ...o,
});

describe('goalLines', () => {
  it('says which pairs meet the goals, what each other pair misses, and where the forest or a weak teacher decides', () => {
    const summary = [
      // a: every goal met; the forest is better but within the seed spread, so it is not called better.
      row('a', 'teacher', { mean: 1.0, sd: 0.05 }),
      row('a', 'DeLiCaTe student', { mean: 1.03, sd: 0.05, worseThanTeacher: 0.03 }),
      row('a', 'ECFP4 + RF', { mean: 0.95, sd: 0.04 }),
      // b: inference 3.5x, 6x fewer parameters and 9% worse; the forest beats both beyond their sds; 2 seeds.
      row('b', 'teacher', { mean: 1.0 }),
      row('b', 'DeLiCaTe student', { mean: 1.09, worseThanTeacher: 0.09, inferenceOverTeacher: 3.5, trainStepOverTeacher: 2.5, params: 400_000, seeds: 2 }),
      row('b', 'ECFP4 + RF', { mean: 0.8 }),
      // c: classification; the student is more than 5% better than a weak teacher, so "met" needs a caveat
      // (the forest, 0.82, is better than the teacher but not beyond their sds together).
      row('c', 'teacher', { metric: 'rocAuc', mean: 0.7, sd: 0.12 }),
      row('c', 'DeLiCaTe student', { metric: 'rocAuc', mean: 0.8, sd: 0.005, worseThanTeacher: 1 - 0.8 / 0.7 }),
      row('c', 'ECFP4 + RF', { metric: 'rocAuc', mean: 0.82, sd: 0.02 }),
      // d: no student yet.
      row('d', 'teacher', {}),
      // e: one seed each: the forest is better, but one seed has no spread to be better beyond.
      row('e', 'teacher', { seeds: 1, sd: 0 }),
      row('e', 'DeLiCaTe student', { seeds: 1, sd: 0 }),
      row('e', 'ECFP4 + RF', { seeds: 1, sd: 0, mean: 0.8 }),
    ];
    const { lines, data } = goalLines(summary, 3, false);
    expect(data.map((d) => [d.pair, d.met])).toEqual([
      ['a scaffold', true],
      ['b scaffold', false],
      ['c scaffold', true],
      ['d scaffold', false],
      ['e scaffold', true],
    ]);
    expect(lines[0]).toContain('all met on 3 of 5 (set, split) pairs (a scaffold, c scaffold, e scaffold)');
    expect(lines).toContain(
      "- Not met on b scaffold: inference only 3.50x faster; training steps only 2.50x faster in the same run; only 6.0x fewer parameters; RMSE 1.090 is 9.0% worse than the teacher's 1.000.",
    );
    expect(lines).toContain('- Not met on d scaffold: no DeLiCaTe student cell yet.');
    expect(lines).toContain('- Fewer than 3 seeds so far on: b scaffold, d scaffold, e scaffold.');
    expect(lines.some((l) => l.includes('--same-run-speed'))).toBe(true);
    expect(lines).toContain(
      '- The ECFP4 forest (RMSE 0.800) beats both the teacher and the DeLiCaTe student on b scaffold, by more than their seed sds together.',
    );
    expect(lines.filter((l) => l.includes('forest'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('weak'))).toEqual([
      '- The DeLiCaTe student beats its own teacher on c scaffold (14.3% better: ROC-AUC 0.800 against 0.700 ± 0.120): the metric goal is met there because the teacher is weak, which says little about what compression costs.',
    ]);
    expect(goalLines(summary, 3, true).lines.some((l) => l.includes('--same-run-speed'))).toBe(false);
  });
});

describe('the model goals', () => {
  it('count where the recommended model and the consensus hold against the forest, the student and the teacher, and which intervals miss 75–85%', () => {
    const summary = [
      // a (RMSE): recommended = forest (ties count as at least as good), better than the teacher; consensus best.
      row('a', 'teacher', { mean: 1.0 }),
      row('a', 'DeLiCaTe student', { mean: 0.98 }),
      row('a', 'ECFP4 + RF', { mean: 0.9, coverage80: 0.8 }),
      row('a', 'consensus', { mean: 0.88, coverage80: 0.9 }),
      row('a', 'recommended', { mean: 0.9, coverage80: 0.79 }),
      // b (ROC-AUC): the recommended model is worse than the forest and no better than the teacher; the consensus loses to the student.
      row('b', 'teacher', { metric: 'rocAuc', mean: 0.8 }),
      row('b', 'DeLiCaTe student', { metric: 'rocAuc', mean: 0.85 }),
      row('b', 'ECFP4 + RF', { metric: 'rocAuc', mean: 0.84 }),
      row('b', 'consensus', { metric: 'rocAuc', mean: 0.845 }),
      row('b', 'recommended', { metric: 'rocAuc', mean: 0.8, coverage80: 0.7 }),
      // c: no consensus row yet, so not counted.
      row('c', 'teacher', {}),
      row('c', 'ECFP4 + RF', {}),
    ];
    const { lines, data } = modelGoalLines(summary);
    expect(data).toEqual({
      pairs: 2,
      recommendedVsForest: 1,
      recommendedVsTeacher: 1,
      consensusVsBest: 1,
      coverageOutside: ['a scaffold consensus 90%', 'b scaffold recommended 70%'],
    });
    expect(lines[0]).toContain('80% intervals: 2 of 4 rows cover 75–85% of their test compounds');
    expect(lines).toContain('- The recommended model (0.800) is worse than the forest (0.840) on b scaffold.');
    expect(lines).toContain('- The consensus (0.845) is worse than the better of student (0.850) and forest (0.840) on b scaffold.');
    expect(modelGoalLines(summary.filter((r) => r.dataset === 'c')).lines).toEqual([]);
    // The fingerprint-aware run's goals read its own rows (none here) and say which heads they are about.
    expect(modelGoalLines(summary, 'fp-head').data.pairs).toBe(0);
    const fp = summary.map((r) => (['DeLiCaTe student', 'consensus', 'recommended'].includes(r.model) ? { ...r, model: `fp-head ${r.model}` as Role } : r));
    expect(modelGoalLines(fp, 'fp-head').data).toEqual({
      ...data,
      coverageOutside: ['a scaffold fp-head consensus 90%', 'b scaffold fp-head recommended 70%'],
    });
    expect(modelGoalLines(fp, 'fp-head').lines[0]).toMatch(/^\*\*Model goals, fingerprint-aware heads/);
    // The descriptor-aware run's rows are its own too: not counted as the plain heads' nor the fingerprint run's.
    const desc = fp.map((r) => (r.model.startsWith('fp-head ') ? { ...r, model: r.model.replace('fp-head', 'desc-head') as Role } : r));
    expect(modelGoalLines(desc, 'desc-head').data).toEqual({
      ...data,
      coverageOutside: ['a scaffold desc-head consensus 90%', 'b scaffold desc-head recommended 70%'],
    });
    expect(modelGoalLines(desc, 'fp-head').data.pairs).toBe(0);
    expect(modelGoalLines([...fp, ...desc.filter((r) => r.model.startsWith('desc-head'))], 'plain').data.coverageOutside).toEqual([]);
  });
});

describe('the long-teacher report', () => {
  it("compares the recommended model with a reference teacher when given, and each student with its own run's teacher", () => {
    const summary = [
      row('a', 'teacher', { mean: 0.7 }),
      row('a', 'ECFP4 + RF', { mean: 0.9 }),
      row('a', 'fp-head DeLiCaTe student', { mean: 0.75 }),
      row('a', 'fp-head consensus', { mean: 0.74 }),
      row('a', 'fp-head recommended', { mean: 0.74 }),
    ];
    // Against this run's (new) teacher the recommended model is not better; against the shipped one it is.
    expect(modelGoalLines(summary, 'fp-head').data.recommendedVsTeacher).toBe(0);
    const reference = { name: 'old', rows: [row('a', 'teacher', { mean: 0.95 })] };
    const withRef = modelGoalLines(summary, 'fp-head', reference);
    expect(withRef.data.recommendedVsTeacher).toBe(1);
    expect(withRef.lines[0]).toContain('better than the current teacher (old, its own cells) on 1');
    expect(teacherOf('fp-head DeLiCaTe student')).toBe('fp-head teacher');
    expect(teacherOf('desc-head recommended')).toBe('desc-head teacher');
    expect(teacherOf('fp-head teacher')).toBe('teacher');
    expect(teacherOf('KD student')).toBe('teacher');
  });

  it("checks the student goals of a heads kind against that kind's teacher", () => {
    const summary = [
      row('a', 'fp-head teacher', { mean: 1.0, params: 2_400_000, inferenceOverTeacher: null }),
      row('a', 'fp-head DeLiCaTe student', { mean: 1.1, worseThanTeacher: 0.1 }),
    ];
    expect(goalLines(summary, 3, true).data[0]?.misses).toEqual(['no teacher cell yet']);
    const fp = goalLines(summary, 3, true, 'fp-head');
    expect(fp.data[0]?.misses).toEqual(["RMSE 1.100 is 10.0% worse than the teacher's 1.000"]);
    expect(fp.lines[0]).toContain('against its teacher, both with fingerprint-aware heads (');
  });

  it('counts the sets where the teacher beats the forest on both splits, Lipophilicity random and BACE pIC50', () => {
    const both = (dataset: string, model: Role, scaffold: number, random: number, metric = 'rmse') => [
      row(dataset, model, { metric, mean: scaffold }),
      row(dataset, model, { metric, mean: random, split: 'random' }),
    ];
    const summary = [
      ...both('esol', 'fp-head teacher', 0.7, 0.6),
      ...both('esol', 'ECFP4 + RF', 1.4, 1.1),
      // BBBP: ahead on one split only, not counted.
      ...both('bbbp', 'fp-head teacher', 0.9, 0.88, 'rocAuc'),
      ...both('bbbp', 'ECFP4 + RF', 0.85, 0.9, 'rocAuc'),
      ...both('lipophilicity', 'fp-head teacher', 0.8, 0.79),
      ...both('lipophilicity', 'ECFP4 + RF', 0.85, 0.8),
      // BACE pIC50: the student is the best transformer-based model on the scaffold split and beats the forest; on random nothing does.
      ...both('bace-pic50', 'fp-head teacher', 0.82, 0.8),
      ...both('bace-pic50', 'fp-head DeLiCaTe student', 0.78, 0.81),
      ...both('bace-pic50', 'ECFP4 + RF', 0.8, 0.7),
    ];
    const { data, lines } = teacherGoalLines(summary, 'fp-head');
    expect(data).toEqual({
      sets: 2,
      setsWon: ['esol', 'lipophilicity'],
      lipoRandom: 0.79,
      pic50: ["scaffold: fp-head DeLiCaTe student RMSE 0.780 beats the forest's 0.800", "random: fp-head teacher RMSE 0.800 does not beat the forest's 0.700"],
    });
    expect(lines[0]).toContain('better than the forest on both splits of 2 of 3 MoleculeNet sets with both rows (esol, lipophilicity)');
    expect(teacherGoalLines(summary, 'plain').lines).toEqual([]);
  });

  it("reads a reference teacher's rows from its own stored cells", () => {
    const c = (seed: number, rmse: number, fingerprint: string, role: Role = 'teacher') => ({ ...cell(role, seed, { rmse }), fingerprint });
    const rows = referenceRows([c(0, 1.0, 'old'), c(1, 0.8, 'old'), c(0, 0.5, 'new'), c(0, 0.1, 'old', 'DeLiCaTe student')], 'old');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ dataset: 'x', split: 'scaffold', model: 'teacher', seeds: 2, metric: 'rmse' });
    expect(rows[0]?.mean).toBeCloseTo(0.9, 10);
  });
});

describe('--until', () => {
  it('reads a time today (tomorrow once it has passed) or an ISO date-time', () => {
    const now = new Date(2026, 10, 23, 15, 30);
    expect(untilTime('17:45', now)).toBe(new Date(2026, 10, 23, 17, 45).getTime());
    expect(untilTime('9:05', now)).toBe(new Date(2026, 10, 24, 9, 5).getTime());
    expect(untilTime('2026-11-23T17:45:00Z', now)).toBe(Date.UTC(2026, 10, 23, 17, 45));
    expect(() => untilTime('soon', now)).toThrow(/HH:MM/);
  });
});

describe('--until planning', () => {
  it('counts the epochs an interrupted run already did', () => {
    expect(doneShare(null)).toBe(0);
    expect(doneShare({ seed: 1, seeds: 1, stage: 'teacher', epoch: 5, epochs: 15 })).toBeCloseTo(1 / 3);
    expect(doneShare({ seed: 1, seeds: 1, stage: 'distill', epoch: 15, epochs: 15 })).toBeCloseTo(0.9);
    expect(doneShare({ seed: 1, seeds: 1, stage: 'finetune', epoch: 1, epochs: 3 })).toBeCloseTo(0.9 + 0.1 / 3);
  });

  it('puts the tasks that end in time (or were never measured) first, then the rest by time left', () => {
    const now = 0;
    const until = 3600_000;
    const left: Record<string, number | null> = { a: 5000, b: 1200, c: null, d: 4000, e: 3000 };
    const { order, fitting } = untilOrder(['a', 'b', 'c', 'd', 'e'], (t) => left[t] ?? null, now, until);
    expect(order).toEqual(['b', 'c', 'e', 'd', 'a']);
    expect(fitting).toBe(3);
    expect(untilOrder(['a', 'd'], (t) => left[t] ?? null, now, until)).toEqual({ order: ['d', 'a'], fitting: 0 });
  });
});
