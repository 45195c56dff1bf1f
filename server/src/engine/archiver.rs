//! Copies ended attempts' files (script, logs, exit code, `outputs/`, `tmp/`) and ended runs'
//! logs from the data folder to the artifact store (object storage), so any server can serve
//! them without the data folder. An attempt is marked archived only after every one of its
//! files was copied; until then readers use the data folder. The data folder keeps its copy:
//! nothing is lost when the store is down, and the operator decides when to clear scratch.
//!
//! Attempts are copied as soon as their end is written; a sweep every few minutes (and at
//! start) copies those a failure or a restart left behind, on whichever server has their
//! folder.

use super::paths;
use crate::storage::local::open_inside;
use crate::storage::{ArtifactKey, ArtifactStore, LocalFolder, SharedArtifacts, StorageError, StoredFile};
use app::store::{ArchivedAttempt, ArchivedRunLog, SharedStore};
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;
use tokio::sync::mpsc;

/// Attempts copied at once, and files of one attempt at once: object stores answer each
/// request slowly but take many in parallel.
const ATTEMPTS_AT_ONCE: usize = 16;
const FILES_AT_ONCE: usize = 4;
/// Uploads at once over all copies (queue and sweep): each holds up to two 8 MiB parts.
const UPLOADS_AT_ONCE: usize = 16;
/// How long after an attempt's end its files are copied: a batch system may still flush its
/// logs and the wrapper write its end time once the job's exit code is there.
const SETTLE: Duration = Duration::from_secs(5);
/// The sweep reads this many attempts at a time.
const SWEEP_PAGE: i64 = 200;
const SWEEP_EVERY: Duration = Duration::from_secs(300);

enum Work {
    /// Attempts whose end was written at this instant.
    Attempts(Vec<ArchivedAttempt>, Instant),
    RunLog(ArchivedRunLog),
}

/// A handle the engine tells of ended attempts and runs.
#[derive(Clone)]
pub struct Archiver {
    queue: mpsc::UnboundedSender<Work>,
}

struct Worker {
    store: SharedStore,
    local: LocalFolder,
    target: SharedArtifacts,
    uploads: tokio::sync::Semaphore,
}

impl Archiver {
    /// Starts copying to `target` (the sweep starts at once).
    pub fn start(store: SharedStore, data_dir: PathBuf, target: SharedArtifacts) -> Self {
        let (queue, work) = mpsc::unbounded_channel();
        let worker = Arc::new(Worker { store, local: LocalFolder::new(data_dir), target, uploads: tokio::sync::Semaphore::new(UPLOADS_AT_ONCE) });
        tokio::spawn(worker.clone().take_work(work));
        tokio::spawn(worker.sweep_forever());
        Self { queue }
    }

    pub fn attempts_ended(&self, attempts: Vec<ArchivedAttempt>) {
        if !attempts.is_empty() {
            let _ = self.queue.send(Work::Attempts(attempts, Instant::now()));
        }
    }

    pub fn run_ended(&self, expid: &str, run_id: i64) {
        let _ = self.queue.send(Work::RunLog(ArchivedRunLog { expid: expid.to_owned(), run_id }));
    }
}

/// Where an attempt's files are, as a key of either store.
pub fn attempt_key(expid: &str, job: &str, run_id: i64, attempt: i32) -> Option<ArtifactKey> {
    ArtifactKey::new(["experiments".to_owned(), expid.to_owned(), "jobs".to_owned(), paths::folder_name(job), format!("run{run_id}-attempt{attempt}")])
}

pub fn run_log_key(expid: &str, run_id: i64) -> Option<ArtifactKey> {
    ArtifactKey::new(["experiments".to_owned(), expid.to_owned(), "runs".to_owned(), format!("{run_id}.log")])
}

impl Worker {
    async fn take_work(self: Arc<Self>, mut work: mpsc::UnboundedReceiver<Work>) {
        // Ended attempts wait until they have settled, oldest first.
        let mut waiting: VecDeque<(Instant, Vec<ArchivedAttempt>)> = VecDeque::new();
        let mut taken = Vec::new();
        loop {
            if waiting.is_empty() {
                if work.recv_many(&mut taken, 1024).await == 0 {
                    return;
                }
            } else {
                while let Ok(next) = work.try_recv() {
                    taken.push(next);
                }
            }
            for next in taken.drain(..) {
                match next {
                    Work::Attempts(attempts, ended) => waiting.push_back((ended + SETTLE, attempts)),
                    Work::RunLog(run) => self.archive_run_log(&run).await,
                }
            }
            let now = Instant::now();
            let mut ready = Vec::new();
            while waiting.front().is_some_and(|(at, _)| *at <= now) {
                ready.extend(waiting.pop_front().map(|(_, a)| a).unwrap_or_default());
            }
            if ready.is_empty() {
                if let Some((at, _)) = waiting.front() {
                    // New work may come meanwhile; it waits its own turn.
                    tokio::time::sleep_until(*at).await;
                }
                continue;
            }
            // What settled while the last copies ran goes in one batch, copied in parallel.
            self.archive(ready).await;
        }
    }

