-- Workflows: each experiment's Autosubmit configuration files and the job graph generated
-- from them. `graph_version` counts generations so caches know when they are stale.
ALTER TABLE experiments ADD COLUMN graph_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN generated_at TIMESTAMPTZ;

CREATE TABLE experiment_config_files (
    experiment_id BIGINT      NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name          TEXT        NOT NULL,
    content       TEXT        NOT NULL,
    modified_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (experiment_id, name)
);

-- The generated graph, written whole by each generation and read whole into a cache (see
-- the SQLite migration and `app/src/workflow/snapshot.rs`).
CREATE TABLE job_graphs (
    experiment_id BIGINT PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
    graph_version BIGINT NOT NULL,
    jobs          BIGINT NOT NULL,
    edges         BIGINT NOT NULL,
    body          BYTEA  NOT NULL
);

-- What changes while a workflow runs: one row per job of the current graph, by job number.
CREATE TABLE job_states (
    experiment_id BIGINT      NOT NULL,
    number        INTEGER     NOT NULL,
    status        INTEGER     NOT NULL,
    submitted_at  TIMESTAMPTZ,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    PRIMARY KEY (experiment_id, number)
);
CREATE INDEX job_states_by_status ON job_states (experiment_id, status);
