import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-shared/random';
import { disposeModel } from '../model/encoder';
import { initTf } from '../model/tf/backend';
import { fit, predictTask, taskModelFrom } from './finetune';

const config = { vocabSize: 12, maxLen: 16, layers: 4, hidden: 16, heads: 2, ff: 32, dropout: 0, shareLayers: false, mlm: null, physchem: 0, task: null };

describe('task-specific distillation', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('makes a shared-layer student match its teacher on a synthetic task', async () => {
    const rand = seededRandom(5);
    const seqs = Array.from({ length: 64 }, () => Int32Array.from([2, ...Array.from({ length: 3 + Math.floor(rand() * 8) }, () => 5 + Math.floor(rand() * 7)), 3]));
    const teacher = taskModelFrom(config, null, 'regression', 1);
    const target = Float32Array.from(await predictTask(teacher, seqs, null));
    const student = taskModelFrom(config, null, 'regression', 2, { shareLayers: true, layers: 2 });
    const gap = async () => {
      const p = await predictTask(student, seqs, null);
      return p.reduce((a, x, i) => a + (x - (target[i] as number)) ** 2, 0) / p.length;
    };
    const before = await gap();
    await fit(student, { seqs, y: target }, null, {
      epochs: 40,
      batch: 16,
      lr: 3e-3,
      seed: 1,
      soft: { y: target, alpha: 1 },
      hidden: { teacher, layerMap: [0, 2, 4], weight: 0.1 },
    });
    const after = await gap();
    expect(after).toBeLessThan(before * 0.2);
    disposeModel(teacher);
    disposeModel(student);
  }, 120_000);
});
