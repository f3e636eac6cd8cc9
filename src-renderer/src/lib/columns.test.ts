import { describe, expect, it } from 'vitest';
import { cellText, filterText } from './columns';

describe('library columns as the table shows them', () => {
  it('numbers keep 4 significant digits, very large and very small ones go exponential; whole numbers stay whole', () => {
    expect(cellText(3.14159, 'number')).toBe('3.142');
    expect(cellText(123456.7, 'number')).toBe('1.23e+5');
    // A compound or batch number, a count: as it is (4 digits would show 12350).
    expect(cellText(12345, 'number')).toBe('12345');
    expect(cellText(123456, 'number')).toBe('123456');
    expect(cellText(-42, 'number')).toBe('-42');
    expect(cellText(0.00012, 'number')).toBe('1.20e-4');
    expect(cellText(0, 'number')).toBe('0');
  });
  it('booleans read as yes/no, empty values as nothing', () => {
    expect(cellText('TRUE', 'boolean')).toBe('yes');
    expect(cellText(0, 'boolean')).toBe('no');
    expect(cellText('maybe', 'boolean')).toBe('maybe');
    expect(cellText(null, 'text')).toBe('');
    expect(cellText(undefined, 'number')).toBe('');
  });
  it('a filter chip says the condition in the column type', () => {
    const cols = [{ name: 'active', type: 'boolean' as const, detected: 'boolean' as const, filled: 3 }];
    expect(filterText({ column: 'series', contains: 'A' }, cols)).toBe('series contains “A”');
    expect(filterText({ column: 'active', equals: 'true' }, cols)).toBe('active = yes');
    expect(filterText({ column: 'logS', min: -3 }, cols)).toBe('-3 ≤ logS ≤ …');
  });
});
