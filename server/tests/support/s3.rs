//! A real S3-compatible server for tests: `moto_server` (moto, from PyPI, installed by
//! `scripts/ensure-tools test` under the tools folder) on a free loopback port, started once
//! per test binary and killed when the binary exits. Each test gets its own bucket.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct S3Server {
    pub endpoint: String,
}

static SERVER: OnceLock<S3Server> = OnceLock::new();
static NEXT_BUCKET: AtomicU64 = AtomicU64::new(0);

fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("HINDCAST_MOTO_SERVER") {
        return path.into();
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let tools = std::env::var_os("HINDCAST_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|| home.join(".cache/hindcast/tools"));
    tools.join("moto/bin/moto_server")
}

// The server outlives nothing here: the reaper kills it once this test process has exited.
#[allow(clippy::zombie_processes)]
pub fn server() -> &'static S3Server {
    SERVER.get_or_init(|| {
        let binary = moto_server();
        assert!(binary.exists(), "{} is missing: run scripts/ensure-tools test", binary.display());
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let log_path = std::env::temp_dir().join(format!("hindcast-moto-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("moto log");
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start moto_server");
        super::after_this_process(&format!("kill {} 2>/dev/null; rm -f '{}'", child.id(), log_path.display()));
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        S3Server { endpoint }
    })
}

/// A new empty bucket, as `s3://<name>`; the `AWS_*` variables a store or a server needs to
/// reach it are in `env()`.
pub async fn fresh_bucket() -> String {
    let server = server();
    let name = format!("hc-{}-{}", std::process::id(), NEXT_BUCKET.fetch_add(1, Ordering::Relaxed));
    let created = reqwest::Client::new().put(format!("{}/{name}", server.endpoint)).send().await.expect("create bucket");
    assert!(created.status().is_success(), "bucket not created: {}", created.status());
    format!("s3://{name}")
}

/// The `AWS_*` variables a store or a server needs to reach the test server.
pub fn env() -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", server().endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "hindcast-test"),
        ("AWS_SECRET_ACCESS_KEY", "hindcast-test-secret"),
        ("AWS_REGION", "us-east-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}
