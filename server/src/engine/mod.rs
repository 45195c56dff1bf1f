//! The engine: executes the runs the domain queues, one at a time per experiment, on each
//! job's platform (local processes or Slurm), and resumes what a restart interrupted.

pub mod archiver;
mod driver;
pub mod events;
pub mod executor;
pub mod local;
pub mod paths;
pub mod platforms;
pub mod process;
mod recovery;
pub mod shared_events;
pub mod slurm;

use app::runs::engine::RunEngine;
use app::runs::live::LiveEvent;
use events::EventHub;
use app::store::{Lease, SharedStore};
use async_trait::async_trait;
use driver::{Control, Shared};
use executor::Executor;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// The scheduler looks at the queue at least this often.
const SCHEDULE_LOOK_AGAIN: Duration = Duration::from_secs(600);
/// How long a stop request waits for the killed jobs to end.
const STOP_WAIT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Engine(Arc<Inner>);

pub struct EngineOptions {
    /// Where jobs' folders go (absolute).
    pub data_dir: PathBuf,
    /// The API's address, as jobs reach it.
    pub api_url: String,
    /// Jobs running at once on this machine, over all runs.
    pub max_parallel_jobs: usize,
    /// How long job progress is gathered before one write.
    pub write_interval: Duration,
    /// How long a run stays this server's without a renewal: another server takes over the
    /// runs of one silent for longer.
    pub lease: Duration,
    /// Only this server uses the database (SQLite): every running run found at start is one
    /// this server's previous process drove, and is taken over at once.
    pub single_server: bool,
    /// Where live events go: this process's hub, or one fed by the shared log.
    pub events: Arc<EventHub>,
    /// The other servers on the database (PostgreSQL): how to ask them to stop a run, and
    /// their requests to this one.
    pub peers: Option<(shared_events::Peers, mpsc::UnboundedReceiver<shared_events::RemoteStop>)>,
    /// Where ended attempts' and runs' files are copied (object storage), if anywhere.
    pub archive: Option<crate::storage::SharedArtifacts>,
}

struct Inner {
    shared: Shared,
    /// The experiments with a run being driven by this process, and how to reach it.
    active: Mutex<HashMap<i64, Active>>,
    /// Runs a previous process was driving, to settle before their experiment's next run.
    interrupted: Mutex<Vec<app::store::RunRecord>>,
    /// A run was queued: the scheduler looks again for the next scheduled start.
    queued: tokio::sync::Notify,
    /// The runs this process drives, with their experiments.
    driving: Mutex<HashMap<i64, i64>>,
    peers: Option<shared_events::Peers>,
    remote_stops: Mutex<Option<mpsc::UnboundedReceiver<shared_events::RemoteStop>>>,
    /// This process's name on the runs it holds, and how long a hold lasts.
    owner: String,
    lease: Duration,
    single_server: bool,
}

impl Engine {
    pub fn new(store: SharedStore, executor: Arc<dyn Executor>, options: EngineOptions) -> Self {
        Self(Arc::new(Inner {
            shared: Shared {
                archiver: options.archive.map(|target| archiver::Archiver::start(store.clone(), options.data_dir.clone(), target)),
                store,
                executor,
                slots: Arc::new(Semaphore::new(options.max_parallel_jobs)),
                data_dir: options.data_dir,
                api_url: options.api_url,
                write_interval: options.write_interval,
                hub: options.events,
                unwritten_tokens: Mutex::new(HashSet::new()),
            },
            active: Mutex::new(HashMap::new()),
            interrupted: Mutex::new(Vec::new()),
            queued: tokio::sync::Notify::new(),
            driving: Mutex::new(HashMap::new()),
            peers: options.peers.as_ref().map(|(p, _)| p.clone()),
            remote_stops: Mutex::new(options.peers.map(|(_, s)| s)),
            owner: instance_name(),
            lease: options.lease,
            single_server: options.single_server,
        }))
    }

