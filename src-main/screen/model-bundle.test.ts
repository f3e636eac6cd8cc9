import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EncoderConfig, createModel, disposeModel } from '../model/encoder';
import { exportOnnx, isCurrentGraph } from '../model/onnx-export';
import { initTf } from '../model/tf/backend';
import { packTensors } from '../model/weights-tf';
import type { ConsensusModelSpec, TaskModelSpec } from '../train/predict-types';
import { readBundle, writeBundle } from './model-bundle';

const proto = (createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto')).onnx;

const config: EncoderConfig = {
  vocabSize: 20,
  maxLen: 24,
  layers: 2,
  hidden: 16,
  heads: 2,
  ff: 32,
  dropout: 0,
  shareLayers: false,
  mlm: null,
  physchem: 0,
  task: { type: 'regression', outputs: 1 },
};
const dir = mkdtempSync(join(tmpdir(), 'delicate-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a file screen’s frozen model bundle', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('holds the graph every shard runs: one stored by an older exporter is replaced by the current export', async () => {
    const model = createModel(config, 3);
    const weights = packTensors(model.params);
    disposeModel(model);
    const current = exportOnnx(config, weights, 'old');
    const older = proto.ModelProto.decode(current);
    older.producerVersion = '';
    const olderBytes = proto.ModelProto.encode(older).finish();
    const task = { target: 'y', type: 'regression' as const, norm: null };
    const spec: TaskModelSpec = { name: 'old', config, tokenizer: { vocab: [] } as never, weights, onnx: olderBytes, task, domain: [] };
    const kept: TaskModelSpec = { ...spec, name: 'new', onnx: current };
    const consensus: ConsensusModelSpec = { name: 'c', kind: 'consensus', members: [{ spec, weight: 1 }], task, domain: [], calibration: null };

    const written = await writeBundle(join(dir, 'models.json.gz'), [spec, kept, consensus]);
    const read = await readBundle(join(dir, 'models.json.gz'));
    expect(read.sha256).toBe(written.sha256);
    const [a, b, c] = read.models as [TaskModelSpec, TaskModelSpec, ConsensusModelSpec];
    expect(isCurrentGraph(a.onnx as Uint8Array)).toBe(true);
    expect(Buffer.from(a.onnx as Uint8Array).equals(Buffer.from(current))).toBe(true);
    expect(Buffer.from(b.onnx as Uint8Array).equals(Buffer.from(current))).toBe(true);
    expect(isCurrentGraph((c.members[0]?.spec as TaskModelSpec).onnx as Uint8Array)).toBe(true);
    // The caller's spec is left as it was.
    expect(spec.onnx).toBe(olderBytes);
  });
});
