//! Where an experiment's job files live under the data folder:
//! `experiments/<expid>/jobs/<job>/run<run>-attempt<n>/` (script, stdout.log, stderr.log,
//! exit_code, `outputs/`, `tmp/`) and `experiments/<expid>/runs/<run>.log`.

use std::path::{Path, PathBuf};

pub fn experiment_dir(data_dir: &Path, expid: &str) -> PathBuf {
    data_dir.join("experiments").join(expid)
}

pub fn job_dir(data_dir: &Path, expid: &str, job: &str) -> PathBuf {
    experiment_dir(data_dir, expid).join("jobs").join(job)
}

pub fn attempt_dir(data_dir: &Path, expid: &str, job: &str, run_id: i64, attempt: i32) -> PathBuf {
    job_dir(data_dir, expid, job).join(format!("run{run_id}-attempt{attempt}"))
}

pub fn run_log(data_dir: &Path, expid: &str, run_id: i64) -> PathBuf {
    experiment_dir(data_dir, expid).join("runs").join(format!("{run_id}.log"))
}

/// The run's log, opened for appending (a resumed run carries on in the same file).
pub fn open_run_log(data_dir: &Path, expid: &str, run_id: i64) -> Option<std::io::BufWriter<std::fs::File>> {
    let path = run_log(data_dir, expid, run_id);
    let opened = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&path));
    match opened {
        Ok(file) => Some(std::io::BufWriter::new(file)),
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "the run log cannot be written");
            None
        }
    }
}
