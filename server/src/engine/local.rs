//! The local executor: each attempt is a `bash` process in its own process group, with the
//! job's environment only (the server's own variables, such as `DATABASE_URL`, never reach
//! a job), stdout and stderr captured to files in the attempt's folder.

use super::executor::{AttemptKey, Executor, ExecutorError, JobEvent, JobLaunch, Prepared};
use super::process::{kill_group, ProcessHandle};
use async_trait::async_trait;
use std::path::Path;
use std::process::Stdio;
use tokio::sync::mpsc;

/// Variables of the server's environment a job inherits.
const INHERITED: [&str; 6] = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "SHELL"];

/// Runs each job with `bash`, found once on the server's `PATH` when the executor is made.
pub struct LocalExecutor {
    /// An absolute path: the standard library then starts jobs with `posix_spawn` (a
    /// `vfork`) instead of copying the server with `fork` and searching `PATH` in the child,
    /// which took about a millisecond per job here.
    shell: std::path::PathBuf,
    /// What jobs inherit of the server's environment, read once.
    inherited: Vec<(&'static str, String)>,
}

impl LocalExecutor {
    /// Fails when no executable `bash` is on the server's `PATH`.
    pub fn new() -> Result<Self, String> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join("bash"))
            .find(|candidate| is_executable(candidate))
            .map(|shell| Self { shell, inherited: inherited_environment() })
            .ok_or_else(|| "no executable `bash` on PATH: the local executor runs every job with it".to_owned())
    }
}

/// The server's variables that jobs inherit, read once.
fn inherited_environment() -> Vec<(&'static str, String)> {
    INHERITED.iter().filter_map(|&name| std::env::var(name).ok().map(|value| (name, value))).collect()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The script as written to disk: the exit code lands in a file when the script ends, so an
/// outcome survives a restart of the server while the job runs. Bash killed by a signal it
/// does not trap would report the last command's status there (often 0): the usual signals
/// exit with 128 + their number instead.
fn script_file(script: &str) -> String {
    format!(
        "#!/usr/bin/env bash\ntrap 'echo $? > \"$HINDCAST_JOB_DIR/exit_code\"' EXIT\ntrap 'exit 129' HUP\ntrap 'exit 130' INT\ntrap 'exit 143' TERM\n{script}\n"
    )
}

/// The file a job's wrapper writes its exit code to, last: its presence means the job ended.
pub const EXIT_CODE_FILE: &str = "exit_code";

pub fn exit_code_file(dir: &Path) -> std::path::PathBuf {
    dir.join(EXIT_CODE_FILE)
}

#[async_trait]
impl Executor for LocalExecutor {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn prepare(&self, launch: &JobLaunch) -> Result<Prepared, ExecutorError> {
        let (dir, script) = (launch.dir.clone(), script_file(&launch.script));
        // The folder and files in one trip to the blocking pool (one per call costs more).
        tokio::task::spawn_blocking(move || -> std::io::Result<Prepared> {
            std::fs::create_dir_all(dir.join("outputs"))?;
            // Never an outcome left from an earlier process in this folder.
            match std::fs::remove_file(exit_code_file(&dir)) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
            std::fs::create_dir_all(dir.join("tmp"))?;
            std::fs::write(dir.join("script.sh"), script)?;
            Ok(Prepared { stdout: std::fs::File::create(dir.join("stdout.log"))?, stderr: std::fs::File::create(dir.join("stderr.log"))? })
        })
        .await
        .map_err(|e| ExecutorError::Refused(format!("preparing the job's folder was interrupted: {e}")))?
        .map_err(ExecutorError::Io)
    }

    async fn discard(&self, launch: &JobLaunch) {
        let dir = launch.dir.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let _ = std::fs::remove_dir_all(&dir);
            // The job's folder too, when this was its only attempt (fails if not empty).
            if let Some(job_dir) = dir.parent() {
                let _ = std::fs::remove_dir(job_dir);
            }
        })
        .await;
    }

    async fn submit(&self, launch: JobLaunch, prepared: Prepared, events: mpsc::UnboundedSender<JobEvent>) -> Result<String, ExecutorError> {
        let JobLaunch { key, dir, args, env, wallclock, .. } = launch;
        let outputs = dir.join("outputs");
        let script_path = dir.join("script.sh");
        let Prepared { stdout, stderr } = prepared;
        let mut command = tokio::process::Command::new(&self.shell);
        command
            .arg(&script_path)
            .args(&args)
            .current_dir(&outputs)
            .env_clear()
            .envs(self.inherited.iter().map(|(k, v)| (*k, v)))
            .envs(env)
            .env("HINDCAST_JOB_DIR", &dir)
            .env("HINDCAST_OUTPUT_DIR", &outputs)
            .env("TMPDIR", dir.join("tmp"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            // Its own process group, so a kill reaches everything the script started.
            .process_group(0);
        let mut child = command.spawn()?;
        let pid = child.id().ok_or_else(|| ExecutorError::Refused("the job's process ended before it was watched".into()))?;
        let _ = events.send(JobEvent::Started { key, at: chrono::Utc::now(), nodes: None, queue: None });
        tokio::spawn(async move {
            let (status, reason) = match wallclock {
                None => (child.wait().await, None),
                Some(limit) => tokio::select! {
                    status = child.wait() => (status, None),
                    () = tokio::time::sleep(limit) => {
                        kill_group(pid);
                        (child.wait().await, Some(format!("wallclock of {}s exceeded", limit.as_secs())))
                    }
                },
            };
            let (exit_code, reason) = match status {
                Ok(status) => {
                    use std::os::unix::process::ExitStatusExt;
                    let signal = status.signal().map(|s| format!("killed by signal {s}"));
                    (status.code(), reason.or(signal))
                }
                Err(err) => (None, Some(format!("could not watch the process: {err}"))),
            };
            let _ = events.send(JobEvent::Finished { key, exit_code, at: chrono::Utc::now(), reason });
        });
        Ok(ProcessHandle::of(pid).to_string())
    }

    async fn kill(&self, handle: &str) -> Result<(), ExecutorError> {
        let handle = ProcessHandle::parse(handle).ok_or_else(|| ExecutorError::Refused(format!("'{handle}' is not a process handle")))?;
        kill_group(handle.pid);
        Ok(())
    }

    async fn still_running(&self, jobs: &[(String, &Path)]) -> Vec<bool> {
        jobs.iter().map(|(handle, dir)| ProcessHandle::parse(handle).is_some_and(|p| p.alive()) && !exit_code_file(dir).exists()).collect()
    }
}

impl AttemptKey {
    /// The attempt's folder name under the job's folder.
    pub fn folder(self, run_id: i64) -> String {
        format!("run{run_id}-attempt{}", self.attempt)
    }
}
