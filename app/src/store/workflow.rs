//! Persistence of workflows: configuration files and the generated job graph, behind a trait
//! of its own that both backends implement.

use super::StoreError;
use crate::experiment::Expid;
use crate::workflow::{Graph, JobQuery};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConfigFileRecord {
    pub name: String,
    pub content: String,
    pub modified_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRecord {
    pub number: i32,
    pub name: String,
    pub section: String,
    pub date: Option<String>,
    pub member: Option<String>,
    pub chunk: Option<i64>,
    pub split: Option<i64>,
    pub splits: Option<i64>,
    pub status: i32,
    pub running: String,
    pub platform: String,
    pub priority: i64,
    pub retrials: i64,
    pub wallclock: Option<String>,
    pub processors: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecordPage {
    pub jobs: Vec<JobRecord>,
    pub total: u64,
}

/// A neighbour in the graph: name and status code.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkRecord {
    pub name: String,
    pub status: i32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryRecord {
    /// `(status code, jobs)` for each status present.
    pub counts: Vec<(i32, i64)>,
    pub graph_version: i64,
    pub generated_at: Option<DateTime<Utc>>,
}

/// A generated graph ready to store: jobs as one JSON array of rows (in name order, which
/// numbers them) and edges as `[parent, child]` numbers, so the database inserts each list in
/// one statement.
#[derive(Debug, Clone)]
pub struct GraphRows {
    pub jobs_json: String,
    pub edges_json: String,
    pub jobs: u64,
    pub edges: u64,
}

impl GraphRows {
    /// `graph.jobs` are sorted by name; statuses are Autosubmit codes.
    pub fn from_graph(graph: &Graph, status_code: impl Fn(&str) -> i32) -> Self {
        let number: HashMap<&str, usize> =
            graph.jobs.iter().enumerate().map(|(i, job)| (job.name.as_str(), i)).collect();
        let rows: Vec<serde_json::Value> = graph
            .jobs
            .iter()
            .map(|j| {
                let split = (j.split >= 0).then_some(j.split);
                let splits = (j.splits >= 0).then_some(j.splits);
                serde_json::json!([
                    j.name, j.section, j.date, j.member, j.chunk, split, splits, status_code(&j.status), j.running,
                    j.platform, j.priority, j.retrials, j.wallclock, j.processors
                ])
            })
            .collect();
        let edges: Vec<[usize; 2]> =
            graph.edges.iter().map(|(parent, child)| [number[parent.as_str()], number[child.as_str()]]).collect();
        Self {
            jobs_json: serde_json::to_string(&rows).unwrap_or_default(),
            edges_json: serde_json::to_string(&edges).unwrap_or_default(),
            jobs: graph.jobs.len() as u64,
            edges: edges.len() as u64,
        }
    }
}

/// What storing a graph did.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGraph {
    pub graph_version: i64,
    pub kept_statuses: u64,
}

#[async_trait]
pub trait WorkflowStore: Send + Sync + 'static {
    async fn config_files(&self, expid: &Expid) -> Result<Vec<ConfigFileRecord>, StoreError>;

    /// Replaces every configuration file of the experiment, in one transaction.
    async fn replace_config_files(&self, expid: &Expid, files: &BTreeMap<String, String>) -> Result<(), StoreError>;

    /// Replaces the experiment's graph in one transaction, keeping the statuses that carry
    /// history (COMPLETED, FAILED, …) of jobs that still exist when `keep_statuses`. Refused
    /// while the experiment runs.
    async fn store_graph(&self, expid: &Expid, graph: &GraphRows, keep_statuses: bool) -> Result<StoredGraph, StoreError>;

    async fn jobs(&self, expid: &Expid, query: &JobQuery) -> Result<JobRecordPage, StoreError>;

    async fn job(&self, expid: &Expid, name: &str) -> Result<JobRecord, StoreError>;

    /// The parents (or children) of a job, in name order.
    async fn linked_jobs(&self, expid: &Expid, name: &str, parents: bool) -> Result<Vec<LinkRecord>, StoreError>;

    async fn job_summary(&self, expid: &Expid) -> Result<SummaryRecord, StoreError>;
}
