-- Workflows: each experiment's Autosubmit configuration files and the job graph generated
-- from them. A graph is replaced as a whole by each generation; `graph_version` counts them
-- so caches (e.g. graph layouts) know when they are stale.
ALTER TABLE experiments ADD COLUMN graph_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN generated_at TIMESTAMPTZ;

CREATE TABLE experiment_config_files (
    experiment_id BIGINT      NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name          TEXT        NOT NULL,
    content       TEXT        NOT NULL,
    modified_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (experiment_id, name)
);

-- `number` is the job's position in the generated graph (jobs sorted by name); edges refer to
-- jobs by number so storing a graph needs no lookups.
CREATE TABLE jobs (
    experiment_id BIGINT      NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    number        INTEGER     NOT NULL,
    name          TEXT        NOT NULL,
    section       TEXT        NOT NULL,
    date          TEXT,
    member        TEXT,
    chunk         BIGINT,
    split         BIGINT,
    splits        BIGINT,
    status        INTEGER     NOT NULL,
    running       TEXT        NOT NULL,
    platform      TEXT        NOT NULL,
    priority      BIGINT      NOT NULL,
    retrials      BIGINT      NOT NULL,
    wallclock     TEXT,
    processors    TEXT        NOT NULL,
    submitted_at  TIMESTAMPTZ,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    PRIMARY KEY (experiment_id, number)
);
CREATE UNIQUE INDEX jobs_by_name ON jobs (experiment_id, name);
CREATE INDEX jobs_by_status ON jobs (experiment_id, status);

CREATE TABLE job_edges (
    experiment_id BIGINT  NOT NULL,
    parent        INTEGER NOT NULL,
    child         INTEGER NOT NULL,
    PRIMARY KEY (experiment_id, parent, child),
    FOREIGN KEY (experiment_id, parent) REFERENCES jobs (experiment_id, number) ON DELETE CASCADE,
    FOREIGN KEY (experiment_id, child) REFERENCES jobs (experiment_id, number) ON DELETE CASCADE
);
CREATE INDEX job_edges_by_child ON job_edges (experiment_id, child, parent);
