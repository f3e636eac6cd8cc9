import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf } from '../model/tf/backend';
import { sharedData, tempDir } from '../test/helpers';
import { type QsarCheckpoint, type QsarRequest, type QsarResult, runQsar } from './qsar';
import { DEFAULT_QSAR } from './qsar-settings';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** What must not depend on an interruption: everything but the clocks. */
function outcome(r: QsarResult) {
  return {
    metrics: r.models.map((m) => [m.role, m.params, m.layers, m.metrics]),
    trained: r.trained.map((t) => [t.role, t.bestEpoch, t.norm, t.layerMap, Buffer.from(t.weights).toString('base64')]),
    predictions: r.predictions,
    baseline: r.baseline,
    n: r.n,
  };
}

describe('resumable QSAR runs', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('a run resumed from the checkpoint of any epoch of any stage and seed ends as the uninterrupted run', async () => {
    const rows = readFileSync(sharedData('qsar/esol.csv'), 'utf8').trim().split('\n');
    const data = join(tmp.dir, 'esol-60.csv');
    writeFileSync(data, `${rows.slice(0, 61).join('\n')}\n`);
    // Dropout on: the resumed steps must draw the same masks.
    const req: QsarRequest = {
      data,
      target: 'logS',
      task: 'regression',
      teacher: null,
      settings: {
        ...DEFAULT_QSAR,
        split: 'random',
        seeds: 2,
        epochs: 2,
        batch: 16,
        distill: true,
        studentLayers: 1,
        augment: 1,
        scratchArchitecture: { layers: 2, hidden: 16, heads: 2, ff: 32, maxLen: 128, dropout: 0.1 },
      },
    };
    // Stored as the app stores them (serialised), then read back.
    const saved: QsarCheckpoint[] = [];
    const whole = await runQsar(req, undefined, undefined, { onCheckpoint: (c) => saved.push(deserialize(serialize(c)) as QsarCheckpoint) });
    expect(saved.map((c) => `${c.seed}:${c.stage}:${c.fit.epoch}/${c.epochs}`)).toEqual([
      '0:teacher:1/2',
      '0:teacher:2/2',
      '0:distill:1/2',
      '0:distill:2/2',
      '0:finetune:1/1',
      '1:teacher:1/2',
      '1:teacher:2/2',
      '1:distill:1/2',
      '1:distill:2/2',
      '1:finetune:1/1',
    ]);
    // Saving checkpoints changes nothing.
    expect(outcome(await runQsar(req))).toEqual(outcome(whole));
    // Mid-teacher; the distillation's last epoch (the short fine-tune starts afresh); a finished seed 1
    // (its results come from the checkpoint); mid-distillation of seed 2.
    for (const i of [0, 3, 4, 7]) {
      const c = saved[i] as QsarCheckpoint;
      const messages: string[] = [];
      const resumed = await runQsar(req, (m) => messages.push(m), undefined, { resume: c });
      expect(outcome(resumed), `resumed from ${c.seed}:${c.stage}:${c.fit.epoch}`).toEqual(outcome(whole));
      // Only what was left is trained again.
      expect(messages.filter((m) => /teacher epoch/.test(m))).toHaveLength(c.stage === 'teacher' ? 2 * (2 - c.seed) - c.fit.epoch : 2 * (1 - c.seed));
    }
    await expect(
      runQsar({ ...req, settings: { ...req.settings, firstSeed: 2 } }, undefined, undefined, { resume: saved[0] as QsarCheckpoint }),
    ).rejects.toThrow(/outside this run's seeds/);
  }, 300_000);
});
