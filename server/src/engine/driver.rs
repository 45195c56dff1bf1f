//! Drives one run: plans it, then dispatches READY jobs to the executor as slots free up and
//! reacts to each job's end (children become READY, failures are retried up to RETRIALS).
//! Event-driven: it sleeps only until the next event, stop request, free slot or write.
//! Status changes are written in batches (one transaction per batch), so thousands of short
//! jobs do not cost thousands of transactions.

use super::executor::{AttemptKey, Executor, JobEvent, JobLaunch, Prepared, Target};
use super::paths;
use app::experiment::Expid;
use app::runs::ops::{section_scripts, RunOptions};
use app::runs::plan::plan;
use app::runs::live::{JobChange, LiveEvent};
use app::runs::{RunMode, RunStatus};
use app::store::{ArchivedAttempt, AttemptRecord, JobProgress, RunRecord, SharedStore};
use app::workflow::parameters::{resolve_with, ParameterSource};
use app::workflow::{JobStatus, LoadedGraph, WorkflowConfig};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A batch is written early when it grows this large.
const FLUSH_AT: usize = 500;
/// Jobs whose folders are prepared ahead, while the parent they wait for runs.
const PREPARE_AHEAD: usize = 8;
/// Autosubmit's default TOTALJOBS.
const DEFAULT_TOTAL_JOBS: usize = 20;

pub enum Control {
    /// Stop the run (`run`: only if it is that one; a stop for a run that has ended already
    /// must not stop the next).
    Stop { run: Option<i64>, by: String, done: oneshot::Sender<()> },
    /// Write what is pending now, then answer.
    Flush { done: oneshot::Sender<()> },
    /// Another server took the run over (this one's lease lapsed): stop driving it at once,
    /// writing nothing more and killing nothing (the new holder adopts the jobs).
    Abandon { run: i64 },
}

pub struct Shared {
    pub store: SharedStore,
    pub executor: Arc<dyn Executor>,
    /// Jobs running at once on this machine, over all runs.
    pub slots: Arc<Semaphore>,
    pub data_dir: std::path::PathBuf,
    pub api_url: String,
    /// Writes wait at most this long, so the pages see progress promptly.
    pub write_interval: Duration,
    pub hub: Arc<super::events::EventHub>,
    /// Hashes of the job tokens whose attempts are not written yet: a report bearing one of
    /// these is worth a flush, any other unknown token is refused at once.
    pub unwritten_tokens: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Copies ended attempts and runs to the artifact store, when there is one.
    pub archiver: Option<super::archiver::Archiver>,
}

/// How a run ended.
pub struct Outcome {
    pub status: RunStatus,
    pub message: Option<String>,
    /// The run was given up to another server: its end is not this server's to store.
    pub abandoned: bool,
}

impl Outcome {
    fn failed(message: impl Into<String>) -> Self {
        Self { status: RunStatus::Failed, message: Some(message.into()), abandoned: false }
    }

    fn ended(status: RunStatus, message: Option<String>) -> Self {
        Self { status, message, abandoned: false }
    }
}

/// Executes the run to its end. Stop requests that arrived are returned, to be answered once
/// the run's end is stored.
pub async fn drive(shared: &Shared, run: &RunRecord, control: &mut mpsc::Receiver<Control>) -> (Outcome, Vec<oneshot::Sender<()>>) {
    match Driver::prepare(shared, run).await {
        Ok(Some(driver)) => driver.run(control).await,
        Ok(None) => (Outcome::ended(RunStatus::Passed, Some("Nothing left to run.".into())), Vec::new()),
        Err(message) => (Outcome::failed(message), Vec::new()),
    }
}

struct Running {
    /// Which attempt runs: events of an earlier one are stale.
    attempt: i32,
    /// The executor's handle, once the submission has answered.
    handle: Option<String>,
    /// A slot of this machine, for a local job (a batch system's jobs take none).
    _permit: Option<OwnedSemaphorePermit>,
}

/// A job's next attempt, prepared before it may start: its launch (token included) and the
/// preparation of its folder, under way or done.
struct Ahead {
    launch: JobLaunch,
    token: String,
    files: tokio::task::JoinHandle<Result<Prepared, String>>,
}

/// A batch of progress and whether it was written.
struct Written {
    jobs: Vec<JobProgress>,
    attempts: Vec<AttemptRecord>,
    result: Result<(), app::store::StoreError>,
}

type WriteFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Written> + Send + 'a>>;

