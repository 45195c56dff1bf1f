-- Workflows: each experiment's Autosubmit configuration files and the job graph generated
-- from them. A graph is replaced as a whole by each generation; `graph_version` counts them
-- so caches (e.g. graph layouts) know when they are stale.
ALTER TABLE experiments ADD COLUMN graph_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN generated_at TEXT;

CREATE TABLE experiment_config_files (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    content       TEXT    NOT NULL,
    modified_at   TEXT    NOT NULL,
    PRIMARY KEY (experiment_id, name)
) WITHOUT ROWID;

-- `number` is the job's position in the generated graph (jobs sorted by name); edges refer to
-- jobs by number so storing a graph needs no lookups.
CREATE TABLE jobs (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    section       TEXT    NOT NULL,
    date          TEXT,
    member        TEXT,
    chunk         INTEGER,
    split         INTEGER,
    splits        INTEGER,
    status        INTEGER NOT NULL,
    running       TEXT    NOT NULL,
    platform      TEXT    NOT NULL,
    priority      INTEGER NOT NULL,
    retrials      INTEGER NOT NULL,
    wallclock     TEXT,
    processors    TEXT    NOT NULL,
    submitted_at  TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (experiment_id, number)
) WITHOUT ROWID;
CREATE UNIQUE INDEX jobs_by_name ON jobs (experiment_id, name);
CREATE INDEX jobs_by_status ON jobs (experiment_id, status);

CREATE TABLE job_edges (
    experiment_id INTEGER NOT NULL,
    parent        INTEGER NOT NULL,
    child         INTEGER NOT NULL,
    PRIMARY KEY (experiment_id, parent, child),
    FOREIGN KEY (experiment_id, parent) REFERENCES jobs (experiment_id, number) ON DELETE CASCADE,
    FOREIGN KEY (experiment_id, child) REFERENCES jobs (experiment_id, number) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX job_edges_by_child ON job_edges (experiment_id, child, parent);
