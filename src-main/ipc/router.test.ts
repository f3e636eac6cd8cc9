import { describe, expect, it } from 'vitest';
import type { Api } from '../../src-shared/contract';
import { AppError } from '../../src-shared/errors';
import { createRouter } from './router';

const handlers = {
  'library.list': async () => ({ libraries: [] }),
  'compound.get': async ({ id }: { id: number }) => {
    throw new AppError('NOT_FOUND', `no compound with id ${id}`);
  },
  'job.get': async () => {
    throw new TypeError('boom');
  },
  'model.train': async (args: unknown) => ({ got: args }),
} as unknown as Api;

describe('router', () => {
  const logged: string[] = [];
  const route = createRouter(handlers, (m) => logged.push(m));

  it('returns values in an ok envelope', async () => {
    expect(await route('library.list', {})).toEqual({ ok: true, value: { libraries: [] } });
  });

  it('validates arguments at the boundary', async () => {
    const r = await route('compound.get', { id: 'seven' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('invalid arguments for compound.get: id:') } });
    expect(await route('library.list', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    // A stored assay is converted already and knows its columns: a unit would convert its values twice.
    const train = { target: 'pIC50', task: 'regression', out: 'm' };
    expect(await route('model.train', { ...train, assay: 'ic50', unit: 'nM' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('give no unit, smilesCol, idCol or dateCol') },
    });
    expect(await route('model.train', { ...train, data: 'a.csv', assay: 'ic50' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('exactly one') },
    });
    // A general-distilled student brings its depth, and serves only a distillation.
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ distill: true, student: 's', studentLayers: 2 }, 'studentLayers: a student brings its own depth: give student or studentLayers, not both'],
      [{ student: 's' }, 'student: a student (a general-distilled model to start from) needs distill'],
    ];
    // The form's head options pass the boundary as they are; an unknown setting does not.
    const settings = { fpHead: false, descHead: true };
    expect(await route('model.train', { ...train, assay: 'ic50', settings })).toMatchObject({ ok: true, value: { got: { settings } } });
    expect(await route('model.train', { ...train, assay: 'ic50', settings: { descHeads: true } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    for (const [extra, message] of refused) {
      expect(await route('model.train', { ...train, assay: 'ic50', ...extra })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT', message: expect.stringContaining(message) },
      });
    }
  });

  it('turns user errors and bugs into data, and logs only bugs', async () => {
    expect(await route('compound.get', { id: 7 })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no compound with id 7' } });
    expect(await route('job.get', { jobId: 'x' })).toEqual({ ok: false, error: { code: 'BUG', message: 'Unexpected error: boom' } });
    expect(await route('fs.readFile', {})).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: "unknown method 'fs.readFile'" } });
    expect(logged).toEqual(['job.get failed']);
  });
});
