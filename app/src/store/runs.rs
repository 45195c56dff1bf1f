//! Persistence of runs and job attempts, behind a trait both backends implement (the SQL is
//! shared, in `run_sql`).

use super::StoreError;
use crate::experiment::Expid;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunRecord {
    pub id: i64,
    pub experiment_id: i64,
    pub expid: String,
    pub requested_by: String,
    pub mode: String,
    /// JSON array of the selected job names.
    pub selection: String,
    pub force_rerun: bool,
    /// JSON of `RunOptions`.
    pub options: String,
    pub interactive: bool,
    pub status: String,
    pub message: Option<String>,
    pub planned_jobs: i64,
    /// Not started before this time (seconds since 1970, UTC): a scheduled run.
    pub not_before: Option<i64>,
    /// A repeating run's interval in seconds.
    pub repeat_seconds: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When the ended run's log was copied to the artifact store.
    pub log_archived_at: Option<DateTime<Utc>>,
}

/// A server's hold on the runs it drives: its instance name, and until when (seconds since
/// 1970) the hold lasts unless renewed.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub owner: String,
    pub until: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub requested_by: String,
    pub mode: String,
    pub selection: String,
    pub force_rerun: bool,
    pub options: String,
    pub interactive: bool,
    pub not_before: Option<i64>,
    pub repeat_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttemptRecord {
    pub run_id: i64,
    pub job_name: String,
    pub attempt: i32,
    pub experiment_id: i64,
    pub status: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub external_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the attempt's report token; written once, with the attempt.
    pub token_hash: Option<String>,
    /// The job's last report (read only: `record_report` writes them).
    pub progress: Option<f64>,
    pub status_message: Option<String>,
    /// JSON object of the reported metrics.
    pub metrics: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    /// Where a batch system ran it: the partition and the node list.
    pub queue_name: Option<String>,
    pub node_list: Option<String>,
    /// When the attempt's files were copied to the artifact store (read only: `mark_archived`
    /// writes it).
    pub archived_at: Option<DateTime<Utc>>,
}

/// An ended run whose log is to be copied to the artifact store.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ArchivedRunLog {
    pub expid: String,
    pub run_id: i64,
}

/// An ended attempt, named as the artifact store's keys name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct ArchivedAttempt {
    pub expid: String,
    pub run_id: i64,
    pub job_name: String,
    pub attempt: i32,
}

/// The most metric names one attempt's reports may name in all.
pub const MAX_METRICS: usize = 100;

/// What a running job reported about itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobReport {
    pub progress: Option<f64>,
    pub message: Option<String>,
    /// Metrics to merge into those already reported.
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

/// A job's new status and the times that came with it (unset times are kept).
#[derive(Debug, Clone, PartialEq)]
pub struct JobProgress {
    pub number: u32,
    pub status: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait RunStore: Send + Sync + 'static {
    /// Stores a queued run. Refused (`RunActive`) when the experiment has an active run,
    /// unless `queue`; checked and written in one transaction, so two requests never both pass.
    async fn create_run(&self, expid: &Expid, run: &NewRun, queue: bool) -> Result<RunRecord, StoreError>;

    async fn run(&self, expid: &Expid, id: i64) -> Result<RunRecord, StoreError>;

    /// The experiment's runs, newest first.
    async fn runs(&self, expid: &Expid, limit: i64) -> Result<Vec<RunRecord>, StoreError>;

    /// Runs queued or running, in any experiment (what the engine resumes after a restart).
    async fn active_runs(&self) -> Result<Vec<RunRecord>, StoreError>;

    /// Starts the experiment's next queued run (interactive ones first) unless one is running:
    /// marks it and the experiment running, held by `lease`.
    async fn claim_next_run(&self, experiment_id: i64, lease: &Lease) -> Result<Option<RunRecord>, StoreError>;

    /// Extends the lease on every running run the owner holds; returns their ids.
    async fn renew_leases(&self, lease: &Lease) -> Result<Vec<i64>, StoreError>;

    /// Takes the running runs whose lease ended before `expired_before` (their server died),
    /// each for exactly one caller: the row is updated only if still expired.
    async fn take_over_runs(&self, lease: &Lease, expired_before: i64) -> Result<Vec<RunRecord>, StoreError>;

    /// Records the jobs' new statuses and attempts in one transaction.
    async fn record_progress(
        &self,
        experiment_id: i64,
        jobs: &[JobProgress],
        attempts: &[AttemptRecord],
    ) -> Result<(), StoreError>;

    async fn set_planned_jobs(&self, run_id: i64, planned: i64) -> Result<(), StoreError>;

    /// Ends a run with its final status; the experiment stops running.
    async fn finish_run(&self, run_id: i64, status: &str, message: Option<&str>) -> Result<(), StoreError>;

    /// Puts a run a previous process was driving back in the queue (at start, after its
    /// interrupted jobs were settled); the experiment stops running until it is claimed.
    async fn requeue_run(&self, run_id: i64) -> Result<(), StoreError>;

    /// Cancels a queued run; `false` when it was no longer queued.
    async fn cancel_queued_run(&self, run_id: i64, message: &str) -> Result<bool, StoreError>;

    /// Records a report on the job's unfinished attempt whose token has this hash; `None`
    /// when no such attempt is running (a wrong, stale or finished token).
    async fn record_report(
        &self,
        experiment_id: i64,
        job_name: &str,
        token_hash: &str,
        report: &JobReport,
    ) -> Result<Option<AttemptRecord>, StoreError>;

    /// Every attempt of one job, oldest first.
    async fn job_attempts(&self, experiment_id: i64, job_name: &str) -> Result<Vec<AttemptRecord>, StoreError>;

    /// The attempts of one run, in the order they were submitted.
    async fn run_attempts(&self, run_id: i64) -> Result<Vec<AttemptRecord>, StoreError>;

    /// Up to `limit` ended attempts whose files are not in the artifact store yet, those after
    /// `after` (by run, job, attempt), in that order.
    async fn attempts_to_archive(&self, after: Option<&ArchivedAttempt>, limit: i64) -> Result<Vec<ArchivedAttempt>, StoreError>;

    /// Records that these ended attempts' files are in the artifact store.
    async fn mark_archived(&self, attempts: &[ArchivedAttempt]) -> Result<(), StoreError>;

    /// Up to `limit` ended runs, with ids above `after`, whose log is not in the artifact store.
    async fn run_logs_to_archive(&self, after: i64, limit: i64) -> Result<Vec<ArchivedRunLog>, StoreError>;

    /// Records that the ended run's log is in the artifact store.
    async fn mark_run_log_archived(&self, run_id: i64) -> Result<(), StoreError>;
}
