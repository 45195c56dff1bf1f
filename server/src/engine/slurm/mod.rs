//! The Slurm executor: each attempt is a batch job (`sbatch`), followed by one `squeue` per
//! connection per poll for all of its jobs, cancelled with `scancel`. Outcomes come from the
//! files the job writes in its folder (`exit_code`, `started_at`, `finished_at`), so neither
//! accounting nor a live server is needed for them; Slurm's states tell QUEUING, HELD and
//! RUNNING apart, and why a job that wrote nothing ended. Job folders must be on a
//! filesystem the server and the cluster's nodes share, at the same path.

mod marker;
pub mod remote;
pub mod spec;
mod tracker;
pub mod wrapper;

use super::executor::{ExecutorError, JobEvent, JobLaunch, Prepared};
use marker::{find_by_marker, new_marker, plain_id, MarkerLookup, TRANSIENT_REFUSALS, UNCLEAR_ANSWERS, UNCLEAR_LOOKUP_WAITS};
use remote::Connection;
use spec::Target;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tracker::{Tracked, Tracker};

const HANDLE_PREFIX: &str = "slurm:";

/// A Slurm job as a handle: `slurm:<job id>`, with `@<user@host:port>` when on a login node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmHandle {
    pub job_id: String,
    pub connection: String,
}

impl SlurmHandle {
    pub fn parse(handle: &str) -> Option<Self> {
        let rest = handle.strip_prefix(HANDLE_PREFIX)?;
        let (job_id, connection) = rest.split_once('@').unwrap_or((rest, ""));
        let valid = !job_id.is_empty() && job_id.chars().all(|c| c.is_ascii_digit() || c == '_');
        valid.then(|| Self { job_id: job_id.to_owned(), connection: connection.to_owned() })
    }

    pub fn is_slurm(handle: &str) -> bool {
        handle.starts_with(HANDLE_PREFIX)
    }
}

impl std::fmt::Display for SlurmHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.connection.as_str() {
            "" => write!(f, "{HANDLE_PREFIX}{}", self.job_id),
            c => write!(f, "{HANDLE_PREFIX}{}@{c}", self.job_id),
        }
    }
}

/// `sbatch` calls at once: slurmctld answers one RPC at a time per thread, and a burst of
/// hundreds of clients only makes some of them time out.
const SUBMITS_AT_ONCE: usize = 4;
/// Waits before trying a submission again that failed for a busy or unreachable controller.
const RESUBMIT_WAITS: [u64; 3] = [1, 3, 10];

#[derive(Clone)]
pub struct SlurmExecutor {
    tracker: Arc<Tracker>,
    submits: Arc<tokio::sync::Semaphore>,
    /// Connections by label, as learnt from the platforms jobs were submitted to.
    connections: Arc<Mutex<HashMap<String, Arc<Connection>>>>,
}

impl SlurmExecutor {
    /// `poll`: how often `squeue` is asked about the jobs followed.
    pub fn new(poll: Duration) -> Self {
        Self { tracker: Tracker::start(poll), submits: Arc::new(tokio::sync::Semaphore::new(SUBMITS_AT_ONCE)), connections: Arc::default() }
    }

    /// Remembers a platform's connection (its key included) for handles that name it.
    pub fn know(&self, target: &Target) {
        if let Target::Slurm(t) = target {
            self.connections.lock().unwrap_or_else(|e| e.into_inner()).insert(t.connection.label(), Arc::clone(&t.connection));
        }
    }

    fn connection(&self, label: &str) -> Option<Arc<Connection>> {
        let known = self.connections.lock().unwrap_or_else(|e| e.into_inner()).get(label).cloned();
        known.or_else(|| Connection::from_label(label).map(Arc::new))
    }

