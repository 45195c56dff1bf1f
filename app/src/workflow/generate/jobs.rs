//! Jobs and Autosubmit's job index (`DicJobs._dic`, SPEC §2): per section a tree
//! date → member → chunk → leaf, where a leaf lists the jobs of its splits. Nodes live in an
//! arena so that, as in Autosubmit, one leaf can be shared (SYNCHRONIZE) and filtered lookups
//! can graft one branch into another (SPEC §3.3).

use super::model::{Experiment, Running, Section, Sync};
use crate::workflow::config::ConfigError;

pub(super) type JobId = u32;
pub(super) type NodeId = u32;

#[derive(Debug)]
pub(super) struct Job {
    pub name: String,
    pub section: u16,
    pub date: Option<u32>,
    pub member: Option<u32>,
    pub chunk: Option<i64>,
    pub split: i64,
    /// The section's SPLITS, unless a `±N` key with a relationship overwrote it (SPEC §6.4).
    pub splits: i64,
}

/// Map keys: a date or member index, or a chunk number, by level.
pub(super) type Entries = Vec<(i64, NodeId)>;

#[derive(Debug)]
pub(super) enum Node {
    Leaf(Vec<JobId>),
    Map(Entries),
}

/// Autosubmit doubles a leaf each time a filter merges it into itself; it then runs out of memory.
const LEAF_LIMIT: usize = 1_000_000;

#[derive(Debug, Default)]
pub(super) struct Index {
    pub nodes: Vec<Node>,
    /// The root node of each section.
    pub roots: Vec<NodeId>,
}

/// Finds a key, trying first the place it has when every key was created in order.
pub(super) fn find(entries: &Entries, key: i64, hint: usize) -> Option<NodeId> {
    match entries.get(hint) {
        Some(&(k, node)) if k == key => Some(node),
        _ => entries.iter().find(|(k, _)| *k == key).map(|&(_, n)| n),
    }
}

