import { describe, expect, it } from 'vitest';
import { DEFAULT_QSAR } from '../../train/qsar-settings';
import { BASE_STUDENT, BASE_TEACHER, startingStudent } from '.';

describe('the student a training run starts from', () => {
  const distil = { ...DEFAULT_QSAR, distill: true };
  it('is the shipped general-distilled student only when the run asks for that student', () => {
    expect(startingStudent({ settings: distil }, BASE_TEACHER, DEFAULT_QSAR.studentLayers)).toBe(BASE_STUDENT);
    // Another depth, an unshared (KD) student, no distillation, another teacher, no shipped student: none.
    expect(startingStudent({ settings: { ...distil, studentLayers: 4 } }, BASE_TEACHER, 3)).toBeUndefined();
    expect(startingStudent({ settings: { ...distil, studentShared: false } }, BASE_TEACHER, 3)).toBeUndefined();
    expect(startingStudent({ settings: { ...distil, distill: false } }, BASE_TEACHER, 3)).toBeUndefined();
    expect(startingStudent({ settings: distil }, 'my-teacher', 3)).toBeUndefined();
    expect(startingStudent({ settings: distil }, BASE_TEACHER, null)).toBeUndefined();
    // One named is always the one used (its checks come later).
    expect(startingStudent({ settings: { ...distil, studentLayers: 4 }, student: 'mine' }, 'my-teacher', null)).toBe('mine');
  });
});