    /// At start: every experiment with a queued or interrupted run is driven again; the jobs
    /// a previous process left running are settled first (adopting those still alive).
    pub async fn resume(&self) {
        tokio::spawn(self.clone().start_scheduled_runs());
        let runs = match self.0.shared.store.active_runs().await {
            Ok(runs) => runs,
            Err(err) => {
                tracing::error!(error = %err, "active runs could not be read; none resumed");
                return;
            }
        };
        // Alone on the database, every running run is this server's previous process's;
        // shared, only those whose lease has expired (the others' servers live).
        let expired_before = if self.0.single_server { i64::MAX } else { chrono::Utc::now().timestamp() };
        self.take_over(expired_before).await;
        tokio::spawn(self.clone().keep_leases());
        if let Some(mut stops) = self.0.remote_stops.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let engine = self.clone();
            tokio::spawn(async move {
                while let Some(stop) = stops.recv().await {
                    let engine = engine.clone();
                    tokio::spawn(async move { engine.stop_here(stop.experiment_id, stop.run, &stop.by).await });
                }
            });
        }
        let queued = app::runs::RunStatus::Queued.as_str();
        for experiment_id in runs.iter().filter(|r| r.status == queued).map(|r| r.experiment_id).collect::<HashSet<_>>() {
            self.drive(experiment_id);
        }
    }

    /// Stops the experiment's run if this process drives it.
    async fn stop_here(&self, experiment_id: i64, run_id: Option<i64>, by: &str) -> bool {
        let control = self.0.active.lock().unwrap_or_else(|e| e.into_inner()).get(&experiment_id).map(|a| a.control.clone());
        let Some(control) = control else { return false };
        let (done, ended) = oneshot::channel();
        if control.send(Control::Stop { run: run_id, by: by.to_owned(), done }).await.is_err() {
            return false;
        }
        if tokio::time::timeout(STOP_WAIT, ended).await.is_err() {
            tracing::warn!(experiment_id, "jobs still ending {}s after the stop request", STOP_WAIT.as_secs());
        }
        true
    }

    /// Asks the server that drives the experiment's running run to stop it, and waits (as a
    /// local stop does) for the run to end.
    async fn stop_elsewhere(&self, experiment_id: i64, run_id: Option<i64>, by: &str) -> bool {
        let Some(peers) = &self.0.peers else { return false };
        let running = app::runs::RunStatus::Running.as_str();
        let running_run = |runs: Vec<app::store::RunRecord>| {
            runs.into_iter().find(|r| r.experiment_id == experiment_id && r.status == running && run_id.is_none_or(|id| id == r.id)).map(|r| r.id)
        };
        let Ok(Some(target)) = self.0.shared.store.active_runs().await.map(running_run) else { return false };
        let stop = shared_events::RemoteStop { experiment_id, run: Some(target), by: by.to_owned() };
        if let Err(err) = peers.request_stop(&stop).await {
            tracing::error!(experiment_id, error = %err, "the stop request could not be passed to the other servers");
            return false;
        }
        let deadline = tokio::time::Instant::now() + STOP_WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            match self.0.shared.store.active_runs().await.map(running_run) {
                Ok(Some(_)) => {}
                _ => return true,
            }
        }
        tracing::warn!(experiment_id, "the run is still running {}s after the stop was passed on", STOP_WAIT.as_secs());
        true
    }

    fn lease(&self) -> app::store::Lease {
        lease_of(&self.0.owner, self.0.lease)
    }

    /// Takes the running runs whose server stopped renewing them, settles their jobs and
    /// drives them on (each experiment apart: a long adopted job holds back no other).
    async fn take_over(&self, expired_before: i64) {
        match self.0.shared.store.take_over_runs(&self.lease(), expired_before).await {
            Ok(runs) => {
                // A run still driven here (its lease lapsed, and is renewed again) goes on.
                let runs: Vec<_> = {
                    let driving = self.0.driving.lock().unwrap_or_else(|e| e.into_inner());
                    runs.into_iter().filter(|r| !driving.contains_key(&r.id)).collect()
                };
                let experiments: HashSet<i64> = runs.iter().map(|r| r.experiment_id).collect();
                for run in &runs {
                    tracing::info!(expid = %run.expid, run = run.id, "taking over a run whose server stopped");
                }
                self.0.interrupted.lock().unwrap_or_else(|e| e.into_inner()).extend(runs);
                for experiment_id in experiments {
                    self.drive(experiment_id);
                }
            }
            Err(err) => tracing::warn!(error = %err, "runs of stopped servers could not be taken over; trying again"),
        }
    }

    /// Renews this server's leases; a run driven here whose lease another server took (this
    /// one was silent too long) is abandoned, so no run is ever driven twice.
    /// Returns whether the leases were renewed.
    async fn renew(&self) -> bool {
        let store = &self.0.shared.store;
        let mut renewed: HashSet<i64> = match store.renew_leases(&self.lease()).await {
            Ok(ids) => ids.into_iter().collect(),
            Err(err) => {
                tracing::warn!(error = %err, "leases could not be renewed");
                return false;
            }
        };
        let missing = |renewed: &HashSet<i64>| -> Vec<(i64, i64)> {
            let driving = self.0.driving.lock().unwrap_or_else(|e| e.into_inner());
            driving.iter().filter(|(run, _)| !renewed.contains(run)).map(|(&r, &e)| (r, e)).collect()
        };
        if missing(&renewed).is_empty() {
            return true;
        }
        // Asked again: a run claimed while the first renewal ran is not lost.
        match store.renew_leases(&self.lease()).await {
            Ok(ids) => renewed.extend(ids),
            Err(_) => return false,
        }
        for (run, experiment_id) in missing(&renewed) {
            tracing::error!(run, "this server's lease on the run lapsed and another server holds it now");
            self.abandon(run, experiment_id);
        }
        true
    }

    /// Stops driving a run (never waits: the driver may be busy, and renewals must go on).
    fn abandon(&self, run: i64, experiment_id: i64) {
        let control = self.0.active.lock().unwrap_or_else(|e| e.into_inner()).get(&experiment_id).map(|a| a.control.clone());
        if let Some(control) = control {
            if control.try_send(Control::Abandon { run }).is_err() {
                let control = control.clone();
                tokio::spawn(async move { control.send(Control::Abandon { run }).await });
            }
        }
    }

    /// Renews this server's leases a few times per lease, and takes over the runs of servers
    /// that stopped renewing theirs.
    async fn keep_leases(self) {
        let every = (self.0.lease / 3).max(Duration::from_millis(500));
        let mut renewed_at = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            if self.renew().await {
                renewed_at = tokio::time::Instant::now();
            } else if !self.0.single_server && renewed_at.elapsed() > self.0.lease * 2 / 3 {
                // Unable to renew for most of a lease: another server may take the runs over
                // any moment, so this one stops driving them first.
                let driving: Vec<(i64, i64)> = self.0.driving.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(&r, &e)| (r, e)).collect();
                for (run, experiment_id) in driving {
                    tracing::error!(run, "leases not renewed for {}s: giving the run up", renewed_at.elapsed().as_secs());
                    self.abandon(run, experiment_id);
                }
            }
            self.take_over(chrono::Utc::now().timestamp()).await;
        }
    }

    /// Drives the experiment's queue in the background (unless that is done already).
    fn drive(&self, experiment_id: i64) {
        tokio::spawn(Arc::clone(&self.0).drive_queue(experiment_id));
    }

    /// Wakes each experiment when its next scheduled run is due. Sleeps until the earliest
    /// start (at most 10 minutes, so a clock change is caught up), or until a run is queued.
    async fn start_scheduled_runs(self) {
        loop {
            let wait = match self.0.shared.store.active_runs().await {
                Ok(runs) => {
                    let now = chrono::Utc::now().timestamp();
                    let queued = app::runs::RunStatus::Queued.as_str();
                    let mut due = HashSet::new();
                    let mut next: Option<i64> = None;
                    for run in runs.iter().filter(|r| r.status == queued) {
                        match run.not_before {
                            Some(at) if at > now => next = Some(next.map_or(at, |n| n.min(at))),
                            Some(_) => {
                                due.insert(run.experiment_id);
                            }
                            None => {}
                        }
                    }
                    for experiment_id in due {
                        self.drive(experiment_id);
                    }
                    next.map_or(SCHEDULE_LOOK_AGAIN, |at| Duration::from_secs((at - now).clamp(1, SCHEDULE_LOOK_AGAIN.as_secs() as i64) as u64))
                }
                Err(err) => {
                    tracing::warn!(error = %err, "scheduled runs could not be read; trying again in 30 s");
                    Duration::from_secs(30)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.0.queued.notified() => {}
            }
        }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.0.shared.data_dir
    }

    /// The live events of every experiment.
    pub fn hub(&self) -> Arc<EventHub> {
        Arc::clone(&self.0.shared.hub)
    }
}

