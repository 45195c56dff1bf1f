//! Runs: requests to execute an experiment's graph, or part of it. A run is stored (queued)
//! before any work starts; the engine then drives it and records each job's attempts. The
//! types here are shared with the browser; planning and the operations are server-only.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which jobs a run executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RunMode {
    /// Every job of the experiment that has not completed.
    #[default]
    All,
    /// The selected jobs and those of their predecessors that have not completed.
    WithPredecessors,
    /// The selected jobs alone, whatever their parents' statuses.
    SelectedOnly,
    /// The predecessors of the selection that have not completed, not the selection itself.
    PredecessorsOnly,
    /// The selected jobs and everything downstream of them.
    WithDownstream,
}

impl RunMode {
    pub const ALL: [RunMode; 5] =
        [Self::All, Self::WithPredecessors, Self::SelectedOnly, Self::PredecessorsOnly, Self::WithDownstream];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::WithPredecessors => "with_predecessors",
            Self::SelectedOnly => "selected_only",
            Self::PredecessorsOnly => "predecessors_only",
            Self::WithDownstream => "with_downstream",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Whether the run needs a selection of jobs.
    pub fn needs_selection(self) -> bool {
        self != Self::All
    }
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RunStatus {
    Queued,
    Running,
    Passed,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [Self::Queued, Self::Running, Self::Passed, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// Extra command-line switches and environment for a job's script.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobExtras {
    /// Arguments appended to the script's command line (`$1`, `$2`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switches: Vec<String>,
    /// Environment variables, also available to the script as `%NAME%` placeholders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// What a user asks for when starting a run (`POST /v4/experiments/{expid}/runs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunRequest {
    #[serde(default)]
    pub mode: RunMode,
    /// The selected jobs, by name (every name must exist); required by every mode but `all`.
    #[serde(default)]
    pub jobs: Vec<String>,
    /// Re-run the selected jobs even if they completed.
    #[serde(default)]
    pub force: bool,
    /// With `force`, re-run everything downstream of the selection too.
    #[serde(default)]
    pub force_downstream: bool,
    /// Queue behind an active run instead of being refused (409).
    #[serde(default)]
    pub queue: bool,
    /// Start no earlier than this time (RFC 3339): a scheduled run, which queues behind
    /// interactive ones and never answers 409.
    #[serde(default)]
    pub start_at: Option<String>,
    /// Run again at this interval (`90s`, `15m`, `6h`, `1d`, `1w`, `1h30m`; from 1 minute):
    /// each occurrence queues the next when it starts. From now when `start_at` is absent.
    #[serde(default)]
    pub repeat_every: Option<String>,
    /// Switches and environment for every job of the run.
    #[serde(default)]
    pub extras: JobExtras,
    /// Switches and environment for single jobs, by name, added to the run's.
    #[serde(default)]
    pub job_extras: BTreeMap<String, JobExtras>,
}

/// A run as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunView {
    pub id: i64,
    pub expid: String,
    pub requested_by: String,
    pub mode: RunMode,
    pub jobs: Vec<String>,
    pub force: bool,
    pub status: RunStatus,
    /// Why it failed or was cancelled, or what it left out.
    pub message: Option<String>,
    /// Jobs the run executes, counted when it started.
    pub planned_jobs: i64,
    /// Asked for now by someone (not scheduled): goes first in the queue.
    pub interactive: bool,
    /// A scheduled run starts no earlier than this (RFC 3339).
    pub start_at: Option<String>,
    /// A repeating run's interval, as `repeat_every` reads it.
    pub repeat_every: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// When the ended run's log was copied to the artifact store (object storage).
    #[serde(default)]
    pub log_archived_at: Option<String>,
}

/// One execution of one job (autosubmit-api's job history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttemptView {
    pub run_id: i64,
    pub job_name: String,
    pub attempt: i32,
    pub status: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub submitted_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The job's last report: progress in percent, a message and metrics.
    pub progress: Option<f64>,
    pub status_message: Option<String>,
    pub metrics: BTreeMap<String, f64>,
    /// The executor's id for it: `pid:start:boot` for a local process, `slurm:<job id>`
    /// (with `@user@host:port` over SSH) for a Slurm job.
    #[serde(default)]
    pub executor_id: Option<String>,
    /// The batch system's partition and node list, when it has them.
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub nodes: Option<String>,
    /// When the attempt's files were copied to the artifact store (object storage); absent
    /// while they are read from the data folder.
    #[serde(default)]
    pub archived_at: Option<String>,
}

/// What a running job reports about itself (`PUT …/jobs/{name}/report`, with the job's
/// `HINDCAST_JOB_TOKEN` as a bearer token). Every field is optional; metrics add up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportRequest {
    /// 0 to 100.
    pub progress: Option<f64>,
    /// At most 1,000 characters.
    pub message: Option<String>,
    /// Numbers by name (at most 100 names of at most 100 characters).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod plan;
#[cfg(feature = "ssr")]
pub mod schedule;