async fn wait_for(writing: &mut Option<WriteFuture<'_>>) -> Written {
    match writing.as_mut() {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

struct Driver<'a> {
    shared: &'a Shared,
    run: &'a RunRecord,
    graph: Arc<LoadedGraph>,
    parameters: ParameterSource,
    options: RunOptions,
    scripts: Vec<Option<String>>,
    /// Where each section's jobs run (sections with no job in the run are not read).
    targets: Vec<Target>,
    status: Vec<JobStatus>,
    in_scope: Vec<bool>,
    /// In-scope parents each job still waits for.
    waiting_on: Vec<u32>,
    /// Edges with a STATUS condition already counted off `waiting_on` (a parent that let its
    /// child start when RUNNING must not count again when it completes).
    released: HashSet<(u32, u32)>,
    ready: VecDeque<u32>,
    attempts: HashMap<u32, i32>,
    running: HashMap<u32, Running>,
    /// Jobs running per platform name (the `TOTAL_JOBS` limits are per platform).
    running_per_platform: HashMap<String, usize>,
    total_limit: usize,
    platform_limits: HashMap<String, usize>,
    pending_jobs: BTreeMap<u32, JobProgress>,
    pending_attempts: BTreeMap<AttemptKey, AttemptRecord>,
    /// Attempts submitted and not yet ended, as last recorded.
    live: HashMap<AttemptKey, AttemptRecord>,
    flush_due: Option<Instant>,
    failed: Vec<u32>,
    blocked: usize,
    log: Option<std::io::BufWriter<std::fs::File>>,
    prepared: HashMap<u32, Ahead>,
    /// The write under way, if any.
    writing: Option<WriteFuture<'a>>,
    stopping: Option<(String, Vec<oneshot::Sender<()>>)>,
    /// Set when another server took the run over: submissions not yet made are not made.
    abandoned: Arc<std::sync::atomic::AtomicBool>,
}

impl<'a> Driver<'a> {
    async fn prepare(shared: &'a Shared, run: &'a RunRecord) -> Result<Option<Driver<'a>>, String> {
        let internal = |err: app::error::HindcastError| err.to_string();
        let expid = Expid::parse(&run.expid).map_err(internal)?;
        let handle = shared.store.graph(&expid).await.map_err(|e| app::experiment::ops::to_domain_error(e).to_string())?;
        let graph = handle.graph;
        let codes = shared.store.status_codes(handle.experiment_id).await.map_err(|e| app::experiment::ops::to_domain_error(e).to_string())?;
        let status: Vec<JobStatus> = codes.iter().map(|&c| JobStatus::from_code(c).unwrap_or(JobStatus::Unknown)).collect();
        let options: RunOptions = serde_json::from_str(&run.options).unwrap_or_default();
        let names: Vec<String> = serde_json::from_str(&run.selection).unwrap_or_default();
        let mut selection = Vec::new();
        for name in &names {
            match graph.number_of(name) {
                Some(n) => selection.push(n),
                None => return Err(format!("Job {name} is no longer in the graph (it was generated again); nothing ran.")),
            }
        }
        let mode = RunMode::parse(&run.mode).unwrap_or_default();
        let planned = plan(&graph, &status, mode, &selection, run.force_rerun, options.force_downstream);
        if planned.scope.is_empty() {
            return Ok(None);
        }
        // A run resumed after a restart goes on counting its attempts (and their folders).
        let earlier = shared.store.run_attempts(run.id).await.map_err(|e| app::experiment::ops::to_domain_error(e).to_string())?;
        let mut attempts: HashMap<u32, i32> = HashMap::new();
        for a in &earlier {
            if let Some(n) = graph.number_of(&a.job_name) {
                let count = attempts.entry(n).or_insert(0);
                *count = (*count).max(a.attempt);
            }
        }
        let files = app::workflow::ops::config(shared.store.as_ref(), &expid).await.map_err(internal)?;
        let config = app::workflow::ops::parse(&files).map_err(internal)?;
        let scripts = section_scripts(&config, &graph, &planned.scope).map_err(internal)?;
        let targets = section_targets(&config, &graph, &planned.scope)?;
        for target in &targets {
            shared.executor.know(target);
        }
        let jobs = graph.len();
        let mut driver = Driver {
            shared,
            run,
            total_limit: limit(&config, "CONFIG.TOTALJOBS").unwrap_or(DEFAULT_TOTAL_JOBS),
            platform_limits: graph
                .snapshot
                .sections
                .iter()
                .filter_map(|s| {
                    let key = format!("PLATFORMS.{}", s.platform);
                    limit(&config, &format!("{key}.TOTAL_JOBS")).or_else(|| limit(&config, &format!("{key}.TOTALJOBS"))).map(|l| (s.platform.clone(), l))
                })
                .collect(),
            parameters: ParameterSource::new(&config),
            graph,
            options,
            scripts,
            targets,
            status,
            in_scope: vec![false; jobs],
            waiting_on: vec![0; jobs],
            released: HashSet::new(),
            ready: VecDeque::new(),
            attempts,
            running: HashMap::new(),
            running_per_platform: HashMap::new(),
            pending_jobs: BTreeMap::new(),
            pending_attempts: BTreeMap::new(),
            live: HashMap::new(),
            flush_due: None,
            failed: Vec::new(),
            blocked: planned.blocked.len(),
            log: paths::open_run_log(&shared.data_dir, &run.expid, run.id),
            prepared: HashMap::new(),
            writing: None,
            stopping: None,
            abandoned: Arc::default(),
        };
        for &n in &planned.scope {
            driver.in_scope[n as usize] = true;
        }
        for &n in &planned.scope {
            driver.waiting_on[n as usize] = driver.graph.parents(n).iter().filter(|&&p| driver.in_scope[p as usize]).count() as u32;
        }
        for &(n, _, to) in &planned.initial {
            driver.set_status(n, to, None, None, None);
        }
        driver.ready.extend(planned.scope.iter().copied().filter(|&n| driver.status[n as usize] == JobStatus::Ready));
        shared.store.set_planned_jobs(run.id, planned.scope.len() as i64).await.map_err(|e| app::experiment::ops::to_domain_error(e).to_string())?;
        driver.log_line(format_args!(
            "run {} ({}) plans {} job(s){}",
            run.id,
            run.mode,
            planned.scope.len(),
            if driver.blocked > 0 { format!(", {} left waiting for parents outside the run", driver.blocked) } else { String::new() }
        ));
        driver.flush().await;
        Ok(Some(driver))
    }

    /// Runs to the end; also returns the stop requests, answered once the end is stored.
    async fn run(mut self, control: &mut mpsc::Receiver<Control>) -> (Outcome, Vec<oneshot::Sender<()>>) {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let mut spare: Option<OwnedSemaphorePermit> = None;
        let mut abandoned = false;
        loop {
            if abandoned {
                tracing::warn!(run = self.run.id, "another server took this run over: no longer driving it");
                let waiters = self.stopping.as_mut().map(|(_, w)| std::mem::take(w)).unwrap_or_default();
                return (Outcome { status: RunStatus::Running, message: None, abandoned: true }, waiters);
            }
            let waiting_for_slot = self.dispatch(&events_tx, &mut spare).await;
            if self.ready.is_empty() || self.stopping.is_some() {
                spare = None; // a slot this run cannot use goes back to the others
            }
            if self.running.is_empty() && (self.ready.is_empty() || self.stopping.is_some()) {
                break;
            }
            let flush_at = self.flush_due;
            tokio::select! {
                Some(event) = events.recv() => self.on_event(event),
                Some(control) = control.recv() => match control {
                    Control::Stop { run, by, done } => {
                        if run.is_none_or(|r| r == self.run.id) {
                            self.stop(by, done).await;
                        } else {
                            let _ = done.send(());
                        }
                    }
                    Control::Flush { done } => {
                        self.flush().await;
                        let _ = done.send(());
                    }
                    Control::Abandon { run } => {
                        abandoned = run == self.run.id;
                        self.abandoned.store(abandoned, std::sync::atomic::Ordering::SeqCst);
                    }
                },
                permit = self.shared.slots.clone().acquire_owned(), if waiting_for_slot && spare.is_none() => {
                    spare = permit.ok();
                }
                written = wait_for(&mut self.writing), if self.writing.is_some() => {
                    self.writing = None;
                    self.after_write(written);
                }
                () = sleep_until(flush_at), if flush_at.is_some() && self.writing.is_none() => self.start_write(),
            }
            if self.pending_jobs.len() + self.pending_attempts.len() >= FLUSH_AT {
                self.start_write();
            }
        }
        // A write under way ends before anything else is awaited (it may hold SQLite's lock).
        self.flush().await;
        // Folders prepared for jobs that never started go again.
        for (_, ahead) in std::mem::take(&mut self.prepared) {
            let _ = ahead.files.await;
            self.shared.executor.discard(&ahead.launch).await;
        }
        // The run's last changes must be written before its end is: retry a failed write.
        for wait in [1, 2, 4, 8, 15, 30] {
            self.flush().await;
            if self.pending_jobs.is_empty() && self.pending_attempts.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
        let outcome = self.outcome();
        self.log_line(format_args!("run {} ended {}{}", self.run.id, outcome.status.as_str(), outcome.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()));
        if let Some(log) = self.log.as_mut() {
            let _ = log.flush();
        }
        let waiters = self.stopping.as_mut().map(|(_, w)| std::mem::take(w)).unwrap_or_default();
        (outcome, waiters)
    }

    /// Starts READY jobs while limits allow. Returns whether a job waits for a machine slot.
    async fn dispatch(&mut self, events: &mpsc::UnboundedSender<JobEvent>, spare: &mut Option<OwnedSemaphorePermit>) -> bool {
        if self.stopping.is_some() {
            return false;
        }
        let mut skipped: Vec<u32> = Vec::new();
        let mut waiting_for_slot = false;
        while self.running.len() < self.total_limit {
            let Some(n) = self.ready.pop_front() else { break };
            let platform = &self.graph.snapshot.sections[self.graph.job(n).section()].platform;
            let platform_full = self
                .platform_limits
                .get(platform)
                .is_some_and(|&l| self.running_per_platform.get(platform).copied().unwrap_or(0) >= l);
            if platform_full {
                skipped.push(n);
                continue;
            }
            let permit = if matches!(self.targets[self.graph.job(n).section()], Target::Slurm(_)) {
                None
            } else {
                match spare.take().map(Ok).unwrap_or_else(|| self.shared.slots.clone().try_acquire_owned()) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        skipped.push(n);
                        waiting_for_slot = true;
                        break;
                    }
                }
            };
            self.launch(n, permit, events).await;
        }
        // Jobs passed over keep their place at the front.
        for n in skipped.into_iter().rev() {
            self.ready.push_front(n);
        }
        waiting_for_slot
    }

    async fn launch(&mut self, n: u32, permit: Option<OwnedSemaphorePermit>, events: &mpsc::UnboundedSender<JobEvent>) {
        let attempt = {
            let a = self.attempts.entry(n).or_insert(0);
            *a += 1;
            *a
        };
        let key = AttemptKey { number: n, attempt };
        let now = Utc::now();
        let name = self.graph.job(n).name().to_owned();
        let ahead = self.prepared.remove(&n);
        let ahead = match ahead {
            Some(ahead) if ahead.launch.key == key => Some(ahead),
            Some(stale) => {
                let executor = Arc::clone(&self.shared.executor);
                tokio::spawn(async move {
                    let _ = stale.files.await;
                    executor.discard(&stale.launch).await;
                });
                None
            }
            None => None,
        };
        let (launch, token, files) = match ahead {
            Some(Ahead { launch, token, files }) => (launch, token, Some(files)),
            None => match new_token().map_err(|e| format!("no job token could be made: {e}")).and_then(|t| Ok((self.launch_of(key, &t)?, t))) {
                Ok((launch, token)) => (launch, token, None),
                Err(message) => {
                    self.record_attempt(key, JobStatus::Failed, now, Some(message.clone()), None);
                    self.after_failure(n, attempt, &message);
                    return;
                }
            },
        };
        self.set_status(n, JobStatus::Submitted, Some(now), None, None);
        self.record_attempt(key, JobStatus::Submitted, now, None, Some(app::runs::ops::token_hash(&token)));
        self.release_children(n);
        let platform = self.graph.section(self.graph.job(n)).platform.clone();
        *self.running_per_platform.entry(platform).or_default() += 1;
        self.running.insert(n, Running { attempt, handle: None, _permit: permit });
        self.log_line(format_args!("{name} submitted (attempt {attempt})"));
        // Submitting writes files and forks: done off the driver, so jobs start in parallel.
        let (executor, events, abandoned) = (Arc::clone(&self.shared.executor), events.clone(), Arc::clone(&self.abandoned));
        tokio::spawn(async move {
            let prepared = match files {
                Some(files) => match files.await {
                    Ok(Ok(prepared)) => Ok(prepared),
                    // Once more: what failed ahead may have been passing.
                    _ => executor.prepare(&launch).await,
                },
                None => executor.prepare(&launch).await,
            };
            // The run went to another server meanwhile: its recovery owns this job now.
            if abandoned.load(std::sync::atomic::Ordering::SeqCst) {
                executor.discard(&launch).await;
                return;
            }
            let outcome = match prepared {
                Ok(prepared) => executor.submit(launch, prepared, events.clone()).await,
                Err(err) => Err(err),
            };
            let _ = events.send(JobEvent::Submitted { key, outcome: outcome.map_err(|e| e.to_string()) });
        });
        self.prepare_children(n);
    }

    /// Prepares the folders of the children that wait for `n` alone, while `n` runs: their
    /// start then costs only the process's (a chain's critical path is one job after another).
    fn prepare_children(&mut self, n: u32) {
        let graph = Arc::clone(&self.graph);
        for &c in graph.children(n) {
            if self.prepared.len() >= PREPARE_AHEAD || self.stopping.is_some() {
                break;
            }
            let i = c as usize;
            if !self.in_scope[i] || self.status[i] != JobStatus::Waiting || self.waiting_on[i] != 1 || self.prepared.contains_key(&c) {
                continue;
            }
            let key = AttemptKey { number: c, attempt: self.attempts.get(&c).copied().unwrap_or(0) + 1 };
            let Ok(token) = new_token() else { continue };
            let Ok(launch) = self.launch_of(key, &token) else { continue };
            let (executor, for_task) = (Arc::clone(&self.shared.executor), launch.clone());
            let files = tokio::spawn(async move { executor.prepare(&for_task).await.map_err(|e| e.to_string()) });
            self.prepared.insert(c, Ahead { launch, token, files });
        }
    }

    fn launch_of(&self, key: AttemptKey, token: &str) -> Result<JobLaunch, String> {
        let n = key.number;
        let job = self.graph.job(n);
        let section = self.graph.section(job);
        let mut layer = self.parameters.job_layer(&self.graph, n).map_err(|e| e.to_string())?;
        let job_extras = self.options.job_extras.get(job.name());
        let extra_env = self.options.extras.env.iter().chain(job_extras.into_iter().flat_map(|e| e.env.iter()));
        let mut env: Vec<(String, String)> = Vec::new();
        for (k, v) in extra_env {
            layer.insert(k.clone(), v.clone());
            env.push((k.clone(), v.clone()));
        }
        layer.insert("FAIL_COUNT".into(), (key.attempt - 1).to_string());
        let script = self.scripts[job.section()].as_deref().unwrap_or_default();
        let script = resolve_with(script, |name| self.parameters.get(&layer, name)).text;
        let dir = paths::attempt_dir(&self.shared.data_dir, &self.run.expid, job.name(), self.run.id, key.attempt);
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        env.extend([
            ("HINDCAST_JOB_NAME".to_owned(), job.name().to_owned()),
            ("HINDCAST_EXPID".to_owned(), self.run.expid.clone()),
            ("HINDCAST_DATE".to_owned(), text(job.date())),
            ("HINDCAST_MEMBER".to_owned(), text(job.member())),
            ("HINDCAST_CHUNK".to_owned(), job.chunk().map(|c| c.to_string()).unwrap_or_default()),
            ("HINDCAST_SPLIT".to_owned(), job.5.map(|s| s.to_string()).unwrap_or_default()),
            ("HINDCAST_RUN_ID".to_owned(), self.run.id.to_string()),
            ("HINDCAST_ATTEMPT".to_owned(), key.attempt.to_string()),
            ("HINDCAST_API_URL".to_owned(), self.shared.api_url.clone()),
            ("HINDCAST_JOB_TOKEN".to_owned(), token.to_owned()),
        ]);
        let args = self.options.extras.switches.iter().chain(job_extras.into_iter().flat_map(|e| e.switches.iter())).cloned().collect();
        Ok(JobLaunch {
            key,
            job_name: job.name().to_owned(),
            dir,
            script,
            args,
            env,
            wallclock: section.wallclock.as_deref().and_then(parse_wallclock),
            target: self.targets[job.section()].clone(),
        })
    }

    fn on_event(&mut self, event: JobEvent) {
        match event {
            JobEvent::Submitted { key, outcome: Ok(handle) } => {
                let Some(running) = self.running.get_mut(&key.number).filter(|r| r.attempt == key.attempt) else {
                    // Ended already: keep its process id with the attempt all the same.
                    self.update_attempt(key, |a| a.external_id = Some(handle));
                    return;
                };
                running.handle = Some(handle.clone());
                if self.stopping.is_some() {
                    let executor = Arc::clone(&self.shared.executor);
                    let handle = handle.clone();
                    tokio::spawn(async move { executor.kill(&handle).await });
                }
                self.update_attempt(key, |a| a.external_id = Some(handle));
            }
            JobEvent::Submitted { key, outcome: Err(err) } => {
                // Never started: as if it ended at once with the submission's error.
                self.on_event(JobEvent::Finished { key, exit_code: None, at: Utc::now(), reason: Some(format!("could not be submitted: {err}")) });
            }
            JobEvent::Queued { key, held, queue } => {
                if self.running.get(&key.number).is_some_and(|r| r.attempt == key.attempt) && self.status[key.number as usize] != JobStatus::Running {
                    let status = if held { JobStatus::Held } else { JobStatus::Queuing };
                    self.set_status(key.number, status, None, None, None);
                    self.update_attempt(key, |a| {
                        a.status = status.as_str().to_owned();
                        a.queue_name = queue.or(a.queue_name.take());
                    });
                }
            }
            JobEvent::Started { key, at, nodes, queue } => {
                if self.running.get(&key.number).is_some_and(|r| r.attempt == key.attempt) {
                    self.set_status(key.number, JobStatus::Running, None, Some(at), None);
                    self.update_attempt(key, |a| {
                        a.status = JobStatus::Running.as_str().to_owned();
                        a.started_at = Some(at);
                        a.node_list = nodes.or(a.node_list.take());
                        a.queue_name = queue.or(a.queue_name.take());
                    });
                    if self.stopping.is_none() {
                        self.release_children(key.number);
                    }
                }
            }
            JobEvent::Finished { key, exit_code, at, reason } => {
                if self.running.get(&key.number).is_none_or(|r| r.attempt != key.attempt) {
                    return;
                }
                self.running.remove(&key.number); // frees the machine slot
                let platform = &self.graph.section(self.graph.job(key.number)).platform;
                if let Some(count) = self.running_per_platform.get_mut(platform) {
                    *count = count.saturating_sub(1);
                }
                // A job that succeeded while the stop was on its way did succeed.
                let stopped = self.stopping.as_ref().filter(|_| exit_code != Some(0)).map(|(by, _)| format!("stopped by {by}"));
                let reason = stopped.or(reason).or_else(|| exit_code.filter(|&c| c != 0).map(|c| format!("exit code {c}")));
                let name = self.graph.job(key.number).name().to_owned();
                if exit_code == Some(0) {
                    self.update_attempt(key, |a| {
                        a.status = JobStatus::Completed.as_str().to_owned();
                        a.exit_code = exit_code;
                        a.finished_at = Some(at);
                    });
                    self.set_status(key.number, JobStatus::Completed, None, None, Some(at));
                    self.log_line(format_args!("{name} completed"));
                    if self.stopping.is_none() {
                        self.release_children(key.number);
                    }
                } else {
                    let message = reason.unwrap_or_else(|| "failed".into());
                    let reason = message.clone();
                    self.update_attempt(key, |a| {
                        a.status = JobStatus::Failed.as_str().to_owned();
                        a.exit_code = exit_code;
                        a.reason = Some(reason);
                        a.finished_at = Some(at);
                    });
                    self.set_status(key.number, JobStatus::Failed, None, None, Some(at));
                    self.log_line(format_args!("{name} failed (attempt {}): {message}", key.attempt));
                    if self.stopping.is_none() {
                        self.after_failure(key.number, key.attempt, &message);
                    } else {
                        self.failed.push(key.number);
                    }
                }
            }
        }
    }

    /// Retries while RETRIALS allow, else the job stays FAILED and its children wait (but for
    /// those whose dependency asks for a FAILED parent).
    fn after_failure(&mut self, n: u32, attempt: i32, _message: &str) {
        let retrials = self.graph.section(self.graph.job(n)).retrials;
        if i64::from(attempt) <= retrials {
            self.set_status(n, JobStatus::Ready, None, None, None);
            self.ready.push_back(n);
        } else {
            self.set_status(n, JobStatus::Failed, None, None, None);
            self.failed.push(n);
            self.release_children(n);
        }
    }

    /// Counts `n`, in its new status, off the children it now lets run.
    fn release_children(&mut self, n: u32) {
        let graph = Arc::clone(&self.graph);
        let status = self.status[n as usize];
        if !status.lets_children_run() && graph.snapshot.edge_conditions.is_empty() {
            return;
        }
        for &c in graph.children(n) {
            let i = c as usize;
            if !self.in_scope[i] || !graph.lets_run(n, c, status) {
                continue;
            }
            if graph.condition(n, c).is_some() && !self.released.insert((n, c)) {
                continue;
            }
            self.waiting_on[i] = self.waiting_on[i].saturating_sub(1);
            if self.waiting_on[i] == 0 && self.status[i] == JobStatus::Waiting {
                self.set_status(c, JobStatus::Ready, None, None, None);
                self.ready.push_back(c);
            }
        }
    }

    async fn stop(&mut self, by: String, done: oneshot::Sender<()>) {
        if let Some((_, waiters)) = self.stopping.as_mut() {
            waiters.push(done);
            return;
        }
        self.log_line(format_args!("stop requested by {by}: killing {} job(s)", self.running.len()));
        self.stopping = Some((by, vec![done]));
        // Jobs that were about to start wait again, as they were before the run.
        for n in std::mem::take(&mut self.ready) {
            self.set_status(n, JobStatus::Waiting, None, None, None);
        }
        // Jobs whose submission has not answered yet are killed when it does.
        let handles: Vec<String> = self.running.values().filter_map(|r| r.handle.clone()).collect();
        for handle in handles {
            if let Err(err) = self.shared.executor.kill(&handle).await {
                tracing::warn!(run = self.run.id, %handle, error = %err, "a job could not be killed");
            }
        }
    }

    fn outcome(&self) -> Outcome {
        let graph = &self.graph;
        let names = |jobs: &[u32]| {
            let shown: Vec<&str> = jobs.iter().take(5).map(|&n| graph.job(n).name()).collect();
            let more = jobs.len().saturating_sub(shown.len());
            if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
        };
        if let Some((by, _)) = &self.stopping {
            return Outcome::ended(RunStatus::Cancelled, Some(format!("Stopped by {by}.")));
        }
        let left = if self.blocked > 0 { format!(" {} job(s) were left waiting for parents outside the run.", self.blocked) } else { String::new() };
        if !self.failed.is_empty() {
            return Outcome::failed(format!("{} job(s) failed: {}.{left}", self.failed.len(), names(&self.failed)));
        }
        Outcome::ended(RunStatus::Passed, (!left.is_empty()).then(|| left.trim().to_owned()))
    }

    fn set_status(&mut self, n: u32, to: JobStatus, submitted: Option<DateTime<Utc>>, started: Option<DateTime<Utc>>, finished: Option<DateTime<Utc>>) {
        self.status[n as usize] = to;
        let entry = self.pending_jobs.entry(n).or_insert(JobProgress { number: n, status: to.code(), submitted_at: None, started_at: None, finished_at: None });
        entry.status = to.code();
        entry.submitted_at = submitted.or(entry.submitted_at);
        entry.started_at = started.or(entry.started_at);
        entry.finished_at = finished.or(entry.finished_at);
        self.schedule_flush();
    }

    /// Records a new attempt, as submitted (or failed before it could be).
    fn record_attempt(&mut self, key: AttemptKey, status: JobStatus, at: DateTime<Utc>, reason: Option<String>, token_hash: Option<String>) {
        if let Some(hash) = &token_hash {
            self.shared.unwritten_tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(hash.clone());
        }
        let record = AttemptRecord {
            run_id: self.run.id,
            job_name: self.graph.job(key.number).name().to_owned(),
            attempt: key.attempt,
            experiment_id: self.run.experiment_id,
            status: status.as_str().to_owned(),
            exit_code: None,
            reason,
            // Known once the submission answers (`JobEvent::Submitted`).
            external_id: None,
            submitted_at: at,
            started_at: None,
            finished_at: (status == JobStatus::Failed).then_some(at),
            token_hash,
            progress: None,
            status_message: None,
            metrics: None,
            reported_at: None,
            queue_name: None,
            node_list: None,
            archived_at: None,
        };
        if record.finished_at.is_none() {
            self.live.insert(key, record.clone());
        }
        self.pending_attempts.insert(key, record);
        self.schedule_flush();
    }

    /// Changes a live attempt; the whole record is written again (the upsert keeps one row).
    fn update_attempt(&mut self, key: AttemptKey, change: impl FnOnce(&mut AttemptRecord)) {
        let Some(record) = self.live.get_mut(&key) else { return };
        change(record);
        let record = if record.finished_at.is_some() { self.live.remove(&key) } else { Some(record.clone()) };
        if let Some(record) = record {
            self.pending_attempts.insert(key, record);
        }
        self.schedule_flush();
    }

    fn schedule_flush(&mut self) {
        if self.flush_due.is_none() {
            self.flush_due = Some(Instant::now() + self.shared.write_interval);
        }
    }

    /// Starts writing what is pending, unless a write is under way (writes go one at a time,
    /// in order). The driver goes on dispatching meanwhile: a chain's next job does not wait
    /// for the database.
    fn start_write(&mut self) {
        self.flush_due = None;
        if let Some(log) = self.log.as_mut() {
            let _ = log.flush();
        }
        if self.writing.is_some() || (self.pending_jobs.is_empty() && self.pending_attempts.is_empty()) {
            return;
        }
        let jobs: Vec<JobProgress> = std::mem::take(&mut self.pending_jobs).into_values().collect();
        let attempts: Vec<AttemptRecord> = std::mem::take(&mut self.pending_attempts).into_values().collect();
        let (store, experiment_id) = (&self.shared.store, self.run.experiment_id);
        self.writing = Some(Box::pin(async move {
            let result = store.record_progress(experiment_id, &jobs, &attempts).await;
            Written { jobs, attempts, result }
        }));
    }

    /// Only what is written is announced; a failed write is retried with the next batch
    /// rather than lost.
    fn after_write(&mut self, written: Written) {
        let Written { jobs, attempts, result } = written;
        match result {
            Ok(()) => {
                let changes: Vec<JobChange> = jobs
                    .iter()
                    .map(|j| JobChange { name: self.graph.job(j.number).name().to_owned(), status: JobStatus::from_code(j.status).unwrap_or(JobStatus::Unknown) })
                    .collect();
                self.shared.hub.publish(self.run.experiment_id, &LiveEvent::Jobs { jobs: changes });
                let mut unwritten = self.shared.unwritten_tokens.lock().unwrap_or_else(|e| e.into_inner());
                for hash in attempts.iter().filter_map(|a| a.token_hash.as_ref()) {
                    unwritten.remove(hash);
                }
                drop(unwritten);
                if let Some(archiver) = &self.shared.archiver {
                    let ended = attempts.iter().filter(|a| a.finished_at.is_some());
                    let expid = &self.run.expid;
                    archiver.attempts_ended(
                        ended.map(|a| ArchivedAttempt { expid: expid.clone(), run_id: a.run_id, job_name: a.job_name.clone(), attempt: a.attempt }).collect(),
                    );
                }
            }
            Err(err) => {
                tracing::error!(run = self.run.id, error = %err, "job progress could not be written; retrying");
                // What changed since is newer: its status wins, the failed batch's times stay.
                for j in jobs {
                    let entry = self.pending_jobs.entry(j.number).or_insert_with(|| j.clone());
                    entry.submitted_at = entry.submitted_at.or(j.submitted_at);
                    entry.started_at = entry.started_at.or(j.started_at);
                    entry.finished_at = entry.finished_at.or(j.finished_at);
                }
                for a in attempts {
                    let key = AttemptKey { number: self.graph.number_of(&a.job_name).unwrap_or(0), attempt: a.attempt };
                    self.pending_attempts.entry(key).or_insert(a);
                }
                self.flush_due = Some(Instant::now() + Duration::from_secs(1));
            }
        }
    }

    /// Writes everything pending now and waits for it.
    async fn flush(&mut self) {
        if let Some(writing) = self.writing.take() {
            let written = writing.await;
            self.after_write(written);
        }
        self.start_write();
        if let Some(writing) = self.writing.take() {
            let written = writing.await;
            self.after_write(written);
        }
    }

    fn log_line(&mut self, line: std::fmt::Arguments<'_>) {
        if let Some(log) = self.log.as_mut() {
            let _ = writeln!(log, "{} {line}", Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        }
    }
}