struct Active {
    control: mpsc::Sender<Control>,
    /// A run was queued while the loop was deciding to end: look again before ending.
    woken: bool,
}

impl Inner {
    /// Drives the experiment's queued runs one after the other, unless this process already
    /// does (that loop picks up what was queued meanwhile).
    async fn drive_queue(self: Arc<Self>, experiment_id: i64) {
        let (control_tx, mut control) = mpsc::channel(8);
        {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(driving) = active.get_mut(&experiment_id) {
                driving.woken = true;
                return;
            }
            active.insert(experiment_id, Active { control: control_tx, woken: false });
        }
        loop {
            // A stop that arrived after the last run ended has nothing left to stop.
            while let Ok(request) = control.try_recv() {
                if let Control::Stop { done, .. } | Control::Flush { done } = request {
                    let _ = done.send(());
                }
            }
            self.settle_interrupted(experiment_id, &mut control).await;
            let lease = lease_of(&self.owner, self.lease);
            let run = match claim_with_retries(&self.shared, experiment_id, &lease).await {
                Ok(Some(run)) => run,
                Ok(None) => {
                    let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
                    match active.get_mut(&experiment_id) {
                        Some(driving) if driving.woken => {
                            driving.woken = false;
                            continue;
                        }
                        _ => {
                            active.remove(&experiment_id);
                            return;
                        }
                    }
                }
                Err(err) => {
                    tracing::error!(experiment_id, error = %err, "the next run could not be claimed");
                    break;
                }
            };
            tracing::info!(expid = %run.expid, run = run.id, "run started");
            self.shared.hub.publish(experiment_id, &LiveEvent::Run { run: app::runs::ops::to_view(run.clone()) });
            self.driving.lock().unwrap_or_else(|e| e.into_inner()).insert(run.id, experiment_id);
            let (outcome, waiters) = driver::drive(&self.shared, &run, &mut control).await;
            self.driving.lock().unwrap_or_else(|e| e.into_inner()).remove(&run.id);
            if outcome.abandoned {
                for waiter in waiters {
                    let _ = waiter.send(());
                }
                continue;
            }
            let status = outcome.status.as_str();
            // Until its end is stored the experiment counts as running: retry a failed write.
            for wait in [1, 2, 4, 8, 15, 30, 60] {
                match self.shared.store.finish_run(run.id, status, outcome.message.as_deref()).await {
                    Ok(()) => break,
                    Err(err) => {
                        tracing::error!(run = run.id, error = %err, "the run's end could not be stored; retrying");
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                    }
                }
            }
            if let Ok(ended) = app::experiment::Expid::parse(&run.expid) {
                if let Ok(ended) = self.shared.store.run(&ended, run.id).await {
                    self.shared.hub.publish(experiment_id, &LiveEvent::Run { run: app::runs::ops::to_view(ended) });
                }
            }
            if let Some(archiver) = &self.shared.archiver {
                archiver.run_ended(&run.expid, run.id);
            }
            tracing::info!(expid = %run.expid, run = run.id, status, "run ended");
            for waiter in waiters {
                let _ = waiter.send(());
            }
        }
        self.active.lock().unwrap_or_else(|e| e.into_inner()).remove(&experiment_id);
    }
}

