import type { Descriptors } from '../../src-shared/dto';

/** A compound's descriptors, which a test expects to be there (computed): an error names it otherwise. */
export function dsc(c: { descriptors: Descriptors | null; smiles?: string }): Descriptors {
  if (!c.descriptors) throw new Error(`no descriptors (yet) for ${c.smiles ?? 'a compound'}`);
  return c.descriptors;
}
