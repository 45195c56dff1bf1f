//! After a restart (a crash or kill -9 included): jobs a previous process left running are
//! settled before their run carries on, so none stays RUNNING forever and none runs twice.
//! A job still alive is waited for; its exit code is read from the file its script writes on
//! exit; a job that died without one is FAILED ("lost") and retried like any failure.

use super::driver::Shared;
use super::local::{exit_code_file, group_alive};
use super::paths::attempt_dir;
use app::experiment::Expid;
use app::store::{JobProgress, RunRecord};
use app::workflow::JobStatus;
use std::time::Duration;

const POLL: Duration = Duration::from_secs(1);

/// The process running `script` (its command line is `bash <script> …`), if any.
async fn process_running(script: &std::path::Path) -> Option<u32> {
    let wanted = script.as_os_str().as_encoded_bytes().to_vec();
    tokio::task::spawn_blocking(move || {
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            cmdline.split(|&b| b == 0).nth(1).filter(|arg| *arg == wanted.as_slice()).map(|_| pid)
        })
    })
    .await
    .ok()
    .flatten()
}

pub async fn settle_interrupted(shared: &Shared, run: &RunRecord) {
    let store = &shared.store;
    let Ok(expid) = Expid::parse(&run.expid) else { return };
    let (attempts, handle) = match (store.run_attempts(run.id).await, store.graph(&expid).await) {
        (Ok(a), Ok(h)) => (a, h),
        (Err(err), _) | (_, Err(err)) => {
            tracing::error!(run = run.id, error = %err, "an interrupted run could not be read");
            return;
        }
    };
    for mut attempt in attempts.into_iter().filter(|a| a.finished_at.is_none()) {
        let dir = attempt_dir(&shared.data_dir, &run.expid, &attempt.job_name, run.id, attempt.attempt);
        // The process id is written with the engine's next batch; a crash before it leaves
        // none, and the process is found by its script instead.
        let pid = match attempt.external_id.as_deref().and_then(|h| h.parse::<u32>().ok()) {
            Some(pid) => Some(pid),
            None => process_running(&dir.join("script.sh")).await,
        };
        if let Some(pid) = pid {
            if group_alive(pid) && !exit_code_file(&dir).exists() {
                tracing::info!(run = run.id, job = %attempt.job_name, pid, "adopting a job still running");
            }
            while group_alive(pid) && !exit_code_file(&dir).exists() {
                tokio::time::sleep(POLL).await;
            }
        }
        let code = tokio::fs::read_to_string(exit_code_file(&dir)).await.ok().and_then(|t| t.trim().parse::<i32>().ok());
        let now = chrono::Utc::now();
        let status = if code == Some(0) { JobStatus::Completed } else { JobStatus::Failed };
        attempt.status = status.as_str().to_owned();
        attempt.exit_code = code;
        attempt.finished_at = Some(now);
        if code.is_none() {
            attempt.reason = Some("lost: it ended while the server was down and left no exit code".into());
        } else if code != Some(0) {
            attempt.reason = code.map(|c| format!("exit code {c}"));
        }
        let Some(number) = handle.graph.number_of(&attempt.job_name) else { continue };
        let job = JobProgress { number, status: status.code(), submitted_at: None, started_at: None, finished_at: Some(now) };
        if let Err(err) = store.record_progress(run.experiment_id, &[job], &[attempt]).await {
            tracing::error!(run = run.id, error = %err, "an interrupted job's outcome could not be stored");
        }
    }
    // Jobs the run had marked SUBMITTED or RUNNING without an attempt on record never started.
    if let Ok(codes) = store.status_codes(run.experiment_id).await {
        let stale: Vec<JobProgress> = codes
            .iter()
            .enumerate()
            .filter(|(_, &c)| [JobStatus::Submitted, JobStatus::Queuing, JobStatus::Running].map(JobStatus::code).contains(&c))
            .map(|(n, _)| JobProgress { number: n as u32, status: JobStatus::Ready.code(), submitted_at: None, started_at: None, finished_at: None })
            .collect();
        if !stale.is_empty() {
            let _ = store.record_progress(run.experiment_id, &stale, &[]).await;
        }
    }
    if let Err(err) = store.requeue_run(run.id).await {
        tracing::error!(run = run.id, error = %err, "an interrupted run could not be queued again");
    }
}
