//! Setting job statuses by hand (Autosubmit's `setstatus`): by names or by the job list's
//! filters, with a dry run that lists every change. The jobs' children follow, as Autosubmit's
//! job list updates them: a waiting child whose parents are all done becomes READY, a ready
//! child with a parent no longer done goes back to WAITING. One transaction, only if nothing
//! changed since the statuses were read.

use super::ops::{matching_numbers, number_of, status_of};
use super::{JobParams, JobQuery, JobStatus, LoadedGraph};
use crate::access::audit::{self, Entry};
use crate::access::{ops::authorize, Need};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Which jobs to change, and to what.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetStatusRequest {
    /// The new status (Autosubmit's name, any case).
    pub status: String,
    /// Jobs by name; every name must exist.
    #[serde(default)]
    pub job_names: Vec<String>,
    /// Jobs by the job list's filters (`job_name` with `*` and `!`, `status`, `section`,
    /// `date`, `member`, `chunk`); added to `job_names`.
    #[serde(default)]
    pub filter: Option<JobParams>,
    /// List what would change and change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetStatusOutcome {
    pub dry_run: bool,
    pub status: JobStatus,
    /// Jobs set to `status` (those already in it are left out).
    pub changed: Vec<String>,
    /// Children that become READY because all their parents are now done.
    pub now_ready: Vec<String>,
    /// Children that go back to WAITING because a parent is no longer done.
    pub now_waiting: Vec<String>,
}

/// Statuses only an executor sets, and the statuses of jobs an executor owns right now.
const EXECUTOR_OWNED: [JobStatus; 3] = [JobStatus::Submitted, JobStatus::Queuing, JobStatus::Running];

pub async fn set_status(
    store: &dyn Store,
    live: &dyn crate::runs::engine::RunEngine,
    actor: &Actor,
    expid: &Expid,
    request: &SetStatusRequest,
) -> Result<SetStatusOutcome, HindcastError> {
    let status = JobStatus::parse(&request.status).ok_or_else(|| {
        HindcastError::invalid("status", format!("'{}' is not a job status; use one of {}", request.status, JobStatus::allowed_values()))
    })?;
    if EXECUTOR_OWNED.contains(&status) {
        return Err(HindcastError::invalid("status", format!("{status} is set by the executor running the job, not by hand")));
    }
    let experiment = authorize(store, actor, expid, Need::Act).await?;
    if experiment.status == crate::experiment::STATUS_RUNNING {
        return Err(HindcastError::Conflict(format!(
            "Experiment {expid} is running; stop it before setting statuses by hand (a run owns its jobs' statuses)."
        )));
    }
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let (graph, id) = (&handle.graph, handle.experiment_id);
    if graph.is_empty() {
        return Err(HindcastError::Conflict(format!("Experiment {expid} has no graph yet; generate it first.")));
    }
    let selected = select(store, id, graph, expid, request).await?;
    let mut codes = store.status_codes(id).await.map_err(to_domain_error)?;
    if codes.len() != graph.len() {
        return Err(to_domain_error(crate::store::StoreError::StatusesChanged(id)));
    }
    let busy: Vec<&str> =
        selected.iter().filter(|&&n| EXECUTOR_OWNED.contains(&status_of(codes[n as usize]))).map(|&n| graph.job(n).name()).collect();
    if !busy.is_empty() {
        return Err(HindcastError::Conflict(format!(
            "{} job(s) are being run by an executor ({}); stop them first.",
            busy.len(),
            busy.iter().take(5).copied().collect::<Vec<_>>().join(", ")
        )));
    }
    let before = codes.clone();
    let changed: Vec<u32> = selected.into_iter().filter(|&n| codes[n as usize] != status.code()).collect();
    for &n in &changed {
        codes[n as usize] = status.code();
    }
    let (now_ready, now_waiting) = follow_children(graph, &changed, &mut codes);
    let changes: Vec<(u32, i32, i32)> = changed
        .iter()
        .chain(&now_ready)
        .chain(&now_waiting)
        .map(|&n| (n, before[n as usize], codes[n as usize]))
        .collect();
    if !request.dry_run && !changes.is_empty() {
        store.change_statuses(id, graph.version, &changes).await.map_err(to_domain_error)?;
        tracing::info!(%expid, actor = %actor.name, %status, jobs = changed.len(), followers = changes.len() - changed.len(), "job statuses set");
        let jobs = changes
            .iter()
            .map(|&(n, _, to)| crate::runs::live::JobChange {
                name: graph.job(n).name().to_owned(),
                status: JobStatus::from_code(to).unwrap_or(JobStatus::Unknown),
            })
            .collect();
        live.publish(id, crate::runs::live::LiveEvent::Jobs { jobs });
        let mut was: std::collections::BTreeMap<&str, usize> = Default::default();
        for &n in &changed {
            *was.entry(status_of(before[n as usize]).as_str()).or_default() += 1;
        }
        let was = was.iter().map(|(s, count)| format!("{s}×{count}")).collect::<Vec<_>>().join(", ");
        let followers = format!("{status}; then {} ready, {} waiting", now_ready.len(), now_waiting.len());
        let target = audit::list(changed.iter().map(|&n| graph.job(n).name()));
        audit::record(store, Entry::new(actor, "jobs.set_status", target).on(expid).change(was, followers)).await;
    }
    let names = |numbers: &[u32]| numbers.iter().map(|&n| graph.job(n).name().to_owned()).collect();
    Ok(SetStatusOutcome {
        dry_run: request.dry_run,
        status,
        changed: names(&changed),
        now_ready: names(&now_ready),
        now_waiting: names(&now_waiting),
    })
}

