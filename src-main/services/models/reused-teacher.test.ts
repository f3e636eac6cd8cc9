import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database';
import { corpusSlice, sharedData, tempDir } from '../../test/helpers';
import { DEFAULT_QSAR } from '../../train/qsar-settings';
import { DEFAULT_DISTILL, DEFAULT_PRETRAIN, type PretrainSettings } from '../../train/settings';
import { modelServices, type TrainResult } from '.';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const settings: PretrainSettings = {
  ...DEFAULT_PRETRAIN,
  architecture: { layers: 2, hidden: 16, heads: 2, ff: 32, maxLen: DEFAULT_PRETRAIN.architecture.maxLen, dropout: 0.1, shareLayers: false },
  batch: 8,
  maxSteps: 4,
  timeBudgetSeconds: null,
  checkpointEvery: 100,
};

describe('a DeLiCaTe run from a teacher fine-tuned in an earlier run (the QSAR bench splits its tasks so)', () => {
  it('gives the same teacher, student, consensus and pick as the one run that fine-tunes and distils', async () => {
    const corpus = join(tmp.dir, 'corpus.csv');
    writeFileSync(corpus, `smiles\n${corpusSlice(200).join('\n')}\n`);
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-100.csv');
    writeFileSync(data, `${rows.slice(0, 101).join('\n')}\n`);
    const db = openDatabase(join(tmp.dir, 'models.db'));
    try {
      const { pretraining, training } = modelServices(db);
      await pretraining.pretrain({ corpus, out: 'base', settings, resume: false, backend: 'wasm' });
      await pretraining.pretrain({
        corpus,
        out: 'small',
        settings: { ...settings, maxSteps: 2, distill: { ...DEFAULT_DISTILL, teacher: 'base', layers: 1 } },
        resume: false,
        backend: 'wasm',
      });
      const task = { data, target: 'logS', task: 'regression' as const };
      const qsar = { ...DEFAULT_QSAR, seeds: 1, epochs: 1, split: 'scaffold' as const, firstSeed: 1, fpHead: true, studentLayers: 1 };
      const whole = await training.train({ ...task, out: 'one', teacher: 'base', student: 'small', settings: { ...qsar, distill: true } });
      await training.train({ ...task, out: 'first', teacher: 'base', settings: { ...qsar, distill: false } });
      const split = await training.train({
        ...task,
        out: 'second',
        teacher: 'first-teacher',
        student: 'small',
        settings: { ...qsar, distill: true, teacherFineTuned: true },
      });
      const metric = (r: TrainResult, role: string) => r.models.find((m) => m.role === role)?.metrics.rmse as number;
      for (const role of ['teacher', 'student', 'baseline', 'consensus']) {
        expect(Number.isFinite(metric(whole, role))).toBe(true);
        expect(metric(split, role)).toBeCloseTo(metric(whole, role), 5);
      }
      // The split run did not fine-tune again.
      expect(split.models.find((m) => m.role === 'teacher')?.trainSeqPerSec).toBe(0);
      expect(split.recommended?.role).toBe(whole.recommended?.role);
    } finally {
      db.close();
    }
  }, 300_000);
});
