//! After a restart (a crash or kill -9 included): jobs a previous process left running are
//! settled before their run carries on, so none stays RUNNING forever and none runs twice.
//! - An attempt is found by its row or, when the server went down before writing it, by its
//!   folder; its process by the stored handle (boot and start time checked, so a reused
//!   process id is not mistaken for it) or, among the live processes, by its folder; a Slurm
//!   job by its id (stored, or written in its folder when `sbatch` answered), never
//!   submitted again.
//! - A job still alive is adopted: waited for, and killed if the run is stopped meanwhile.
//! - Its exit code is read from the file its script writes on exit; a job that died without
//!   one is FAILED ("lost") and retried like any failure.

use super::driver::{Control, Shared};
use super::local::exit_code_file;
use super::paths::{attempt_dir, folder_name, job_dir};
use super::process::ProcessHandle;
use super::slurm::wrapper::HANDLE_FILE;
use app::experiment::Expid;
use app::runs::live::{JobChange, LiveEvent};
use app::store::{AttemptRecord, JobProgress, RunRecord};
use app::workflow::{JobStatus, LoadedGraph};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How often adopted jobs are looked at (a Slurm job costs one `squeue` per connection).
const POLL: Duration = Duration::from_secs(1);
/// How long an ended job's exit code file is waited for.
const EXIT_CODE_GRACE: Duration = Duration::from_secs(3);

/// How settling an interrupted run ended: stopped while its jobs were adopted, or not.
pub struct Settled {
    pub stopped_by: Option<String>,
    /// Stop requests to answer once the run's end is stored.
    pub waiters: Vec<oneshot::Sender<()>>,
}

/// An attempt of the interrupted run whose end is not on record.
struct Unsettled {
    record: AttemptRecord,
    number: u32,
    dir: PathBuf,
    /// The executor's handle: stored, or found by the job's folder.
    handle: Option<String>,
}

/// Whether each job still runs, as its executor tells.
async fn still_running(shared: &Shared, jobs: &[Unsettled]) -> Vec<bool> {
    let asked: Vec<(usize, (String, &Path))> = jobs.iter().enumerate().filter_map(|(i, u)| Some((i, (u.handle.clone()?, u.dir.as_path())))).collect();
    let pairs: Vec<(String, &Path)> = asked.iter().map(|(_, p)| p.clone()).collect();
    let answers = shared.executor.still_running(&pairs).await;
    let mut running = vec![false; jobs.len()];
    for ((i, _), answer) in asked.iter().zip(answers) {
        running[*i] = answer;
    }
    running
}

/// Teaches the executor the experiment's platforms (SSH keys of Slurm login nodes).
async fn learn_platforms(shared: &Shared, expid: &Expid, graph: &LoadedGraph) {
    let Ok(files) = app::workflow::ops::config(shared.store.as_ref(), expid).await else { return };
    let Ok(config) = app::workflow::ops::parse(&files) else { return };
    for section in &graph.snapshot.sections {
        if let Ok(target) = super::slurm::spec::target(&config, &section.name, &section.platform) {
            shared.executor.know(&target);
        }
    }
}

