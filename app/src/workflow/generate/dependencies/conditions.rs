//! Edge conditions (Autosubmit's `_add_all_jobs_edge_info`): once the edges are pruned, a
//! dependency whose relationship names a `STATUS` lets the child start as soon as the parent
//! reaches that status (e.g. `RUNNING`), not only when it completes.

use super::super::filters::filter_current_job;
use super::super::jobs::JobId;
use super::super::value::Val;
use super::Builder;
use crate::workflow::config::ConfigError;
use crate::workflow::JobStatus;
use std::collections::HashMap;

impl Builder<'_> {
    /// `(parent, child, status)` for every edge that carries a condition, in no set order.
    pub fn edge_conditions(&self) -> Result<Vec<(JobId, JobId, JobStatus)>, ConfigError> {
        let sections = self.sections;
        let with_status: Vec<usize> =
            (0..sections.len()).filter(|&s| sections[s].deps.iter().any(|d| mentions_status(&d.rel))).collect();
        if with_status.is_empty() {
            return Ok(Vec::new());
        }
        let parents = self.edges.parents();
        let mut out = Vec::new();
        let mut jobs = Vec::new();
        for s in with_status {
            jobs.clear();
            self.index.get_jobs(self.exp, s, None, None, None, &mut jobs);
            for &job in &jobs {
                let by_section = self.conditions_of(s, job)?;
                if by_section.is_empty() {
                    continue;
                }
                for &parent in parents.of(job) {
                    let section = usize::from(self.jobs[parent as usize].section);
                    if let Some(&status) = by_section.get(&section) {
                        out.push((parent, job, status));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The STATUS each parent section's edges carry for this job; a later key naming the same
    /// section replaces an earlier one, as Autosubmit's dict does.
    fn conditions_of(&self, s: usize, job: JobId) -> Result<HashMap<usize, JobStatus>, ConfigError> {
        let mut by_section = HashMap::new();
        let view = self.view(job);
        for dep in &self.sections[s].deps {
            if !mentions_status(&dep.rel) {
                continue;
            }
            let filters = filter_current_job(self.exp, &dep.rel, &view).map_err(|r| self.refusal(s, dep, r))?;
            let Some(value) = filters.get("STATUS") else { continue };
            if !value.truthy() {
                continue;
            }
            let text = value.text().unwrap_or_default();
            let name = text.trim().trim_end_matches('?');
            let status = JobStatus::parse(name).ok_or_else(|| {
                ConfigError::invalid(
                    format!("{}.STATUS", self.at(s, dep)),
                    format!("'{text}': {}", JobStatus::allowed_values()),
                )
            })?;
            by_section.insert(dep.section, status);
        }
        Ok(by_section)
    }
}

/// Whether a relationship names STATUS anywhere (most configurations never do).
fn mentions_status(rel: &Val) -> bool {
    match rel {
        Val::Map(map) => map.0.iter().any(|(k, v)| (k == "STATUS" && v.truthy()) || mentions_status(v)),
        Val::Seq(items) => items.iter().any(mentions_status),
        _ => false,
    }
}
