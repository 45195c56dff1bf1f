//! Who may act on which experiment (its owner, its collaborators, admins), and the audit log
//! that records every action. The rule is written once, in `rules`, and every acting domain
//! operation asks `ops::authorize` before it changes anything.

mod rules;

pub use rules::{may, Need, Relation};

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod ops;

use serde::{Deserialize, Serialize};

/// Someone who may act on an experiment besides its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CollaboratorView {
    pub name: String,
    pub added_by: String,
    /// RFC 3339, UTC.
    pub added_at: String,
}

/// An experiment's owner and collaborators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccessView {
    pub expid: String,
    pub owner: String,
    pub collaborators: Vec<CollaboratorView>,
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditView {
    pub id: i64,
    /// RFC 3339, UTC, to the millisecond.
    pub at: String,
    /// Who acted (a user name, or `cli:<os user>` for the command line).
    pub actor: String,
    /// What was done, e.g. `jobs.set_status`, `run.start`, `user.role`.
    pub action: String,
    pub expid: Option<String>,
    /// What it was done to: a job list, a run, a user, a file.
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A page of the audit log, newest first; `next_before` pages on to older entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    /// Pass as `before` to read the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}