impl Index {
    fn add(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    pub fn is_empty_node(&self, node: NodeId) -> bool {
        match &self.nodes[node as usize] {
            Node::Leaf(l) => l.is_empty(),
            Node::Map(m) => m.is_empty(),
        }
    }

    /// `update_jobs_filtered`: grafts `from` into `into`, extending `into`'s own leaves.
    pub fn merge(&mut self, into: NodeId, from: NodeId) -> Result<(), Overflow> {
        match &self.nodes[from as usize] {
            Node::Leaf(jobs) => {
                let jobs = jobs.clone();
                let Node::Leaf(target) = &mut self.nodes[into as usize] else { return Err(Overflow::MixedLevels) };
                target.extend(jobs);
                if target.len() > LEAF_LIMIT {
                    return Err(Overflow::Leaf);
                }
                Ok(())
            }
            Node::Map(entries) => {
                for (key, node) in entries.clone() {
                    let Node::Map(target) = &mut self.nodes[into as usize] else { return Err(Overflow::MixedLevels) };
                    match target.iter().find(|(k, _)| *k == key) {
                        Some(&(_, existing)) => self.merge(existing, node)?,
                        None => target.push((key, node)),
                    }
                }
                Ok(())
            }
        }
    }

    /// Merges a branch of the index into a lookup's own working map.
    pub fn merge_into(&mut self, working: &mut Entries, from: NodeId) -> Result<(), Overflow> {
        let Node::Map(entries) = &self.nodes[from as usize] else { return Err(Overflow::MixedLevels) };
        for (key, node) in entries.clone() {
            match working.iter().find(|(k, _)| *k == key) {
                Some(&(_, existing)) => self.merge(existing, node)?,
                None => working.push((key, node)),
            }
        }
        Ok(())
    }

    /// `get_jobs`: the leaves at the given coordinates, `None` meaning every value.
    pub fn get_jobs(&self, exp: &Experiment, section: usize, date: Option<u32>, member: Option<u32>, chunk: Option<i64>, out: &mut Vec<JobId>) {
        let root = self.roots[section];
        let dates = match &self.nodes[root as usize] {
            Node::Leaf(jobs) => return out.extend_from_slice(jobs),
            Node::Map(m) => m,
        };
        let all_dates = 0..exp.dates.len() as u32;
        for d in date.map_or(all_dates.clone(), |d| d..d + 1) {
            let Some(dn) = find(dates, i64::from(d), d as usize) else { continue };
            let members = match &self.nodes[dn as usize] {
                Node::Leaf(jobs) => {
                    out.extend_from_slice(jobs);
                    continue;
                }
                Node::Map(m) => m,
            };
            for m in member.map_or(0..exp.members.len() as u32, |m| m..m + 1) {
                let Some(mn) = find(members, i64::from(m), m as usize) else { continue };
                let chunks = match &self.nodes[mn as usize] {
                    Node::Leaf(jobs) => {
                        out.extend_from_slice(jobs);
                        continue;
                    }
                    Node::Map(c) => c,
                };
                let mut take = |c: i64| {
                    if let Some(leaf) = find(chunks, c, exp.chunk_index(c)) {
                        if let Node::Leaf(jobs) = &self.nodes[leaf as usize] {
                            out.extend_from_slice(jobs);
                        }
                    }
                };
                match chunk {
                    Some(c) => take(c),
                    None => exp.chunks.iter().for_each(|&c| take(c)),
                }
            }
        }
    }
}

/// Why a filtered lookup could not merge branches of the index.
#[derive(Debug)]
pub(super) enum Overflow {
    /// A leaf passed `LEAF_LIMIT` (Autosubmit runs out of memory).
    Leaf,
    /// Branches of different depths (cannot happen with indexes `create` builds).
    MixedLevels,
}

impl Overflow {
    pub fn refusal(&self, at: &str) -> ConfigError {
        let message = match self {
            Overflow::Leaf => "Autosubmit 4.1.17.1 would run out of memory here: each evaluation of this filter appends to its own job index",
            Overflow::MixedLevels => "this filter merges job index levels of different kinds",
        };
        ConfigError::invalid(at, message)
    }
}

/// How many jobs `create` would make, computed before making any.
pub(super) fn planned_jobs(exp: &Experiment, sections: &[Section]) -> u64 {
    let (d, m) = (exp.dates.len() as u64, exp.members.len() as u64);
    let selected = |len: usize, frequency: i64, keep: &dyn Fn(usize) -> bool| {
        (1..=len).filter(|&i| keep(i) && (i as i64 % frequency == 0 || i == len)).count() as u64
    };
    sections
        .iter()
        .map(|s| {
            let splits = if s.splits <= 0 { 1 } else { s.splits as u64 };
            let per = match s.running {
                Running::Once => 1,
                Running::Date => selected(exp.dates.len(), s.frequency, &|_| true),
                Running::Member => d.saturating_mul(selected(exp.members.len(), s.frequency, &|_| true)),
                Running::Chunk => {
                    let c = selected(exp.chunks.len(), s.frequency, &|i| chunk_delay_ok(s, exp.chunks[i - 1]));
                    match s.sync {
                        Sync::Date => c,
                        Sync::Member => d.saturating_mul(c),
                        Sync::No => d.saturating_mul(m).saturating_mul(c),
                    }
                }
            };
            per.saturating_mul(splits)
        })
        .fold(0, u64::saturating_add)
}

fn chunk_delay_ok(s: &Section, chunk: i64) -> bool {
    s.delay == -1 || s.delay < chunk
}

/// `read_section` and `_create_jobs_*`: every job, section by section, and the index.
pub(super) fn create(exp: &Experiment, sections: &[Section], capacity: usize) -> (Vec<Job>, Index) {
    let mut jobs = Vec::with_capacity(capacity);
    let mut index = Index::default();
    for (s, sec) in sections.iter().enumerate() {
        let mut make = |index: &mut Index, date: Option<u32>, member: Option<u32>, chunk: Option<i64>| -> NodeId {
            let splits = if sec.splits <= 0 { -1..=-1 } else { 1..=sec.splits };
            let mut leaf = Vec::with_capacity(if sec.splits <= 0 { 1 } else { sec.splits as usize });
            for split in splits {
                leaf.push(jobs.len() as JobId);
                jobs.push(Job { name: job_name(exp, sec, date, member, chunk, split), section: s as u16, date, member, chunk, split, splits: sec.splits });
            }
            index.add(Node::Leaf(leaf))
        };
        let root = match sec.running {
            Running::Once => make(&mut index, None, None, None),
            Running::Date => {
                let n = exp.dates.len();
                let mut map = Entries::new();
                for d in (0..n).filter(|&i| (i as i64 + 1) % sec.frequency == 0 || i + 1 == n) {
                    map.push((d as i64, make(&mut index, Some(d as u32), None, None)));
                }
                index.add(Node::Map(map))
            }
            Running::Member => {
                let n = exp.members.len();
                let mut dates = Entries::new();
                for d in 0..exp.dates.len() {
                    let mut map = Entries::new();
                    for m in (0..n).filter(|&i| (i as i64 + 1) % sec.frequency == 0 || i + 1 == n) {
                        map.push((m as i64, make(&mut index, Some(d as u32), Some(m as u32), None)));
                    }
                    dates.push((d as i64, index.add(Node::Map(map))));
                }
                index.add(Node::Map(dates))
            }
            Running::Chunk => {
                let n = exp.chunks.len();
                let selected: Vec<i64> = (0..n)
                    .filter(|&i| chunk_delay_ok(sec, exp.chunks[i]) && ((i as i64 + 1) % sec.frequency == 0 || i + 1 == n))
                    .map(|i| exp.chunks[i])
                    .collect();
                // Synchronised jobs: one leaf per chunk (date) or per chunk and date (member),
                // shared by every member (and date) of the index.
                let shared: Vec<Vec<NodeId>> = match sec.sync {
                    Sync::No => Vec::new(),
                    Sync::Date => selected.iter().map(|&c| vec![make(&mut index, None, None, Some(c))]).collect(),
                    Sync::Member => selected
                        .iter()
                        .map(|&c| (0..exp.dates.len()).map(|d| make(&mut index, Some(d as u32), None, Some(c))).collect())
                        .collect(),
                };
                let mut dates = Entries::new();
                for d in 0..exp.dates.len() {
                    let mut members = Entries::new();
                    for m in 0..exp.members.len() {
                        let mut chunks = Entries::with_capacity(selected.len());
                        for (k, &c) in selected.iter().enumerate() {
                            let leaf = match sec.sync {
                                Sync::No => make(&mut index, Some(d as u32), Some(m as u32), Some(c)),
                                Sync::Date => shared[k][0],
                                Sync::Member => shared[k][d],
                            };
                            chunks.push((c, leaf));
                        }
                        members.push((m as i64, index.add(Node::Map(chunks))));
                    }
                    dates.push((d as i64, index.add(Node::Map(members))));
                }
                index.add(Node::Map(dates))
            }
        };
        index.roots.push(root);
    }
    (jobs, index)
}

/// `EXPID[_date][_member][_chunk][_split]_SECTION`.
fn job_name(exp: &Experiment, sec: &Section, date: Option<u32>, member: Option<u32>, chunk: Option<i64>, split: i64) -> String {
    use std::fmt::Write;
    let mut name = String::with_capacity(exp.expid.len() + sec.name.len() + 24);
    name.push_str(&exp.expid);
    if let Some(d) = date {
        name.push('_');
        name.push_str(&exp.date_names[d as usize]);
    }
    if let Some(m) = member {
        name.push('_');
        name.push_str(&exp.members[m as usize]);
    }
    if let Some(c) = chunk {
        let _ = write!(name, "_{c}");
    }
    if split > 0 {
        let _ = write!(name, "_{split}");
    }
    name.push('_');
    name.push_str(&sec.name);
    name
}