/// `None` when the run could not be read (it stays as it is; the next start tries again).
pub async fn settle_interrupted(shared: &Shared, run: &RunRecord, control: &mut mpsc::Receiver<Control>) -> Option<Settled> {
    let store = &shared.store;
    let expid = Expid::parse(&run.expid).ok()?;
    let (attempts, handle) = match (store.run_attempts(run.id).await, store.graph(&expid).await) {
        (Ok(a), Ok(h)) => (a, h),
        (Err(err), _) | (_, Err(err)) => {
            tracing::error!(run = run.id, error = %err, "an interrupted run could not be read");
            return None;
        }
    };
    let graph = &handle.graph;
    let mut unsettled: Vec<Unsettled> = attempts
        .iter()
        .filter(|a| a.finished_at.is_none())
        .filter_map(|a| {
            Some(Unsettled {
                number: graph.number_of(&a.job_name)?,
                dir: attempt_dir(&shared.data_dir, &run.expid, &a.job_name, run.id, a.attempt),
                handle: a.external_id.clone(),
                record: a.clone(),
            })
        })
        .collect();
    let recorded: HashSet<(String, i32)> = attempts.iter().map(|a| (a.job_name.clone(), a.attempt)).collect();
    learn_platforms(shared, &expid, graph).await;
    let mut found = unrecorded_attempts(&shared.data_dir, run, graph, recorded).await;
    let live = running_jobs(&shared.data_dir).await;
    // Folders whose batch system could not be asked whether it has their job: kept.
    let mut uncertain = HashSet::new();
    for u in unsettled.iter_mut().chain(found.iter_mut()) {
        // A handle that no longer names a live group is an ended job; without one (the
        // server went down before writing it), the process is looked for by its folder.
        let job = live.get(&u.dir);
        if u.handle.is_none() {
            let slurm = std::fs::read_to_string(u.dir.join(HANDLE_FILE)).ok().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty());
            u.handle = job.map(|j| ProcessHandle::of(j.pid).to_string()).or(slurm);
        }
        // Submitted, but the server died before the answer was kept: Slurm knows it by marker.
        if u.handle.is_none() {
            match shared.executor.find_submitted(&u.dir).await {
                Ok(handle) => u.handle = handle,
                Err(err) => {
                    tracing::warn!(run = run.id, job = %u.record.job_name, error = %err, "whether Slurm has this attempt's job is unknown; its folder is kept");
                    uncertain.insert(u.dir.clone());
                }
            }
        }
        // Its reports carry on being accepted.
        if u.record.token_hash.is_none() {
            u.record.token_hash = job.and_then(|j| j.token_hash.clone());
        }
    }
    // Folders with neither a process nor an outcome nor any output never started (they were
    // prepared ahead of their parent's end): they go, and the job runs when its turn comes.
    let mut never_started = Vec::new();
    let running = still_running(shared, &found).await;
    let mut alive = running.into_iter();
    found.retain(|u| {
        let traces = alive.next().unwrap_or(false)
            || u.handle.is_some()
            || uncertain.contains(&u.dir)
            || exit_code_file(&u.dir).exists()
            || has_output(&u.dir);
        if !traces {
            never_started.push(u.dir.clone());
        }
        traces
    });
    for dir in never_started {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    // What was found is put on record at once, as running: a second crash loses nothing.
    if !found.is_empty() {
        for u in &mut found {
            u.record.external_id = u.handle.clone();
            tracing::info!(run = run.id, job = %u.record.job_name, attempt = u.record.attempt, "found an attempt the previous process had not recorded");
        }
        let jobs: Vec<JobProgress> = found.iter().map(|u| progress(u.number, JobStatus::Running, None)).collect();
        let records: Vec<AttemptRecord> = found.iter().map(|u| u.record.clone()).collect();
        if let Err(err) = store.record_progress(run.experiment_id, &jobs, &records).await {
            tracing::error!(run = run.id, error = %err, "found attempts could not be recorded");
        }
    }
    unsettled.extend(found);
    let settled = wait_for_adopted(shared, run.id, &unsettled, control).await;

    // An ended job's exit code may show late on a shared filesystem: a few seconds' grace.
    let deadline = tokio::time::Instant::now() + EXIT_CODE_GRACE;
    while unsettled.iter().any(|u| u.handle.is_some() && !exit_code_file(&u.dir).exists()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let now = Utc::now();
    let mut jobs = Vec::new();
    let mut records = Vec::new();
    for mut u in unsettled {
        let mut code = tokio::fs::read_to_string(exit_code_file(&u.dir)).await.ok().and_then(|t| t.trim().parse::<i32>().ok());
        if code.is_none() && settled.stopped_by.is_none() {
            if let Some(handle) = &u.handle {
                code = shared.executor.ended_with(handle).await;
            }
        }
        let status = if code == Some(0) { JobStatus::Completed } else { JobStatus::Failed };
        u.record.status = status.as_str().to_owned();
        u.record.exit_code = code;
        u.record.finished_at = Some(now);
        u.record.reason = match (&settled.stopped_by, code) {
            (_, Some(0)) => None,
            (Some(by), _) => Some(format!("stopped by {by}")),
            (None, None) => Some("lost: it ended while the server was down and left no exit code".into()),
            (None, Some(c)) => Some(format!("exit code {c}")),
        };
        jobs.push(progress(u.number, status, Some(now)));
        records.push(u.record);
    }
    if let Err(err) = store.record_progress(run.experiment_id, &jobs, &records).await {
        tracing::error!(run = run.id, error = %err, "an interrupted job's outcome could not be stored");
    } else {
        announce(shared, run.experiment_id, graph, &jobs);
    }
    // Jobs the run had marked as started, with no attempt on record, never started: ready
    // again; after a stop, every job the run had readied waits again, as after a live stop.
    if let Ok(codes) = store.status_codes(run.experiment_id).await {
        let mut started = vec![JobStatus::Submitted, JobStatus::Queuing, JobStatus::Running];
        let to = if settled.stopped_by.is_some() {
            started.push(JobStatus::Ready);
            JobStatus::Waiting
        } else {
            JobStatus::Ready
        };
        let started: Vec<i32> = started.into_iter().map(JobStatus::code).collect();
        let stale: Vec<JobProgress> =
            codes.iter().enumerate().filter(|(_, c)| started.contains(c)).map(|(n, _)| progress(n as u32, to, None)).collect();
        if !stale.is_empty() && store.record_progress(run.experiment_id, &stale, &[]).await.is_ok() {
            announce(shared, run.experiment_id, graph, &stale);
        }
    }
    Some(settled)
}

/// Tells the pages (on every server) the statuses recovery wrote.
fn announce(shared: &Shared, experiment_id: i64, graph: &LoadedGraph, jobs: &[JobProgress]) {
    if jobs.is_empty() {
        return;
    }
    let jobs = jobs
        .iter()
        .map(|j| JobChange { name: graph.job(j.number).name().to_owned(), status: JobStatus::from_code(j.status).unwrap_or(JobStatus::Unknown) })
        .collect();
    shared.hub.publish(experiment_id, &LiveEvent::Jobs { jobs });
}

fn progress(number: u32, status: JobStatus, finished_at: Option<DateTime<Utc>>) -> JobProgress {
    JobProgress { number, status: status.code(), submitted_at: None, started_at: None, finished_at }
}

/// Waits for the adopted jobs to end; a stop request kills them (process groups included).
async fn wait_for_adopted(shared: &Shared, run_id: i64, unsettled: &[Unsettled], control: &mut mpsc::Receiver<Control>) -> Settled {
    let mut settled = Settled { stopped_by: None, waiters: Vec::new() };
    let mut announced = false;
    let mut killed_at: Option<tokio::time::Instant> = None;
    loop {
        let running = still_running(shared, unsettled).await;
        let live: Vec<&str> = unsettled.iter().zip(running).filter(|(_, r)| *r).filter_map(|(u, _)| u.handle.as_deref()).collect();
        if live.is_empty() {
            return settled;
        }
        if !announced {
            tracing::info!(run = run_id, jobs = live.len(), "adopting jobs still running");
            announced = true;
        }
        // Stopped and still alive a while later (a failed scancel, say): killed again.
        if settled.stopped_by.is_some() && killed_at.is_some_and(|at| at.elapsed() >= Duration::from_secs(5)) {
            killed_at = Some(tokio::time::Instant::now());
            for &handle in &live {
                let _ = shared.executor.kill(handle).await;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            Some(request) = control.recv() => match request {
                Control::Stop { run, by, done } if run.is_none_or(|r| r == run_id) => {
                    tracing::info!(run = run_id, %by, jobs = live.len(), "stopping adopted jobs");
                    for &handle in &live {
                        if let Err(err) = shared.executor.kill(handle).await {
                            tracing::warn!(run = run_id, %handle, error = %err, "an adopted job could not be killed");
                        }
                    }
                    settled.stopped_by.get_or_insert(by);
                    settled.waiters.push(done);
                    killed_at = Some(tokio::time::Instant::now());
                }
                Control::Stop { done, .. } | Control::Flush { done } => {
                    let _ = done.send(());
                }
                Control::Abandon { .. } => {}
            },
        }
    }
}

/// Attempt folders of the run with no row (the server went down in the ≤ 100 ms before
/// writing them). Every job folder is looked into: modification times on a shared
/// filesystem come from another clock.
async fn unrecorded_attempts(data_dir: &Path, run: &RunRecord, graph: &LoadedGraph, recorded: HashSet<(String, i32)>) -> Vec<Unsettled> {
    let jobs_dir = job_dir(data_dir, &run.expid, "x").parent().map(Path::to_path_buf).unwrap_or_default();
    let by_folder: HashMap<String, (u32, String)> =
        (0..graph.len() as u32).map(|n| (folder_name(graph.job(n).name()), (n, graph.job(n).name().to_owned()))).collect();
    let prefix = format!("run{}-attempt", run.id);
    let (run_id, experiment_id) = (run.id, run.experiment_id);
    tokio::task::spawn_blocking(move || {
        let mut found = Vec::new();
        let Ok(entries) = std::fs::read_dir(&jobs_dir) else { return found };
        for entry in entries.flatten() {
            let Some((number, job_name)) = entry.file_name().to_str().and_then(|f| by_folder.get(f)).cloned() else { continue };
            let Ok(attempts) = std::fs::read_dir(entry.path()) else { continue };
            for attempt_entry in attempts.flatten() {
                let Some(attempt) = attempt_entry.file_name().to_str().and_then(|f| f.strip_prefix(&prefix)?.parse::<i32>().ok()) else { continue };
                if recorded.contains(&(job_name.clone(), attempt)) {
                    continue;
                }
                let dir = attempt_entry.path();
                let submitted_at = std::fs::metadata(dir.join("script.sh")).and_then(|m| m.modified()).map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now());
                found.push(Unsettled {
                    number,
                    dir,
                    handle: None,
                    record: AttemptRecord {
                        run_id,
                        job_name: job_name.clone(),
                        attempt,
                        experiment_id,
                        status: JobStatus::Running.as_str().to_owned(),
                        exit_code: None,
                        reason: None,
                        external_id: None,
                        submitted_at,
                        started_at: Some(submitted_at),
                        finished_at: None,
                        token_hash: None,
                        progress: None,
                        status_message: None,
                        metrics: None,
                        reported_at: None,
                        queue_name: None,
                        node_list: None,
                        archived_at: None,
                    },
                });
            }
        }
        found
    })
    .await
    .unwrap_or_default()
}

fn has_output(dir: &Path) -> bool {
    ["stdout.log", "stderr.log"].iter().any(|f| std::fs::metadata(dir.join(f)).is_ok_and(|m| m.len() > 0))
}

/// A job's process as `/proc` shows it: the leader of its process group.
struct LiveJob {
    pid: u32,
    /// The hash of the job's report token, from its environment.
    token_hash: Option<String>,
}

/// The live jobs under the data folder, by attempt folder: one pass over `/proc`, keeping
/// process-group leaders (a job's subshells share its command line but lead no group) whose
/// environment names the folder (`HINDCAST_JOB_DIR`; it stays when a script `exec`s).
async fn running_jobs(data_dir: &Path) -> HashMap<PathBuf, LiveJob> {
    let root = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let Ok(entries) = std::fs::read_dir("/proc") else { return HashMap::new() };
        entries
            .flatten()
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                let group: u32 = stat[stat.rfind(')')? + 1..].split_whitespace().nth(2)?.parse().ok()?;
                if group != pid {
                    return None;
                }
                let environ = std::fs::read(entry.path().join("environ")).ok()?;
                let variable = |name: &str| {
                    let prefix = format!("{name}=");
                    environ.split(|&b| b == 0).find_map(|v| v.strip_prefix(prefix.as_bytes())).map(|v| String::from_utf8_lossy(v).into_owned())
                };
                let dir = PathBuf::from(variable("HINDCAST_JOB_DIR")?);
                let token_hash = variable("HINDCAST_JOB_TOKEN").map(|t| app::runs::ops::token_hash(&t));
                dir.starts_with(&root).then_some((dir, LiveJob { pid, token_hash }))
            })
            .collect()
    })
    .await
    .unwrap_or_default()
}
