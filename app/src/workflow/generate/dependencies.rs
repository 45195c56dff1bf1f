//! Edges, section by section, as Autosubmit's `_add_dependencies` and
//! `_manage_job_dependencies` make them (SPEC §4, §6). Keys were parsed once per section;
//! the loops below work on job and section numbers.

use super::filters::{filters_to_apply, JobView};
use super::items::Refusal;
use super::jobs::{Index, Job, JobId};
use super::lookup::Natural;
use super::model::{Dep, Experiment, Running, Section, Sign};
use super::prune::{Edges, FxMap, FxSet};
use crate::workflow::config::ConfigError;
use std::collections::HashMap;

mod conditions;
mod rules;

pub(super) struct Builder<'a> {
    pub exp: &'a Experiment,
    pub sections: &'a [Section],
    pub jobs: Vec<Job>,
    pub index: Index,
    pub edges: Edges,
    /// Autosubmit's `dep_map`: the sections reachable through DEPENDENCIES (keys stripped).
    /// A section's own direct keys are removed when its first job is processed.
    deep: Vec<Vec<bool>>,
    /// `dep_map_dist`: the same with keys as written, as (section, sign, distance).
    deep_keys: Vec<Vec<(usize, Option<Sign>, i64)>>,
    by_name: Option<HashMap<String, JobId>>,
    /// Each child's last set of 2+ "problematic" parents, for pruning.
    pub problematic: FxMap<JobId, Vec<JobId>>,
    prev_chunk: bool,
    special_chunk: bool,
    special_parents_of_section: FxSet<JobId>,
    special_parents: FxMap<JobId, FxSet<JobId>>,
    /// Buffers reused from job to job (100k jobs make per-job allocations show).
    scratch_found: Vec<JobId>,
    scratch_keys: Vec<usize>,
    scratch_dropped: Vec<bool>,
    scratch_problematic: Vec<JobId>,
}

/// What depends only on the section being processed.
struct Plan {
    /// The largest distance towards each chunk-running section (`distances`).
    dist: Vec<Option<i64>>,
    max_distance: i64,
    /// (index of a key of this section, the parent section implying it) — §6.2.
    implied: Vec<(usize, usize)>,
    self_key: bool,
    /// A same-section natural parent at a distance is skipped (the `skip` loop of §6.6).
    skip_same: bool,
}

impl<'a> Builder<'a> {
    pub fn new(exp: &'a Experiment, sections: &'a [Section], jobs: Vec<Job>, index: Index) -> Self {
        let n = sections.len();
        let mut deep = Vec::with_capacity(n);
        let mut deep_keys = Vec::with_capacity(n);
        for s in 0..n {
            let mut reached = vec![false; n];
            let mut stack = vec![s];
            reached[s] = true;
            let mut names = vec![false; n];
            names[s] = true;
            let mut keys = vec![(s, None, 0)];
            while let Some(x) = stack.pop() {
                for dep in &sections[x].deps {
                    names[dep.section] = true;
                    let key = (dep.section, dep.sign, dep.distance);
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                    if !reached[dep.section] {
                        reached[dep.section] = true;
                        stack.push(dep.section);
                    }
                }
            }
            if !sections[s].has_key_for(s) {
                names[s] = false;
                keys.retain(|&k| k != (s, None, 0));
            }
            deep.push(names);
            deep_keys.push(keys);
        }
        let edges = Edges::new(jobs.len());
        Self {
            exp,
            sections,
            jobs,
            index,
            edges,
            deep,
            deep_keys,
            by_name: None,
            problematic: FxMap::default(),
            prev_chunk: false,
            special_chunk: false,
            special_parents_of_section: FxSet::default(),
            special_parents: FxMap::default(),
            scratch_found: Vec::new(),
            scratch_keys: Vec::new(),
            scratch_dropped: Vec::new(),
            scratch_problematic: Vec::new(),
        }
    }

    fn plan(&self, s: usize) -> Plan {
        let sec = &self.sections[s];
        let mut dist = vec![None; self.sections.len()];
        for dep in &sec.deps {
            if self.sections[dep.section].raw_chunk {
                dist[dep.section] = Some(dep.distance);
            }
        }
        let mut max_distance = 0;
        for &(a, _, d) in &self.deep_keys[s] {
            max_distance = max_distance.max(d);
            if dist[a].is_some_and(|c| self.sections[a].raw_chunk && d > c) {
                dist[a] = Some(d);
            }
        }
        let mut implied = Vec::new();
        for dep in sec.deps.iter().filter(|d| d.section != s) {
            for key2 in &self.sections[dep.section].deps {
                if key2.sign.is_some() || key2.key == sec.name || key2.rel.truthy() {
                    continue;
                }
                if let Some(j) = sec.deps.iter().position(|d| d.key == key2.key) {
                    implied.push((j, dep.section));
                }
            }
        }
        let skip_same = (0..self.sections.len()).filter(|&aux| aux != s && self.deep[s][aux]).any(|aux| {
            let mut distance = 0;
            self.deep_keys[aux].iter().any(|&(x, sign, d)| {
                if sign.is_some() && x == s {
                    distance = d;
                }
                distance >= max_distance
            })
        });
        Plan { dist, max_distance, implied, self_key: sec.has_key_for(s), skip_same }
    }

