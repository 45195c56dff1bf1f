//! Job artifacts in an S3-compatible object store (a real `moto_server`), on both database
//! backends: ended attempts and runs are copied there, and a second server with an empty
//! data folder — another machine — serves every log, range, search, zip and output file
//! from it. Copies missed while the store was away are made by the next sweep.

mod support;

use hindcast_server::storage::{ArtifactKey, ArtifactStore, ObjectStorage};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{spawn_app_with, spawn_server_on, Backend, TestApp};

const EXPDEF: &str = "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  \
     CHUNKSIZEUNIT: month\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS: {}\n";

/// Outputs at two depths, a temp file, a link that must not leak, 3,000 lines of stdout.
const JOBS: &str = "JOBS:\n  MAKE:\n    RUNNING: once\n    SCRIPT: |\n      mkdir -p sub\n      echo data > sub/result.txt\n      \
                    echo scratch > \"$TMPDIR/scratch\"\n      ln -s /etc/passwd leak\n      \
                    for i in $(seq 1 3000); do echo \"line $i\"; done\n      echo oops >&2\n";

on_both_backends!(a_server_without_the_data_folder_serves_archived_attempts, copies_missed_while_the_store_was_away_are_made_later);

/// The server's variables for `bucket` (`s3://name`).
fn store_vars(bucket: &str) -> Vec<(String, String)> {
    let mut vars = support::s3::env();
    vars.push(("HINDCAST_ARTIFACTS_URL".into(), format!("{bucket}/deployment")));
    vars
}

