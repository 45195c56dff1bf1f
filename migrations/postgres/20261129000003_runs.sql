-- Runs: requests to execute (part of) an experiment's graph, stored before any work starts,
-- and every attempt of every job they executed (autosubmit-api's job history).
CREATE TABLE runs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id BIGINT  NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    requested_by  TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    selection     TEXT    NOT NULL,  -- JSON array of job names
    force_rerun   BOOLEAN NOT NULL,
    options       TEXT    NOT NULL,  -- JSON: force_downstream, switches and environment
    interactive   BOOLEAN NOT NULL,  -- asked by a person now (before scheduled runs)
    status        TEXT    NOT NULL,  -- queued, running, passed, failed, cancelled
    message       TEXT,
    planned_jobs  BIGINT  NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, id);
CREATE INDEX runs_active ON runs (status) WHERE status IN ('queued', 'running');

CREATE TABLE job_attempts (
    run_id        BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_name      TEXT    NOT NULL,
    attempt       INTEGER NOT NULL,
    experiment_id BIGINT  NOT NULL,
    status        TEXT    NOT NULL,  -- RUNNING, COMPLETED, FAILED
    exit_code     INTEGER,
    reason        TEXT,
    external_id   TEXT,              -- the executor's handle: a process id, a Slurm job id
    submitted_at  TIMESTAMPTZ    NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    PRIMARY KEY (run_id, job_name, attempt)
);
CREATE INDEX job_attempts_by_job ON job_attempts (experiment_id, job_name);
