//! The contract every executor keeps (local processes, Slurm batch jobs): submit a job,
//! report when it waits, starts and ends with its exit code and times, and kill it on request.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use super::slurm::spec::Target;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// Which attempt of which job (by number in the run's graph) an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptKey {
    pub number: u32,
    pub attempt: i32,
}

/// Everything an executor needs to start one attempt of a job.
#[derive(Debug, Clone)]
pub struct JobLaunch {
    pub key: AttemptKey,
    pub job_name: String,
    /// The attempt's own folder: script, logs, `outputs/` (the working folder) and `tmp/`.
    pub dir: PathBuf,
    /// The script, placeholders resolved.
    pub script: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Killed, then FAILED, when it runs longer (the section's WALLCLOCK).
    pub wallclock: Option<Duration>,
    /// Where it runs: its section's platform.
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// The submission answered: the executor's handle, or why the job could not start.
    Submitted { key: AttemptKey, outcome: Result<String, String> },
    /// The job waits in the batch system's queue (`queue`: its partition), held or not.
    Queued { key: AttemptKey, held: bool, queue: Option<String> },
    /// The job left the executor's queue and runs (`nodes` and `queue`: where, when the
    /// batch system says).
    Started { key: AttemptKey, at: DateTime<Utc>, nodes: Option<String>, queue: Option<String> },
    /// The job ended: `exit_code` is `None` when it was killed by a signal.
    Finished { key: AttemptKey, exit_code: Option<i32>, at: DateTime<Utc>, reason: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    #[error("preparing the job's folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Refused(String),
}

/// What `prepare` made ready for one attempt: its log files, opened for the job to write.
#[derive(Debug)]
pub struct Prepared {
    pub stdout: std::fs::File,
    pub stderr: std::fs::File,
}

#[async_trait]
pub trait Executor: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    /// Writes the attempt's folder (script, log files, `outputs/`, `tmp/`). Separate from
    /// `submit` so the driver can prepare the next job of a chain while its parent runs.
    async fn prepare(&self, launch: &JobLaunch) -> Result<Prepared, ExecutorError>;

    /// Starts a prepared job and reports its start and end on `events`. Returns the
    /// executor's handle for it (a process id, a Slurm job id), as stored with the attempt.
    async fn submit(&self, launch: JobLaunch, prepared: Prepared, events: mpsc::UnboundedSender<JobEvent>) -> Result<String, ExecutorError>;

    /// Removes what `prepare` wrote for an attempt that will never start.
    async fn discard(&self, launch: &JobLaunch);

    /// Kills a submitted job, everything it started included; its end is still reported.
    async fn kill(&self, handle: &str) -> Result<(), ExecutorError>;

    /// For each job a previous server process left (its handle and folder), whether it still
    /// runs: recovery adopts those and waits for them.
    async fn still_running(&self, jobs: &[(String, &Path)]) -> Vec<bool>;

    /// Learns a platform's connection, so handles that name it work after a restart.
    fn know(&self, _target: &Target) {}

    /// The exit code the executor itself knows for an ended job that left no `exit_code`
    /// file (a batch system's final state); `None` when it knows none.
    async fn ended_with(&self, _handle: &str) -> Option<i32> {
        None
    }

    /// The handle of a job submitted from `dir` whose handle was never written (the server
    /// died while its submission was under way), when the executor can still find it; `Err`
    /// when it could not look (the job may exist).
    async fn find_submitted(&self, _dir: &Path) -> Result<Option<String>, String> {
        Ok(None)
    }
}
