import { describe, expect, it } from 'vitest';
import { bandText, intervalsText, metricsText, sizeText } from './models';

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

  it("states a model's interval widths, per band of similarity to its training set where it has bands", () => {
    expect(intervalsText({ level: 0.8, kind: 'interval', overall: 0.8512, bands: [] })).toBe('80% interval ±0.85');
    const bands = [
      { from: 0, q: 1.4 },
      { from: 0.59, q: 0.95 },
      { from: 0.78, q: 0.62 },
    ];
    expect(intervalsText({ level: 0.8, kind: 'interval', overall: 0.9, bands })).toBe(
      '80% interval ±1.40 (similarity < 0.59), ±0.95 (0.59–0.78), ±0.62 (≥ 0.78)',
    );
    // A hit's interval names its band.
    const banded = { level: 0.8, kind: 'interval' as const, overall: 0.9, bands };
    expect(bandText(banded, 0.6)).toBe('similarity 0.60 to the training set is in the band 0.59–0.78: 80% of the validation compounds there were within ±0.95');
    expect(bandText(banded, 0.2)).toMatch(/in the band < 0.59: .* within ±1.40$/);
    expect(bandText(banded, 0.9)).toMatch(/in the band ≥ 0.78: .* within ±0.62$/);
    expect([bandText(banded, null), bandText({ ...banded, bands: [] }, 0.5), bandText(null, 0.5)]).toEqual([null, null, null]);
    expect(
      intervalsText({
        level: 0.8,
        kind: 'set',
        overall: 0.5,
        bands: [
          { from: 0, q: 0.8 },
          { from: 0.6, q: 0.3 },
        ],
      }),
    ).toBe('80% prediction sets keep a class at P ≥ 0.20 (similarity < 0.60), P ≥ 0.70 (≥ 0.60)');
  });
});