/// A job's report token: 32 random bytes in hex, valid for one attempt.
pub(super) fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A positive whole number at `path` of the configuration.
/// Each section's target; a platform setting that cannot be used fails the run before any
/// job starts, naming the setting.
fn section_targets(config: &WorkflowConfig, graph: &LoadedGraph, scope: &[u32]) -> Result<Vec<Target>, String> {
    let mut used = vec![false; graph.snapshot.sections.len()];
    for &n in scope {
        used[graph.job(n).section()] = true;
    }
    graph
        .snapshot
        .sections
        .iter()
        .zip(used)
        .map(|(section, used)| match used {
            false => Ok(Target::Local),
            true => super::slurm::spec::target(config, &section.name, &section.platform).map_err(|e| format!("The platform of {} cannot be used: {e}.", section.name)),
        })
        .collect()
}

fn limit(config: &WorkflowConfig, path: &str) -> Option<usize> {
    config.text(path).and_then(|t| t.trim().parse::<usize>().ok()).filter(|&n| n > 0)
}

/// Autosubmit's WALLCLOCK: `HH:MM` or `HH:MM:SS`.
pub fn parse_wallclock(text: &str) -> Option<Duration> {
    let parts: Vec<u64> = text.trim().split(':').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
    let seconds = match parts.as_slice() {
        [h, m] => h * 3600 + m * 60,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::parse_wallclock;
    use std::time::Duration;

    #[test]
    fn wallclocks_read_as_autosubmit_writes_them() {
        assert_eq!(parse_wallclock("02:30"), Some(Duration::from_secs(9000)));
        assert_eq!(parse_wallclock("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(parse_wallclock("00:00"), None);
        assert_eq!(parse_wallclock("soon"), None);
    }
}
