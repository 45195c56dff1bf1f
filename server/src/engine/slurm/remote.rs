//! Running Slurm's commands: here, or on a login node over SSH (OpenSSH's client, in batch
//! mode: a key, never a password prompt). Every call has a deadline, so a hung login node
//! delays a poll but never the engine.

use std::path::PathBuf;
use std::time::Duration;
use tokio::process::Command;

/// How long one command may take before it counts as failed.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Connection {
    Local,
    Ssh { host: String, user: Option<String>, port: Option<u16>, key: Option<PathBuf> },
}

/// What a command printed, or why it could not be run.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Connection {
    /// How handles name the connection: empty for local, else `user@host:port`.
    pub fn label(&self) -> String {
        match self {
            Self::Local => String::new(),
            Self::Ssh { host, user, port, .. } => {
                format!("{}{host}:{}", user.as_ref().map(|u| format!("{u}@")).unwrap_or_default(), port.unwrap_or(22))
            }
        }
    }

    /// Parses a label back (a connection seen after a restart, before its platform is read
    /// again: the user's default key is used then).
    pub fn from_label(label: &str) -> Option<Self> {
        if label.is_empty() {
            return Some(Self::Local);
        }
        let (user, rest) = match label.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_owned()), r),
            None => (None, label),
        };
        let (host, port) = rest.rsplit_once(':')?;
        Some(Self::Ssh { host: host.to_owned(), user, port: Some(port.parse().ok()?), key: None })
    }

    /// Runs `program args…` (arguments are single-quoted for the remote shell).
    pub async fn run(&self, program: &str, args: &[String]) -> Result<Output, String> {
        let mut command = match self {
            Self::Local => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            Self::Ssh { host, user, port, key } => {
                let mut c = Command::new("ssh");
                c.args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "ServerAliveInterval=15", "-o", "StrictHostKeyChecking=accept-new"]);
                if let Some(port) = port {
                    c.args(["-p", &port.to_string()]);
                }
                if let Some(key) = key {
                    c.arg("-i").arg(key).args(["-o", "IdentitiesOnly=yes"]);
                }
                if let Some(user) = user {
                    c.args(["-l", user]);
                }
                let remote = std::iter::once(program.to_owned()).chain(args.iter().map(|a| quote(a))).collect::<Vec<_>>().join(" ");
                c.arg("--").arg(host).arg(remote);
                c
            }
        };
        // Only what the commands need: a local `sbatch` hands its environment to the job
        // (`--export=ALL`), and the server's holds secrets (SECRET_KEY, DATABASE_URL).
        command.env_clear().envs(std::env::vars().filter(|(name, _)| passed_on(name)));
        command.stdin(std::process::Stdio::null()).kill_on_drop(true);
        let output = tokio::time::timeout(COMMAND_DEADLINE, command.output())
            .await
            .map_err(|_| format!("{program} did not answer within {}s{}", COMMAND_DEADLINE.as_secs(), self.on()))?
            .map_err(|e| format!("{program} could not be started{}: {e}", self.on()))?;
        Ok(Output {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }

    fn on(&self) -> String {
        match self {
            Self::Local => String::new(),
            Self::Ssh { host, .. } => format!(" on {host}"),
        }
    }
}

/// The server's variables Slurm's commands (and ssh) see: the basics and Slurm's own.
fn passed_on(name: &str) -> bool {
    matches!(name, "PATH" | "HOME" | "USER" | "LOGNAME" | "LANG" | "LC_ALL" | "TZ" | "SSH_AUTH_SOCK") || name.starts_with("SLURM_")
}

/// Single quotes for a POSIX shell.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_quotes_hold() {
        let ssh = Connection::Ssh { host: "login1".into(), user: Some("alice".into()), port: Some(2222), key: None };
        assert_eq!(ssh.label(), "alice@login1:2222");
        assert_eq!(Connection::from_label(&ssh.label()), Some(ssh));
        assert_eq!(Connection::from_label(""), Some(Connection::Local));
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
