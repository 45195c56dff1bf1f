//! The `hindcast` binary as a user starts it: defaults, the printed URL, the SQLite file
//! created on first start, and a graceful stop on SIGTERM.

mod support;

use std::process::{Command, Stdio};
use support::binary::{start_server, start_server_with};
use std::time::{Duration, Instant};

#[tokio::test]
async fn serve_starts_on_defaults_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start_server(dir.path(), None);
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(dir.path().join("data/hindcast.db").exists(), "the default SQLite file is created under ./data/");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful stop exits 0, got {exit:?}");
}

#[test]
fn a_bad_configuration_is_refused_with_the_variable_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .env("LEPTOS_SITE_ADDR", "nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEPTOS_SITE_ADDR"));
    // Protected (the default) and no key to sign sessions with: refused, unless on a workstation.
    let out = Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .arg("serve")
        .env_remove("SECRET_KEY")
        .env_remove("PROTECTION_LEVEL")
        .env_remove("HINDCAST_DEV")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SECRET_KEY: is required"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `hindcast user …` as an operator types it: the password only from standard input, errors
/// on standard error with exit code 2, and the same database as the server.
#[test]
fn accounts_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/h.db", dir.path().display());
    let user = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_hindcast"))
            .arg("user")
            .args(args)
            .env("DATABASE_URL", &url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, out, _) = user(&["add", "Ana", "--admin", "--password-stdin"], "a long enough secret\n");
    assert_eq!((code, out.trim()), (Some(0), "created ana (admin)"));
    let (code, _, err) = user(&["add", "ben", "--password-stdin"], "short\n");
    assert_eq!(code, Some(2));
    assert_eq!(err.trim(), "hindcast user: password: must be at least 10 characters");
    assert_eq!(user(&["add", "ben", "--role", "operator"], "").0, Some(0));
    let (code, out, _) = user(&["list", "--json"], "");
    assert_eq!(code, Some(0));
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["name"], "ana");
    assert_eq!((listed[1]["role"].as_str(), listed[1]["local_password"].as_bool()), (Some("operator"), Some(false)));
    let (code, _, err) = user(&["remove", "ana"], "");
    assert_eq!(code, Some(2));
    assert!(err.contains("only admin"), "{err}");
    let (code, _, err) = user(&["reset-password", "ben"], "");
    assert_eq!(code, Some(2), "the password is never an argument: {err}");
    assert_eq!(user(&["reset-password", "ben", "--password-stdin"], "another long secret\n").0, Some(0));
    let (_, out, _) = user(&["list"], "");
    assert!(out.lines().nth(2).unwrap().starts_with("ben") && out.contains("local"), "{out}");
}

const OPERATOR: (&str, &str) = ("olga", "a long enough secret");

/// The CLI client, logged in as the operator by HTTP Basic (credentials from the environment).
fn client(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .arg("client")
        .args(args)
        .env("HINDCAST_URL", url)
        .env("HINDCAST_USER", OPERATOR.0)
        .env("HINDCAST_PASSWORD", OPERATOR.1)
        .output()
        .unwrap()
}