    async fn sweep_forever(self: Arc<Self>) {
        loop {
            self.sweep_attempts().await;
            self.sweep_run_logs().await;
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    }

    async fn sweep_attempts(&self) {
        let mut after: Option<ArchivedAttempt> = None;
        loop {
            let page = match self.store.attempts_to_archive(after.as_ref(), SWEEP_PAGE).await {
                Ok(page) => page,
                Err(err) => return tracing::warn!(error = %err, "attempts to archive could not be read; trying later"),
            };
            let Some(last) = page.last().cloned() else { return };
            self.archive(page).await;
            after = Some(last);
        }
    }

    async fn sweep_run_logs(&self) {
        let mut after = 0;
        loop {
            let page = match self.store.run_logs_to_archive(after, SWEEP_PAGE).await {
                Ok(page) => page,
                Err(err) => return tracing::warn!(error = %err, "run logs to archive could not be read; trying later"),
            };
            let Some(last) = page.last().map(|r| r.run_id) else { return };
            for run in &page {
                self.archive_run_log(run).await;
            }
            after = last;
        }
    }

    /// Copies the attempts whose folder is here, then marks those fully copied.
    async fn archive(&self, attempts: Vec<ArchivedAttempt>) {
        let copied: Vec<ArchivedAttempt> = futures_util::stream::iter(attempts)
            .map(|a| async move { self.copy_attempt(&a).await.then_some(a) })
            .buffer_unordered(ATTEMPTS_AT_ONCE)
            .filter_map(|a| async move { a })
            .collect()
            .await;
        if copied.is_empty() {
            return;
        }
        if let Err(err) = self.store.mark_archived(&copied).await {
            // Copied again by the sweep: copies replace, so nothing doubles.
            tracing::warn!(error = %err, count = copied.len(), "archived attempts could not be marked; the sweep retries");
        }
    }

    /// Whether every file of the attempt is in the target store. An attempt whose folder is
    /// not here (another server's, or lost) is left alone.
    async fn copy_attempt(&self, a: &ArchivedAttempt) -> bool {
        let Some(key) = attempt_key(&a.expid, &a.job_name, a.run_id, a.attempt) else { return false };
        let folder = paths::attempt_dir(self.local.root(), &a.expid, &a.job_name, a.run_id, a.attempt);
        if !tokio::fs::try_exists(&folder).await.unwrap_or(false) {
            tracing::debug!(expid = %a.expid, job = %a.job_name, run = a.run_id, attempt = a.attempt, "no folder here to archive");
            return false;
        }
        let files = match self.local.list(&key).await {
            Ok(files) => files,
            Err(err) => {
                tracing::warn!(folder = %folder.display(), error = %err, "an attempt's files could not be listed");
                return false;
            }
        };
        let key = &key;
        let copies = futures_util::stream::iter(files.clone())
            .map(|file| async move {
                let copied = self.copy_file(key, &file).await;
                if let Err(err) = &copied {
                    tracing::warn!(folder = %key, file = %file.relative, store = %self.target.describe(), error = %err, "an artifact could not be copied; the sweep retries");
                }
                copied.is_ok()
            })
            .buffer_unordered(FILES_AT_ONCE);
        if !copies.fold(true, |all, copied| async move { all && copied }).await {
            return false;
        }
        // Still written to (a process the job left behind): copied again by a later sweep.
        match self.local.list(key).await {
            Ok(again) if again == files => true,
            _ => {
                tracing::info!(folder = %key, "an attempt's files changed while copied; copied again later");
                false
            }
        }
    }

    async fn copy_file(&self, folder: &ArtifactKey, file: &StoredFile) -> Result<(), StorageError> {
        let key = folder.join_relative(&file.relative).ok_or_else(|| StorageError::Backend(format!("'{}' makes no key", file.relative)))?;
        let (root, opened_key) = (self.local.root().to_path_buf(), key.clone());
        let opened = tokio::task::spawn_blocking(move || open_inside(&root, &opened_key))
            .await
            .map_err(StorageError::backend)?
            .map_err(StorageError::backend)?;
        let _turn = self.uploads.acquire().await.map_err(StorageError::backend)?;
        self.target.put_file(&key, tokio::fs::File::from_std(opened)).await
    }

    /// Copies a run's log if it is here, then marks it copied.
    async fn archive_run_log(&self, run: &ArchivedRunLog) {
        let Some(key) = run_log_key(&run.expid, run.run_id) else { return };
        let source = paths::run_log(self.local.root(), &run.expid, run.run_id);
        if !tokio::fs::try_exists(&source).await.unwrap_or(false) {
            return;
        }
        let size = tokio::fs::metadata(&source).await.map(|m| m.len()).unwrap_or(0);
        let file = StoredFile { relative: format!("{}.log", run.run_id), size };
        let Some(folder) = ArtifactKey::new(key.parts()[..key.parts().len() - 1].to_vec()) else { return };
        if let Err(err) = self.copy_file(&folder, &file).await {
            return tracing::warn!(file = %key, store = %self.target.describe(), error = %err, "a run log could not be copied; the sweep retries");
        }
        if let Err(err) = self.store.mark_run_log_archived(run.run_id).await {
            tracing::warn!(run = run.run_id, error = %err, "an archived run log could not be marked; the sweep retries");
        }
    }
}
