import { describe, expect, it } from 'vitest';
import { UsageError } from './args';
import { scoreTermOf } from './library-commands';

describe('score --term', () => {
  it('reads each desirability function, with a weight and a tolerance', () => {
    expect(scoreTermOf('mw:down:350:500')).toEqual({ column: 'mw', fn: 'down', low: 350, high: 500, weight: 1 });
    expect(scoreTermOf('logS:up:-5:-2:w=2')).toEqual({ column: 'logS', fn: 'up', low: -5, high: -2, weight: 2 });
    expect(scoreTermOf('clogp:range:1:3:tol=1.5')).toEqual({ column: 'clogp', fn: 'range', low: 1, high: 3, tolerance: 1.5, weight: 1 });
    expect(scoreTermOf('tpsa:target:90:20:w=0.5')).toEqual({ column: 'tpsa', fn: 'target', target: 90, tolerance: 20, weight: 0.5 });
  });

  it('refuses an unknown function or a missing one; missing numbers become NaN for the schema to name', () => {
    expect(() => scoreTermOf('mw:sideways:1:2')).toThrow(UsageError);
    expect(() => scoreTermOf('mw')).toThrow(/expected COL:FN/);
    expect(Number.isNaN((scoreTermOf('mw:up:1') as { high: number }).high)).toBe(true);
  });
});