    /// Every section's jobs, in Autosubmit's order, get their edges.
    pub fn add_dependencies(&mut self) -> Result<(), ConfigError> {
        let mut order = Vec::new();
        for s in 0..self.sections.len() {
            if self.sections[s].deps.is_empty() {
                continue;
            }
            self.prev_chunk = false;
            self.special_parents_of_section.clear();
            self.special_parents.clear();
            order.clear();
            self.index.get_jobs(self.exp, s, None, None, None, &mut order);
            self.sort_for_processing(&mut order);
            if order.is_empty() {
                continue;
            }
            for dep in &self.sections[s].deps {
                if dep.sign.is_none() {
                    self.deep[s][dep.section] = false;
                }
            }
            let plan = self.plan(s);
            for &job in &order {
                self.special_chunk = false;
                self.manage_job(s, &plan, job)?;
            }
        }
        Ok(())
    }

    /// Stable sort by chunk, else member, else date, as `get_jobs(sort_string=True)`.
    fn sort_for_processing(&self, order: &mut [JobId]) {
        let Some(&first) = order.first() else { return };
        let jobs = &self.jobs;
        let first = &jobs[first as usize];
        if first.chunk.is_some() {
            order.sort_by_key(|&j| jobs[j as usize].chunk);
        } else if first.member.is_some() {
            order.sort_by(|&a, &b| self.member_text(a).cmp(self.member_text(b)));
        } else if first.date.is_some() {
            order.sort_by(|&a, &b| self.date_key(a).cmp(self.date_key(b)));
        }
    }

    fn member_text(&self, j: JobId) -> &str {
        self.jobs[j as usize].member.map_or("", |m| &self.exp.members[m as usize])
    }

    fn date_key(&self, j: JobId) -> &str {
        self.jobs[j as usize].date.map_or("", |d| &self.exp.dates[d as usize])
    }

    fn at(&self, s: usize, dep: &Dep) -> String {
        format!("JOBS.{}.DEPENDENCIES.{}", self.sections[s].name, dep.key)
    }

    fn refusal(&self, s: usize, dep: &Dep, r: Refusal) -> ConfigError {
        let at = self.at(s, dep);
        ConfigError::invalid(if r.key.is_empty() { at } else { format!("{at}.{}", r.key) }, r.message)
    }

    fn view(&self, job: JobId) -> JobView {
        let j = &self.jobs[job as usize];
        JobView {
            date: j.date.map(|d| self.exp.days[d as usize].clone()),
            member: j.member.map(|m| self.exp.members[m as usize].clone()),
            chunk: j.chunk,
            split: j.split,
            splits: j.splits,
        }
    }

    fn manage_job(&mut self, s: usize, plan: &Plan, job: JobId) -> Result<(), ConfigError> {
        let sections = self.sections;
        let sec = &sections[s];
        let (running, chunk) = (sec.running, self.jobs[job as usize].chunk);
        let mut problematic = std::mem::take(&mut self.scratch_problematic);
        problematic.clear();
        let mut special_deps = FxSet::default();
        if running == Running::Chunk && chunk.is_some_and(|c| c > 1) {
            let previous = sec.deps.iter().any(|d| d.distance != 0 && (d.section == s || sections[d.section].raw_chunk));
            self.prev_chunk |= previous;
        }
        let mut dropped = std::mem::take(&mut self.scratch_dropped);
        dropped.clear();
        dropped.resize(sec.deps.len(), false);
        for &(k, a) in &plan.implied {
            let other = &sections[a];
            let delayed = running == Running::Chunk && other.delay_truthy && chunk.is_some_and(|c| c <= other.delay);
            if !delayed {
                dropped[k] = true;
            }
        }
        let mut natural_keys = std::mem::take(&mut self.scratch_keys);
        natural_keys.clear();
        for (k, dep) in sec.deps.iter().enumerate() {
            if dropped[k] {
                continue;
            }
            let Some(coords) = self.metadata(job, dep) else { continue };
            self.normalize_auto_keyword(s, dep, job)?;
            let filters = if dep.rel.truthy() {
                filters_to_apply(self.exp, &dep.rel, &self.view(job)).map_err(|r| self.refusal(s, dep, r))?
            } else {
                Vec::new()
            };
            if filters.is_empty() {
                natural_keys.push(k);
            } else {
                self.filtered(s, plan, dep, job, &filters, &coords, &mut special_deps, &mut problematic)?;
            }
        }
        for &k in &natural_keys {
            let dep = &sec.deps[k];
            self.normalize_auto_keyword(s, dep, job)?;
            let Some(coords) = self.metadata(job, dep) else { continue };
            self.natural(s, plan, dep, job, &coords, &special_deps, &mut problematic)?;
        }
        self.scratch_keys = natural_keys;
        self.scratch_dropped = dropped;
        problematic.sort_unstable();
        problematic.dedup();
        if problematic.len() > 1 {
            self.problematic.insert(job, problematic.clone());
        }
        self.scratch_problematic = problematic;
        Ok(())
    }

