import { describe, expect, it } from 'vitest';
import { UsageError } from './args';
import { checked, flagOf, num } from './contract';

const train = { data: 'a.csv', target: 'logS', task: 'regression' as const, out: 'm' };

describe('the CLI checks its arguments with the contract’s schemas', () => {
  it('names the flag an argument comes from', () => {
    expect(flagOf(['smilesCol'])).toBe('--smiles-col');
    expect(flagOf(['settings', 'lengthPool'])).toBe('--length-pool');
    expect(flagOf(['ranges', 'mw'])).toBe('--range');
    expect(flagOf(['timeBudgetMinutes'])).toBe('--time-budget');
    expect(flagOf(['source', 'path'])).toBe('FILE');
    expect(flagOf([])).toBe('');
  });

  it('passes valid arguments through and refuses broken rules as usage errors naming the flag', () => {
    expect(checked('model.train', { ...train, settings: { lr: 1e-3 } })).toMatchObject({ ...train, settings: { lr: 1e-3 } });
    const fail = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('no usage error');
    };
    expect(fail(() => checked('model.train', { ...train, settings: { lengthPool: 0 } }))).toMatch(/^--length-pool: /);
    expect(fail(() => checked('model.train', { ...train, settings: { lr: num('fast') } }))).toMatch(/^--lr: .*NaN/);
    expect(fail(() => checked('model.train', { ...train, distill: true, student: 's', studentLayers: 2 }))).toMatch(/^--student-layers: .*not both/);
    expect(fail(() => checked('model.train', { ...train, student: 's' }))).toMatch(/^--student: .*needs distill/);
    expect(fail(() => checked('model.train', { ...train, split: 'temporal' }))).toMatch(/^--date-col: a temporal split needs the date column/);
    expect(fail(() => checked('model.pretrain', { corpus: 'c', out: 'x', hidden: 10, heads: 4 }))).toMatch(/^--hidden: .*divisible/);
    expect(fail(() => checked('model.pretrain', { corpus: 'c', out: 'x', maxSteps: 3, timeBudgetMinutes: 1 }))).toMatch(/not both/);
    expect(fail(() => checked('compound.list', { library: 'l', minSim: 2 }))).toMatch(/^--min-sim: /);
  });

  it('reads number flags as the schema takes them', () => {
    expect(num(undefined)).toBeUndefined();
    expect(num('3')).toBe(3);
    expect(num('x')).toBeNaN();
  });
});