    /// Writes the batch script beside the job's own script (the local executor's files).
    pub async fn prepare(&self, launch: &JobLaunch, prepared: Prepared) -> Result<Prepared, ExecutorError> {
        let Target::Slurm(target) = &launch.target else { return Err(ExecutorError::Refused("not a Slurm job".into())) };
        wrapper::usable_folder(&launch.dir).map_err(ExecutorError::Refused)?;
        let marker = new_marker().map_err(|e| ExecutorError::Refused(format!("no random source for the job's marker: {e}")))?;
        let (dir, text) = (launch.dir.clone(), wrapper::wrapper(launch, &target.directives, &marker));
        let marker_line = format!("{marker} {}\n", target.connection.label());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            for stale in [wrapper::STARTED_AT, wrapper::FINISHED_AT, wrapper::HANDLE_FILE] {
                match std::fs::remove_file(dir.join(stale)) {
                    Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                    _ => {}
                }
            }
            // It holds the job's report token: readable by its owner only.
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(dir.join(wrapper::WRAPPER))?;
            file.write_all(text.as_bytes())?;
            std::fs::write(dir.join(wrapper::MARKER_FILE), marker_line)
        })
        .await
        .map_err(|e| ExecutorError::Refused(format!("writing the batch script was interrupted: {e}")))??;
        Ok(prepared)
    }

    pub async fn submit(&self, launch: JobLaunch, events: mpsc::UnboundedSender<JobEvent>) -> Result<String, ExecutorError> {
        let Target::Slurm(target) = &launch.target else { return Err(ExecutorError::Refused("not a Slurm job".into())) };
        self.know(&launch.target);
        let script = launch.dir.join(wrapper::WRAPPER).display().to_string();
        let job_id = match self.sbatch(&target.connection, &launch.dir, script).await? {
            Submission::Answered(out) => {
                // `--parsable` prints `<id>` or `<id>;<cluster>`, last (a login node's shell
                // may print a banner first).
                let last = out.stdout.trim().lines().last().unwrap_or_default();
                let job_id = last.split(';').next().unwrap_or_default().trim().to_owned();
                if plain_id(&job_id) {
                    job_id
                } else {
                    match find_by_marker(&target.connection, &launch.dir).await {
                        MarkerLookup::Found(job_id) => job_id,
                        _ => return Err(ExecutorError::Refused(format!("sbatch answered '{}', not a job id", one_line(&out.stdout)))),
                    }
                }
            }
            Submission::Found(job_id) => job_id,
        };
        let handle = SlurmHandle { job_id, connection: target.connection.label() };
        let handle_text = handle.to_string();
        // The job exists now: a failure to note its id is logged, never a reason to run it again.
        if let Err(err) = tokio::fs::write(launch.dir.join(wrapper::HANDLE_FILE), &handle_text).await {
            tracing::warn!(handle = %handle_text, error = %err, "the Slurm id could not be written in the job's folder");
        }
        let _ = events.send(JobEvent::Queued { key: launch.key, held: false, queue: None });
        self.tracker.follow(
            handle_text.clone(),
            Tracked::new(launch.key, handle.job_id, Arc::clone(&target.connection), launch.dir, launch.wallclock, events),
        );
        Ok(handle_text)
    }

    /// `sbatch --parsable`, a few at a time, tried again while the controller refuses for
    /// load or cannot be reached (a refusal such as an unknown partition is final at once).
    /// Before any failure counts, Slurm is asked for the attempt's marker: a job that exists
    /// is followed, never submitted twice.
    async fn sbatch(&self, connection: &Connection, dir: &Path, script: String) -> Result<Submission, ExecutorError> {
        let _turn = self.submits.acquire().await.map_err(|_| ExecutorError::Refused("the executor is closing".into()))?;
        let mut waits = RESUBMIT_WAITS.into_iter();
        loop {
            let (failure, unclear, transient) = match connection.run("sbatch", &["--parsable".into(), script.clone()]).await {
                Ok(out) if out.success => return Ok(Submission::Answered(out)),
                Ok(out) => {
                    let unclear = UNCLEAR_ANSWERS.iter().any(|t| out.stderr.contains(t));
                    let transient = TRANSIENT_REFUSALS.iter().any(|t| out.stderr.contains(t));
                    (format!("sbatch refused the job: {}", one_line(&out.stderr)), unclear, transient)
                }
                // No answer at all (a timeout, a dropped SSH link): the job may exist.
                Err(err) => (err, true, false),
            };
            // The controller may take a lost request a while to process: asked a few times.
            let lookups: &[u64] = if unclear { &UNCLEAR_LOOKUP_WAITS } else { &[0] };
            let mut unknown = false;
            for &wait in lookups {
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                match find_by_marker(connection, dir).await {
                    MarkerLookup::Found(job_id) => {
                        tracing::warn!(job_id, error = %failure, "sbatch failed, yet Slurm has the job: it is followed, not submitted again");
                        return Ok(Submission::Found(job_id));
                    }
                    MarkerLookup::Absent => unknown = false,
                    MarkerLookup::Unknown => unknown = true,
                }
            }
            match waits.next() {
                Some(wait) if transient && !unknown => {
                    tracing::warn!(error = %failure, "sbatch failed for a busy controller; trying again in {wait}s");
                    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                }
                _ if unknown => return Err(ExecutorError::Refused(format!("{failure} (and Slurm could not be asked whether the job exists)"))),
                _ => return Err(ExecutorError::Refused(failure)),
            }
        }
    }

    pub async fn kill(&self, handle: &str) -> Result<(), ExecutorError> {
        let parsed = SlurmHandle::parse(handle).ok_or_else(|| ExecutorError::Refused(format!("'{handle}' is not a Slurm handle")))?;
        let connection = self.connection(&parsed.connection).ok_or_else(|| ExecutorError::Refused(format!("'{handle}' names no known connection")))?;
        // A job followed here is cancelled again on later polls until Slurm shows it ended.
        let followed = self.tracker.cancelling(handle);
        match scancel(&connection, &parsed.job_id).await {
            Err(err) if followed => {
                tracing::warn!(%handle, error = %err, "scancel failed; it is tried again on the next polls");
                Ok(())
            }
            other => other.map_err(ExecutorError::Refused),
        }
    }

    /// The handle of the job submitted from `dir` when Slurm has it, found by the marker
    /// written before its `sbatch` (recovery of a submission that left no handle).
    /// `Err` when Slurm could not be asked (the job may exist).
    pub async fn find_submitted(&self, dir: &Path) -> Result<Option<String>, String> {
        let Ok(text) = tokio::fs::read_to_string(dir.join(wrapper::MARKER_FILE)).await else { return Ok(None) };
        let label = text.trim_end_matches('\n').split_once(' ').map_or("", |(_, label)| label);
        let connection = self.connection(label).ok_or_else(|| format!("the connection '{label}' is not known"))?;
        match find_by_marker(&connection, dir).await {
            MarkerLookup::Found(job_id) => Ok(Some(SlurmHandle { job_id, connection: label.to_owned() }.to_string())),
            MarkerLookup::Absent => Ok(None),
            MarkerLookup::Unknown => Err("squeue could not be asked for the job's marker".to_owned()),
        }
    }

    /// 0 for a job Slurm shows COMPLETED (its wrapper ended well), as the tracker takes it.
    pub async fn ended_with(&self, handle: &str) -> Option<i32> {
        let parsed = SlurmHandle::parse(handle)?;
        let connection = self.connection(&parsed.connection)?;
        let states = tracker::squeue(&connection, std::slice::from_ref(&parsed.job_id)).await.ok()?;
        (states.get(&parsed.job_id)?.state == "COMPLETED").then_some(0)
    }

    /// For each handle, whether Slurm still has the job queued or running (recovery after a
    /// restart). A job whose state cannot be read counts as running: it is asked again.
    pub async fn still_running(&self, jobs: &[(String, &Path)]) -> Vec<bool> {
        let mut by_connection: HashMap<String, Vec<usize>> = HashMap::new();
        let parsed: Vec<Option<SlurmHandle>> = jobs.iter().map(|(h, _)| SlurmHandle::parse(h)).collect();
        for (i, p) in parsed.iter().enumerate() {
            if let Some(p) = p {
                by_connection.entry(p.connection.clone()).or_default().push(i);
            }
        }
        let mut running = vec![false; jobs.len()];
        for (label, indexes) in by_connection {
            let Some(connection) = self.connection(&label) else { continue };
            let ids: Vec<String> = indexes.iter().filter_map(|&i| parsed[i].as_ref().map(|p| p.job_id.clone())).collect();
            match tracker::squeue(&connection, &ids).await {
                Ok(states) => {
                    for &i in &indexes {
                        let id = &parsed[i].as_ref().map(|p| p.job_id.clone()).unwrap_or_default();
                        running[i] = states.get(id).is_some_and(|s| !s.is_terminal()) && !jobs[i].1.join("exit_code").exists();
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "squeue failed while settling adopted Slurm jobs");
                    for &i in &indexes {
                        running[i] = !jobs[i].1.join("exit_code").exists();
                    }
                }
            }
        }
        running
    }
}

pub async fn scancel(connection: &Connection, job_id: &str) -> Result<(), String> {
    let out = connection.run("scancel", &[job_id.to_owned()]).await?;
    // A job that already ended is no error: what was asked holds.
    if out.success || out.stderr.contains("already completing or completed") || out.stderr.contains("Invalid job id") {
        Ok(())
    } else {
        Err(format!("scancel {job_id} failed: {}", one_line(&out.stderr)))
    }
}

fn one_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default();
    line.chars().take(300).collect()
}

/// What `sbatch` gave: its answer, or (its answer lost) the job found by marker.
enum Submission {
    Answered(remote::Output),
    Found(String),
}

#[cfg(test)]
mod tests {
    use super::SlurmHandle;

    #[test]
    fn handles_round_trip() {
        for text in ["slurm:42", "slurm:42@alice@login1:22", "slurm:7_3"] {
            assert_eq!(SlurmHandle::parse(text).unwrap().to_string(), text);
        }
        for bad in ["slurm:", "slurm:x1", "123:456:abc", "slurm:1;rm"] {
            assert_eq!(SlurmHandle::parse(bad), None, "{bad}");
        }
    }
}