impl Inner {
    /// Settles the experiment's runs a previous process was driving: each goes back to the
    /// queue, or ends cancelled when it was stopped while its adopted jobs ran.
    async fn settle_interrupted(&self, experiment_id: i64, control: &mut mpsc::Receiver<Control>) {
        let runs: Vec<app::store::RunRecord> = {
            let mut interrupted = self.interrupted.lock().unwrap_or_else(|e| e.into_inner());
            let (mine, others) = std::mem::take(&mut *interrupted).into_iter().partition(|r| r.experiment_id == experiment_id);
            *interrupted = others;
            mine
        };
        for run in runs {
            let Some(settled) = recovery::settle_interrupted(&self.shared, &run, control).await else { continue };
            let stored = match &settled.stopped_by {
                Some(by) => self.shared.store.finish_run(run.id, app::runs::RunStatus::Cancelled.as_str(), Some(&format!("Stopped by {by}."))).await,
                None => self.shared.store.requeue_run(run.id).await,
            };
            if let Err(err) = stored {
                tracing::error!(run = run.id, error = %err, "an interrupted run could not be queued again or ended");
            }
            if let (Some(archiver), Some(_)) = (&self.shared.archiver, &settled.stopped_by) {
                archiver.run_ended(&run.expid, run.id);
            }
            if let Ok(expid) = app::experiment::Expid::parse(&run.expid) {
                if let Ok(now) = self.shared.store.run(&expid, run.id).await {
                    self.shared.hub.publish(experiment_id, &LiveEvent::Run { run: app::runs::ops::to_view(now) });
                }
            }
            for waiter in settled.waiters {
                let _ = waiter.send(());
            }
        }
    }
}

