//! What the pages and API clients are told live (`GET /v4/experiments/{expid}/events`): jobs
//! whose status changed, runs that changed, a new graph. Published by the domain and the
//! engine; delivered by the server's event hub.

use super::{AttemptView, RunView};
use crate::workflow::JobStatus;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobChange {
    pub name: String,
    pub status: JobStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Jobs now in these statuses.
    Jobs { jobs: Vec<JobChange> },
    /// A run was queued, started, or ended.
    Run { run: RunView },
    /// The graph was generated again: everything shown of it is stale.
    Graph { graph_version: i64 },
    /// A running job reported its progress, a message or metrics.
    Report { attempt: AttemptView },
}

impl LiveEvent {
    /// The SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Jobs { .. } => "jobs",
            Self::Run { .. } => "run",
            Self::Graph { .. } => "graph",
            Self::Report { .. } => "report",
        }
    }
}
