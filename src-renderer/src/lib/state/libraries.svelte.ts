import type { CompoundRow, ImportPreview, ImportSummary, JobProgress, LibrarySummary } from '../../../../src-shared/dto';
import { call, guarded, on } from '../api';

export interface ImportState {
  jobId: string;
  fileName: string;
  progress: JobProgress | null;
  summary: ImportSummary | null;
  error: string | null;
  state: 'running' | 'done' | 'failed' | 'cancelled';
}

const PAGE = 50;
/** The preview reads the first 256 KiB of a file. */
const PREVIEW_BYTES = 256 * 1024;

/** Libraries, the selected library's compounds, searches and imports. */
export class LibrariesState {
  libraries = $state<LibrarySummary[]>([]);
  selected = $state<string | null>(null);
  compounds = $state<CompoundRow[]>([]);
  total = $state(0);
  offset = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  substructure = $state('');
  similar = $state('');
  minSim = $state(0.5);
  imports = $state<ImportState[]>([]);
  ready = $state(false);

  constructor() {
    on('job.progress', (p) => {
      const imp = this.imports.find((i) => i.jobId === p.jobId);
      if (imp) imp.progress = p;
    });
    on('job.done', (d) => {
      const imp = this.imports.find((i) => i.jobId === d.jobId);
      if (!imp) return;
      imp.state = d.state;
      if (d.state === 'done') imp.summary = d.result as ImportSummary;
      else imp.error = d.error?.message ?? d.state;
      void this.refresh().then(() => {
        const lib = (d.result as ImportSummary | null)?.library;
        if (d.state === 'done' && lib) void this.select(lib);
      });
    });
  }

  private guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return guarded((m) => (this.error = m), fn);
  }

  async refresh(): Promise<void> {
    await this.guard(async () => {
      this.libraries = (await call('library.list', {})).libraries;
      this.ready = true;
    });
  }

  async select(name: string): Promise<void> {
    this.selected = name;
    this.offset = 0;
    this.substructure = '';
    this.similar = '';
    await this.load();
  }

  async load(): Promise<void> {
    const library = this.selected;
    if (!library) return;
    this.loading = true;
    await this.guard(async () => {
      const page = await call('compound.list', {
        library,
        limit: PAGE,
        offset: this.offset,
        ...(this.substructure.trim() ? { substructure: this.substructure.trim() } : {}),
        ...(this.similar.trim() ? { similar: this.similar.trim(), minSim: this.minSim } : {}),
      });
      this.compounds = page.compounds;
      this.total = page.total;
    });
    this.loading = false;
  }

  async page(delta: number): Promise<void> {
    this.offset = Math.max(0, this.offset + delta * PAGE);
    await this.load();
  }

  get pageSize(): number {
    return PAGE;
  }

  /** The first records of a file with the columns the import would use (sends only the file's head). */
  async preview(file: File, smilesCol?: string, idCol?: string): Promise<ImportPreview | undefined> {
    return this.guard(async () => {
      const head = new File([file.slice(0, PREVIEW_BYTES)], file.name);
      return call('library.preview', { source: { kind: 'upload', fileName: file.name, dataBase64: await toBase64(head) }, ...(smilesCol ? { smilesCol } : {}), ...(idCol ? { idCol } : {}) });
    });
  }

  /** Uploads a file (host mode has no file paths) or imports a path (Electron) as a background job. */
  async importFile(file: File, library: string, smilesCol?: string, idCol?: string): Promise<void> {
    await this.guard(async () => {
      const dataBase64 = await toBase64(file);
      const { jobId } = await call('library.import', {
        source: { kind: 'upload', fileName: file.name, dataBase64 },
        library,
        ...(smilesCol ? { smilesCol } : {}),
        ...(idCol ? { idCol } : {}),
      });
      this.imports.unshift({ jobId, fileName: file.name, progress: null, summary: null, error: null, state: 'running' });
    });
  }

  async cancel(jobId: string): Promise<void> {
    await this.guard(() => call('job.cancel', { jobId }));
  }
}

/** A file as base64 (host mode sends file contents, not paths). */
export async function toBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(binary);
}