    /// `_calculate_dependency_metadata`: the coordinates a key points at; `None`: skip the key.
    fn metadata(&self, job: JobId, dep: &Dep) -> Option<Natural> {
        let j = &self.jobs[job as usize];
        let exp = self.exp;
        let mut at = Natural { date: j.date, member: j.member, chunk: j.chunk };
        let parent = self.sections[dep.section].running;
        let along = matches!(parent, Running::Chunk | Running::Member);
        let d = dep.distance;
        match dep.sign {
            None => {}
            Some(Sign::Minus) => {
                if let (Some(c), Running::Chunk) = (j.chunk, parent) {
                    let i = exp.chunk_index(c) as i64;
                    at.chunk = Some(*exp.chunks.get(usize::try_from(i - d).ok()?)?);
                } else if let (Some(m), true) = (j.member, along) {
                    at.member = Some(u32::try_from(i64::from(m) - d).ok()?);
                } else if let (Some(dt), true) = (j.date, along) {
                    at.date = Some(u32::try_from(i64::from(dt) - d).ok()?);
                }
            }
            Some(Sign::Plus) => {
                if let (Some(c), Running::Chunk) = (j.chunk, parent) {
                    if d > 0 {
                        let i = (exp.chunk_index(c) as i64 + d).min(exp.chunks.len() as i64 - 1);
                        at.chunk = Some(exp.chunks[i as usize]);
                    }
                } else if let (Some(m), true) = (j.member, along) {
                    let i = i64::from(m) + d;
                    if i >= exp.members.len() as i64 {
                        return None;
                    }
                    at.member = Some(i as u32);
                } else if let (Some(dt), true) = (j.date, along) {
                    let n = exp.dates.len() as i64;
                    if i64::from(dt) + d >= n {
                        return None;
                    }
                    // Autosubmit moves backwards here (`dates[i - N]`, negative indexes wrap).
                    at.date = Some((i64::from(dt) - d).rem_euclid(n) as u32);
                }
            }
        }
        Some(at)
    }

    /// `_normalize_auto_keyword` (SPEC §6.4): a chunk job with a `±N` key that has a
    /// relationship takes the SPLITS of the parent's split-1 job at chunk ∓ N, found by name.
    fn normalize_auto_keyword(&mut self, s: usize, dep: &Dep, job: JobId) -> Result<(), ConfigError> {
        let j = &self.jobs[job as usize];
        if j.splits == 0 || dep.distance == 0 || !dep.rel.truthy() || self.sections[s].running != Running::Chunk {
            return Ok(());
        }
        let parts: Vec<&str> = j.name.split('_').collect();
        let Some(own) = parts.get(3).and_then(|p| p.trim().parse::<i64>().ok()) else {
            return Err(ConfigError::Unsupported {
                key: self.at(s, dep),
                what: format!(
                    "a ±N dependency with a relationship mapping on the synchronised job {} (Autosubmit 4.1.17.1 cannot read its chunk from the name and crashes)",
                    j.name
                ),
            });
        };
        let mut target = if dep.sign == Some(Sign::Minus) { own - dep.distance } else { own + dep.distance };
        if target < 1 {
            target = own;
        }
        let name = format!("{}_{target}_1_{}", parts[..3].join("_"), self.sections[dep.section].name);
        let jobs = &self.jobs;
        let by_name = self.by_name.get_or_insert_with(|| jobs.iter().enumerate().map(|(i, j)| (j.name.clone(), i as JobId)).collect());
        if let Some(&parent) = by_name.get(&name) {
            self.jobs[job as usize].splits = self.jobs[parent as usize].splits;
        }
        Ok(())
    }
}
