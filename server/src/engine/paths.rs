//! Where an experiment's job files live under the data folder:
//! `experiments/<expid>/jobs/<job>/run<run>-attempt<n>/` (script, stdout.log, stderr.log,
//! exit_code, `outputs/`, `tmp/`) and `experiments/<expid>/runs/<run>.log`.

use std::path::{Path, PathBuf};

pub fn experiment_dir(data_dir: &Path, expid: &str) -> PathBuf {
    data_dir.join("experiments").join(expid)
}

pub fn job_dir(data_dir: &Path, expid: &str, job: &str) -> PathBuf {
    experiment_dir(data_dir, expid).join("jobs").join(folder_name(job))
}

/// A job name as one folder name: names come from configuration values (dates, members),
/// so `/`, NUL and a leading `.` are replaced and no name can point elsewhere.
pub fn folder_name(job: &str) -> String {
    let name: String = job.chars().map(|c| if matches!(c, '/' | '\\' | '\0') { '_' } else { c }).collect();
    if name.starts_with('.') || name.is_empty() { format!("_{name}") } else { name }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_stay_one_folder_inside_the_experiment() {
        let dir = job_dir(Path::new("/d"), "a000", "x/../../../etc");
        assert_eq!(dir, Path::new("/d/experiments/a000/jobs/x_.._.._.._etc"));
        assert_eq!(job_dir(Path::new("/d"), "a000", ".."), Path::new("/d/experiments/a000/jobs/_.."));
        assert_eq!(job_dir(Path::new("/d"), "a000", "a000_SIM"), Path::new("/d/experiments/a000/jobs/a000_SIM"));
    }
}
