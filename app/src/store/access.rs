//! Who may act on an experiment besides its owner, and the audit log of every action.

use super::{ExperimentRecord, StoreError};
use crate::experiment::Expid;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CollaboratorRecord {
    pub user_name: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

/// One action as recorded: `before_state`/`after_state` are short human-readable texts.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub expid: Option<String>,
    pub target: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
}

/// Which audit rows to read: newest first, older than `before_id` when paging.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub expid: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait AccessStore: Send + Sync + 'static {
    async fn collaborators(&self, experiment_id: i64) -> Result<Vec<CollaboratorRecord>, StoreError>;

    async fn is_collaborator(&self, experiment_id: i64, user_name: &str) -> Result<bool, StoreError>;

    /// `false` if the user already collaborates; `UserNotFound` if there is no such account.
    async fn add_collaborator(&self, experiment_id: i64, user_name: &str, added_by: &str) -> Result<bool, StoreError>;

    /// Whether the user collaborated.
    async fn remove_collaborator(&self, experiment_id: i64, user_name: &str) -> Result<bool, StoreError>;

    async fn set_owner(&self, expid: &Expid, owner: &str) -> Result<ExperimentRecord, StoreError>;

    /// Appends one row; its `id` and `at` are ignored and assigned here.
    async fn append_audit(&self, entry: &AuditRecord) -> Result<(), StoreError>;

    async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;

    /// The generation embed links of the experiment must carry.
    async fn embed_generation(&self, expid: &Expid) -> Result<i64, StoreError>;

    /// Raises the generation (ending every link made before); the new one.
    async fn next_embed_generation(&self, expid: &Expid) -> Result<i64, StoreError>;
}
