//! Run operations, called alike by the server functions and the `/v4` handlers: start a run
//! (any mode), restart, stop, cancel, and read runs and job attempts.

use super::engine::RunEngine;
use super::live::LiveEvent;
use super::plan::{plan, Plan};
use super::schedule;
use super::{AttemptView, JobExtras, ReportRequest, RunMode, RunRequest, RunStatus, RunView};
use crate::access::audit::{self, Entry};
use crate::access::{ops::authorize, Need};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::{AttemptRecord, JobReport, NewRun, RunRecord, Store};
use crate::workflow::ops::{config, parse};
use crate::workflow::{JobStatus, LoadedGraph, WorkflowConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a run keeps of its request besides mode, selection and force (stored as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    #[serde(default)]
    pub force_downstream: bool,
    #[serde(default)]
    pub extras: JobExtras,
    #[serde(default)]
    pub job_extras: BTreeMap<String, JobExtras>,
}

/// How many runs the run list shows.
pub const RUN_LIST_LIMIT: i64 = 200;
const NAMES_IN_MESSAGES: usize = 10;

pub async fn start_run(
    store: &dyn Store,
    engine: &dyn RunEngine,
    actor: &Actor,
    expid: &Expid,
    request: &RunRequest,
) -> Result<RunView, HindcastError> {
    authorize(store, actor, expid, Need::Act).await?;
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let graph = &handle.graph;
    if graph.is_empty() {
        return Err(HindcastError::Conflict(format!("Experiment {expid} has no graph yet; generate it before running it.")));
    }
    if request.mode.needs_selection() && request.jobs.is_empty() {
        return Err(HindcastError::invalid("jobs", format!("mode {} needs at least one job", request.mode.as_str())));
    }
    if request.force_downstream && !request.force {
        return Err(HindcastError::invalid("force_downstream", "only applies with force"));
    }
    let selection = numbers_of(graph, request.jobs.iter().map(String::as_str), "jobs")?;
    numbers_of(graph, request.job_extras.keys().map(String::as_str), "job_extras")?;
    check_extras("extras", &request.extras)?;
    for (name, extras) in &request.job_extras {
        check_extras(&format!("job_extras.{name}"), extras)?;
    }
    let codes = store.status_codes(handle.experiment_id).await.map_err(to_domain_error)?;
    let statuses: Vec<JobStatus> = codes.iter().map(|&c| JobStatus::from_code(c).unwrap_or(JobStatus::Unknown)).collect();
    let planned = plan(graph, &statuses, request.mode, &selection, request.force, request.force_downstream);
    if planned.scope.is_empty() {
        return Err(HindcastError::Conflict(nothing_to_run(graph, &planned, request)));
    }
    let config = parse(&config(store, expid).await?)?;
    section_scripts(&config, graph, &planned.scope)?;
    let now = chrono::Utc::now();
    let start_at = match &request.start_at {
        Some(text) => Some(schedule::parse_start(text, now).map_err(|m| HindcastError::invalid("start_at", m))?),
        None => None,
    };
    let repeat_seconds = match &request.repeat_every {
        Some(text) => Some(schedule::parse_every(text).map_err(|m| HindcastError::invalid("repeat_every", m))?),
        None => None,
    };
    if request.queue && (start_at.is_some() || repeat_seconds.is_some()) {
        return Err(HindcastError::invalid("queue", "a scheduled run always waits its turn; leave queue out"));
    }
    // A repeating series without a start begins now.
    let not_before = start_at.map(|t| t.timestamp()).or(repeat_seconds.map(|_| now.timestamp()));
    let options = RunOptions {
        force_downstream: request.force_downstream,
        extras: request.extras.clone(),
        job_extras: request.job_extras.clone(),
    };
    let new = NewRun {
        requested_by: actor.name.clone(),
        mode: request.mode.as_str().to_owned(),
        selection: serde_json::to_string(&request.jobs).unwrap_or_else(|_| "[]".into()),
        force_rerun: request.force,
        options: serde_json::to_string(&options).unwrap_or_else(|_| "{}".into()),
        interactive: not_before.is_none(),
        not_before,
        repeat_seconds,
    };
    let record = store.create_run(expid, &new, request.queue).await.map_err(to_domain_error)?;
    tracing::info!(%expid, run = record.id, mode = %new.mode, jobs = planned.scope.len(), actor = %actor.name, "run queued");
    let view = to_view(record);
    let when = match (&view.start_at, &view.repeat_every) {
        (Some(at), Some(every)) => format!(", from {at} every {every}"),
        (Some(at), None) => format!(", at {at}"),
        _ => String::new(),
    };
    let what = format!("{}: {} job(s), mode {}{}{when}", view.status.as_str(), planned.scope.len(), new.mode, if request.force { ", forced" } else { "" });
    let target = format!("run {}: {}", view.id, audit::list(request.jobs.iter().map(String::as_str)));
    audit::record(store, Entry::new(actor, "run.start", target.trim_end_matches(": ")).on(expid).after(what)).await;
    engine.publish(handle.experiment_id, LiveEvent::Run { run: view.clone() });
    engine.wake(handle.experiment_id);
    Ok(view)
}

/// `?action=restart`: failed jobs go back to READY or WAITING and the experiment carries on
/// (a run of everything that has not completed).
pub async fn restart(store: &dyn Store, engine: &dyn RunEngine, actor: &Actor, expid: &Expid) -> Result<RunView, HindcastError> {
    start_run(store, engine, actor, expid, &RunRequest::default()).await
}

/// What `stop` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StopOutcome {
    /// The run that was running and is now cancelled, if any.
    pub stopped_run: Option<i64>,
    /// Queued runs cancelled with it.
    pub cancelled_queued: Vec<i64>,
}

