//! The experiment catalogue: what an experiment is, how it is named and described, and how
//! the list is queried. Shared by the browser and the server; server-only parts are behind
//! the `ssr` feature.

mod expid;
mod fields;
pub(crate) mod list_query;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ops;

pub use expid::Expid;
pub use fields::{Description, ExperimentKind, NewExperiment, OptionalLabel};
pub use list_query::{encode_component, ListParams, ListQuery, SortKey, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use serde::{Deserialize, Serialize};

/// Whether an experiment's workflow is running now (autosubmit-api's `status` field).
pub const STATUS_RUNNING: &str = "RUNNING";
pub const STATUS_NOT_RUNNING: &str = "NOT RUNNING";

/// One experiment as the catalogue shows it, in autosubmit-api 4.2.0's list shape (`name` is
/// the expid, `user` the owner) plus the fields Hindcast adds (`kind`, `model`, `branch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Experiment {
    pub id: i64,
    pub name: String,
    pub user: String,
    pub description: String,
    pub kind: ExperimentKind,
    pub hpc: Option<String>,
    pub model: Option<String>,
    pub branch: Option<String>,
    /// The Hindcast version that created it (autosubmit-api's `version`).
    pub version: String,
    /// RFC 3339, UTC.
    pub created: String,
    /// RFC 3339, UTC.
    pub modified: String,
    /// `RUNNING` or `NOT RUNNING`.
    pub status: String,
    pub completed: i64,
    pub total: i64,
    pub submitted: i64,
    pub queuing: i64,
    pub running: i64,
    pub failed: i64,
    pub suspended: i64,
}

/// autosubmit-api's pagination block. (autosubmit-api answers `page_size: null` for
/// `page_size=0`, meaning "everything"; Hindcast bounds pages to 1..=1000 instead.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Pagination {
    pub page: u32,
    pub page_size: Option<u32>,
    pub total_pages: u32,
    pub page_items: u32,
    pub total_items: u32,
}

impl Pagination {
    pub fn new(page: u32, page_size: u32, page_items: u32, total_items: u32) -> Self {
        let total_pages = total_items.div_ceil(page_size).max(1);
        Self { page, page_size: Some(page_size), total_pages, page_items, total_items }
    }
}

/// One page of the catalogue: `GET /v4/experiments`' body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExperimentPage {
    pub experiments: Vec<Experiment>,
    pub pagination: Pagination,
}
