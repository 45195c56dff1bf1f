//! The two edge rules of a key: filtered (`_calculate_filter_dependencies`, SPEC §6.5) and
//! natural (`_calculate_natural_dependencies`, SPEC §6.6), with the per-section and per-job
//! flags Autosubmit keeps between keys.

use super::super::filters::filter_current_job;
use super::super::jobs::JobId;
use super::super::lookup::{get_jobs_filtered, Natural};
use super::super::model::{Dep, Running};
use super::super::prune::FxSet;
use super::{Builder, Plan};
use crate::workflow::config::ConfigError;

impl Builder<'_> {
    /// `_calculate_filter_dependencies` (SPEC §6.5).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn filtered(
        &mut self,
        s: usize,
        plan: &Plan,
        dep: &Dep,
        job: JobId,
        filters: &[(String, String)],
        coords: &Natural,
        special_deps: &mut FxSet<JobId>,
        problematic: &mut Vec<JobId>,
    ) -> Result<(), ConfigError> {
        if filters.iter().all(|(_, v)| v.to_lowercase() == "none") {
            return Ok(());
        }
        let any_all = filters.iter().any(|(_, v)| v.to_lowercase() == "all");
        let a = dep.section;
        let parent_previous = match self.sections[a].exact_key(&self.sections[a].name).filter(|_| a != s) {
            Some(own) => filter_current_job(self.exp, &own.rel, &self.view(job))
                .map_err(|r| self.refusal(s, dep, r))?
                .get("SPLITS_TO")
                .and_then(|v| v.text())
                .is_some_and(|t| t.contains("previous")),
            None => false,
        };
        let at = self.at(s, dep);
        let running = self.sections[s].running;
        let candidates =
            get_jobs_filtered(self.exp, &mut self.index, &self.jobs, a, job, running, filters, coords, parent_previous, &at)?;
        let last_chunk = self.exp.last_chunk();
        let my_split = self.jobs[job as usize].split;
        for p in candidates {
            let ps = usize::from(self.jobs[p as usize].section);
            let parent_sec = &self.sections[ps];
            if any_all
                && ((parent_sec.running == Running::Chunk && self.jobs[p as usize].chunk != last_chunk && self.deep[ps][ps])
                    || self.prev_chunk
                    || self.special_chunk
                    || special_deps.contains(&p))
            {
                continue;
            }
            let mut added = false;
            if (self.prev_chunk && ps == s)
                || !self.special_parents_of_section.contains(&p)
                || my_split > 0
                || (ps == s && running != Running::Chunk)
            {
                self.edges.add(p, job);
                added = true;
            }
            if ps == s {
                self.special_chunk = true;
            }
            if added && plan.self_key {
                self.special_parents.entry(job).or_default();
                if let Some(inherited) = self.special_parents.get(&p) {
                    special_deps.extend(inherited.iter().copied());
                }
                self.special_parents.entry(job).or_default().insert(p);
                self.special_parents_of_section.insert(p);
                problematic.push(p);
            }
        }
        Ok(())
    }

    /// `_calculate_natural_dependencies` (SPEC §6.6).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn natural(
        &mut self,
        s: usize,
        plan: &Plan,
        dep: &Dep,
        job: JobId,
        at: &Natural,
        special_deps: &FxSet<JobId>,
        problematic: &mut Vec<JobId>,
    ) -> Result<(), ConfigError> {
        let (exp, sections) = (self.exp, self.sections);
        let (a, sec) = (dep.section, &sections[s]);
        let parent_sec = &sections[a];
        let mut found = std::mem::take(&mut self.scratch_found);
        found.clear();
        let bare = at.date.is_none() && at.member.is_none() && at.chunk.is_none_or(|c| c == 0);
        if dep.sign.is_none() && a != s && bare && parent_sec.has_key_for(a) && (parent_sec.raw_chunk || parent_sec.raw_member) {
            if parent_sec.raw_chunk {
                self.index.get_jobs(exp, a, None, None, exp.last_chunk(), &mut found);
            } else {
                let last = exp.members.len().checked_sub(1).ok_or_else(|| {
                    ConfigError::invalid(self.at(s, dep), "needs the last member, but the experiment has none")
                })?;
                self.index.get_jobs(exp, a, None, Some(last as u32), at.chunk, &mut found);
            }
        } else {
            self.index.get_jobs(exp, a, at.date, at.member, at.chunk, &mut found);
        }
        found.retain(|&p| p != job);
        // A parent whose own DEPENDENCIES name this section (exact key) is skipped when the
        // key carries any relationship mapping.
        let cyclic = dep.rel.truthy() && parent_sec.exact_key(&sec.name).is_some();
        if cyclic {
            self.scratch_found = found;
            return Ok(());
        }
        let me = &self.jobs[job as usize];
        let (running, my_chunk) = (sec.running, me.chunk);
        let last_chunk = exp.last_chunk().unwrap_or(0);
        let no_distance = plan.dist[a].unwrap_or(0) == 0;
        for &p in &found {
            if !special_deps.is_empty() && special_deps.contains(&p) {
                continue;
            }
            let parent = &self.jobs[p as usize];
            let ps = usize::from(parent.section);
            let p_running = sections[ps].running;
            if no_distance {
                let add = if ps == s {
                    !self.prev_chunk && !self.deep[s][ps]
                } else if self.special_chunk && !self.prev_chunk {
                    !self.deep[s][ps] && p_running == running
                } else if !self.prev_chunk {
                    true
                } else if !self.special_chunk {
                    (running == Running::Chunk && my_chunk == Some(1))
                        || (running == Running::Member && p_running == Running::Member)
                        || (running == Running::Chunk && p_running == Running::Chunk)
                } else {
                    false
                };
                if add {
                    self.edges.add(p, job);
                }
            } else if ps == s {
                if self.prev_chunk && !plan.skip_same {
                    problematic.push(p);
                    self.edges.add(p, job);
                }
            } else {
                if running == p_running {
                    problematic.push(p);
                    self.edges.add(p, job);
                }
                if p_running == Running::Chunk && parent.chunk.is_some_and(|c| c > last_chunk - plan.max_distance) {
                    self.edges.add(p, job);
                }
            }
        }
        // A job still without any parent takes every natural parent.
        if !self.edges.has_parents(job) {
            for &p in &found {
                problematic.push(p);
                self.edges.add(p, job);
            }
        }
        self.scratch_found = found;
        Ok(())
    }
}
