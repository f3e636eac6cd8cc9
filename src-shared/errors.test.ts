import { describe, expect, it } from 'vitest';
import { AppError, remedyOf, toApiError, withRemedy } from './errors';

describe('remedies', () => {
  it('travel in the details and each front end phrases them', () => {
    const err = toApiError(new AppError('CONFLICT', "the training run 'x' was interrupted", { run: 'x', remedy: 'resume-or-restart' }));
    expect(remedyOf(err.details)).toEqual({ remedy: 'resume-or-restart', run: 'x' });
    expect(withRemedy(err.message, err.details, (r) => `${r.remedy} ${r.run}`)).toBe("the training run 'x' was interrupted: resume-or-restart x");
    // No remedy: the message as it is.
    expect(withRemedy('no such thing', { model: 'm' }, () => 'never')).toBe('no such thing');
    expect(remedyOf(undefined)).toBeNull();
    // A remedy no front end knows is no remedy: the message stands alone.
    expect(remedyOf({ remedy: 'cancel-job' })).toBeNull();
    expect(withRemedy('m', { remedy: 'resume' }, () => '')).toBe('m');
  });
});