/// Stops the experiment: the running run's jobs are killed and the queued runs cancelled.
pub async fn stop(store: &dyn Store, engine: &dyn RunEngine, actor: &Actor, expid: &Expid) -> Result<StopOutcome, HindcastError> {
    // The experiment's row, not its graph: a graph not in memory would be decoded for nothing.
    let experiment_id = authorize(store, actor, expid, Need::Act).await?.id;
    let mut cancelled_queued = Vec::new();
    let active: Vec<RunRecord> = store.runs(expid, RUN_LIST_LIMIT).await.map_err(to_domain_error)?;
    let message = format!("stopped by {}", actor.name);
    // Scheduled runs stay (a series queues its next occurrence only when one starts): a stop
    // ends what runs or waits now, not the schedule.
    for run in active.iter().filter(|r| r.status == RunStatus::Queued.as_str() && r.not_before.is_none()) {
        if store.cancel_queued_run(run.id, &message).await.map_err(to_domain_error)? {
            cancelled_queued.push(run.id);
            if let Ok(run) = store.run(expid, run.id).await {
                engine.publish(experiment_id, LiveEvent::Run { run: to_view(run) });
            }
        }
    }
    let running = active.iter().find(|r| r.status == RunStatus::Running.as_str()).map(|r| r.id);
    let stopped = engine.stop(experiment_id, None, &actor.name).await;
    tracing::info!(%expid, actor = %actor.name, ?running, queued = cancelled_queued.len(), "experiment stopped");
    let what = format!("running run: {}; queued runs cancelled: {}", running.map_or("none".into(), |id| id.to_string()), cancelled_queued.len());
    audit::record(store, Entry::new(actor, "experiment.stop", expid.as_str()).on(expid).after(what)).await;
    Ok(StopOutcome { stopped_run: running.filter(|_| stopped), cancelled_queued })
}

/// Cancels one run: a queued one never starts, a running one is stopped.
pub async fn cancel_run(
    store: &dyn Store,
    engine: &dyn RunEngine,
    actor: &Actor,
    expid: &Expid,
    run_id: i64,
) -> Result<RunView, HindcastError> {
    authorize(store, actor, expid, Need::Act).await?;
    let run = store.run(expid, run_id).await.map_err(to_domain_error)?;
    match RunStatus::parse(&run.status) {
        Some(RunStatus::Queued) => {
            store.cancel_queued_run(run_id, &format!("cancelled by {}", actor.name)).await.map_err(to_domain_error)?;
            if let Ok(run) = store.run(expid, run_id).await {
                engine.publish(run.experiment_id, LiveEvent::Run { run: to_view(run) });
            }
        }
        Some(RunStatus::Running) => {
            engine.stop(run.experiment_id, Some(run_id), &actor.name).await;
        }
        _ => return Err(HindcastError::Conflict(format!("Run {run_id} has already ended ({}).", run.status))),
    }
    tracing::info!(%expid, run = run_id, actor = %actor.name, "run cancelled");
    audit::record(store, Entry::new(actor, "run.cancel", format!("run {run_id}")).on(expid).change(&run.status, "cancelled")).await;
    store.run(expid, run_id).await.map(to_view).map_err(to_domain_error)
}

