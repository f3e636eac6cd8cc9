import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src-main/db/database';
import { ModelRepo, manifestOf, parentsOf } from '../src-main/db/model-repo';
import { retiredName } from '../src-main/services/models/shipped';
import { tempDir } from '../src-main/test/helpers';
import { prepareShip } from './_ship';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function add(repo: ModelRepo, name: string, parents: string[], settings: Record<string, unknown>, weight: number): void {
  const manifest = { format: 'delicate-model-v1', config: {}, tokenizer: {}, physchem: null, training: { kind: 'pretrain', settings } };
  const id = repo.create({
    name,
    kind: 'pretrained',
    state: 'ready',
    manifest,
    params: 1,
    layers: 1,
    shareLayers: false,
    hidden: 4,
    parents,
    totalSteps: 1,
    jobId: null,
  });
  repo.finish(id, { weights: Buffer.from(Float32Array.of(weight).buffer), metrics: {}, steps: 1 });
}

describe('shipping a longer-trained base chain', () => {
  it('renames the shipped models as installs will keep them and the new ones to the shipped names, in a copy', () => {
    const source = join(tmp.dir, 'long.db');
    const db = openDatabase(source);
    const repo = new ModelRepo(db);
    add(repo, 'base', [], {}, 1);
    add(repo, 'base-long', ['base'], { init: 'base' }, 2);
    add(repo, 'other', [], {}, 3);
    const kept = retiredName(repo, 'base');
    db.close();

    const target = join(tmp.dir, 'ship.db');
    expect(prepareShip(source, target, '-long', ['base', 'other'])).toEqual([
      ['base', kept],
      ['base-long', 'base'],
    ]);
    const ship = new ModelRepo(openDatabase(target));
    const base = ship.byName('base');
    expect(parentsOf(base!)).toEqual([kept]);
    expect(manifestOf(base!)).toMatchObject({ training: { settings: { init: kept } } });
    expect(ship.weights(base!.id)).toEqual(Buffer.from(Float32Array.of(2).buffer));
    expect(ship.weights(ship.byName(kept)!.id)).toEqual(Buffer.from(Float32Array.of(1).buffer));
    // The source is left as it was; a second run does not overwrite the copy.
    expect(new ModelRepo(openDatabase(source)).byName('base-long')).not.toBeNull();
    expect(() => prepareShip(source, target, '-long', ['base'])).toThrow(/exists/);
  });

  it("ships a teacher trained in segments under its last segment's name", () => {
    const source = join(tmp.dir, 'segments.db');
    const db = openDatabase(source);
    const repo = new ModelRepo(db);
    add(repo, 'base', [], {}, 1);
    add(repo, 'base-long-s1', ['base'], { init: 'base' }, 2);
    add(repo, 'base-long-s2', ['base-long-s1'], { init: 'base-long-s1' }, 3);
    add(repo, 'small-long', ['base-long-s2'], { init: 'base-long-s2' }, 4);
    const kept = retiredName(repo, 'base');
    db.close();
    const target = join(tmp.dir, 'segments-ship.db');
    expect(prepareShip(source, target, '-long', ['base', 'small'], { base: 'base-long-s2' })).toEqual([
      ['base', kept],
      ['base-long-s2', 'base'],
      ['small-long', 'small'],
    ]);
    const ship = new ModelRepo(openDatabase(target));
    expect(parentsOf(ship.byName('small')!)).toEqual(['base']);
    expect(parentsOf(ship.byName('base')!)).toEqual(['base-long-s1']);
    expect(() => prepareShip(source, join(tmp.dir, 'x.db'), '-long', ['base'], { base: 'base-long-s9' })).toThrow(/no model named base-long-s9/);
  });
});
