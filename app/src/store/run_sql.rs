//! SQL of runs and job attempts, shared by both backends.

use super::sql::Dialect;

const RUN_COLUMNS: &str = "r.id, r.experiment_id, e.expid, r.requested_by, r.mode, r.selection, r.force_rerun, \
     r.options, r.interactive, r.status, r.message, r.planned_jobs, r.not_before, r.repeat_seconds, r.created_at, r.started_at, r.finished_at, r.log_archived_at";

pub fn run_by_id() -> String {
    format!("SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE e.expid = $1 AND r.id = $2")
}

pub fn runs_of() -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE e.expid = $1 \
         ORDER BY r.id DESC LIMIT $2"
    )
}

pub fn active_runs() -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id \
         WHERE r.status IN ('queued', 'running') ORDER BY r.id"
    )
}

pub fn run_by_number() -> String {
    format!("SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = $1")
}

/// The experiment's id, locking its row on PostgreSQL so run creations queue one behind the
/// other (SQLite's write transactions already do).
pub fn lock_experiment(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "SELECT id FROM experiments WHERE expid = $1",
        Dialect::Postgres => "SELECT id FROM experiments WHERE expid = $1 FOR UPDATE",
    }
}

pub fn lock_experiment_by_id(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "SELECT id FROM experiments WHERE id = $1",
        Dialect::Postgres => "SELECT id FROM experiments WHERE id = $1 FOR UPDATE",
    }
}

/// A running run, or a queued one that is due (one scheduled for later is not in the way).
pub const ACTIVE_RUN_OF: &str = "SELECT id FROM runs WHERE experiment_id = $1 AND (status = 'running' \
     OR (status = 'queued' AND (not_before IS NULL OR not_before <= $2))) ORDER BY id LIMIT 1";

pub const RUNNING_RUN_OF: &str = "SELECT id FROM runs WHERE experiment_id = $1 AND status = 'running' LIMIT 1";

pub const INSERT_RUN: &str = "INSERT INTO runs (experiment_id, requested_by, mode, selection, force_rerun, options, \
     interactive, status, created_at, not_before, repeat_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $10) \
     RETURNING id";

/// A repeating run's next occurrence: the same request, queued for `$3`.
pub const QUEUE_NEXT_OCCURRENCE: &str = "INSERT INTO runs (experiment_id, requested_by, mode, selection, force_rerun, \
     options, interactive, status, created_at, not_before, repeat_seconds) SELECT experiment_id, requested_by, mode, \
     selection, force_rerun, options, interactive, 'queued', $2, $3, repeat_seconds FROM runs WHERE id = $1";

/// A run interrupted by a restart carries on first; then interactive runs go before scheduled
/// ones, then first come first served.
pub const NEXT_QUEUED_RUN: &str =
    "SELECT id FROM runs WHERE experiment_id = $1 AND status = 'queued' AND (not_before IS NULL OR not_before <= $2) \
     ORDER BY (started_at IS NOT NULL) DESC, interactive DESC, id LIMIT 1";

pub const START_RUN: &str = "UPDATE runs SET status = 'running', started_at = $2, owner = $3, lease_until = $4 WHERE id = $1";

pub const MARK_EXPERIMENT: &str = "UPDATE experiments SET status = $2, modified_at = $3 WHERE id = $1";

pub const SET_PLANNED: &str = "UPDATE runs SET planned_jobs = $2 WHERE id = $1";

pub const FINISH_RUN: &str =
    "UPDATE runs SET status = $2, message = $3, finished_at = $4 WHERE id = $1 RETURNING experiment_id";

pub const REQUEUE_RUN: &str = "UPDATE runs SET status = 'queued', owner = NULL, lease_until = NULL \
     WHERE id = $1 AND status = 'running' RETURNING experiment_id";

pub const RENEW_LEASES: &str =
    "UPDATE runs SET lease_until = $2 WHERE owner = $1 AND status = 'running' RETURNING id";

