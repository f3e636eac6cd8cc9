import type { ColumnFilter, CompoundRow, DescriptorRanges, SortKey } from './dto';

// The analysis views' results: clustering, scaffolds and R groups, desirability scores.

/** Bemis–Murcko scaffolds of a library (library.scaffolds): what it wrote as columns. */
export interface ScaffoldResult {
  library: string;
  compounds: number;
  /** Distinct scaffolds (the acyclic compounds' empty scaffold not counted). */
  scaffolds: number;
  acyclic: number;
  columns: string[];
  seconds: number;
}

/** What scoring a library wrote (library.score): the score column and its spread over the scored compounds. */
export interface ScoreResult {
  library: string;
  name: string;
  scored: number;
  /** Compounds with none of the terms' values (no score). */
  unscored: number;
  min: number | null;
  mean: number | null;
  max: number | null;
}

/** An R-group decomposition of chosen compounds (compound.rgroups): the SAR table. */
export interface RGroupResult {
  /** The core (as drawn, or the compounds' maximum common substructure as SMARTS). */
  core: string;
  found: boolean;
  labels: string[];
  /** Each compound the core matched: its groups by label (SMILES with [*:n]; `Core` the core as it matched). */
  rows: Array<CompoundRow & { groups: Record<string, string> }>;
  /** Compounds the core does not match. */
  unmatched: number[];
}

/** One scaffold of a library with its compounds' count and a column's mean, min and max (library.scaffoldSummary). */
export interface ScaffoldRow {
  scaffold: string;
  compounds: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

/** A Butina clustering of a library (library.cluster): what it wrote as columns. */
export interface ClusterResult {
  library: string;
  /** ECFP4 Tanimoto at or above which two compounds are neighbours. */
  threshold: number;
  compounds: number;
  clusters: number;
  singletons: number;
  largest: number;
  /** The library columns written: cluster number, its size, whether the compound is its centroid. */
  columns: string[];
  seconds: number;
}

/** The scatter plot's settings: its axes, what colours and sizes the points ('' none), and whether it is open. */
export interface PlotSettings {
  open: boolean;
  x: string;
  y: string;
  color: string;
  size: string;
}

/** The histogram's column, and whether it is open. */
export interface HistogramSettings {
  open: boolean;
  column: string;
}

/** A saved view of a library: the table's columns, order, filters and searches, a selection and the plots. */
export interface LibraryView {
  shown: string[];
  sort: SortKey[];
  ranges: DescriptorRanges;
  filters: ColumnFilter[];
  substructure: string;
  similar: string;
  minSim: number;
  selection: number[];
  /** Absent in views saved before plots were part of them. */
  plot?: PlotSettings;
  histogram?: HistogramSettings;
}
