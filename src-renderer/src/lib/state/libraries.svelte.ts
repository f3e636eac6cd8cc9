import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import type {
  ColumnFilter,
  ColumnType,
  CompoundRow,
  DescriptorName,
  DescriptorRanges,
  ImportPreview,
  ImportSummary,
  JobProgress,
  LibraryColumn,
  LibrarySummary,
  PlotSettings,
  SortKey,
} from '../../../../src-shared/dto';
import { compoundName } from '../../../../src-shared/compound-name';
import { call, guarded, on, problemOfApi, runningJobs, type Problem } from '../api';
import { MIME, saveDownload } from '../download';
import { readShown, writeShown } from '../columns';
import { SearchRun } from './search-run.svelte';

export interface ImportState {
  jobId: string;
  fileName: string;
  progress: JobProgress | null;
  summary: ImportSummary | null;
  error: Problem | null;
  state: 'running' | 'done' | 'failed' | 'cancelled';
}

/** Rows fetched per request; the table asks for the blocks it shows. */
export const BLOCK = 100;
/** Blocks kept in memory; the ones furthest from the view are dropped first. */
const KEEP_BLOCKS = 40;
/** The preview reads the first 256 KiB of a file. */
const PREVIEW_BYTES = 256 * 1024;

/** Libraries, the selected library's compounds (fetched in blocks as the table scrolls), searches and imports. */
export class LibrariesState {
  libraries = $state<LibrarySummary[]>([]);
  selected = $state<string | null>(null);
  /** Compounds in the library, and how many pass the current query. */
  total = $state(0);
  matched = $state(0);
  /** False while a substructure search has not scanned the whole library yet. */
  complete = $state(true);
  loading = $state(false);
  error = $state<Problem | null>(null);
  substructure = $state('');
  /** The structure search of the current query: progress and cancel. */
  readonly search = new SearchRun();
  /** The substructure the rows were found with (highlighted in their depictions); null without one. */
  highlight = $state<string | null>(null);
  /** A plot another view asked for (a screen's predictions): the library's analysis bar opens it, the app shows the library. */
  plotRequest = $state<(PlotSettings & { library: string }) | null>(null);
  /** The similarity query the rows were found with, and its threshold; null without one. */
  searchedSimilar = $state<{ smiles: string; minSim: number } | null>(null);
  similar = $state('');
  minSim = $state(0.5);
  ranges = $state<DescriptorRanges>({});
  /** Filters on the library's own columns. */
  filters = $state<ColumnFilter[]>([]);
  /** The order: one key, or several (shift-click adds a key); import order breaks the last ties. */
  sort = $state<SortKey[]>([{ by: 'import' }]);
  /** The library's own columns (typed), and the ones the table shows (remembered per library). */
  columns = $state<LibraryColumn[]>([]);
  shown = $state<string[]>([]);
  imports = $state<ImportState[]>([]);
  /** The file chosen for import, as the import would read its first records (shown in the main view). */
  importPreview = $state<{ fileName: string; preview: ImportPreview } | null>(null);
  ready = $state(false);
  /** The chosen compounds (ids): kept through sorting, filtering and scrolling, cleared with another library. */
  readonly selection = new SvelteSet<number>();
  /** What the last selection action said (copied, saved, exported), for the selection bar. */
  selectionNote = $state<string | null>(null);
  /** Row position a shift-click selects from. */
  private anchor: number | null = null;
  /** Every id of the current query in its order (fetched for a shift-click range or "select all"). */
  private orderIds: { generation: number; ids: Promise<number[] | undefined> } | null = null;
  /** Fetched blocks by block index (reactive per key). */
  readonly blocks = new SvelteMap<number, CompoundRow[]>();
  /** The query the blocks belong to; a reply for an older query is dropped. */
  private generation = 0;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- blocks being fetched: bookkeeping nothing renders.
  private readonly pending = new Set<number>();
  /** Asking which imports run (one question at a time, however many progress events arrive meanwhile). */
  private attaching: Promise<void> | null = null;

  constructor() {
    on('job.progress', (p) => {
      if (p.descriptorsOf) this.descriptorsComing(p);
      const imp = this.imports.find((i) => i.jobId === p.jobId);
      if (imp) imp.progress = p;
      else if (p.kind === 'import') this.attaching ??= this.attach().finally(() => (this.attaching = null)); // another window's (host mode: tab's) import
    });
    on('job.done', (d) => {
      // Descriptors an import left unfinished, computed at a start: the rows shown get theirs.
      if (d.kind === 'descriptors') void this.refresh().then(async () => this.selected && (await this.load()));
      const imp = this.imports.find((i) => i.jobId === d.jobId);
      if (!imp) return;
      imp.state = d.state;
      if (d.state === 'done') imp.summary = d.result as ImportSummary;
      else imp.error = d.error ? problemOfApi(d.error) : { message: `Import ${d.state}.`, details: null };
      void this.refresh().then(() => {
        const lib = (d.result as ImportSummary | null)?.library;
        // Opened already while its descriptors came: the rows again, the chemist's query kept.
        if (d.state === 'done' && lib) void (this.selected === lib ? this.load() : this.select(lib));
      });
    });
  }

