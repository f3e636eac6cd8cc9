// How a request names an assay file's columns: shared by the main process (reader, services, CLI) and the
// renderer's forms.

/** How to read an assay file: its columns (auto-detected when not given) and the unit of its values. */
export interface AssayColumns {
  smilesCol?: string;
  /** The compound ID column (default: one named like id, name, compound_id…; SDF: the title line). */
  idCol?: string;
  unit?: string;
  dateCol?: string;
}

/** The reading options a request gives (non-empty ones only; optional properties stay absent, not undefined). */
export function givenColumns(c: { [K in keyof AssayColumns]?: string | null | undefined }): AssayColumns {
  const out: AssayColumns = {};
  for (const k of ['smilesCol', 'idCol', 'unit', 'dateCol'] as const) {
    const v = c[k];
    if (v) out[k] = v;
  }
  return out;
}