/// Running runs whose lease expired (or that never had one) become the caller's (its own
/// too: a server that gave its runs up while the database was away takes them back).
pub const TAKE_OVER_RUNS: &str = "UPDATE runs SET owner = $1, lease_until = $2 \
     WHERE status = 'running' AND (lease_until IS NULL OR lease_until < $3) RETURNING id";

pub const CANCEL_QUEUED: &str =
    "UPDATE runs SET status = 'cancelled', message = $2, finished_at = $3 WHERE id = $1 AND status = 'queued'";

pub const UPDATE_JOB_STATE: &str = "UPDATE job_states SET status = $3, submitted_at = COALESCE($4, submitted_at), \
     started_at = COALESCE($5, started_at), finished_at = COALESCE($6, finished_at) \
     WHERE experiment_id = $1 AND number = $2";

pub const UPSERT_ATTEMPT: &str = "INSERT INTO job_attempts (run_id, job_name, attempt, experiment_id, status, \
     exit_code, reason, external_id, submitted_at, started_at, finished_at, token_hash, queue_name, node_list) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
     ON CONFLICT (run_id, job_name, attempt) DO UPDATE SET status = excluded.status, \
     exit_code = excluded.exit_code, reason = excluded.reason, external_id = excluded.external_id, \
     started_at = excluded.started_at, finished_at = excluded.finished_at, \
     queue_name = excluded.queue_name, node_list = excluded.node_list";

const ATTEMPT_COLUMNS: &str = "run_id, job_name, attempt, experiment_id, status, exit_code, reason, external_id, \
     submitted_at, started_at, finished_at, token_hash, progress, status_message, metrics, reported_at, queue_name, node_list, archived_at";

pub fn running_attempt_by_token() -> String {
    format!(
        "SELECT {ATTEMPT_COLUMNS} FROM job_attempts WHERE experiment_id = $1 AND job_name = $2 AND token_hash = $3 \
         AND finished_at IS NULL"
    )
}

pub const RECORD_REPORT: &str = "UPDATE job_attempts SET progress = $5, status_message = $6, metrics = $7, \
     reported_at = $8 WHERE run_id = $1 AND job_name = $2 AND attempt = $3 AND token_hash = $4 AND finished_at IS NULL";

pub fn attempts_of_job() -> String {
    format!(
        "SELECT {ATTEMPT_COLUMNS} FROM job_attempts WHERE experiment_id = $1 AND job_name = $2 \
         ORDER BY submitted_at, run_id, attempt"
    )
}

pub fn attempts_of_run() -> String {
    format!("SELECT {ATTEMPT_COLUMNS} FROM job_attempts WHERE run_id = $1 ORDER BY submitted_at, job_name, attempt")
}

/// Ended attempts whose files were not copied to the artifact store, after a key, in key order.
pub const ATTEMPTS_TO_ARCHIVE: &str = "SELECT e.expid, a.run_id, a.job_name, a.attempt FROM job_attempts a \
     JOIN experiments e ON e.id = a.experiment_id \
     WHERE a.finished_at IS NOT NULL AND a.archived_at IS NULL AND (a.run_id, a.job_name, a.attempt) > ($1, $2, $3) \
     ORDER BY a.run_id, a.job_name, a.attempt LIMIT $4";

pub const MARK_ARCHIVED: &str =
    "UPDATE job_attempts SET archived_at = $4 WHERE run_id = $1 AND job_name = $2 AND attempt = $3 AND finished_at IS NOT NULL";

/// Ended runs whose log was not copied to the artifact store, after a run id, in id order.
pub const RUN_LOGS_TO_ARCHIVE: &str = "SELECT e.expid, r.id AS run_id FROM runs r JOIN experiments e ON e.id = r.experiment_id \
     WHERE r.finished_at IS NOT NULL AND r.log_archived_at IS NULL AND r.id > $1 ORDER BY r.id LIMIT $2";

pub const MARK_RUN_LOG_ARCHIVED: &str = "UPDATE runs SET log_archived_at = $2 WHERE id = $1 AND finished_at IS NOT NULL";
