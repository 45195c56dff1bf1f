-- The experiment catalogue.
CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    expid       TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    kind        TEXT    NOT NULL CHECK (kind IN ('experiment', 'test', 'operational', 'evaluation')),
    owner       TEXT    NOT NULL,
    hpc         TEXT,
    model       TEXT,
    branch      TEXT,
    version     TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'NOT RUNNING',
    created_at  TEXT    NOT NULL,
    modified_at TEXT    NOT NULL
);
CREATE INDEX experiments_kind_expid ON experiments (kind, length(expid), expid);
CREATE INDEX experiments_owner ON experiments (owner);