pub async fn list_runs(store: &dyn Store, expid: &Expid) -> Result<Vec<RunView>, HindcastError> {
    store.experiment(expid).await.map_err(to_domain_error)?;
    Ok(store.runs(expid, RUN_LIST_LIMIT).await.map_err(to_domain_error)?.into_iter().map(to_view).collect())
}

pub async fn get_run(store: &dyn Store, expid: &Expid, run_id: i64) -> Result<RunView, HindcastError> {
    store.run(expid, run_id).await.map(to_view).map_err(to_domain_error)
}

pub async fn run_attempts(store: &dyn Store, expid: &Expid, run_id: i64) -> Result<Vec<AttemptView>, HindcastError> {
    store.run(expid, run_id).await.map_err(to_domain_error)?;
    Ok(store.run_attempts(run_id).await.map_err(to_domain_error)?.into_iter().map(to_attempt_view).collect())
}

/// Every attempt of one job, in every run (autosubmit-api's job history).
pub async fn job_attempts(store: &dyn Store, expid: &Expid, job_name: &str) -> Result<Vec<AttemptView>, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    if handle.graph.number_of(job_name).is_none() {
        return Err(to_domain_error(crate::store::StoreError::JobNotFound(expid.clone(), job_name.to_owned())));
    }
    let attempts = store.job_attempts(handle.experiment_id, job_name).await.map_err(to_domain_error)?;
    Ok(attempts.into_iter().map(to_attempt_view).collect())
}

/// Each section's script (`JOBS.<SECTION>.SCRIPT`), by section index; every section with a
/// job in `jobs` must have one.
pub fn section_scripts(config: &WorkflowConfig, graph: &LoadedGraph, jobs: &[u32]) -> Result<Vec<Option<String>>, HindcastError> {
    let scripts: Vec<Option<String>> =
        graph.snapshot.sections.iter().map(|s| config.text(&format!("JOBS.{}.SCRIPT", s.name))).collect();
    let mut missing: Vec<&str> = Vec::new();
    for &n in jobs {
        let section = graph.job(n).section();
        if scripts[section].as_deref().is_none_or(|s| s.trim().is_empty()) && !missing.contains(&graph.snapshot.sections[section].name.as_str()) {
            missing.push(&graph.snapshot.sections[section].name);
        }
    }
    match missing.first() {
        None => Ok(scripts),
        Some(first) => Err(HindcastError::invalid(
            &format!("JOBS.{first}.SCRIPT"),
            format!(
                "section(s) {} have no SCRIPT; give each job section its script inline (template FILEs of a project are not stored in Hindcast)",
                missing.join(", ")
            ),
        )),
    }
}

fn numbers_of<'a>(graph: &LoadedGraph, names: impl Iterator<Item = &'a str>, field: &str) -> Result<Vec<u32>, HindcastError> {
    let mut numbers = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for name in names {
        match graph.number_of(name) {
            Some(n) => numbers.push(n),
            None => unknown.push(name),
        }
    }
    if unknown.is_empty() {
        numbers.sort_unstable();
        numbers.dedup();
        return Ok(numbers);
    }
    let shown: Vec<&str> = unknown.iter().take(NAMES_IN_MESSAGES).copied().collect();
    let more = unknown.len().saturating_sub(NAMES_IN_MESSAGES);
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    Err(HindcastError::invalid(field, format!("{} unknown job(s): {}{tail}", unknown.len(), shown.join(", "))))
}