/// Adds the operator account to the database at `url` with `hindcast user add`.
fn add_operator(url: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .args(["user", "add", OPERATOR.0, "--role", "operator", "--password-stdin"])
        .env("DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", OPERATOR.1).unwrap();
    assert!(child.wait().unwrap().success());
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_a_running_job_is_adopted_and_runs_once_driven_by_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/h.db", dir.path().display());
    add_operator(&database);
    let (mut server, url) = start_server(dir.path(), Some(&database));
    let http = reqwest::Client::new();
    let anonymous = Command::new(env!("CARGO_BIN_EXE_hindcast")).args(["client", "runs", "a000"]).env("HINDCAST_URL", &url).output().unwrap();
    assert_eq!(anonymous.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("401"), "{}", String::from_utf8_lossy(&anonymous.stderr));
    let post = |path: String| http.post(format!("{url}{path}")).basic_auth(OPERATOR.0, Some(OPERATOR.1));
    let created = json(post("/v4/experiments".into()).json(&serde_json::json!({"description": "crash"})).send().await.unwrap()).await;
    assert_eq!(created["user"], OPERATOR.0, "the experiment belongs to who created it");
    let expid = created["name"].as_str().unwrap().to_owned();
    let count = dir.path().join("count.txt");
    let jobs = format!(
        "JOBS:\n  LONG:\n    RUNNING: once\n    SCRIPT: |\n      echo started >> {c}\n      sleep 3\n      echo done\n  \
         AFTER:\n    RUNNING: once\n    DEPENDENCIES: LONG\n    SCRIPT: echo after\n",
        c = count.display()
    );
    let files = serde_json::json!({"files": {"expdef.yml": "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  NUMCHUNKS: 1\n", "jobs.yml": jobs}});
    let put = http.put(format!("{url}/v4/experiments/{expid}/config")).basic_auth(OPERATOR.0, Some(OPERATOR.1));
    assert_eq!(put.json(&files).send().await.unwrap().status(), 200);
    assert_eq!(client(&url, &["action", &expid, "generate"]).status.code(), Some(0));

    let payload = dir.path().join("run.json");
    std::fs::write(&payload, r#"{"mode": "all"}"#).unwrap();
    let out = client(&url, &["run", &expid, "--input", payload.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = run["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !count.exists() {
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Long enough for the engine's next write (every 100 ms) to record the job's process.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill().unwrap(); // SIGKILL: no chance to clean up
    server.wait().unwrap();

    let (mut server, url) = start_server(dir.path(), Some(&database));
    let deadline = Instant::now() + Duration::from_secs(30);
    let ended = loop {
        let out = client(&url, &["get", &expid, "--run", &id.to_string()]);
        let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if !["queued", "running"].contains(&run["status"].as_str().unwrap()) {
            break run;
        }
        assert!(Instant::now() < deadline, "the interrupted run never ended: {run}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(ended["status"], "passed", "{ended}");
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "started\n", "the job ran exactly once");
    let get = http.get(format!("{url}/v4/experiments/{expid}/jobs/{expid}_AFTER")).basic_auth(OPERATOR.0, Some(OPERATOR.1));
    let job = json(get.send().await.unwrap()).await;
    assert_eq!(job["status"], "COMPLETED");

    let log = dir.path().join("long.log");
    let out = client(&url, &["logs", &expid, "--job", &format!("{expid}_LONG"), "--output", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "done\n");
    let out = client(&url, &["events", &expid, "--count", "1"]);
    let hello: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hello["event"], "hello");
    let out = client(&url, &["get", "a999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("404: Experiment with expid 'a999' not found."));
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Whether a process exists (signal 0 only checks).
fn process_exists(pid: i32) -> bool {
    Command::new("kill").args(["-0", &pid.to_string()]).stderr(Stdio::null()).status().unwrap().success()
}

/// The server goes down right after a job started and before the engine wrote anything about
/// it (writes are held back for a minute here). After the restart the job is found by its
/// folder and its process (not the subshell that shares its command line), adopted instead of
/// started a second time, and a stop kills it with the process it started; the run ends
/// cancelled and the job's child never runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_not_yet_recorded_when_the_server_died_is_adopted_and_stoppable() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/h.db", dir.path().display());
    add_operator(&database);
    let (mut server, url) = start_server_with(dir.path(), Some(&database), &[("HINDCAST_WRITE_INTERVAL_MS", "60000")]);
    let http = reqwest::Client::new();
    let auth = |request: reqwest::RequestBuilder| request.basic_auth(OPERATOR.0, Some(OPERATOR.1));
    let expid = json(auth(http.post(format!("{url}/v4/experiments"))).json(&serde_json::json!({"description": "crash"})).send().await.unwrap()).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (count, child_pid) = (dir.path().join("count.txt"), dir.path().join("child.pid"));
    let jobs = format!(
        "JOBS:\n  LONG:\n    RUNNING: once\n    SCRIPT: |\n      ( sleep 600 ) &\n      echo $! > {p}\n      echo started >> {c}\n      wait\n  \
         AFTER:\n    RUNNING: once\n    DEPENDENCIES: LONG\n    SCRIPT: echo after >> {c}\n",
        c = count.display(),
        p = child_pid.display()
    );
    let files = serde_json::json!({"files": {"expdef.yml": "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  NUMCHUNKS: 1\n", "jobs.yml": jobs}});
    assert_eq!(auth(http.put(format!("{url}/v4/experiments/{expid}/config"))).json(&files).send().await.unwrap().status(), 200);
    assert_eq!(auth(http.post(format!("{url}/v4/experiments/{expid}?action=generate"))).send().await.unwrap().status(), 200);
    let run = json(auth(http.post(format!("{url}/v4/experiments/{expid}/runs"))).json(&serde_json::json!({})).send().await.unwrap()).await;
    let id = run["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !count.exists() {
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let attempts = |url: String| {
        let (http, path) = (http.clone(), format!("{url}/v4/experiments/{expid}/runs/{id}/attempts"));
        async move { json(http.get(path).basic_auth(OPERATOR.0, Some(OPERATOR.1)).send().await.unwrap()).await }
    };
    let child: i32 = std::fs::read_to_string(&child_pid).unwrap().trim().parse().unwrap();
    assert!(process_exists(child));

    let (mut server, url) = start_server(dir.path(), Some(&database));
    // Adopted: on record as running, with the process that already runs (not a new one).
    let deadline = Instant::now() + Duration::from_secs(20);
    let adopted = loop {
        let listed = attempts(url.clone()).await;
        if listed["attempts"].as_array().is_some_and(|a| !a.is_empty()) {
            break listed;
        }
        assert!(Instant::now() < deadline, "the unrecorded attempt was never found: {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(adopted["attempts"].as_array().unwrap().len(), 1, "{adopted}");
    assert_eq!((adopted["attempts"][0]["status"].as_str(), adopted["attempts"][0]["attempt"].as_i64()), (Some("RUNNING"), Some(1)), "{adopted}");
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "started\n", "the job was not started a second time");

    let stopped = json(auth(http.post(format!("{url}/v4/experiments/{expid}?action=stop"))).send().await.unwrap()).await;
    assert_eq!(stopped["stopped_run"], id, "{stopped}");
    let run = json(auth(http.get(format!("{url}/v4/experiments/{expid}/runs/{id}"))).send().await.unwrap()).await;
    assert_eq!(run["status"], "cancelled", "{run}");
    let ended = attempts(url.clone()).await;
    assert_eq!(ended["attempts"][0]["status"], "FAILED", "{ended}");
    assert_eq!(ended["attempts"][0]["reason"], format!("stopped by {}", OPERATOR.0), "{ended}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_exists(child) {
        assert!(Instant::now() < deadline, "the job's own child outlived the stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = json(auth(http.get(format!("{url}/v4/experiments/{expid}/jobs/{expid}_AFTER"))).send().await.unwrap()).await;
    assert_eq!(after["status"], "WAITING", "{after}");
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "started\n");
    server.kill().unwrap();
    server.wait().unwrap();
}
