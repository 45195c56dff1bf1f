//! A generated graph as stored and cached: every job's fixed attributes and every edge, in
//! one value. Jobs are sorted by name, so a job's number (its index) is also its rank by name
//! and a name is found by binary search. Encoded as compact JSON arrays: a job is
//! `[name, section index, date, member, chunk, split, splits]`, an edge `[parent, child]`,
//! an edge condition `[parent, child, "STATUS"]`.

use super::adjacency::Adjacency;
use super::JobStatus;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};

/// What all jobs of one section share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionInfo {
    pub name: String,
    pub running: String,
    pub platform: String,
    pub priority: i64,
    pub retrials: i64,
    pub wallclock: Option<String>,
    pub processors: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotJob(
    pub String,
    pub u16,
    pub Option<String>,
    pub Option<String>,
    pub Option<i64>,
    pub Option<i64>,
    pub Option<i64>,
);

impl SnapshotJob {
    pub fn name(&self) -> &str {
        &self.0
    }
    pub fn section(&self) -> usize {
        usize::from(self.1)
    }
    pub fn date(&self) -> Option<&str> {
        self.2.as_deref()
    }
    pub fn member(&self) -> Option<&str> {
        self.3.as_deref()
    }
    pub fn chunk(&self) -> Option<i64> {
        self.4
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GraphSnapshot {
    pub sections: Vec<SectionInfo>,
    pub jobs: Vec<SnapshotJob>,
    pub edges: Vec<(u32, u32)>,
    /// The edges whose dependency names a STATUS, sorted: the child may start once the parent
    /// reaches that status. Graphs stored before conditions existed read as having none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edge_conditions: Vec<(u32, u32, JobStatus)>,
}

impl GraphSnapshot {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// A snapshot ready for reading: name lookup and both directions of adjacency.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedGraph {
    pub version: i64,
    pub snapshot: GraphSnapshot,
    parents: Adjacency,
    children: Adjacency,
    /// The graph view's layout, computed on first use and kept as long as the graph.
    pub layout: OnceLock<Arc<EncodedLayout>>,
}

/// A layout encoded as JSON, and gzipped for clients that accept it (6 MB → about 1 MB at
/// 100k jobs): encoding once per version is what makes a cached layout cheap to serve.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedLayout {
    pub json: axum::body::Bytes,
    pub gzip: axum::body::Bytes,
}

impl LoadedGraph {
    pub fn new(version: i64, snapshot: GraphSnapshot) -> Self {
        let jobs = snapshot.jobs.len();
        let parents = Adjacency::build(jobs, snapshot.edges.iter().map(|&(p, c)| (c, p))).sorted();
        let children = Adjacency::build(jobs, snapshot.edges.iter().copied()).sorted();
        Self { version, snapshot, parents, children, layout: OnceLock::new() }
    }

    /// The graph of an experiment never generated.
    pub fn empty() -> Self {
        Self::new(0, GraphSnapshot::default())
    }

    pub fn len(&self) -> usize {
        self.snapshot.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshot.jobs.is_empty()
    }

    pub fn number_of(&self, name: &str) -> Option<u32> {
        self.snapshot.jobs.binary_search_by(|j| j.name().cmp(name)).ok().map(|i| i as u32)
    }

    pub fn job(&self, number: u32) -> &SnapshotJob {
        &self.snapshot.jobs[number as usize]
    }

    pub fn section(&self, job: &SnapshotJob) -> &SectionInfo {
        &self.snapshot.sections[job.section()]
    }

    pub fn parents(&self, number: u32) -> &[u32] {
        self.parents.of(number)
    }

    pub fn children(&self, number: u32) -> &[u32] {
        self.children.of(number)
    }

    /// The status the edge `parent → child` waits for, when its dependency names one.
    pub fn condition(&self, parent: u32, child: u32) -> Option<JobStatus> {
        let conditions = &self.snapshot.edge_conditions;
        if conditions.is_empty() {
            return None;
        }
        conditions.binary_search_by(|&(p, c, _)| (p, c).cmp(&(parent, child))).ok().map(|i| conditions[i].2)
    }

    /// Whether `parent`, now in `status`, lets `child` run.
    pub fn lets_run(&self, parent: u32, child: u32, status: JobStatus) -> bool {
        status.meets(self.condition(parent, child))
    }
}
