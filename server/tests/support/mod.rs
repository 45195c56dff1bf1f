//! Shared test support: a fresh database per test on either backend, and the real
//! application spawned on port 0.
#![allow(dead_code)]

pub mod binary;
pub mod postgres;
pub mod s3;
pub mod slurm;
pub mod sshd;

use app::store::SharedStore;
use hindcast_server::config::Settings;
use hindcast_server::startup::Application;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test case once per backend, as `<name>::sqlite` and `<name>::postgres`.
/// Four workers, as the server runs: with two, Leptos' server rendering can hang.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() { super::$name($crate::support::Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() { super::$name($crate::support::Backend::Postgres).await }
        }
    )*};
}

/// A database nobody else uses; SQLite files live as long as this value.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static NEXT_DB: AtomicU64 = AtomicU64::new(0);

pub async fn fresh_database(backend: Backend) -> TestDatabase {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/nested/hindcast.db", dir.path().display());
            TestDatabase { url, _dir: Some(dir) }
        }
        Backend::Postgres => {
            let cluster = postgres::cluster();
            let name = format!("t{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::Relaxed));
            let admin = sqlx::PgPool::connect(&cluster.admin_url).await.expect("connect to the test cluster");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create database");
            admin.close().await;
            let base = cluster.admin_url.rsplit_once('/').expect("url has a database").0;
            TestDatabase { url: format!("{base}/{name}"), _dir: None }
        }
    }
}

/// Executes raw SQL on the test database (for seeding states the API cannot produce).
pub async fn execute_raw(db: &TestDatabase, sql: &str) {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connect");
        sqlx::query(sql).execute(&pool).await.expect("raw sql");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
        sqlx::query(sql).execute(&pool).await.expect("raw sql");
        pool.close().await;
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: SharedStore,
    pub db: TestDatabase,
    /// Where the engine writes job files (scripts, logs, outputs).
    pub data_dir: std::path::PathBuf,
    _data: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// The status a request with a body of `bytes` bytes gets. The body is written while the
    /// answer is read: a server refusing it by size may answer and close before it has all
    /// been written, which a client that first writes everything sees as a broken pipe.
    pub async fn status_of_oversized(&self, method: &str, path: &str, bytes: usize) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\n\r\n"
        );
        let sender = tokio::spawn(async move {
            let _ = writer.write_all(head.as_bytes()).await;
            let _ = writer.write_all(&vec![b' '; bytes]).await; // may fail once refused
        });
        let mut answer = vec![0u8; 64];
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), reader.read(&mut answer))
            .await
            .expect("an answer in time")
            .expect("read");
        sender.abort();
        let line = String::from_utf8_lossy(&answer[..read]).into_owned();
        line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no status in {line:?}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`, expecting `status`; the JSON body.
    pub async fn get_json(&self, path: &str, status: u16) -> serde_json::Value {
        let res = self.client.get(self.url(path)).send().await.expect("request");
        assert_eq!(res.status().as_u16(), status, "GET {path}");
        res.json().await.expect("JSON body")
    }
}

/// Runs `cleanup` (shell) once this test process has exited: what a test binary starts for
/// all its tests (a database cluster, an S3 server) goes with it.
// The reaper must outlive this process, so it is deliberately never waited for.
#[allow(clippy::zombie_processes)]
pub fn after_this_process(cleanup: &str) {
    let script = format!("while kill -0 {me} 2>/dev/null; do sleep 0.5; done; {cleanup}", me = std::process::id());
    std::process::Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn a reaper");
}

/// A zip's entries: names and text, in the archive's order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut file, &mut text).unwrap();
            (file.name().to_owned(), text)
        })
        .collect()
}

/// The configuration files of a reference case (`tests/data/autosubmit-cases/<case>`).
pub fn case_files(case: &str) -> serde_json::Map<String, serde_json::Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/autosubmit-cases").join(case);
    let mut files = serde_json::Map::new();
    for entry in std::fs::read_dir(dir).expect("case folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "yml") {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).expect("read").into());
        }
    }
    files
}

/// The expected graph of a reference case, as real Autosubmit generated it.
pub fn expected_graph(case: &str) -> serde_json::Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/autosubmit-cases").join(case);
    let plain = dir.join("expected_graph.json");
    if plain.exists() {
        serde_json::from_str(&std::fs::read_to_string(plain).expect("read")).expect("JSON")
    } else {
        let gz = std::fs::File::open(dir.join("expected_graph.json.gz")).expect("open");
        serde_json::from_reader(flate2::read::GzDecoder::new(gz)).expect("JSON")
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// As `spawn_app`, with more environment variables for the settings.
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let db = fresh_database(backend).await;
    let data = tempfile::tempdir().expect("temp dir");
    let (base, store, shutdown) = serve(&db.url, data.path(), extra).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A request that hangs fails its test instead of stalling the run.
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client");
    let data_dir = data.path().to_path_buf();
    TestApp { base, client, store, db, data_dir, _data: data, _shutdown: shutdown }
}

/// Another server on the same database (as a second process of one deployment would be):
/// its base URL, and what stops it when dropped.
pub async fn spawn_second_server(first: &TestApp, extra: &[(&str, &str)]) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (base, _, shutdown) = serve(&first.db.url, &first.data_dir, extra).await;
    (base, shutdown)
}

/// A server on `db_url` whose data folder is `data_dir` (another machine's, when it differs
/// from the first server's): its base URL, and what stops it when dropped.
pub async fn spawn_server_on(db_url: &str, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (base, _, shutdown) = serve(db_url, data_dir, extra).await;
    (base, shutdown)
}

async fn serve(
    url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> (String, SharedStore, tokio::sync::oneshot::Sender<()>) {
    let url = url.to_owned();
    let data_text = data_dir.display().to_string();
    let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let settings = Settings::load_from(None, move |name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".to_owned()),
        "HINDCAST_LOCAL_USER" => Some("tester".to_owned()),
        "HINDCAST_DATA_DIR" => Some(data_text.clone()),
        // Most tests are about other things than login: nothing is protected unless asked.
        "PROTECTION_LEVEL" => Some(extra.iter().find(|(k, _)| k == "PROTECTION_LEVEL").map_or("NONE".to_owned(), |(_, v)| v.clone())),
        other => extra.iter().find(|(k, _)| k == other).map(|(_, v)| v.clone()),
    })
    .expect("settings");
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.store();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    (base, store, tx)
}