fn as_refs(vars: &[(String, String)]) -> Vec<(&str, &str)> {
    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn experiment_with_run(app: &TestApp) -> (String, i64) {
    let res = app.client.post(app.url("/v4/experiments")).json(&json!({"description": "artifacts"})).send().await.unwrap();
    let expid = res.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    let files = json!({"expdef.yml": EXPDEF, "jobs.yml": JOBS});
    let res = app.client.put(app.url(&format!("/v4/experiments/{expid}/config"))).json(&json!({"files": files})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=generate"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}/runs"))).json(&json!({})).send().await.unwrap();
    let run = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = app.get_json(&format!("/v4/experiments/{expid}/runs/{run}"), 200).await;
        if view["status"] == "passed" {
            return (expid, run);
        }
        assert!(["queued", "running"].contains(&view["status"].as_str().unwrap()), "{view}");
        assert!(Instant::now() < deadline, "run did not end: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (at most 20 s) until the job's attempt and the run's log are marked archived.
async fn wait_for_archive(base: &str, expid: &str, run: i64) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let history: Value = client.get(format!("{base}/v4/experiments/{expid}/jobs/{expid}_MAKE/history")).send().await.unwrap().json().await.unwrap();
        let run_view: Value = client.get(format!("{base}/v4/experiments/{expid}/runs/{run}")).send().await.unwrap().json().await.unwrap();
        if history["attempts"][0]["archived_at"].is_string() && run_view["log_archived_at"].is_string() {
            return;
        }
        assert!(Instant::now() < deadline, "not archived: {history} {run_view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_server_without_the_data_folder_serves_archived_attempts(backend: Backend) {
    let bucket = support::s3::fresh_bucket().await;
    let vars = store_vars(&bucket);
    let app = spawn_app_with(backend, &as_refs(&vars)).await;
    let (expid, run) = experiment_with_run(&app).await;
    wait_for_archive(&app.base, &expid, run).await;

    // What is in the bucket: every file of the attempt, never the link, and the run's log.
    let store = ObjectStorage::open(&format!("{bucket}/deployment"), support::s3::env()).unwrap();
    let job = format!("{expid}_MAKE");
    let attempt = format!("run{run}-attempt1");
    let folder = ArtifactKey::new(["experiments", expid.as_str(), "jobs", job.as_str(), attempt.as_str()]).unwrap();
    let stored: Vec<String> = store.list(&folder).await.unwrap().into_iter().map(|f| f.relative).collect();
    for expected in ["exit_code", "outputs/sub/result.txt", "script.sh", "stderr.log", "stdout.log", "tmp/scratch"] {
        assert!(stored.iter().any(|s| s == expected), "{expected} missing from {stored:?}");
    }
    assert!(!stored.iter().any(|s| s.contains("leak")), "{stored:?}");
    let local = |relative: &str| std::fs::read_to_string(app.data_dir.join(format!("experiments/{expid}/{relative}"))).unwrap();
    let stdout = local(&format!("jobs/{job}/{attempt}/stdout.log"));
    let run_log = local(&format!("runs/{run}.log"));
    assert!(stdout.ends_with("line 3000\n") && run_log.contains("ended passed"), "{run_log}");

    // Another machine: same database, same store, an empty data folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let (other, _stop) = spawn_server_on(&app.db.url, elsewhere.path(), &as_refs(&vars)).await;
    let client = reqwest::Client::new();
    let get = |path: String| {
        let (client, other) = (client.clone(), other.clone());
        async move { client.get(format!("{other}{path}")).send().await.unwrap() }
    };
    let base = format!("/v4/experiments/{expid}/jobs/{job}");
    assert_eq!(get(format!("{base}/log")).await.text().await.unwrap(), stdout);
    let tail = get(format!("{base}/log?tail=10")).await;
    assert_eq!(tail.headers()["x-log-size"].to_str().unwrap(), stdout.len().to_string());
    assert_eq!(tail.text().await.unwrap(), "line 3000\n");
    assert_eq!(get(format!("{base}/log?offset=7&length=6")).await.text().await.unwrap(), "line 2");
    assert_eq!(get(format!("{base}/log?stream=err")).await.text().await.unwrap(), "oops\n");
    let found: Value = get(format!("{base}/log?search=LINE%202999")).await.json().await.unwrap();
    let at = stdout.find("line 2999\n").unwrap();
    assert_eq!(found["matches"], json!([{"offset": at, "line": "line 2999"}]), "{found}");
    let ranged = client.get(format!("{other}{base}/log?download=true")).header("range", "bytes=5-10").send().await.unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()["content-range"].to_str().unwrap(), format!("bytes 5-10/{}", stdout.len()));
    assert_eq!(ranged.text().await.unwrap(), &stdout[5..11]);
    let past = client.get(format!("{other}{base}/log?download=true")).header("range", "bytes=999999-").send().await.unwrap();
    assert_eq!(past.status(), 416);

    let zip_of = |path: String| {
        let get = &get;
        async move {
            let res = get(path.clone()).await;
            assert_eq!(res.status(), 200, "{path}");
            support::unzip(&res.bytes().await.unwrap())
        }
    };
    let prefix = format!("{job}/{attempt}");
    assert_eq!(zip_of(format!("{base}/outputs")).await, vec![(format!("{prefix}/outputs/sub/result.txt"), "data\n".to_owned())]);
    assert_eq!(zip_of(format!("{base}/temps")).await, vec![(format!("{prefix}/tmp/scratch"), "scratch\n".to_owned())]);
    let logs = zip_of(format!("{base}/logs")).await;
    assert_eq!(logs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), ["script.sh", "stdout.log", "stderr.log"].map(|f| format!("{prefix}/{f}")));
    assert_eq!(logs[1].1, stdout);
    let run_zip = zip_of(format!("/v4/experiments/{expid}/runs/{run}/logs")).await;
    assert_eq!(run_zip[0], (format!("run{run}.log"), run_log.clone()));
    assert_eq!(get(format!("{base}/outputs/sub/result.txt")).await.text().await.unwrap(), "data\n");
    for missing in ["leak", "sub%2F..%2F..%2Fstdout.log", "nothing.txt"] {
        assert_eq!(get(format!("{base}/outputs/{missing}")).await.status(), 404, "{missing}");
    }
    assert_eq!(get(format!("/v4/experiments/{expid}/runs/{run}/log")).await.text().await.unwrap(), run_log);

    // A followed log of an archived attempt arrives whole, then ends.
    let mut res = get(format!("/v4/experiments/{expid}/events?log_job={job}&log_offset={}", stdout.len() - 10)).await;
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.contains("event: log_end") {
        let chunk = tokio::time::timeout_at(deadline.into(), res.chunk()).await.expect("log_end in time").unwrap().expect("more events");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(r#""text":"line 3000\n""#), "{seen}");
    // The other server never wrote a job file.
    assert!(!elsewhere.path().join("experiments").exists());
}

async fn copies_missed_while_the_store_was_away_are_made_later(backend: Backend) {
    let bucket = support::s3::fresh_bucket().await;
    let vars = store_vars(&bucket);
    let app = spawn_app_with(backend, &as_refs(&vars)).await;
    // The bucket goes away once the server has started: every copy fails.
    let bucket_url = format!("{}/{}", support::s3::server().endpoint, bucket.trim_start_matches("s3://"));
    let client = reqwest::Client::new();
    assert!(client.delete(&bucket_url).send().await.unwrap().status().is_success());
    let (expid, run) = experiment_with_run(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let history = app.get_json(&format!("/v4/experiments/{expid}/jobs/{expid}_MAKE/history"), 200).await;
    assert!(history["attempts"][0]["archived_at"].is_null(), "{history}");
    // Nothing is lost: the data folder still serves the attempt.
    let log = format!("/v4/experiments/{expid}/jobs/{expid}_MAKE/log?tail=10");
    assert_eq!(app.client.get(app.url(&log)).send().await.unwrap().text().await.unwrap(), "line 3000\n");

    // The store is back; the next server to start on this data folder sweeps what was missed.
    assert!(client.put(&bucket_url).send().await.unwrap().status().is_success());
    let (_, _second) = spawn_server_on(&app.db.url, &app.data_dir, &as_refs(&vars)).await;
    wait_for_archive(&app.base, &expid, run).await;
    let elsewhere = tempfile::tempdir().unwrap();
    let (other, _stop) = spawn_server_on(&app.db.url, elsewhere.path(), &as_refs(&vars)).await;
    let tail = client.get(format!("{other}{log}")).send().await.unwrap().text().await.unwrap();
    assert_eq!(tail, "line 3000\n");
    let run_log = client.get(format!("{other}/v4/experiments/{expid}/runs/{run}/log")).send().await.unwrap().text().await.unwrap();
    assert!(run_log.contains("ended passed"), "{run_log}");
}

#[tokio::test]
async fn a_server_refuses_to_start_when_its_store_cannot_be_reached() {
    let db = support::fresh_database(Backend::Sqlite).await;
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut vars = store_vars("s3://nowhere");
    vars.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    vars.push(("AWS_ENDPOINT_URL".into(), format!("http://127.0.0.1:{port}")));
    let (url, dir) = (db.url.clone(), data.path().display().to_string());
    let settings = hindcast_server::config::Settings::load_from(None, move |name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
        "HINDCAST_DATA_DIR" => Some(dir.clone()),
        "PROTECTION_LEVEL" => Some("NONE".into()),
        other => vars.iter().find(|(k, _)| k == other).map(|(_, v)| v.clone()),
    })
    .unwrap();
    let err = hindcast_server::startup::Application::build(settings).await.err().expect("refused");
    let message = err.to_string();
    assert!(message.starts_with("HINDCAST_ARTIFACTS_URL: the artifact store s3://nowhere/deployment cannot be reached"), "{message}");
}