/// The next queued run; a failing database is tried again a few times before giving up
/// (the next wake, or a restart, tries again).
async fn claim_with_retries(shared: &Shared, experiment_id: i64, lease: &Lease) -> Result<Option<app::store::RunRecord>, app::store::StoreError> {
    let mut waits = [1u64, 2, 4].into_iter();
    loop {
        match shared.store.claim_next_run(experiment_id, lease).await {
            Err(err) => match waits.next() {
                Some(wait) => {
                    tracing::warn!(experiment_id, error = %err, "the next run could not be claimed; retrying");
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
                None => return Err(err),
            },
            claimed => return claimed,
        }
    }
}

/// The name this process holds runs by: host, process id and a random part (a restarted
/// server is another holder; its old leases expire like anyone's).
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "host".into());
    let random = driver::new_token().map(|t| t[..12].to_owned()).unwrap_or_default();
    format!("{host}-{}-{random}", std::process::id())
}

/// A hold by `owner` from now, for `length`.
fn lease_of(owner: &str, length: Duration) -> Lease {
    Lease { owner: owner.to_owned(), until: chrono::Utc::now().timestamp() + length.as_secs().max(1) as i64 }
}

#[async_trait]
impl RunEngine for Engine {
    fn wake(&self, experiment_id: i64) {
        self.drive(experiment_id);
        self.0.queued.notify_one();
    }

    async fn stop(&self, experiment_id: i64, run_id: Option<i64>, by: &str) -> bool {
        if self.stop_here(experiment_id, run_id, by).await {
            return true;
        }
        self.stop_elsewhere(experiment_id, run_id, by).await
    }

    async fn flush(&self, experiment_id: i64) {
        let control = self.0.active.lock().unwrap_or_else(|e| e.into_inner()).get(&experiment_id).map(|a| a.control.clone());
        let Some(control) = control else { return };
        let (done, written) = oneshot::channel();
        if control.send(Control::Flush { done }).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), written).await;
        }
    }

    fn publish(&self, experiment_id: i64, event: LiveEvent) {
        self.0.shared.hub.publish(experiment_id, &event);
    }

    fn holds_unwritten_token(&self, token_hash: &str) -> bool {
        self.0.shared.unwritten_tokens.lock().unwrap_or_else(|e| e.into_inner()).contains(token_hash)
    }
}
