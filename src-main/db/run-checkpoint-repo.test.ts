// SQL of the training-run checkpoints against a real (in-memory) database.
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { RunCheckpointRepo } from './run-checkpoint-repo';

describe('RunCheckpointRepo', () => {
  it('keeps one checkpoint per run: the request and data copy from the first save, the latest checkpoint after', () => {
    const repo = new RunCheckpointRepo(openDatabase(':memory:'));
    let firsts = 0;
    const first = () => {
      firsts++;
      return { request: { target: 'logS', dataName: 'esol.csv', settings: { epochs: 2 } }, file: Buffer.from('smiles,logS\nCCO,1\n') };
    };
    repo.save('run', 'key-1', { seed: 1, seeds: 1, stage: 'teacher', epoch: 1, epochs: 2 }, Buffer.from([1]), first);
    repo.save('run', 'key-1', { seed: 1, seeds: 1, stage: 'distill', epoch: 1, epochs: 2 }, Buffer.from([2]), first);
    expect(firsts).toBe(1);
    expect(repo.get('run')).toMatchObject({ name: 'run', key: 'key-1', progress: { stage: 'distill', epoch: 1 } });
    expect([...(repo.checkpoint('run') as Buffer)]).toEqual([2]);
    expect(repo.request('run')).toEqual({
      request: { target: 'logS', dataName: 'esol.csv', settings: { epochs: 2 } },
      file: Buffer.from('smiles,logS\nCCO,1\n'),
    });
    expect(repo.list()).toEqual([
      expect.objectContaining({ name: 'run', target: 'logS', data: 'esol.csv', progress: expect.objectContaining({ stage: 'distill' }) }),
    ]);
    // Another run under the same name (other data or settings) replaces it, request and all.
    repo.save('run', 'key-2', { seed: 1, seeds: 1, stage: 'teacher', epoch: 1, epochs: 3 }, Buffer.from([3]), () => ({
      request: { target: 'pIC50', dataName: 'x.csv' },
      file: Buffer.from('x'),
    }));
    expect(repo.get('run')).toMatchObject({ key: 'key-2' });
    expect(repo.request('run')?.request).toEqual({ target: 'pIC50', dataName: 'x.csv' });
    expect(repo.delete('run')).toBe(true);
    expect(repo.delete('run')).toBe(false);
    expect([repo.get('run'), repo.checkpoint('run'), repo.request('run'), repo.list()]).toEqual([null, null, null, []]);
  });
});
