import { describe, expect, it } from 'vitest';
import type { CompoundPrediction } from '../../../src-shared/dto';
import { foldRepeats } from './predictions';

const pred = (screen: number, over: Partial<CompoundPrediction> = {}): CompoundPrediction => ({
  screen,
  library: 'lib',
  model: 'm',
  task: { target: 'logS', type: 'regression' },
  score: -2.5,
  rank: 4,
  ranked: 100,
  inDomain: true,
  maxSimilarity: 0.6,
  uncertainty: null,
  interval: null,
  intervals: null,
  note: null,
  finishedAt: null,
  ...over,
});

describe('a compound panel’s predictions', () => {
  it('fold the same model’s repeated screens of a library into the newest, keeping any that differ', () => {
    const rows = foldRepeats([
      pred(5),
      pred(5, { model: 'other', score: 0.7 }),
      pred(4),
      pred(3, { rank: 7, ranked: 120 }), // the library had grown
      pred(2, { library: 'lib2' }),
      pred(1),
    ]);
    expect(rows.map((r) => [r.p.screen, r.p.model, r.also])).toEqual([
      [5, 'm', [4, 1]],
      [5, 'other', []],
      [3, 'm', []],
      [2, 'm', []],
    ]);
  });
});