fn check_extras(field: &str, extras: &JobExtras) -> Result<(), HindcastError> {
    let valid = |k: &str| {
        k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if let Some(bad) = extras.env.keys().find(|k| !valid(k)) {
        return Err(HindcastError::invalid(&format!("{field}.env"), format!("'{bad}' is not a variable name (letters, digits, '_')")));
    }
    if extras.switches.iter().chain(extras.env.values()).any(|v| v.contains('\0')) {
        return Err(HindcastError::invalid(field, "values cannot contain NUL characters"));
    }
    Ok(())
}

fn nothing_to_run(graph: &LoadedGraph, planned: &Plan, request: &RunRequest) -> String {
    if let Some(&first) = planned.blocked.first() {
        return format!(
            "Nothing can run: {} job(s), such as {}, wait for parents outside this run that have not completed.",
            planned.blocked.len(),
            graph.job(first).name()
        );
    }
    match request.mode {
        RunMode::All => "Nothing to run: every job has completed (or is held). Use force with a selection to re-run jobs.".into(),
        _ => "Nothing to run: the selected jobs (and what the mode adds) have completed. Use force to re-run them.".into(),
    }
}

/// SHA-256 of a job's report token, in hex: what the store keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

const MAX_REPORT_MESSAGE: usize = 1000;
use crate::store::MAX_METRICS;
const MAX_METRIC_NAME: usize = 100;

/// A running job's report about itself, accepted only with the token of its current attempt.
pub async fn report(
    store: &dyn Store,
    live: &dyn RunEngine,
    expid: &Expid,
    job_name: &str,
    token: Option<&str>,
    request: &ReportRequest,
) -> Result<AttemptView, HindcastError> {
    let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        HindcastError::Unauthorized("A report needs the job's token (HINDCAST_JOB_TOKEN) as a bearer token.".into())
    })?;
    if let Some(p) = request.progress.filter(|p| !(0.0..=100.0).contains(p) || p.is_nan()) {
        return Err(HindcastError::invalid("progress", format!("{p} is not between 0 and 100")));
    }
    if request.message.as_ref().is_some_and(|m| m.chars().count() > MAX_REPORT_MESSAGE) {
        return Err(HindcastError::invalid("message", format!("at most {MAX_REPORT_MESSAGE} characters")));
    }
    if request.metrics.len() > MAX_METRICS || request.metrics.keys().any(|k| k.is_empty() || k.chars().count() > MAX_METRIC_NAME) {
        return Err(HindcastError::invalid("metrics", format!("at most {MAX_METRICS} names of 1 to {MAX_METRIC_NAME} characters")));
    }
    if let Some((name, _)) = request.metrics.iter().find(|(_, v)| !v.is_finite()) {
        return Err(HindcastError::invalid("metrics", format!("'{name}' is not a finite number")));
    }
    let experiment_id = store.experiment(expid).await.map_err(to_domain_error)?.id;
    let metrics = request.metrics.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    let report = JobReport { progress: request.progress, message: request.message.clone(), metrics };
    let hash = token_hash(token);
    let mut recorded = store.record_report(experiment_id, job_name, &hash, &report).await.map_err(to_domain_error)?;
    if recorded.is_none() && live.holds_unwritten_token(&hash) {
        // A job may report before the engine's next batch has written its attempt. Only then
        // is a write forced: a stranger's guessed token costs one read, not a write.
        live.flush(experiment_id).await;
        recorded = store.record_report(experiment_id, job_name, &hash, &report).await.map_err(to_domain_error)?;
    }
    let attempt = recorded.map(to_attempt_view).ok_or_else(|| {
        HindcastError::Unauthorized(format!("The token is not that of a running attempt of {job_name}."))
    })?;
    live.publish(experiment_id, LiveEvent::Report { attempt: attempt.clone() });
    Ok(attempt)
}

pub fn to_view(r: RunRecord) -> RunView {
    RunView {
        id: r.id,
        expid: r.expid,
        requested_by: r.requested_by,
        mode: RunMode::parse(&r.mode).unwrap_or_default(),
        jobs: serde_json::from_str(&r.selection).unwrap_or_default(),
        force: r.force_rerun,
        status: RunStatus::parse(&r.status).unwrap_or(RunStatus::Failed),
        message: r.message,
        planned_jobs: r.planned_jobs,
        interactive: r.interactive,
        start_at: r.not_before.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.to_rfc3339()),
        repeat_every: r.repeat_seconds.map(schedule::format_every),
        created_at: r.created_at.to_rfc3339(),
        started_at: r.started_at.map(|t| t.to_rfc3339()),
        finished_at: r.finished_at.map(|t| t.to_rfc3339()),
        log_archived_at: r.log_archived_at.map(|t| t.to_rfc3339()),
    }
}

fn to_attempt_view(a: AttemptRecord) -> AttemptView {
    let metrics = a.metrics.as_deref().and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
    AttemptView {
        progress: a.progress,
        status_message: a.status_message,
        metrics,
        run_id: a.run_id,
        job_name: a.job_name,
        attempt: a.attempt,
        status: a.status,
        exit_code: a.exit_code,
        reason: a.reason,
        submitted_at: a.submitted_at.to_rfc3339(),
        started_at: a.started_at.map(|t| t.to_rfc3339()),
        finished_at: a.finished_at.map(|t| t.to_rfc3339()),
        executor_id: a.external_id,
        queue: a.queue_name,
        nodes: a.node_list,
        archived_at: a.archived_at.map(|t| t.to_rfc3339()),
    }
}
