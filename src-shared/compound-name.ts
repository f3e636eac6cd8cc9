/**
 * How a compound is named where its imported record gave no identifier (or an empty one): "compound 12",
 * after its number in this database (the number the compound panel, plots, screens and exports use). One
 * spelling everywhere.
 */
export function compoundName(c: { originalId: string | null; id: number }): string {
  return c.originalId || `compound ${c.id}`;
}
