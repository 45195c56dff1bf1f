//! The graph view's reads: the layout (computed once per graph version, then served from
//! memory) and the current statuses, which change without the layout changing.

use super::{layout, EncodedLayout};
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::Store;
use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::sync::Arc;

/// A layout and what identifies it: the same experiment and version always lay out the same.
#[derive(Debug, Clone)]
pub struct CurrentLayout {
    pub experiment_id: i64,
    pub graph_version: i64,
    pub encoded: Arc<EncodedLayout>,
}

/// Every job's status code, indexed by job number as in the layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GraphStatuses {
    pub graph_version: i64,
    pub statuses: Vec<i32>,
}

pub async fn graph_layout(store: &dyn Store, expid: &Expid) -> Result<CurrentLayout, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let graph = handle.graph.clone();
    let current = |encoded| CurrentLayout { experiment_id: handle.experiment_id, graph_version: graph.version, encoded };
    if let Some(done) = graph.layout.get() {
        return Ok(current(done.clone()));
    }
    // Laying out 100k jobs is a few hundred milliseconds of CPU: off the async workers.
    // Concurrent first readers wait for the one computation instead of repeating it.
    let task_graph = graph.clone();
    let encoded = tokio::task::spawn_blocking(move || {
        task_graph.layout.get_or_init(|| Arc::new(encode(&task_graph))).clone()
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "graph layout task failed");
        HindcastError::Internal
    })?;
    Ok(current(encoded))
}

fn encode(graph: &super::LoadedGraph) -> EncodedLayout {
    let started = std::time::Instant::now();
    let json = serde_json::to_vec(&layout(graph)).unwrap_or_default();
    let mut gzip = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::fast());
    let gzip = gzip.write_all(&json).and_then(|()| gzip.finish()).unwrap_or_default();
    tracing::info!(jobs = graph.len(), bytes = json.len(), gzip = gzip.len(), ms = started.elapsed().as_millis() as u64, "graph laid out");
    EncodedLayout { json: Bytes::from(json), gzip: Bytes::from(gzip) }
}

pub async fn graph_statuses(store: &dyn Store, expid: &Expid) -> Result<GraphStatuses, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let statuses = store.status_codes(handle.experiment_id).await.map_err(to_domain_error)?;
    Ok(GraphStatuses { graph_version: handle.graph.version, statuses })
}
