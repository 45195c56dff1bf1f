//! Follows submitted Slurm jobs: every poll, one `squeue` per connection for all of its jobs,
//! and a look at each job's folder for the files its wrapper writes. Reports QUEUING/HELD,
//! the start (with nodes) and the end (exit code and time from the job's own files; Slurm's
//! final state says why a job that wrote none ended), and cancels a job that outlives its
//! wallclock to the second (Slurm's own limit is whole minutes).

use super::remote::Connection;
use super::wrapper::{read_time, FINISHED_AT, STARTED_AT};
use crate::engine::executor::{AttemptKey, JobEvent};
use crate::engine::local::exit_code_file;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// Polls a job may go unseen by `squeue` (or ended there) with no exit code in its folder
/// before its end is taken from Slurm: a shared filesystem may show files late.
const GRACE_POLLS: u32 = 3;
/// Job ids per `squeue` call (its command line stays short).
const IDS_PER_CALL: usize = 500;
/// A cancel Slurm has not carried out yet is asked again this often (ssh or the controller
/// may have failed the first time).
const CANCEL_AGAIN: Duration = Duration::from_secs(5);

pub struct Tracker {
    jobs: Mutex<HashMap<String, Tracked>>,
    poll: Duration,
    started: OnceLock<()>,
    wake: tokio::sync::Notify,
}

pub struct Tracked {
    key: AttemptKey,
    job_id: String,
    connection: Arc<Connection>,
    dir: PathBuf,
    wallclock: Option<Duration>,
    events: mpsc::UnboundedSender<JobEvent>,
    /// The waiting state last reported (held or not), the start once reported.
    waiting: Option<bool>,
    started: Option<DateTime<Utc>>,
    /// Polls since the job ended in Slurm (or vanished) with no exit code seen.
    unexplained: u32,
    /// Why Hindcast cancelled it, when it did.
    cancelled_for: Option<String>,
    /// A cancel was asked (a stop, or the wallclock), and when `scancel` last ran for it.
    cancel_requested: bool,
    cancel_sent: Option<tokio::time::Instant>,
}

impl Tracked {
    pub fn new(key: AttemptKey, job_id: String, connection: Arc<Connection>, dir: PathBuf, wallclock: Option<Duration>, events: mpsc::UnboundedSender<JobEvent>) -> Self {
        Self { key, job_id, connection, dir, wallclock, events, waiting: Some(false), started: None, unexplained: 0, cancelled_for: None, cancel_requested: false, cancel_sent: None }
    }
}

/// One job as `squeue` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueState {
    pub state: String,
    pub reason: String,
    pub nodes: String,
    pub partition: String,
}

impl QueueState {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.state.as_str(),
            "COMPLETED" | "FAILED" | "CANCELLED" | "TIMEOUT" | "NODE_FAIL" | "OUT_OF_MEMORY" | "PREEMPTED" | "BOOT_FAIL" | "DEADLINE" | "SPECIAL_EXIT" | "REVOKED"
        )
    }

    fn is_running(&self) -> bool {
        matches!(self.state.as_str(), "RUNNING" | "COMPLETING" | "SUSPENDED" | "SIGNALING" | "STAGE_OUT" | "STOPPED")
    }

    fn is_held(&self) -> bool {
        self.state == "REQUEUE_HOLD" || self.reason.starts_with("JobHeld")
    }

    /// Why a job that left no exit code ended, in words.
    fn ending(&self) -> String {
        match self.state.as_str() {
            "TIMEOUT" => "Slurm's time limit was reached (TIMEOUT)".into(),
            "CANCELLED" => "cancelled in Slurm (CANCELLED)".into(),
            "NODE_FAIL" => "its node failed (NODE_FAIL)".into(),
            "OUT_OF_MEMORY" => "out of memory (OUT_OF_MEMORY)".into(),
            "PREEMPTED" => "preempted by Slurm (PREEMPTED)".into(),
            "BOOT_FAIL" => "its node failed to boot (BOOT_FAIL)".into(),
            "DEADLINE" => "its deadline passed (DEADLINE)".into(),
            other => format!("Slurm ended it as {other}"),
        }
    }
}