/// The jobs named and the jobs the filter selects, ascending, each once.
async fn select(
    store: &dyn Store,
    id: i64,
    graph: &LoadedGraph,
    expid: &Expid,
    request: &SetStatusRequest,
) -> Result<Vec<u32>, HindcastError> {
    if request.job_names.is_empty() && request.filter.is_none() {
        return Err(HindcastError::invalid("job_names", "name the jobs, or give a filter"));
    }
    let mut numbers = Vec::new();
    let mut unknown = Vec::new();
    for name in &request.job_names {
        match number_of(graph, expid, name) {
            Ok(n) => numbers.push(n),
            Err(_) => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(HindcastError::invalid("job_names", format!("no such job in {expid}: {}", unknown.join(", "))));
    }
    if let Some(filter) = &request.filter {
        let query = JobQuery::parse(filter)?;
        numbers.extend(matching_numbers(store, id, graph, &query).await?);
    }
    numbers.sort_unstable();
    numbers.dedup();
    Ok(numbers)
}

/// Children of the changed jobs that become READY or go back to WAITING; `codes` is updated.
fn follow_children(graph: &LoadedGraph, changed: &[u32], codes: &mut [i32]) -> (Vec<u32>, Vec<u32>) {
    let lets_run = |codes: &[i32], p: u32, child: u32| {
        JobStatus::from_code(codes[p as usize]).is_some_and(|status| graph.lets_run(p, child, status))
    };
    let mut children: Vec<u32> = changed.iter().flat_map(|&n| graph.children(n).iter().copied()).collect();
    children.sort_unstable();
    children.dedup();
    let (mut ready, mut waiting) = (Vec::new(), Vec::new());
    for child in children {
        if changed.binary_search(&child).is_ok() {
            continue; // set by hand: left as asked
        }
        let parents_done = graph.parents(child).iter().all(|&p| lets_run(codes, p, child));
        let code = codes[child as usize];
        if parents_done && code == JobStatus::Waiting.code() {
            codes[child as usize] = JobStatus::Ready.code();
            ready.push(child);
        } else if !parents_done && code == JobStatus::Ready.code() {
            codes[child as usize] = JobStatus::Waiting.code();
            waiting.push(child);
        }
    }
    (ready, waiting)
}
