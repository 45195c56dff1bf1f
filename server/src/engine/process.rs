//! A local job's process group: its handle as stored with the attempt, and what a restarted
//! server can tell from it. A bare process id is not enough after a reboot (or a long life),
//! when the same number may belong to another process: the handle also names the machine's
//! boot and the process's start time, `"<pid>:<start ticks>:<boot id>"`.

use std::sync::OnceLock;
use std::time::Duration;

/// How long a killed job may take to end on SIGTERM before it gets SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// Who a stored handle names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessHandle {
    pub pid: u32,
    /// Clock ticks after boot at which the process started (`/proc/<pid>/stat`, field 22).
    start: Option<u64>,
    boot: Option<String>,
}

impl ProcessHandle {
    /// The handle of a process this server just started.
    pub fn of(pid: u32) -> Self {
        Self { pid, start: start_ticks(pid), boot: boot_id().map(str::to_owned) }
    }

    /// A stored handle; a bare process id (as written before handles named the boot) too.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, ':');
        let pid = parts.next()?.trim().parse().ok()?;
        let start = parts.next().and_then(|s| s.parse().ok());
        let boot = parts.next().filter(|b| !b.is_empty()).map(str::to_owned);
        Some(Self { pid, start, boot })
    }

    /// Whether the job's process group still runs: never when the handle is from another boot
    /// or its process id now belongs to a process started at another time.
    pub fn alive(&self) -> bool {
        if self.boot.as_deref().is_some_and(|b| Some(b) != boot_id()) {
            return false;
        }
        // The leader may have ended while the group's other members run on; then its id
        // cannot have been given to another process (a group keeps its id while it lives).
        if let (Some(start), Some(now)) = (self.start, start_ticks(self.pid)) {
            if start != now {
                return false;
            }
        }
        group_alive(self.pid)
    }
}

impl std::fmt::Display for ProcessHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.pid, self.start.map(|s| s.to_string()).unwrap_or_default(), self.boot.as_deref().unwrap_or_default())
    }
}

/// This boot of the machine (changes at every reboot).
fn boot_id() -> Option<&'static str> {
    static BOOT: OnceLock<Option<String>> = OnceLock::new();
    BOOT.get_or_init(|| std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|t| t.trim().to_owned())).as_deref()
}

/// When the process started, in clock ticks after boot; `None` when there is no such process.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// SIGTERM to the process group now, SIGKILL after the grace period if it is still there.
pub fn kill_group(pid: u32) {
    let Ok(group) = i32::try_from(pid) else { return };
    signal_group(group, libc::SIGTERM);
    tokio::spawn(async move {
        tokio::time::sleep(KILL_GRACE).await;
        signal_group(group, libc::SIGKILL);
    });
}

#[allow(unsafe_code)]
fn signal_group(group: i32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// Whether a process group still has a live member.
#[allow(unsafe_code)]
fn group_alive(pid: u32) -> bool {
    let Ok(group) = i32::try_from(pid) else { return false };
    // SAFETY: kill(2) with signal 0 only checks for existence.
    unsafe { libc::kill(-group, 0) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_names_its_process_until_the_number_means_another() {
        let mine = ProcessHandle::of(std::process::id());
        assert!(mine.start.is_some() && mine.boot.is_some(), "{mine:?}");
        assert_eq!(ProcessHandle::parse(&mine.to_string()), Some(mine.clone()));
        // The test process leads no group of its own, so check the identity part alone.
        let same_number_other_start = ProcessHandle { start: mine.start.map(|s| s + 1), ..mine.clone() };
        assert!(!same_number_other_start.alive());
        let other_boot = ProcessHandle { boot: Some("another-boot".into()), ..mine.clone() };
        assert!(!other_boot.alive());
        assert_eq!(ProcessHandle::parse("4242"), Some(ProcessHandle { pid: 4242, start: None, boot: None }));
        assert_eq!(ProcessHandle::parse("x"), None);
    }

    #[test]
    fn a_live_group_is_alive_and_a_gone_one_is_not() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sleep").arg("5").process_group(0).spawn().unwrap();
        let handle = ProcessHandle::of(child.id());
        assert!(handle.alive());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!handle.alive());
    }
}
