//! Shared test support: a fresh database per test on either backend, and the real
//! application spawned on port 0.
#![allow(dead_code)]

pub mod postgres;

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
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let db = fresh_database(backend).await;
    let url = db.url.clone();
    let settings = Settings::load_from(None, move |name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".to_owned()),
        "HINDCAST_LOCAL_USER" => Some("tester".to_owned()),
        _ => None,
    })
    .expect("settings");
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.store();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A request that hangs fails its test instead of stalling the run.
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client");
    TestApp { base, client, store, db, _shutdown: tx }
}