  /** Jobs computing descriptors seen so far; when the libraries' counts of compounds still waiting were read. */
  private readonly descriptorJobs = new SvelteSet<string>();
  private listRefreshed = 0;
  /** An import's descriptors are being computed: its library opens at once (when it is this window's import); counts every 2 s. */
  private descriptorsComing(p: JobProgress): void {
    const first = !this.descriptorJobs.has(p.jobId);
    this.descriptorJobs.add(p.jobId);
    if (!first && Date.now() - this.listRefreshed < 2000) return;
    this.listRefreshed = Date.now();
    const lib = first && p.kind === 'import' && this.imports.some((i) => i.jobId === p.jobId) ? p.descriptorsOf : undefined;
    void this.refresh().then(async () => lib && this.selected !== lib && (await this.select(lib)));
  }

  private guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return guarded((m) => (this.error = m), fn);
  }

  /** Takes up the imports the main process runs already: this window was opened or reloaded mid-import, or another window started one. */
  async attach(): Promise<void> {
    await this.guard(async () => {
      for (const j of await runningJobs(['import'])) {
        const args = j.args as { library?: string; file?: string } | null;
        this.follow(j.jobId, args?.file ?? args?.library ?? 'import', j.progress);
      }
    });
  }

  /**
   * Follows a running import, once: the take-up of running imports and the call that started one can both
   * list it (a take-up under way when this window's own import started).
   */
  private follow(jobId: string, fileName: string, progress: JobProgress | null): void {
    if (!this.imports.some((i) => i.jobId === jobId)) this.imports.unshift({ jobId, fileName, progress, summary: null, error: null, state: 'running' });
  }

  async refresh(): Promise<void> {
    await this.guard(async () => {
      this.libraries = (await call('library.list', {})).libraries;
      this.ready = true;
    });
  }

  async select(name: string): Promise<void> {
    this.selected = name;
    this.substructure = '';
    this.similar = '';
    this.ranges = {};
    this.filters = [];
    this.sort = [{ by: 'import' }];
    this.selection.clear();
    this.selectionNote = null;
    this.anchor = null;
    await this.loadColumns(name);
    await this.load();
  }

  /** Reads the library's columns (again after something added some: a clustering). */
  async loadColumns(library: string): Promise<void> {
    const cols = await this.guard(() => call('library.columns', { library }));
    if (this.selected !== library) return;
    this.columns = cols ?? [];
    const saved = readShown(library);
    // First time: the first six columns (a chemist's file leads with what matters).
    this.shown = (saved ?? this.columns.slice(0, 6).map((c) => c.name)).filter((n) => this.columns.some((c) => c.name === n));
  }

  /** Shows or hides one of the library's columns in the table (remembered for this library). */
  toggleColumn(name: string): void {
    this.shown = this.shown.includes(name) ? this.shown.filter((n) => n !== name) : [...this.shown, name];
    if (this.selected) writeShown(this.selected, this.shown);
  }

  /** Sorts and filters a column as another type; the query runs again. */
  async setColumnType(column: string, type: ColumnType): Promise<void> {
    const library = this.selected;
    if (!library) return;
    const cols = await this.guard(() => call('library.setColumnType', { library, column, type }));
    if (!cols) return;
    this.columns = cols;
    // A filter of the old type may not apply to the new one.
    this.filters = this.filters.filter((f) => f.column !== column);
    await this.load();
  }

  /** True when a substructure or similarity search is part of the query. */
  get searching(): boolean {
    return this.substructure.trim() !== '' || this.similar.trim() !== '';
  }

  /** Starts the current query over: drops the fetched blocks and fetches the first. */
  async load(): Promise<void> {
    this.generation++;
    this.search.next(this.substructure.trim() !== '');
    this.highlight = this.substructure.trim() || null;
    this.searchedSimilar = this.similar.trim() ? { smiles: this.similar.trim(), minSim: this.minSim } : null;
    this.blocks.clear();
    this.pending.clear();
    if (!this.similar.trim() && this.sort.some((k) => 'by' in k && k.by === 'similarity')) {
      const rest = this.sort.filter((k) => !('by' in k && k.by === 'similarity'));
      this.sort = rest.length ? rest : [{ by: 'import' }];
    }
    await this.fetch(0);
  }

  /** The row at position i of the current query, once its block is fetched. */
  rowAt(i: number): CompoundRow | undefined {
    return this.blocks.get(Math.floor(i / BLOCK))?.[i % BLOCK];
  }

  /** Fetches the blocks covering rows [from, to) that are not here yet. */
  ensure(from: number, to: number): void {
    for (let b = Math.floor(from / BLOCK); b * BLOCK < to; b++) if (!this.blocks.has(b)) void this.fetch(b);
    // An unfinished substructure search (not one the chemist stopped): reaching its end fetches the block
    // holding the end again, which scans further (an unfinished reply always holds at least offset + BLOCK matches, so this advances).
    if (!this.complete && !this.search.stopped && to > this.matched) void this.fetch(Math.floor(this.matched / BLOCK));
  }

  private async fetch(block: number): Promise<void> {
    const library = this.selected;
    if (!library || this.pending.has(block)) return;
    const generation = this.generation;
    this.pending.add(block);
    this.loading = true;
    const q = this.query();
    const page = await this.guard(() => call('compound.list', { ...q, limit: BLOCK, offset: block * BLOCK }));
    if (generation !== this.generation) return;
    this.pending.delete(block);
    this.loading = this.pending.size > 0;
    if (!this.loading) this.search.ended();
    if (!page) return;
    this.blocks.set(block, page.compounds);
    this.total = page.total;
    this.matched = page.matched;
    this.complete = page.complete;
    if (this.search.stopped && !page.complete)
      this.error = { message: `Search stopped: ${page.matched.toLocaleString('en')} matches found so far. Search again for all.`, details: null, notice: true };
    // Keep memory bounded while scrolling through a large library.
    if (this.blocks.size > KEEP_BLOCKS) {
      const far = [...this.blocks.keys()].sort((a, b) => Math.abs(b - block) - Math.abs(a - block));
      for (const k of far.slice(0, this.blocks.size - KEEP_BLOCKS)) this.blocks.delete(k);
    }
  }

  /** Orders by this key (again: reversed); with `add` (shift-click) the key joins the order as the next tie-breaker. */
  async sortBy(key: SortKey, add = false): Promise<void> {
    const same = (k: SortKey) => ('column' in k && 'column' in key ? k.column === key.column : 'by' in k && 'by' in key && k.by === key.by);
    const at = this.sort.findIndex(same);
    const fresh: SortKey = { ...key, desc: 'by' in key && key.by === 'similarity' };
    if (add) {
      const base = this.sort.filter((k) => !('by' in k && k.by === 'import'));
      this.sort = at >= 0 ? this.sort.map((k, i) => (i === at ? { ...k, desc: !k.desc } : k)) : [...base, fresh];
    } else this.sort = at >= 0 && this.sort.length === 1 ? [{ ...key, desc: !this.sort[0]?.desc }] : [fresh];
    await this.load();
  }

  /** The current query without its page (what "all matching" means). */
  private query() {
    const sub = this.substructure.trim();
    const sim = this.similar.trim();
    return {
      library: this.selected as string,
      ...(sub ? { substructure: sub } : {}),
      ...(sim ? { similar: sim, minSim: this.minSim } : {}),
      ...(Object.keys(this.ranges).length ? { ranges: $state.snapshot(this.ranges) } : {}),
      ...(this.filters.length ? { filters: $state.snapshot(this.filters) } : {}),
      sort: $state.snapshot(this.sort),
      ...(this.search.id ? { searchId: this.search.id } : {}),
    };
  }

  private idsInOrder(): Promise<number[] | undefined> {
    if (this.orderIds?.generation !== this.generation) {
      const q = this.query();
      this.orderIds = { generation: this.generation, ids: this.guard(async () => (await call('compound.ids', q)).ids) };
    }
    return this.orderIds.ids;
  }

  /** A click on row `at`: selects it alone; `toggle` (ctrl/cmd) adds or removes it; `range` (shift) from the last clicked row. */
  async pick(at: number, id: number, mode: 'single' | 'toggle' | 'range'): Promise<void> {
    this.selectionNote = null;
    if (mode === 'range' && this.anchor !== null) {
      const from = Math.min(this.anchor, at);
      const to = Math.max(this.anchor, at);
      const ids = await this.idsInOrder();
      if (!ids) return;
      for (const x of ids.slice(from, to + 1)) this.selection.add(x);
      return;
    }
    if (mode === 'toggle') {
      if (this.selection.has(id)) this.selection.delete(id);
      else this.selection.add(id);
    } else {
      this.selection.clear();
      this.selection.add(id);
    }
    this.anchor = at;
  }

  /** Selects every compound the current query matches (all pages, not only those in view). */
  async selectAllMatching(): Promise<void> {
    const ids = await this.idsInOrder();
    if (!ids) return;
    for (const id of ids) this.selection.add(id);
    this.selectionNote = null;
  }

  clearSelection(): void {
    this.selection.clear();
    this.selectionNote = null;
    this.anchor = null;
  }

  /** The selection in the current order (the order the table shows; ones no longer matching at the end). */
  private async selectedInOrder(): Promise<number[]> {
    const ids = (await this.idsInOrder()) ?? [];
    const inOrder = ids.filter((id) => this.selection.has(id));
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state.
    const shown = new Set(inOrder);
    return [...inOrder, ...[...this.selection].filter((id) => !shown.has(id))];
  }

  /** Downloads the selection with every column (CSV, SDF or SMILES), nothing cut. */
  async downloadSelection(format: 'csv' | 'sdf' | 'smi'): Promise<void> {
    const library = this.selected;
    if (!library || this.selection.size === 0) return;
    const ids = await this.selectedInOrder();
    const r = await this.guard(() => call('compound.download', { library, ids, format }));
    if (!r) return;
    saveDownload(r.fileName, r.content, MIME[format]);
    this.selectionNote = `${r.written} compounds saved as ${r.fileName}`;
  }

  /** Copies the selection's SMILES, ids or a CSV block (every column) to the clipboard. */
  async copySelection(what: 'smiles' | 'ids' | 'csv'): Promise<void> {
    const library = this.selected;
    if (!library || this.selection.size === 0) return;
    const ids = await this.selectedInOrder();
    const r = await this.guard(() => call('compound.download', { library, ids, format: what === 'csv' ? 'csv' : 'smi' }));
    if (!r) return;
    const lines = r.content.replace(/\n$/, '').split('\n');
    // A SMILES file line is "SMILES ID": the first or the second part. A compound without an ID is named as
    // the table names it ("compound 12"), where every line is known to be that compound's (none left out).
    const aligned = lines.length === ids.length;
    const idOf = (l: string, i: number) => l.split(' ').slice(1).join(' ') || (aligned ? compoundName({ originalId: null, id: ids[i] as number }) : '');
    const text = what === 'csv' ? r.content : lines.map((l, i) => (what === 'smiles' ? l.split(' ')[0] : idOf(l, i))).join('\n');
    try {
      await navigator.clipboard.writeText(text);
      this.selectionNote = `${r.written} ${what === 'smiles' ? 'SMILES' : what === 'ids' ? 'ids' : 'rows (CSV)'} copied`;
    } catch (err) {
      this.error = { message: `The clipboard refused the copy (${(err as Error).message}); download the selection instead.`, details: null };
    }
  }

  /** Saves the selection as a new library (records and columns) and lists it. */
  async saveSelection(name: string): Promise<boolean> {
    const library = this.selected;
    if (!library || this.selection.size === 0) return false;
    const ids = await this.selectedInOrder();
    const r = await this.guard(() => call('library.fromSelection', { library, ids, name }));
    if (!r) return false;
    await this.refresh();
    this.selectionNote = `saved as library '${r.name}' (${r.compounds} compounds)`;
    return true;
  }

  /** Sets (or, with null, removes) the filter on one of the library's columns. */
  async setFilter(column: string, f: Omit<ColumnFilter, 'column'> | null): Promise<void> {
    const rest = this.filters.filter((x) => x.column !== column);
    this.filters = f ? [...rest, { column, ...f }] : rest;
    await this.load();
  }

  async setRange(name: DescriptorName, min: number | null, max: number | null): Promise<void> {
    const next = { ...$state.snapshot(this.ranges) };
    if (min === null && max === null) delete next[name];
    else next[name] = { ...(min !== null ? { min } : {}), ...(max !== null ? { max } : {}) };
    this.ranges = next;
    await this.load();
  }

  /** Deletes a library (its records and screens; compounds other libraries share stay). */
  async remove(name: string): Promise<boolean> {
    const r = await this.guard(() => call('library.delete', { library: name }));
    if (!r?.deleted) return false;
    if (this.selected === name) {
      this.selected = null;
      this.blocks.clear();
    }
    await this.refresh();
    return true;
  }

  /** The first records of a file with the columns the import would use (sends only the file's head). */
  async preview(file: File, smilesCol?: string, idCol?: string): Promise<ImportPreview | undefined> {
    return this.guard(async () => {
      const head = new File([file.slice(0, PREVIEW_BYTES)], file.name);
      return call('library.preview', {
        source: { kind: 'upload', fileName: file.name, dataBase64: await toBase64(head) },
        ...(smilesCol ? { smilesCol } : {}),
        ...(idCol ? { idCol } : {}),
      });
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
      this.follow(jobId, file.name, null);
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