/// `squeue` about `ids` on one connection: the jobs it still knows, by id.
pub async fn squeue(connection: &Connection, ids: &[String]) -> Result<HashMap<String, QueueState>, String> {
    let mut states = HashMap::new();
    for chunk in ids.chunks(IDS_PER_CALL) {
        let args = ["-h", "--states=all", "-o", "%i|%T|%r|%N|%P", "-j"].into_iter().map(str::to_owned).chain([chunk.join(",")]).collect::<Vec<_>>();
        let out = connection.run("squeue", &args).await?;
        if !out.success {
            // One id alone that Slurm forgot makes squeue fail; a list just leaves it out.
            if out.stderr.contains("Invalid job id") {
                continue;
            }
            return Err(format!("squeue failed: {}", out.stderr.lines().next().unwrap_or_default()));
        }
        for line in out.stdout.lines() {
            let mut fields = line.split('|');
            let (Some(id), Some(state), Some(reason), Some(nodes), Some(partition)) = (fields.next(), fields.next(), fields.next(), fields.next(), fields.next()) else { continue };
            // Array and heterogeneous jobs print `id_task` / `id+n`; ours are plain ids.
            let state = state.split_whitespace().next().unwrap_or_default().to_owned();
            states.insert(id.trim().to_owned(), QueueState { state, reason: reason.to_owned(), nodes: nodes.to_owned(), partition: partition.to_owned() });
        }
    }
    Ok(states)
}

/// What the job's folder shows.
struct Files {
    /// Only once the file holds a number: it is read while bash may be writing it.
    exit_code: Option<i32>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

fn read_files(dir: &std::path::Path) -> Files {
    let exit_code = std::fs::read_to_string(exit_code_file(dir)).ok().and_then(|t| t.trim().parse::<i32>().ok());
    // The wrapper writes its end just after the job's exit code: until then, that file's time.
    let finished_at = exit_code.is_some().then(|| read_time(dir, FINISHED_AT).or_else(|| modified(&exit_code_file(dir)))).flatten();
    Files { exit_code, started_at: read_time(dir, STARTED_AT), finished_at }
}

fn modified(path: &std::path::Path) -> Option<DateTime<Utc>> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from)
}

impl Tracker {
    pub fn start(poll: Duration) -> Arc<Self> {
        Arc::new(Self { jobs: Mutex::new(HashMap::new()), poll, started: OnceLock::new(), wake: tokio::sync::Notify::new() })
    }

    /// Notes that the job is being cancelled (its `scancel` ran just now): asked again
    /// while Slurm still shows it. `false` when the job is not followed here.
    pub fn cancelling(&self, handle: &str) -> bool {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(job) = jobs.get_mut(handle) else { return false };
        job.cancel_requested = true;
        job.cancel_sent = Some(tokio::time::Instant::now());
        true
    }

    pub fn follow(self: &Arc<Self>, handle: String, job: Tracked) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).insert(handle, job);
        // The loop starts with the first job (the executor may be made outside a runtime).
        self.started.get_or_init(|| {
            tokio::spawn(Arc::clone(self).run());
        });
        self.wake.notify_one();
    }

    async fn run(self: Arc<Self>) {
        loop {
            let idle = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).is_empty();
            if idle {
                self.wake.notified().await;
            }
            tokio::time::sleep(self.poll).await;
            self.poll_once().await;
        }
    }

    async fn poll_once(&self) {
        let snapshot: Vec<(String, String, Arc<Connection>, PathBuf)> = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(h, j)| (h.clone(), j.job_id.clone(), Arc::clone(&j.connection), j.dir.clone()))
            .collect();
        let mut by_connection: HashMap<Arc<Connection>, Vec<String>> = HashMap::new();
        for (_, id, connection, _) in &snapshot {
            by_connection.entry(Arc::clone(connection)).or_default().push(id.clone());
        }
        let mut states: HashMap<(String, String), QueueState> = HashMap::new();
        let mut unreadable: Vec<Arc<Connection>> = Vec::new();
        for (connection, ids) in by_connection {
            match squeue(&connection, &ids).await {
                Ok(found) => states.extend(found.into_iter().map(|(id, s)| ((connection.label(), id), s))),
                Err(err) => {
                    tracing::warn!(connection = %connection.label(), error = %err, "Slurm's queue could not be read; asking again next poll");
                    unreadable.push(connection);
                }
            }
        }
        let dirs: Vec<PathBuf> = snapshot.iter().map(|(_, _, _, d)| d.clone()).collect();
        let files: Vec<Files> = tokio::task::spawn_blocking(move || dirs.iter().map(|d| read_files(d)).collect()).await.unwrap_or_default();
        let mut cancels: Vec<(Arc<Connection>, String)> = Vec::new();
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            for ((handle, id, connection, _), files) in snapshot.iter().zip(files) {
                let Some(job) = jobs.get_mut(handle) else { continue };
                let state = states.get(&(connection.label(), id.clone()));
                let readable = !unreadable.contains(connection);
                if let Some(cancel) = job.observe(state, readable, files) {
                    cancels.push((Arc::clone(connection), cancel));
                }
                if job.unexplained == u32::MAX {
                    jobs.remove(handle);
                }
            }
        }
        for (connection, id) in cancels {
            if let Err(err) = super::scancel(&connection, &id).await {
                tracing::warn!(job = %id, error = %err, "a job past its wallclock could not be cancelled");
            }
        }
    }
}

