/** Saves text the main process produced as a file download (host mode and the desktop window alike). */
export function saveDownload(fileName: string, content: string | Uint8Array, type: string): void {
  const url = URL.createObjectURL(new Blob([content as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(url);
}

/** The MIME type of an export format. */
export const MIME: Record<'csv' | 'sdf' | 'smi', string> = { csv: 'text/csv', sdf: 'chemical/x-mdl-sdfile', smi: 'chemical/x-daylight-smiles' };
