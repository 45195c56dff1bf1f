//! The batch script handed to `sbatch`: `#SBATCH` directives, then the job's environment and
//! its own `script.sh` (the same one the local executor runs, which writes `exit_code` on
//! exit). The wrapper writes the start and end times beside it, from bash's own clock (no
//! extra process), as Autosubmit's `_STAT` files do: outcomes and times never depend on
//! Slurm's accounting database, so clusters without `slurmdbd` work.

use super::remote::quote;
use crate::engine::executor::JobLaunch;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

pub const WRAPPER: &str = "slurm.sh";
pub const STARTED_AT: &str = "started_at";
pub const FINISHED_AT: &str = "finished_at";
/// The job's handle, written once `sbatch` answers: recovery finds the job by its folder
/// when the server went down before recording it.
pub const HANDLE_FILE: &str = "slurm_handle";
/// The attempt's marker (also its job's `--comment`) and the connection it is submitted on,
/// written before `sbatch` runs: a job whose submission had no clear answer (a timeout, a
/// dropped SSH link, a crash before `HANDLE_FILE`) is found by its marker, not run twice.
pub const MARKER_FILE: &str = "slurm_marker";

/// Slurm's `--time`: whole minutes, rounded up (Hindcast also cancels at the exact second).
pub fn time_limit(wallclock: Duration) -> String {
    let minutes = wallclock.as_secs().div_ceil(60).max(1);
    format!("{}:{:02}:00", minutes / 60, minutes % 60)
}

/// A job name Slurm shows in `squeue`: the experiment's and job's names, one word.
fn job_name(expid: &str, job: &str) -> String {
    format!("{expid}_{job}").chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).take(120).collect()
}

pub fn wrapper(launch: &JobLaunch, directives: &[String], marker: &str) -> String {
    let expid = launch.env.iter().find(|(k, _)| k == "HINDCAST_EXPID").map_or("", |(_, v)| v.as_str());
    let dir = &launch.dir;
    let path = |name: &str| dir.join(name).display().to_string();
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(s, "#SBATCH --job-name={}", job_name(expid, &launch.job_name));
    // Directives are not shell-parsed: `usable_folder` keeps spaces and quotes out of paths.
    let _ = writeln!(s, "#SBATCH --output={}", path("stdout.log"));
    let _ = writeln!(s, "#SBATCH --error={}", path("stderr.log"));
    let _ = writeln!(s, "#SBATCH --chdir={}", path("outputs"));
    let _ = writeln!(s, "#SBATCH --open-mode=append");
    // Hindcast retries (RETRIALS); Slurm requeueing the same job too would run it twice.
    let _ = writeln!(s, "#SBATCH --no-requeue");
    if let Some(limit) = launch.wallclock {
        let _ = writeln!(s, "#SBATCH --time={}", time_limit(limit));
    }
    for directive in directives {
        let _ = writeln!(s, "#SBATCH {directive}");
    }
    // Last, so it wins over a --comment among the custom directives: Hindcast needs it.
    let _ = writeln!(s, "#SBATCH --comment={marker}");
    let _ = writeln!(s, "echo \"$EPOCHREALTIME\" > {}", quote(&path(STARTED_AT)));
    // Slurm's TERM (scancel, time limit) reaches the job's script, which records 143; the
    // wrapper waits for it, then records the end.
    let _ = writeln!(s, "trap 'echo \"$EPOCHREALTIME\" > \"{}\"' EXIT", path(FINISHED_AT));
    let _ = writeln!(s, "trap 'exit 143' TERM");
    for (name, value) in environment(launch) {
        let _ = writeln!(s, "export {name}={}", quote(&value));
    }
    let args: Vec<String> = launch.args.iter().map(|a| quote(a)).collect();
    let _ = writeln!(s, "bash {} {}", quote(&path("script.sh")), args.join(" "));
    s
}

/// Whether a job folder can be named in directives and the wrapper's traps unquoted.
pub fn usable_folder(dir: &Path) -> Result<(), String> {
    let text = dir.display().to_string();
    // `%` would be one of Slurm's filename patterns in --output.
    let fine = text.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.+,@=:".contains(c));
    fine.then_some(()).ok_or_else(|| format!("the job folder '{text}' has characters #SBATCH lines cannot carry (use a data folder with letters, digits and /-_.+,@=: only)"))
}

/// The job's variables, as the local executor gives them.
fn environment(launch: &JobLaunch) -> Vec<(String, String)> {
    let dir = &launch.dir;
    let mut env: Vec<(String, String)> = launch.env.iter().filter(|(k, _)| is_name(k)).cloned().collect();
    env.push(("HINDCAST_JOB_DIR".into(), dir.display().to_string()));
    env.push(("HINDCAST_OUTPUT_DIR".into(), dir.join("outputs").display().to_string()));
    env.push(("TMPDIR".into(), dir.join("tmp").display().to_string()));
    env
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A time bash wrote with `$EPOCHREALTIME` (seconds, a fraction after `.` or `,`).
pub fn read_time(dir: &Path, file: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    let (secs, fraction) = text.trim().split_once(['.', ',']).unwrap_or((text.trim(), "0"));
    let micros: u32 = format!("{fraction:0<6}").get(..6)?.parse().ok()?;
    chrono::DateTime::from_timestamp(secs.parse().ok()?, micros * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_round_up_to_minutes() {
        assert_eq!(time_limit(Duration::from_secs(3)), "0:01:00");
        assert_eq!(time_limit(Duration::from_secs(3600)), "1:00:00");
        assert_eq!(time_limit(Duration::from_secs(3601)), "1:01:00");
    }

    #[test]
    fn the_marker_comes_after_the_custom_directives() {
        let launch = JobLaunch {
            key: crate::engine::executor::AttemptKey { number: 0, attempt: 1 },
            job_name: "a000_SIM".into(),
            dir: "/d/run1-attempt1".into(),
            script: "true".into(),
            args: Vec::new(),
            env: Vec::new(),
            wallclock: None,
            target: crate::engine::slurm::spec::Target::Local,
        };
        let text = wrapper(&launch, &["--comment=theirs".to_owned()], "hindcast-00ff");
        let (theirs, ours) = (text.find("--comment=theirs").unwrap(), text.find("#SBATCH --comment=hindcast-00ff\n").unwrap());
        assert!(theirs < ours, "{text}");
    }

    #[test]
    fn times_from_bash_read_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STARTED_AT), "1700000000.250000\n").unwrap();
        assert_eq!(read_time(dir.path(), STARTED_AT).unwrap().timestamp_millis(), 1_700_000_000_250);
        std::fs::write(dir.path().join(STARTED_AT), "garbage").unwrap();
        assert_eq!(read_time(dir.path(), STARTED_AT), None);
    }
}
