//! The edges while they are built, and what Autosubmit does once every section is done:
//! refuse cycles, prune redundant edges one hop deep, delete edgeless jobs (SPEC §7).

use super::jobs::JobId;
use crate::workflow::adjacency::Adjacency;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

/// A fast hasher for job numbers (FxHash's multiply-rotate); keys are not attacker-chosen.
#[derive(Default, Clone, Copy)]
pub(super) struct FxBuild;

#[derive(Default)]
pub(super) struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl BuildHasher for FxBuild {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

pub(super) type FxSet<T> = HashSet<T, FxBuild>;
pub(super) type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// Parent → child edges without repeats, kept as one flat list (a per-job list would cost
/// an allocation per job on 100k-job graphs).
pub(super) struct Edges {
    set: FxSet<u64>,
    /// `pair(parent, child)` in insertion order; removed pairs are dropped by `prune`.
    list: Vec<u64>,
    parent_count: Vec<u32>,
}

fn pair(parent: JobId, child: JobId) -> u64 {
    (u64::from(parent) << 32) | u64::from(child)
}

fn unpair(p: u64) -> (JobId, JobId) {
    ((p >> 32) as JobId, p as JobId)
}

impl Edges {
    pub fn new(jobs: usize) -> Self {
        let set = FxSet::with_capacity_and_hasher(jobs.saturating_mul(2), FxBuild);
        Self { set, list: Vec::with_capacity(jobs.saturating_mul(2)), parent_count: vec![0; jobs] }
    }

    pub fn add(&mut self, parent: JobId, child: JobId) {
        let p = pair(parent, child);
        if self.set.insert(p) {
            self.list.push(p);
            self.parent_count[child as usize] += 1;
        }
    }

    pub fn has(&self, parent: JobId, child: JobId) -> bool {
        self.set.contains(&pair(parent, child))
    }

    pub fn has_parents(&self, child: JobId) -> bool {
        self.parent_count[child as usize] > 0
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Each job's parents.
    pub fn parents(&self) -> Adjacency {
        Adjacency::build(self.parent_count.len(), self.list.iter().map(|&p| unpair(p)).map(|(p, c)| (c, p)))
    }

    /// Each job's children.
    pub fn children(&self) -> Adjacency {
        Adjacency::build(self.parent_count.len(), self.list.iter().map(|&p| unpair(p)))
    }

    /// The first job (in creation order) that Kahn's algorithm cannot order, if any.
    pub fn first_job_on_a_cycle(&self) -> Option<JobId> {
        let children = self.children();
        let mut waiting = self.parent_count.clone();
        let mut ready: Vec<usize> = (0..waiting.len()).filter(|&j| waiting[j] == 0).collect();
        let mut done = vec![false; waiting.len()];
        while let Some(j) = ready.pop() {
            done[j] = true;
            for &c in children.of(j as JobId) {
                waiting[c as usize] -= 1;
                if waiting[c as usize] == 0 {
                    ready.push(c as usize);
                }
            }
        }
        done.iter().position(|d| !d).map(|j| j as JobId)
    }

    /// `find_and_delete_redundant_relations`: for each pair {a, b} of a child's problematic
    /// parents, drop a → child if a → b exists, else b → child if b → a exists; all removals
    /// are found on the unpruned graph. (With no cycles, at most one of a → b, b → a exists,
    /// so this is: drop every problematic parent that is a parent of another one.)
    pub fn prune(&mut self, problematic: &FxMap<JobId, Vec<JobId>>) {
        if problematic.is_empty() {
            return;
        }
        let parents = self.parents();
        let mut removals = Vec::new();
        for (&child, set) in problematic {
            let by_pairs = set.len() * set.len().saturating_sub(1) / 2;
            let by_parents: usize = set.iter().map(|&y| parents.of(y).len()).sum();
            if by_pairs <= by_parents {
                for (i, &a) in set.iter().enumerate() {
                    for &b in &set[i + 1..] {
                        if self.has(a, b) {
                            removals.push((a, child));
                        } else if self.has(b, a) {
                            removals.push((b, child));
                        }
                    }
                }
            } else {
                let members: FxSet<JobId> = set.iter().copied().collect();
                for &y in set {
                    for &x in parents.of(y) {
                        if x != y && members.contains(&x) {
                            removals.push((x, child));
                        }
                    }
                }
            }
        }
        let mut removed = false;
        for (parent, child) in removals {
            if self.set.remove(&pair(parent, child)) {
                self.parent_count[child as usize] -= 1;
                removed = true;
            }
        }
        if removed {
            let set = &self.set;
            self.list.retain(|p| set.contains(p));
        }
    }

    /// Which jobs have at least one child.
    pub fn with_children(&self) -> Vec<bool> {
        let mut has = vec![false; self.parent_count.len()];
        for &p in &self.list {
            has[unpair(p).0 as usize] = true;
        }
        has
    }

    /// Every edge as (parent, child).
    pub fn pairs(&self) -> impl Iterator<Item = (JobId, JobId)> + '_ {
        self.list.iter().map(|&p| unpair(p))
    }
}
