//! Persistence of workflows: configuration files, the generated graph (one encoded value per
//! experiment, cached in memory once read) and the job states that change while it runs,
//! behind a trait of its own that both backends implement.

use super::StoreError;
use crate::experiment::Expid;
use crate::workflow::{GraphSnapshot, JobStatus, LoadedGraph};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConfigFileRecord {
    pub name: String,
    pub content: String,
    pub modified_at: DateTime<Utc>,
}

/// What changes about a job while its workflow runs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobStateRecord {
    pub number: i32,
    pub status: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryRecord {
    /// `(status code, jobs)` for each status present.
    pub counts: Vec<(i32, i64)>,
    pub graph_version: i64,
    pub generated_at: Option<DateTime<Utc>>,
}

/// A graph ready to store: the snapshot, its encoding and each job's initial status.
#[derive(Debug, Clone)]
pub struct PreparedGraph {
    pub snapshot: GraphSnapshot,
    pub encoded: Vec<u8>,
    pub statuses: Vec<JobStatus>,
}

/// What storing a graph did.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGraph {
    pub graph_version: i64,
    pub kept_statuses: u64,
}

/// An experiment's current graph and the row id its job states are stored under.
#[derive(Debug, Clone)]
pub struct GraphHandle {
    pub experiment_id: i64,
    pub graph: Arc<LoadedGraph>,
}

#[async_trait]
pub trait WorkflowStore: Send + Sync + 'static {
    async fn config_files(&self, expid: &Expid) -> Result<Vec<ConfigFileRecord>, StoreError>;

    /// Replaces every configuration file of the experiment, in one transaction.
    async fn replace_config_files(&self, expid: &Expid, files: &BTreeMap<String, String>) -> Result<(), StoreError>;

    /// Creates or replaces one configuration file.
    async fn put_config_file(&self, expid: &Expid, name: &str, content: &str) -> Result<(), StoreError>;

    /// Removes one configuration file; `false` when there was none of that name.
    async fn delete_config_file(&self, expid: &Expid, name: &str) -> Result<bool, StoreError>;

    /// Replaces the experiment's graph and job states in one transaction, keeping the
    /// statuses that carry history (COMPLETED, FAILED, …) of jobs that still exist when
    /// `keep_statuses`. Refused while the experiment runs.
    async fn store_graph(&self, expid: &Expid, graph: PreparedGraph, keep_statuses: bool) -> Result<StoredGraph, StoreError>;

    /// The current graph (empty before the first generation), from memory when it is current.
    async fn graph(&self, expid: &Expid) -> Result<GraphHandle, StoreError>;

    /// States of the given jobs (at most a few thousand; read all states for more), by number.
    async fn job_states(&self, experiment_id: i64, numbers: &[u32]) -> Result<Vec<JobStateRecord>, StoreError>;

    /// States of every job, by number.
    async fn all_job_states(&self, experiment_id: i64) -> Result<Vec<JobStateRecord>, StoreError>;

    /// Every job's status code, by number: the graph view's colours in one narrow read.
    async fn status_codes(&self, experiment_id: i64) -> Result<Vec<i32>, StoreError>;

    /// Applies status changes `(number, expected current code, new code)` in one transaction,
    /// only if the graph is still `graph_version` and every job still has its expected status;
    /// otherwise changes nothing (`StatusesChanged`).
    async fn change_statuses(
        &self,
        experiment_id: i64,
        graph_version: i64,
        changes: &[(u32, i32, i32)],
    ) -> Result<(), StoreError>;

    /// Numbers of the jobs in one of the given statuses, ascending.
    async fn jobs_in_status(&self, experiment_id: i64, statuses: &[JobStatus]) -> Result<Vec<u32>, StoreError>;

    async fn job_summary(&self, expid: &Expid) -> Result<SummaryRecord, StoreError>;

    /// Jobs per status code in each group of inclusive job-number ranges: `(group, status, count)`.
    async fn status_counts_in_ranges(
        &self,
        experiment_id: i64,
        groups: &[Vec<(u32, u32)>],
    ) -> Result<Vec<(i32, i32, i64)>, StoreError>;
}
