-- Workflows: each experiment's Autosubmit configuration files and the job graph generated
-- from them. `graph_version` counts generations so caches know when they are stale.
ALTER TABLE experiments ADD COLUMN graph_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN generated_at TEXT;

CREATE TABLE experiment_config_files (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    content       TEXT    NOT NULL,
    modified_at   TEXT    NOT NULL,
    PRIMARY KEY (experiment_id, name)
) WITHOUT ROWID;

-- The generated graph, written whole by each generation and read whole into a cache: every
-- job's fixed attributes (name, section, date, member, chunk, …) and every edge, encoded as
-- described in `app/src/workflow/snapshot.rs`. Storing 100k jobs as rows with their indexes
-- costs seconds; one value costs milliseconds, and every view reads the graph whole anyway.
CREATE TABLE job_graphs (
    experiment_id INTEGER PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
    graph_version INTEGER NOT NULL,
    jobs          INTEGER NOT NULL,
    edges         INTEGER NOT NULL,
    body          BLOB    NOT NULL
);

-- What changes while a workflow runs: one row per job of the current graph, keyed by the
-- job's number (its position in the graph, jobs sorted by name). Replaced with the graph.
CREATE TABLE job_states (
    experiment_id INTEGER NOT NULL,
    number        INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    submitted_at  TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (experiment_id, number)
) WITHOUT ROWID;
CREATE INDEX job_states_by_status ON job_states (experiment_id, status);
