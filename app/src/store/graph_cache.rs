//! Generated graphs kept in memory after their first read, by experiment and version. Several
//! servers on one database stay correct: a graph is used only if its version is the one the
//! database names now.

use crate::workflow::LoadedGraph;
use std::sync::{Arc, Mutex};

/// How many experiments' graphs stay in memory (a 100k-job graph takes tens of megabytes).
const CAPACITY: usize = 8;

#[derive(Debug, Default)]
pub struct GraphCache {
    /// Most recently used last.
    entries: Mutex<Vec<(i64, Arc<LoadedGraph>)>>,
}

impl GraphCache {
    pub fn get(&self, experiment_id: i64, version: i64) -> Option<Arc<LoadedGraph>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let at = entries.iter().position(|(id, g)| *id == experiment_id && g.version == version)?;
        let entry = entries.remove(at);
        let graph = entry.1.clone();
        entries.push(entry);
        Some(graph)
    }

    pub fn put(&self, experiment_id: i64, graph: Arc<LoadedGraph>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(id, _)| *id != experiment_id);
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push((experiment_id, graph));
    }
}
