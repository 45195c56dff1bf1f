//! A throwaway PostgreSQL cluster for tests: `initdb` + `pg_ctl` in a temporary folder, on a
//! free loopback port, started once per test binary and torn down when the binary exits.
//! Set `HINDCAST_TEST_POSTGRES_URL` to use an existing server instead.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Cluster {
    /// Superuser URL of the maintenance database.
    pub admin_url: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| match std::env::var("HINDCAST_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Cluster { admin_url: url },
        _ => start(),
    })
}

fn pg_bin(tool: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path().join("bin").join(tool)).collect())
        .unwrap_or_default();
    versions.retain(|p| p.exists());
    versions.sort();
    versions.pop().unwrap_or_else(|| PathBuf::from(tool))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// PostgreSQL refuses to run as root; run its tools as the `postgres` user then.
fn pg_command(tool: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(pg_bin(tool));
        cmd
    } else {
        Command::new(pg_bin(tool))
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

fn start() -> Cluster {
    let root: PathBuf = tempfile::Builder::new().prefix("hindcast-pg-").tempdir().expect("temp dir").keep();
    let data = root.join("data");
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.args(["postgres:postgres"]).arg(&root);
                c
            },
            "chown",
        );
    }
    let mut initdb = pg_command("initdb");
    initdb.args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D"]).arg(&data);
    run(initdb, "initdb");
    let port = free_port();
    let mut start = pg_command("pg_ctl");
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(root.join("server.log"))
        .arg("-o")
        .arg(format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            root.display()
        ))
        .args(["-w", "-t", "60", "start"]);
    run(start, "pg_ctl start");
    spawn_reaper(&root, &data);
    Cluster { admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres") }
}

/// Stops the cluster and removes its folder once this test process has exited.
fn spawn_reaper(root: &Path, data: &Path) {
    let stop = if is_root() { "runuser -u postgres -- " } else { "" };
    super::after_this_process(&format!(
        "{stop}{pg_ctl} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{root}'",
        pg_ctl = pg_bin("pg_ctl").display(),
        data = data.display(),
        root = root.display(),
    ));
}
