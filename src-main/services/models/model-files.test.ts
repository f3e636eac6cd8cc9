import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database';
import { type ModelFileHeader, writeModelFile } from '../../model/model-file';
import { tempDir } from '../../test/helpers';
import { ModelRegistry } from './registry';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A two-tree forest of one split each (what a model file of a forest holds, gzipped). */
const forest = {
  kind: 'ecfp-rf-v1',
  bits: 2048,
  trees: [0, 1].map((t) => ({ feature: [t, -1, -1], left: [1, -1, -1], right: [2, -1, -1], value: [0, 1, 2] })),
};
const task = { target: 'logS', type: 'regression', norm: null };
const forestFile = (name: string) =>
  writeModelFile(
    { format: 'delicate-model-file-v1', name, kind: 'baseline', parents: [], metrics: {}, steps: 0, manifest: { format: 'delicate-forest-v1', task } },
    gzipSync(JSON.stringify(forest)),
  );
const consensusHeader = (members: unknown): ModelFileHeader & { members: unknown } => ({
  format: 'delicate-model-file-v1',
  name: 'run-consensus',
  kind: 'consensus',
  parents: ['run-ecfp4-rf'],
  metrics: {},
  steps: 0,
  manifest: { format: 'delicate-consensus-v1', task, members: [{ name: 'run-ecfp4-rf', weight: 1 }] },
  members,
});

describe('model files of forests and consensus models', () => {
  const models = new ModelRegistry(openDatabase(join(tmp.dir, 'm.db')));

  it('refuses a damaged consensus file with the file named and registers nothing', () => {
    const member = forestFile('run-ecfp4-rf');
    // A member whose lineage is no list: refused before anything of the consensus is registered.
    const oddMember = writeModelFile(
      { format: 'delicate-model-file-v1', name: 'run-ecfp4-rf', kind: 'baseline', parents: 'x' as unknown as string[], metrics: {}, steps: 0, manifest: {} },
      gzipSync(JSON.stringify(forest)),
    );
    const cases: Array<[Buffer, RegExp]> = [
      [writeModelFile(consensusHeader([{ name: 7, bytes: member.length }]), member), /does not list its members/],
      [writeModelFile(consensusHeader(null), member), /does not list its members/],
      [writeModelFile(consensusHeader([{ name: 'run-ecfp4-rf', bytes: member.length + 10 }]), member), /truncated \(in its member 'run-ecfp4-rf'\)/],
      [
        writeModelFile(consensusHeader([{ name: 'run-ecfp4-rf', bytes: 12 }]), member.subarray(0, 12)),
        /member 'run-ecfp4-rf'.*truncated|not a Delicate model file/,
      ],
      [writeModelFile({ ...consensusHeader([]), kind: 'oracle' }, Buffer.alloc(0)), /unknown model kind 'oracle'/],
      [
        writeModelFile(
          consensusHeader([
            { name: 'run-ecfp4-rf', bytes: member.length },
            { name: 'run-ecfp4-rf', bytes: member.length },
          ]),
          Buffer.concat([member, member]),
        ),
        /lists a member twice/,
      ],
      [writeModelFile(consensusHeader([{ name: 'run-ecfp4-rf', bytes: oddMember.length }]), oddMember), /member 'run-ecfp4-rf'.*lineage cannot be read/],
    ];
    // Transformer files with a header that would be stored broken, or weights that are not weights.
    const student = (over: Partial<ModelFileHeader>, weights = Buffer.alloc(8)) =>
      writeModelFile({ ...consensusHeader([]), kind: 'student', manifest: { config: { layers: 2, hidden: 32 }, tokenizer: {} }, ...over }, weights);
    cases.push(
      [student({ manifest: {} }), /architecture or vocabulary cannot be read/],
      [student({ parents: 'teacher' as unknown as string[] }), /lineage cannot be read/],
      [student({ steps: Number.NaN }), /steps cannot be read/],
      [student({}, Buffer.from('not packed arrays')), /weights of 'run-consensus' cannot be read/],
    );
    // Intervals a screen could not state: bands that are no list, out of order, or a level of 80 (not 0.8).
    const calibrated = (calibration: unknown) => student({ manifest: { config: { layers: 2, hidden: 32 }, tokenizer: {}, calibration } });
    const band = (from: number) => ({ from, n: 30, q: 0.5 });
    for (const calibration of [
      { method: 'mondrian-conformal', level: 0.8, n: 60, halfWidth: 0.7, bins: 'wide' },
      { method: 'mondrian-conformal', level: 0.8, n: 60, halfWidth: 0.7, bins: [band(0.5), band(0)] },
      { method: 'split-conformal', level: 80, n: 60, halfWidth: 0.7 },
    ])
      cases.push([calibrated(calibration), /interval calibration cannot be read/]);
    for (const [buf, why] of cases) expect(() => models.importBuffer(buf, 'bad.dlcm')).toThrow(why);
    expect(() => models.importBuffer(forestFile('rf').subarray(0, forestFile('rf').length - 10), 'cut.dlcm')).toThrow(
      /cut.dlcm: the forest 'rf' cannot be read/,
    );
    expect(models.list()).toEqual([]);
  });

  it('imports a consensus of one forest under another name, its member named after it, and exports it back alike', async () => {
    const member = forestFile('run-ecfp4-rf');
    const file = writeModelFile(consensusHeader([{ name: 'run-ecfp4-rf', bytes: member.length }]), member);
    expect(models.importBuffer(file, 'c.dlcm', 'herg-consensus')).toMatchObject({ kind: 'consensus', parent: ['herg-ecfp4-rf'] });
    expect(models.get('herg-ecfp4-rf')).toMatchObject({ kind: 'baseline', params: 6 });
    await models.exportModel('herg-consensus', join(tmp.dir, 'back.dlcm'));
    // Imported again under a third name: the member is another one (named after it), the first stays.
    expect((await models.importModel(join(tmp.dir, 'back.dlcm'), 'x-consensus')).parent).toEqual(['x-ecfp4-rf']);
    expect(models.list().map((m) => m.name)).toEqual(['herg-ecfp4-rf', 'herg-consensus', 'x-ecfp4-rf', 'x-consensus']);
  });
});
