//! Persistence of the catalogue behind one narrow trait, with one implementation per backend
//! (SQLite by default, PostgreSQL when a team outgrows one machine). The backend is chosen
//! from the `DATABASE_URL` scheme; each has its own migrations under `migrations/<backend>/`.

mod access;
pub(crate) mod access_impl;
mod graph_cache;
mod job_sql;
mod postgres;
mod run_sql;
mod runs;
mod runs_impl;
mod sql;
mod sqlite;
mod users;
pub(crate) mod users_impl;
mod workflow;
mod workflow_impl;

pub use access::{AccessStore, AuditFilter, AuditRecord, CollaboratorRecord};
pub use postgres::PostgresStore;
pub use runs::{ArchivedAttempt, ArchivedRunLog, AttemptRecord, JobProgress, JobReport, Lease, NewRun, RunRecord, RunStore, MAX_METRICS};
pub use sqlite::SqliteStore;
pub use users::{TokenRecord, UserRecord, UserStore};
pub use workflow::{
    ConfigFileRecord, GraphHandle, JobStateRecord, PreparedGraph, StoredGraph, SummaryRecord, WorkflowStore,
};

use crate::experiment::{Expid, ExperimentKind, ListQuery, NewExperiment};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("experiment {0} not found")]
    ExperimentNotFound(Expid),
    #[error("job {1} not found in experiment {0}")]
    JobNotFound(Expid, String),
    #[error("stored graph unreadable: {0}")]
    Graph(String),
    #[error("experiment {0} is running")]
    ExperimentRunning(Expid),
    /// The graph was regenerated, or statuses changed, since the caller read them.
    #[error("job statuses of experiment {0} changed meanwhile")]
    StatusesChanged(i64),
    #[error("experiment {0} already has an active run ({1})")]
    RunActive(Expid, i64),
    #[error("run {1} not found in experiment {0}")]
    RunNotFound(Expid, i64),
    #[error("a job's reports would name more than {0} metrics")]
    TooManyMetrics(usize),
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("user {0} not found")]
    UserNotFound(String),
    #[error("no experiment ids left for kind {0}")]
    IdsExhausted(ExperimentKind),
    #[error("unsupported database URL '{0}': use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("preparing the database file: {0}")]
    Io(#[from] std::io::Error),
}

/// An experiment row as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExperimentRecord {
    pub id: i64,
    pub expid: String,
    pub description: String,
    pub kind: String,
    pub owner: String,
    pub hpc: Option<String>,
    pub model: Option<String>,
    pub branch: Option<String>,
    pub version: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

/// A row of a catalogue page: the experiment and the number of matches on all pages.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ListedRow {
    #[sqlx(flatten)]
    pub record: ExperimentRecord,
    pub total: i64,
}

impl RecordPage {
    /// Assembles a page from its rows; `None` when the total must be counted separately
    /// (a page past the last one has no row to carry it).
    pub(crate) fn from_rows(rows: Vec<ListedRow>, page: u32) -> Option<Self> {
        let total = match rows.first() {
            Some(row) => u64::try_from(row.total).unwrap_or(0),
            None if page > 1 => return None,
            None => 0,
        };
        Some(Self { records: rows.into_iter().map(|r| r.record).collect(), total })
    }
}

/// One page of rows and the number of rows matching the query on all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPage {
    pub records: Vec<ExperimentRecord>,
    pub total: u64,
}

#[async_trait]
pub trait ExperimentStore: Send + Sync + 'static {
    /// Stores a new experiment under the next free id of its kind; concurrent calls never
    /// receive the same id.
    async fn create_experiment(
        &self,
        new: &NewExperiment,
        owner: &str,
        version: &str,
    ) -> Result<ExperimentRecord, StoreError>;

    async fn experiment(&self, expid: &Expid) -> Result<ExperimentRecord, StoreError>;

    async fn list_experiments(&self, query: &ListQuery) -> Result<RecordPage, StoreError>;

    async fn update_description(
        &self,
        expid: &Expid,
        description: &str,
    ) -> Result<ExperimentRecord, StoreError>;

    /// Cheap liveness check for `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Which backend this is, for logs.
    fn backend(&self) -> &'static str;

    /// The connection pool, for what keeps its own tables next to ours (the session store).
    fn database(&self) -> Database;
}

/// A backend's connection pool.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Everything the application stores, behind one object.
pub trait Store: ExperimentStore + WorkflowStore + RunStore + UserStore + AccessStore {}
impl<T: ExperimentStore + WorkflowStore + RunStore + UserStore + AccessStore> Store for T {}

pub type SharedStore = Arc<dyn Store>;

/// Opens the store named by `url`, creating a SQLite file (and its folder) if missing, and
/// runs the backend's migrations.
pub async fn connect(url: &str) -> Result<SharedStore, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::UnsupportedUrl(format!("{scheme}:…")))
    }
}

/// How many times an insert retries with the next id after losing a race for one.
const ID_ATTEMPTS: usize = 64;

/// The first id to try for a new experiment of `kind`, given the highest one stored.
///
/// A highest id that does not read as its kind (an imported row) is no base to count from;
/// the kind's first id is tried instead and taken ids are skipped.
fn first_candidate(kind: ExperimentKind, highest: Option<String>) -> Result<Expid, StoreError> {
    let reads_as_kind = |id: &Expid| {
        let first = id.as_str().as_bytes()[0];
        match kind {
            ExperimentKind::Experiment => !ExperimentKind::is_reserved_prefix(first),
            other => first == other.id_prefix() as u8,
        }
    };
    match highest.and_then(|id| Expid::parse(&id).ok()).filter(reads_as_kind) {
        None => Ok(Expid::first_of(kind)),
        Some(id) => id.successor(kind).ok_or(StoreError::IdsExhausted(kind)),
    }
}
