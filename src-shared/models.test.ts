import { describe, expect, it } from 'vitest';
import { metricsText, sizeText } from './models';

describe('model descriptions', () => {
  it('gives a forest its tree nodes, not parameters', () => {
    expect(sizeText('student', 174465)).toBe('174,465 params');
    expect(sizeText('baseline', 6616)).toBe('6,616 tree nodes');
    expect(sizeText('baseline', 0)).toBe('no parameters (a forest)');
    expect(sizeText('consensus', 0)).toBe('a weighted mean of its members');
  });

  it('shows the sd over seeds only when there is more than one seed', () => {
    const m = { rmse: 0.7734, rmseSd: 0.0431, r2: 0.5 };
    expect(metricsText(m, 3)).toBe('rmse 0.773 ± 0.043, r2 0.500 ± 0.000');
    expect(metricsText(m, 1)).toBe('rmse 0.773, r2 0.500');
  });
});
