// The database schema, as the migrations that build it (opened and applied by database.ts).

/**
 * Versioned migrations. Each entry moves the schema from version i to i+1; never edit a released one,
 * append a new one.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE libraries (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  -- One row per standardised structure.
  CREATE TABLE compounds (
    id                  INTEGER PRIMARY KEY,
    inchikey            TEXT NOT NULL UNIQUE,
    smiles              TEXT NOT NULL,
    formula             TEXT,
    mw                  REAL NOT NULL,
    clogp               REAL NOT NULL,
    tpsa                REAL NOT NULL,
    hbd                 INTEGER NOT NULL,
    hba                 INTEGER NOT NULL,
    rotatable_bonds     INTEGER NOT NULL,
    rings               INTEGER NOT NULL,
    aromatic_rings      INTEGER NOT NULL,
    fraction_sp3        REAL NOT NULL,
    heavy_atoms         INTEGER NOT NULL,
    lipinski_violations INTEGER NOT NULL,
    fp                  BLOB NOT NULL,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  -- One import of one file (by content hash) into one library; makes re-runs resume instead of duplicating.
  CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    library_id  INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    format      TEXT NOT NULL,
    options     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'cancelled', 'failed')),
    next_record INTEGER NOT NULL DEFAULT 1,
    read        INTEGER NOT NULL DEFAULT 0,
    imported    INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    seconds     REAL NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    UNIQUE (library_id, sha256)
  );
  CREATE TABLE library_members (
    id           INTEGER PRIMARY KEY,
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    compound_id  INTEGER NOT NULL REFERENCES compounds(id),
    import_id    INTEGER REFERENCES imports(id) ON DELETE CASCADE,
    record       INTEGER NOT NULL,
    line         INTEGER,
    original_id  TEXT,
    original     TEXT NOT NULL,
    props        TEXT NOT NULL DEFAULT '{}',
    -- The first member of this library with the same compound, when this record is a duplicate.
    duplicate_of INTEGER REFERENCES library_members(id) ON DELETE SET NULL,
    UNIQUE (import_id, record)
  );
  CREATE INDEX library_members_by_compound ON library_members(library_id, compound_id);
  CREATE INDEX library_members_by_compound_only ON library_members(compound_id);
  CREATE TABLE import_errors (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    record    INTEGER NOT NULL,
    line      INTEGER,
    reason    TEXT NOT NULL,
    raw       TEXT,
    UNIQUE (import_id, record)
  );
  CREATE TABLE jobs (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,
    args       TEXT NOT NULL DEFAULT '{}',
    progress   TEXT,
    result     TEXT,
    error      TEXT,
    -- The process running the job; a job whose process is gone was interrupted.
    owner_pid  INTEGER,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE TABLE conformers (
    compound_id INTEGER PRIMARY KEY REFERENCES compounds(id) ON DELETE CASCADE,
    molblock    TEXT NOT NULL,
    method      TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  `,
  `
  -- A model = manifest (config, tokenizer, normalisation, training data hash, settings) + final weights.
  CREATE TABLE models (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('pretrained', 'teacher', 'shared', 'student')),
    state        TEXT NOT NULL CHECK (state IN ('training', 'ready', 'failed', 'cancelled')),
    manifest     TEXT NOT NULL,
    params       INTEGER NOT NULL,
    layers       INTEGER NOT NULL,
    share_layers INTEGER NOT NULL,
    hidden       INTEGER NOT NULL,
    -- Names of the models this one was made from (lineage), JSON array.
    parents      TEXT NOT NULL DEFAULT '[]',
    metrics      TEXT NOT NULL DEFAULT '{}',
    steps        INTEGER NOT NULL DEFAULT 0,
    total_steps  INTEGER NOT NULL DEFAULT 0,
    weights      BLOB,
    job_id       TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  -- Training checkpoints: weights, optimizer moments and run state, so a killed run resumes exactly.
  CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    step       INTEGER NOT NULL,
    state      TEXT NOT NULL,
    weights    BLOB NOT NULL,
    optimizer  BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (model_id, step)
  );
  `,
  `
  -- The model as an ONNX graph (made from its final weights), for ONNX Runtime inference and export.
  ALTER TABLE models ADD COLUMN onnx BLOB;
  `,
  `
  -- The SMILES a model reads (standardised parent without stereo); NULL for compounds imported before
  -- this column existed, filled in by the first screen that needs it.
  ALTER TABLE compounds ADD COLUMN model_smiles TEXT;
  -- A screen: every distinct compound of a library scored by one or more models.
  CREATE TABLE screens (
    id               INTEGER PRIMARY KEY,
    library_id       INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    -- JSON array of model names, in the order given.
    models           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('running', 'done', 'cancelled', 'failed')),
    domain_threshold REAL NOT NULL,
    engine           TEXT,
    -- Every compound with id <= cursor is scored by every model (chunks commit in id order).
    cursor           INTEGER NOT NULL DEFAULT 0,
    total            INTEGER NOT NULL,
    scored           INTEGER NOT NULL DEFAULT 0,
    unreadable       INTEGER NOT NULL DEFAULT 0,
    seconds          REAL NOT NULL DEFAULT 0,
    job_id           TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at      TEXT
  );
  -- One row per compound and model of a screen; a compound the model cannot read has score NULL and a note.
  CREATE TABLE predictions (
    screen_id   INTEGER NOT NULL REFERENCES screens(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    compound_id INTEGER NOT NULL REFERENCES compounds(id),
    score       REAL,
    rank        INTEGER,
    max_sim     REAL,
    in_domain   INTEGER,
    uncertainty REAL,
    note        TEXT,
    PRIMARY KEY (screen_id, model, compound_id)
  ) WITHOUT ROWID;
  CREATE INDEX predictions_by_rank ON predictions(screen_id, model, rank);
  `,
  `
  -- Baseline models (the ECFP4 random forest) join the registry: the kind check gains 'baseline'.
  -- SQLite cannot alter a CHECK, so the table is rebuilt (foreign keys are off during migrations).
  CREATE TABLE models_new (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('pretrained', 'teacher', 'shared', 'student', 'baseline')),
    state        TEXT NOT NULL CHECK (state IN ('training', 'ready', 'failed', 'cancelled')),
    manifest     TEXT NOT NULL,
    params       INTEGER NOT NULL,
    layers       INTEGER NOT NULL,
    share_layers INTEGER NOT NULL,
    hidden       INTEGER NOT NULL,
    parents      TEXT NOT NULL DEFAULT '[]',
    metrics      TEXT NOT NULL DEFAULT '{}',
    steps        INTEGER NOT NULL DEFAULT 0,
    total_steps  INTEGER NOT NULL DEFAULT 0,
    weights      BLOB,
    job_id       TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    onnx         BLOB
  );
  INSERT INTO models_new SELECT id, name, kind, state, manifest, params, layers, share_layers, hidden, parents, metrics,
    steps, total_steps, weights, job_id, created_at, updated_at, onnx FROM models;
  DROP TABLE models;
  ALTER TABLE models_new RENAME TO models;
  `,
  `
  -- An assay as read for training: one row per compound after replicate aggregation (mean, count, spread),
  -- censored values kept as bounds with their qualifier, and the records that were rejected.
  CREATE TABLE assays (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    file         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    target       TEXT NOT NULL,
    task         TEXT NOT NULL CHECK (task IN ('regression', 'classification')),
    unit         TEXT,
    records      INTEGER NOT NULL,
    replicates   INTEGER NOT NULL,
    censored     INTEGER NOT NULL,
    rejected     TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE TABLE measurements (
    id        INTEGER PRIMARY KEY,
    assay_id  INTEGER NOT NULL REFERENCES assays(id) ON DELETE CASCADE,
    smiles    TEXT NOT NULL,
    inchikey  TEXT NOT NULL,
    value     REAL NOT NULL,
    qualifier TEXT NOT NULL CHECK (qualifier IN ('=', '<', '>')),
    n         INTEGER NOT NULL,
    spread    REAL NOT NULL,
    censored  INTEGER NOT NULL,
    date      TEXT,
    record    INTEGER NOT NULL
  );
  CREATE INDEX measurements_by_assay ON measurements(assay_id);
  `,
  // The file's compound IDs of each aggregated compound (chemists name compounds by ID, not SMILES).
  `
  ALTER TABLE measurements ADD COLUMN compound_id TEXT;
  `,
  // The latest checkpoint of an unfinished training run (delicate train), by the run's --out name, with
  // its request and a copy of its data file: what resumes it after a cancel or a crash, by name alone.
  // Deleted when the run registers its models.
  `
  CREATE TABLE run_checkpoints (
    name       TEXT PRIMARY KEY,
    run_key    TEXT NOT NULL,
    request    TEXT NOT NULL,
    data_file  BLOB NOT NULL,
    progress   TEXT NOT NULL,
    data       BLOB NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  `,
  // Which process runs an import right now (host:pid:run) and when it last committed: the same file
  // imported twice at once is refused instead of counted twice; a dead owner's import is resumed.
  `
  ALTER TABLE imports ADD COLUMN owner TEXT;
  ALTER TABLE imports ADD COLUMN heartbeat_ms INTEGER;
  `,
  `
  -- Consensus models (a weighted mean of registered models) join the registry: the kind check gains
  -- 'consensus'. The table is rebuilt as for 'baseline'.
  CREATE TABLE models_new (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('pretrained', 'teacher', 'shared', 'student', 'baseline', 'consensus')),
    state        TEXT NOT NULL CHECK (state IN ('training', 'ready', 'failed', 'cancelled')),
    manifest     TEXT NOT NULL,
    params       INTEGER NOT NULL,
    layers       INTEGER NOT NULL,
    share_layers INTEGER NOT NULL,
    hidden       INTEGER NOT NULL,
    parents      TEXT NOT NULL DEFAULT '[]',
    metrics      TEXT NOT NULL DEFAULT '{}',
    steps        INTEGER NOT NULL DEFAULT 0,
    total_steps  INTEGER NOT NULL DEFAULT 0,
    weights      BLOB,
    job_id       TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    onnx         BLOB
  );
  INSERT INTO models_new SELECT id, name, kind, state, manifest, params, layers, share_layers, hidden, parents, metrics,
    steps, total_steps, weights, job_id, created_at, updated_at, onnx FROM models;
  DROP TABLE models;
  ALTER TABLE models_new RENAME TO models;
  `,
  `
  -- A library's own columns (the properties its files brought): the type detected from the values at
  -- import and the type the chemist chose (number, text, date or boolean), in the order first seen.
  CREATE TABLE library_columns (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('number', 'text', 'date', 'boolean')),
    detected   TEXT NOT NULL CHECK (detected IN ('number', 'text', 'date', 'boolean')),
    position   INTEGER NOT NULL,
    filled     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (library_id, name)
  );
  `,
  `
  -- RDKit's pattern fingerprint per compound, as its SubstructLibrary keeps it: the substructure search's
  -- prefilter. Computed at import; compounds imported before are given theirs by their first search.
  ALTER TABLE compounds ADD COLUMN pattern_fp BLOB;
  `,
  `
  -- Desirability (MPO) scores defined for a library: per column a desirability function and a weight, the
  -- score a weighted geometric mean written as a column of the library (services/score-service.ts).
  CREATE TABLE library_scores (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (library_id, name)
  );
  `,
  `
  -- Saved views of a library: the table's columns, order, filters and searches, and a selection, by name.
  CREATE TABLE library_views (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    view       TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (library_id, name)
  );
  `,
  `
  -- Descriptors and pattern fingerprints come after the records (services/descriptor-fill.ts): an import
  -- stores a compound's identity, SMILES and ECFP4 at once and the rest later, so the descriptor columns
  -- may be NULL. descriptors_pending: 1 while they are still to come; NULL descriptors with 0 mean RDKit
  -- could not compute them. SQLite cannot drop NOT NULL, so the table is rebuilt (foreign keys are off).
  CREATE TABLE compounds_new (
    id                  INTEGER PRIMARY KEY,
    inchikey            TEXT NOT NULL UNIQUE,
    smiles              TEXT NOT NULL,
    formula             TEXT,
    mw                  REAL,
    clogp               REAL,
    tpsa                REAL,
    hbd                 INTEGER,
    hba                 INTEGER,
    rotatable_bonds     INTEGER,
    rings               INTEGER,
    aromatic_rings      INTEGER,
    fraction_sp3        REAL,
    heavy_atoms         INTEGER,
    lipinski_violations INTEGER,
    fp                  BLOB NOT NULL,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    model_smiles        TEXT,
    pattern_fp          BLOB,
    descriptors_pending INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO compounds_new (id, inchikey, smiles, formula, mw, clogp, tpsa, hbd, hba, rotatable_bonds, rings, aromatic_rings,
                             fraction_sp3, heavy_atoms, lipinski_violations, fp, created_at, model_smiles, pattern_fp)
    SELECT id, inchikey, smiles, formula, mw, clogp, tpsa, hbd, hba, rotatable_bonds, rings, aromatic_rings,
           fraction_sp3, heavy_atoms, lipinski_violations, fp, created_at, model_smiles, pattern_fp FROM compounds;
  DROP TABLE compounds;
  ALTER TABLE compounds_new RENAME TO compounds;
  CREATE INDEX compounds_descriptors_pending ON compounds(id) WHERE descriptors_pending = 1;
  `,
  `
  -- A library's distinct compounds in import order: a page of a large library (LIMIT/OFFSET) and its count
  -- read this index instead of sorting every member (compound-repo's page and count).
  CREATE INDEX library_members_distinct_in_order ON library_members(library_id, id) WHERE duplicate_of IS NULL;
  `,
  `
  -- The descriptors by compound id, apart from the wide rows (fingerprints, SMILES): a count, an order or the
  -- ids of a library filtered or sorted by descriptors read this index (INDEXED BY in compound-repo), not
  -- every compound's row (a range over 150k compounds: 58-70 ms instead of 140-270 ms).
  CREATE INDEX compounds_descriptors ON compounds(id, mw, clogp, tpsa, hbd, hba, rotatable_bonds, rings, aromatic_rings,
                                                 fraction_sp3, heavy_atoms, lipinski_violations);
  `,
  `
  -- A deuterated compound's model SMILES was written with its hydrogens as atoms ([H]CCO: a token no model
  -- learnt, so it went unscored). Cleared, the next screen or similarity search writes it again as CCO
  -- (chem/rdkit modelSmilesOfMol).
  UPDATE compounds SET model_smiles = NULL WHERE model_smiles LIKE '%[H]%';
  `,
  `
  -- The shipped models (resources/models/NAME.dlcm) this database registered, by the sha256 of the file: a
  -- release that ships another file under the same name renames the registered one to NAME-<weights hash>
  -- (retired = 1: kept with its lineage, screens and predictions, but no longer a default) and registers
  -- the new file (services/models/shipped.ts).
  CREATE TABLE shipped_models (
    name       TEXT PRIMARY KEY,
    file       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  `,
  `
  -- The shipped file's size and modification time when its sha256 was taken: a start whose file has both
  -- unchanged does not read and hash it again.
  ALTER TABLE shipped_models ADD COLUMN size INTEGER;
  ALTER TABLE shipped_models ADD COLUMN mtime_ms REAL;
  `,
];
