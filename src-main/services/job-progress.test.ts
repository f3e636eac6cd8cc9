import { describe, expect, it } from 'vitest';
import { progressText } from '../../src-shared/progress';
import { DEFAULT_QSAR } from '../train/qsar-settings';
import { assayProgress, importProgress, pretrainProgress, trainProgress } from './job-progress';

describe('job progress, one shape per kind', () => {
  it('counts a training run in epochs over its stages and seeds, on from where a resumed run stood', () => {
    const settings = { ...DEFAULT_QSAR, epochs: 4, seeds: 2, distill: true };
    // Teacher and student epochs for each seed: 16 in all.
    const fresh = trainProgress(settings);
    expect(fresh('fine-tuning the teacher')).toMatchObject({ done: 0, total: 16, etaSeconds: null });
    const epoch = { stage: 'teacher' as const, seed: 1, epochs: 4, epoch: 1, loss: 1, valid: 1 };
    const after = fresh('teacher epoch 1/4', epoch);
    expect(after).toMatchObject({ done: 1, total: 16, epoch });
    // An ETA once an epoch has finished in this process: 15 epochs to go at the rate measured.
    expect(after.etaSeconds).not.toBeNull();
    expect(after.etaSeconds as number).toBeCloseTo(15 / after.rate, 6);
    // From the first batches on, before an epoch ends: half of the first epoch of a fresh run done.
    const early = trainProgress(settings);
    early('fine-tuning the teacher');
    const half = early('teacher epoch 1/4, batch 5/10', undefined, { batch: 5, batches: 10 });
    expect(half).toMatchObject({ done: 0.5, total: 16 });
    expect(half.etaSeconds as number).toBeCloseTo(15.5 / half.rate, 6);
    // The epoch's end counts it once, whatever its batches said.
    expect(early('teacher epoch 1/4 loss 1', epoch)).toMatchObject({ done: 1 });
    // Resumed in the second seed's distillation after its epoch 2: 4 + 4 (seed 1) + 4 (teacher) + 2.
    const resumed = trainProgress(settings, { seed: 2, seeds: 2, stage: 'distill', epoch: 2, epochs: 4 });
    expect(resumed('resuming')).toMatchObject({ done: 14, total: 16, etaSeconds: null });
  });

  it('says every kind in words, the same in the app and on the command line', () => {
    const imp = importProgress({ read: 2000, imported: 1900, duplicates: 60, rejected: 40, fraction: 0.25, rate: 812.4, etaSeconds: 7.2 });
    expect(progressText(imp)).toBe('2000 records: 1900 new, 60 duplicates, 40 rejected (25%, 812 records/s) · ETA 8 s');
    const step = pretrainProgress({
      step: 3,
      totalSteps: 40,
      loss: 1.5,
      mlm: 1.2,
      physchem: 0.3,
      mlmAccuracy: 0.42,
      seqPerSec: 10.04,
      etaSeconds: null,
      lr: 1e-4,
    });
    expect(step).toMatchObject({ done: 3, total: 40, point: { step: 3, loss: 1.5, mlm: 1.2, physchem: 0.3, mlmAccuracy: 0.42 } });
    expect(progressText(step)).toBe('step 3/40: loss 1.500 (mlm 1.200, physchem 0.300), MLM accuracy 42.0%, 10.0 sequences/s');
    expect(
      progressText(
        pretrainProgress({ step: 1, totalSteps: 2, loss: 1, mlm: 1, physchem: 0, mlmAccuracy: 0, distill: 0.25, seqPerSec: 1, etaSeconds: 3, lr: 1 }),
      ),
    ).toContain('distill 0.250');
    expect(assayProgress({ read: 10, compounds: 8, rejected: 1 })).toMatchObject({ done: 10, total: null, message: '10 records: 8 compounds, 1 rejected' });
  });
});