impl Tracked {
    /// Reports what changed; returns a job id to cancel (its wallclock is over). A finished
    /// job is marked with `unexplained = u32::MAX`, to be dropped.
    fn observe(&mut self, state: Option<&QueueState>, readable: bool, files: Files) -> Option<String> {
        let key = self.key;
        let now = Utc::now();
        let running = state.is_some_and(QueueState::is_running) || files.started_at.is_some();
        if self.started.is_none() && (running || files.exit_code.is_some()) {
            let at = files.started_at.unwrap_or(now);
            self.started = Some(at);
            self.waiting = None;
            let nodes = state.map(|s| s.nodes.clone()).filter(|n| !n.is_empty() && n != "(null)");
            let queue = state.map(|s| s.partition.clone()).filter(|p| !p.is_empty());
            let _ = self.events.send(JobEvent::Started { key, at, nodes, queue });
        }
        if let Some(exit_code) = files.exit_code {
            let reason = self.cancelled_for.clone().or_else(|| state.filter(|s| matches!(s.state.as_str(), "TIMEOUT" | "CANCELLED" | "NODE_FAIL" | "OUT_OF_MEMORY" | "PREEMPTED")).map(QueueState::ending));
            let _ = self.events.send(JobEvent::Finished { key, exit_code: Some(exit_code), at: files.finished_at.unwrap_or(now), reason });
            self.unexplained = u32::MAX;
            return None;
        }
        match state {
            Some(s) if !s.is_terminal() => {
                self.unexplained = 0;
                if self.started.is_none() {
                    let held = s.is_held();
                    if self.waiting != Some(held) {
                        self.waiting = Some(held);
                        let _ = self.events.send(JobEvent::Queued { key, held, queue: Some(s.partition.clone()).filter(|p| !p.is_empty()) });
                    }
                }
            }
            // Ended in Slurm, or forgotten by it, and no exit code seen yet.
            _ if readable => {
                self.unexplained += 1;
                if self.unexplained > GRACE_POLLS {
                    let reason = match state {
                        Some(s) if s.state == "COMPLETED" => None,
                        Some(s) => Some(self.cancelled_for.clone().unwrap_or_else(|| s.ending())),
                        None => Some(format!("Slurm no longer knows job {} and it left no exit code", self.job_id)),
                    };
                    let exit_code = if state.is_some_and(|s| s.state == "COMPLETED") { Some(0) } else { None };
                    let _ = self.events.send(JobEvent::Finished { key, exit_code, at: now, reason });
                    self.unexplained = u32::MAX;
                    return None;
                }
            }
            _ => {}
        }
        if let (Some(at), Some(limit)) = (self.started, self.wallclock) {
            if self.cancelled_for.is_none() && (now - at).to_std().is_ok_and(|ran| ran > limit) {
                self.cancelled_for = Some(format!("wallclock of {}s exceeded", limit.as_secs()));
                self.cancel_requested = true;
            }
        }
        // Cancelled and still shown alive (or never cancelled yet): scancel (again).
        let due = self.cancel_sent.is_none_or(|sent| sent.elapsed() >= CANCEL_AGAIN);
        if self.cancel_requested && due && state.is_none_or(|s| !s.is_terminal()) {
            self.cancel_sent = Some(tokio::time::Instant::now());
            return Some(self.job_id.clone());
        }
        None
    }
}
