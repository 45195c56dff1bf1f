//! Each attempt's batch job carries a random marker as its `--comment`, written in the
//! attempt's folder before `sbatch` runs, so a job whose submission got no clear answer (a
//! timeout, a dropped SSH link, a crash before its id was kept) can be found in Slurm's queue
//! instead of being submitted twice.

use super::remote::Connection;
use super::wrapper;
use std::path::Path;

/// A random marker for one attempt's batch job (its `--comment`).
pub fn new_marker() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(format!("hindcast-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

pub enum MarkerLookup {
    Found(String),
    /// Slurm has no such job (or the attempt never had a marker).
    Absent,
    /// Slurm could not be asked.
    Unknown,
}

/// Failures after which the job may exist anyway (the controller got the request).
pub const UNCLEAR_ANSWERS: [&str; 3] = ["timed out", "Zero Bytes were transmitted", "Socket"];
/// Refusals that say no job was made, worth a new submission.
pub const TRANSIENT_REFUSALS: [&str; 2] = ["temporarily unavailable", "Unable to contact slurm controller"];
/// After an unclear failure, the marker is looked up at once, then after these waits.
pub const UNCLEAR_LOOKUP_WAITS: [u64; 3] = [0, 3, 10];

/// A plain Slurm job id (not an array's `id_task` or a heterogeneous job's `id+n`).
pub fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_digit())
}

/// This user's job whose comment is the marker in `dir`, queued, running or ended recently
/// (Slurm keeps ended jobs for `MinJobAge`, 300 s by default).
pub async fn find_by_marker(connection: &Connection, dir: &Path) -> MarkerLookup {
    let Ok(text) = tokio::fs::read_to_string(dir.join(wrapper::MARKER_FILE)).await else { return MarkerLookup::Absent };
    let Some(marker) = text.split_whitespace().next().map(str::to_owned) else { return MarkerLookup::Absent };
    let args = ["-h", "--me", "--states=all", "-o", "%i|%k"].map(str::to_owned);
    let out = match connection.run("squeue", &args).await {
        Ok(out) if out.success => out,
        _ => return MarkerLookup::Unknown,
    };
    let found = out.stdout.lines().find_map(|line| {
        let (id, comment) = line.split_once('|')?;
        (comment.trim() == marker && plain_id(id.trim())).then(|| id.trim().to_owned())
    });
    found.map_or(MarkerLookup::Absent, MarkerLookup::Found)
}
