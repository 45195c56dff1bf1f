//! Workflows: Autosubmit 4 configurations, the job graph generated from them, and the jobs
//! as the views read them. Types shared with the browser are here; parsing, generation and
//! the domain operations are server-only.
//!
//! Generation reproduces `autosubmit create` 4.1.17.1: DATELIST/MEMBERS/NUMCHUNKS/CHUNKINI,
//! sections running once/date/member/chunk with SPLITS, FREQUENCY, DELAY and SYNCHRONIZE,
//! DEPENDENCIES as text or mappings with `±N` offsets, *_FROM/*_TO filters and STATUS,
//! Autosubmit's one-hop pruning and its deletion of edgeless jobs. What Autosubmit would crash
//! on, and cycles, are refused with an error naming the key, never silently ignored.

mod config_files;
mod jobs;
pub mod server_fns;
mod status;
mod tree;

pub use config_files::{check_file_name, ConfigFiles, MAX_CONFIG_BYTES};
pub use jobs::{
    Job, JobLink, JobPage, JobParams, JobQuery, JobSortKey, JobSummary, JobView, NameMatcher, NamePattern, StatusCount,
    GUI_JOB_PAGE_SIZE,
};
pub use status::JobStatus;
pub use tree::{TreeFolder, TreeLevel, TreeParams};

use serde::{Deserialize, Serialize};

/// What a generation did (or, as a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GenerateOutcome {
    pub dry_run: bool,
    pub jobs: u64,
    pub edges: u64,
    /// Jobs that kept a status from the previous graph (COMPLETED, FAILED, …).
    pub kept_statuses: u64,
    /// The graph version after this generation (unchanged by a dry run).
    pub graph_version: i64,
    /// Jobs per section, in the configuration's order.
    pub sections: Vec<SectionCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SectionCount {
    pub section: String,
    pub jobs: u64,
}

#[cfg(feature = "ssr")]
mod adjacency;
#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
mod config;
#[cfg(feature = "ssr")]
mod generate;
#[cfg(feature = "ssr")]
pub mod quick_html;
#[cfg(feature = "ssr")]
pub mod graph_view;
#[cfg(feature = "ssr")]
mod layout;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod parameters;
#[cfg(feature = "ssr")]
pub mod set_status;
#[cfg(feature = "ssr")]
mod snapshot;

#[cfg(feature = "ssr")]
pub use config::{ConfigError, WorkflowConfig};
#[cfg(feature = "ssr")]
pub use generate::{generate, generate_snapshot, Graph, GraphJob, DEFAULT_MAX_JOBS};
#[cfg(feature = "ssr")]
pub use layout::{layout, GraphLayout, GroupBox};
#[cfg(feature = "ssr")]
pub use snapshot::{EncodedLayout, GraphSnapshot, LoadedGraph, SectionInfo, SnapshotJob};
