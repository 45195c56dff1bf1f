//! The tree view's shapes: date → member → section → jobs, one level at a time, each folder
//! with its jobs counted per status.

use super::{JobLink, StatusCount};
use serde::{Deserialize, Serialize};

/// Which level to read: none (the dates), a date (its members), a date and member (its
/// sections), or all three (the jobs of one section).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct TreeParams {
    pub date: Option<String>,
    pub member: Option<String>,
    pub section: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TreeFolder {
    pub name: String,
    /// date, member or section.
    pub kind: String,
    pub total: u64,
    /// Statuses with at least one job, in Autosubmit's code order.
    pub counts: Vec<StatusCount>,
}

/// One level of the tree: its folders (loaded lazily, one request per opened folder) and the
/// jobs that sit at this level (once jobs at the root, date jobs in a date, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TreeLevel {
    pub date: Option<String>,
    pub member: Option<String>,
    pub section: Option<String>,
    pub folders: Vec<TreeFolder>,
    pub jobs: Vec<JobLink>,
}
