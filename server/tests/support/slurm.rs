//! A real one-node Slurm cluster for the Slurm executor's tests: started once per test
//! binary by `scripts/slurm-cluster` (as root; it installs slurm-wlm and munge if missing).

use std::sync::OnceLock;

/// Starts the cluster unless it answers already; panics with what went wrong.
pub fn cluster() {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm-cluster");
        let out = std::process::Command::new("bash").arg(script).arg("start").output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
        }
    });
    if let Err(err) = started {
        panic!("the one-node Slurm cluster did not start:\n{err}");
    }
}

/// `squeue`'s state of a job (`None` once Slurm forgot it).
pub fn state(job_id: &str) -> Option<String> {
    let out = std::process::Command::new("squeue").args(["-h", "--states=all", "-o", "%T", "-j", job_id]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The job id in an attempt's `executor_id` (`slurm:<id>`, maybe `@connection`).
pub fn job_id(executor_id: &str) -> String {
    executor_id.strip_prefix("slurm:").expect("a Slurm handle").split('@').next().unwrap().to_owned()
}
