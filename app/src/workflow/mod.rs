//! Workflows: Autosubmit 4 configurations and the job graph generated from them.
//!
//! This first part covers what the `tiny`, `classic` and `once_dag` reference cases use:
//! DATELIST/MEMBERS/NUMCHUNKS/CHUNKINI, sections running once/date/member/chunk, string-form
//! DEPENDENCIES with chunk offsets (`SIM-1`), Autosubmit's one-hop pruning of redundant edges
//! and deletion of jobs left without the parents they asked for. Anything else is refused
//! with an error naming it, never silently ignored.

mod config;
mod generate;

pub use config::{ConfigError, WorkflowConfig};
pub use generate::{generate, Graph, GraphJob};
