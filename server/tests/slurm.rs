//! The Slurm executor against a real one-node Slurm cluster (started by the harness, as
//! root): jobs submitted with sbatch succeed, fail, are retried, time out, are held, are
//! cancelled on stop with scancel, and are found again by id after the server is killed.

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{spawn_app, slurm, Backend, TestApp};

fn expdef(platform_extra: &str) -> String {
    format!(
        "DEFAULT:\n  EXPID: a000\n  HPCARCH: HPC\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  CHUNKSIZEUNIT: month\n  \
         CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS:\n  HPC:\n    TYPE: slurm\n    PARTITION: debug\n{platform_extra}"
    )
}

async fn experiment_with(app: &TestApp, expdef: &str, jobs: &str) -> String {
    let res = app.client.post(app.url("/v4/experiments")).json(&json!({"description": "slurm"})).send().await.unwrap();
    let expid = res.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    let files = json!({"expdef.yml": expdef, "jobs.yml": jobs});
    let res = app.client.put(app.url(&format!("/v4/experiments/{expid}/config"))).json(&json!({"files": files})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=generate"))).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    expid
}

async fn start_run(app: &TestApp, expid: &str) -> i64 {
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}/runs"))).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn wait_for_end(app: &TestApp, expid: &str, run: i64, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let view = app.get_json(&format!("/v4/experiments/{expid}/runs/{run}"), 200).await;
        if !["queued", "running"].contains(&view["status"].as_str().unwrap()) {
            return view;
        }
        assert!(Instant::now() < deadline, "run {run} did not end: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls a run on the server at `url` until it has ended (at most 90 s).
async fn run_end_on(http: &reqwest::Client, url: &str, expid: &str, run: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let view = http.get(format!("{url}/v4/experiments/{expid}/runs/{run}")).send().await.unwrap().json::<Value>().await.unwrap();
        if !["queued", "running"].contains(&view["status"].as_str().unwrap()) {
            return view;
        }
        assert!(Instant::now() < deadline, "the run did not end: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn attempts_of(app: &TestApp, expid: &str, run: i64, job: &str) -> Vec<Value> {
    let all = app.get_json(&format!("/v4/experiments/{expid}/runs/{run}/attempts"), 200).await;
    let name = format!("{expid}_{job}");
    all["attempts"].as_array().unwrap().iter().filter(|a| a["job_name"] == name.as_str()).cloned().collect()
}

fn host() -> String {
    String::from_utf8(std::process::Command::new("hostname").arg("-s").output().unwrap().stdout).unwrap().trim().to_owned()
}

const OUTCOMES: &str = r#"JOBS:
  OK:
    RUNNING: once
    PLATFORM: HPC
    SCRIPT: |
      echo "hello from Slurm job $SLURM_JOB_ID in $SLURM_JOB_PARTITION, arg $1"
      test -n "$SLURM_JOB_ID"
  BAD:
    RUNNING: once
    PLATFORM: HPC
    DEPENDENCIES: OK
    RETRIALS: 1
    SCRIPT: |
      echo "try %FAIL_COUNT%" >&2
      exit 3
  SLOW:
    RUNNING: once
    PLATFORM: HPC
    WALLCLOCK: '00:00:03'
    SCRIPT: sleep 120
  SILENT:
    RUNNING: once
    PLATFORM: HPC
    SCRIPT: |
      trap - EXIT
      rm -f "$HINDCAST_JOB_DIR/exit_code"
"#;

/// Success, failure with a retrial, and a wallclock timeout, each a real batch job: the
/// attempts carry the Slurm job id, partition, nodes, times and exit code, and the logs are
/// the job's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slurm_jobs_complete_fail_retry_and_time_out() {
    slurm::cluster();
    let app = spawn_app(Backend::Sqlite).await;
    let expid = experiment_with(&app, &expdef(""), OUTCOMES).await;
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}/runs"))).json(&json!({"extras": {"switches": ["--fast"]}})).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let run = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let view = wait_for_end(&app, &expid, run, Duration::from_secs(120)).await;
    assert_eq!(view["status"], "failed", "{view}");

    let ok = attempts_of(&app, &expid, run, "OK").await;
    assert_eq!(ok.len(), 1, "{ok:?}");
    let ok = &ok[0];
    assert_eq!((ok["status"].as_str(), ok["exit_code"].as_i64()), (Some("COMPLETED"), Some(0)), "{ok}");
    let executor_id = ok["executor_id"].as_str().unwrap();
    let job_id = slurm::job_id(executor_id);
    assert_eq!(ok["queue"], "debug", "{ok}");
    assert_eq!(ok["nodes"].as_str(), Some(host().as_str()), "{ok}");
    assert!(ok["started_at"].as_str().unwrap() <= ok["finished_at"].as_str().unwrap(), "{ok}");
    let log = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_OK/log"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(log, format!("hello from Slurm job {job_id} in debug, arg --fast\n"));
    assert_eq!(slurm::state(&job_id).as_deref(), Some("COMPLETED"));

    let bad = attempts_of(&app, &expid, run, "BAD").await;
    assert_eq!(bad.len(), 2, "one retrial: {bad:?}");
    for (i, attempt) in bad.iter().enumerate() {
        assert_eq!((attempt["status"].as_str(), attempt["exit_code"].as_i64(), attempt["attempt"].as_i64()), (Some("FAILED"), Some(3), Some(i as i64 + 1)), "{attempt}");
    }
    assert_ne!(bad[0]["executor_id"], bad[1]["executor_id"], "a retrial is a new batch job");
    let err = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_BAD/log?stream=err&run_id={run}&attempt=2"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(err, "try 1\n");

    let slow = attempts_of(&app, &expid, run, "SLOW").await;
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert_eq!(slow[0]["status"], "FAILED", "{slow:?}");
    assert_eq!(slow[0]["reason"], "wallclock of 3s exceeded", "{slow:?}");
    let started = chrono::DateTime::parse_from_rfc3339(slow[0]["started_at"].as_str().unwrap()).unwrap();
    let finished = chrono::DateTime::parse_from_rfc3339(slow[0]["finished_at"].as_str().unwrap()).unwrap();
    let ran = (finished - started).num_milliseconds();
    assert!((3000..15_000).contains(&ran), "cancelled soon after 3 s, not at Slurm's minute: ran {ran} ms");
    assert_eq!(slurm::state(&slurm::job_id(slow[0]["executor_id"].as_str().unwrap())).as_deref(), Some("CANCELLED"));

    // A job that wrote no exit code is judged by Slurm's final state: COMPLETED is exit 0.
    let silent = attempts_of(&app, &expid, run, "SILENT").await;
    assert_eq!((silent[0]["status"].as_str(), silent[0]["exit_code"].as_i64()), (Some("COMPLETED"), Some(0)), "{silent:?}");
}

/// A held job shows HELD, a running one RUNNING; a stop cancels both in Slurm (scancel), the
/// run ends cancelled and nothing after them runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_cancels_held_and_running_slurm_jobs() {
    slurm::cluster();
    let app = spawn_app(Backend::Sqlite).await;
    let marker = app.data_dir.join("after.txt");
    let jobs = format!(
        "JOBS:\n  LONG:\n    RUNNING: once\n    PLATFORM: HPC\n    SCRIPT: sleep 300\n  \
         HELD:\n    RUNNING: once\n    PLATFORM: HPC\n    CUSTOM_DIRECTIVES: ['#SBATCH --hold']\n    SCRIPT: echo never\n  \
         AFTER:\n    RUNNING: once\n    PLATFORM: HPC\n    DEPENDENCIES: LONG\n    SCRIPT: touch {}\n",
        marker.display()
    );
    let expid = experiment_with(&app, &expdef(""), &jobs).await;
    let run = start_run(&app, &expid).await;
    let status = |job: &'static str| {
        let (app, expid) = (&app, expid.clone());
        async move { app.get_json(&format!("/v4/experiments/{expid}/jobs/{expid}_{job}"), 200).await["status"].as_str().unwrap().to_owned() }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while (status("LONG").await, status("HELD").await) != ("RUNNING".to_owned(), "HELD".to_owned()) {
        assert!(Instant::now() < deadline, "LONG {} and HELD {}", status("LONG").await, status("HELD").await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=stop"))).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let view = wait_for_end(&app, &expid, run, Duration::from_secs(60)).await;
    assert_eq!(view["status"], "cancelled", "{view}");
    for job in ["LONG", "HELD"] {
        let attempts = attempts_of(&app, &expid, run, job).await;
        assert_eq!(attempts[0]["reason"], "stopped by tester", "{attempts:?}");
        let job_id = slurm::job_id(attempts[0]["executor_id"].as_str().unwrap());
        assert_eq!(slurm::state(&job_id).as_deref(), Some("CANCELLED"), "{job} in Slurm");
    }
    assert!(!marker.exists(), "nothing runs after a stop");
}

/// A platform setting Slurm cannot take fails the run before anything is submitted, naming
/// the setting; a partition Slurm does not have fails the job with sbatch's own words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_slurm_settings_are_refused_with_the_setting_named() {
    slurm::cluster();
    let app = spawn_app(Backend::Sqlite).await;
    let jobs = "JOBS:\n  ONE:\n    RUNNING: once\n    PLATFORM: HPC\n    SCRIPT: 'true'\n";
    let expid = experiment_with(&app, &expdef("    PROCESSORS: lots\n"), jobs).await;
    let run = start_run(&app, &expid).await;
    let view = wait_for_end(&app, &expid, run, Duration::from_secs(30)).await;
    assert_eq!(view["status"], "failed");
    assert!(view["message"].as_str().unwrap().contains("PLATFORMS.HPC.PROCESSORS: 'lots' is not a positive whole number"), "{view}");
    assert!(attempts_of(&app, &expid, run, "ONE").await.is_empty());

    let expid = experiment_with(&app, &expdef("").replace("PARTITION: debug", "PARTITION: nosuchpartition"), jobs).await;
    let run = start_run(&app, &expid).await;
    let view = wait_for_end(&app, &expid, run, Duration::from_secs(30)).await;
    assert_eq!(view["status"], "failed");
    let attempts = attempts_of(&app, &expid, run, "ONE").await;
    let reason = attempts[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("could not be submitted: sbatch refused the job:") && reason.contains("partition"), "{reason}");
}

/// The server is killed with -9 while a Slurm job runs, before it wrote the attempt (writes
/// are held back for a minute): after the restart the job is found again by the id in its
/// folder, adopted instead of submitted again, and the run carries on once it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_a_running_slurm_job_is_found_by_id_not_resubmitted() {
    killed_while_a_slurm_job_runs(HandleFile::Kept).await;
}

/// As above, but the server died before it even wrote the job's id in its folder (between
/// sbatch's answer and that write): the job is found by the marker in its `--comment`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_a_slurm_job_whose_id_was_never_kept_is_found_by_its_marker() {
    killed_while_a_slurm_job_runs(HandleFile::Lost).await;
}

#[derive(PartialEq)]
enum HandleFile {
    Kept,
    Lost,
}

/// sbatch made the job but its answer was lost (as after a timeout or a dropped SSH link:
/// here an `sbatch` on PATH that submits, then fails): the job is found by its marker and
/// followed, not submitted again, though the section allows a retrial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_sbatch_answer_was_lost_is_followed_not_submitted_twice() {
    slurm::cluster();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = String::from_utf8(std::process::Command::new("sh").args(["-c", "command -v sbatch"]).output().unwrap().stdout).unwrap();
    let fake = format!("#!/bin/sh\n{} \"$@\" >/dev/null 2>&1\necho 'sbatch: error: Socket timed out on send/recv operation' >&2\nexit 1\n", real.trim());
    std::fs::write(bin.join("sbatch"), fake).unwrap();
    std::fs::set_permissions(bin.join("sbatch"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let database = format!("sqlite://{}/h.db", dir.path().display());
    let env = [("PROTECTION_LEVEL", "NONE"), ("HINDCAST_DATA_DIR", "data"), ("PATH", path.as_str())];
    let (mut server, url) = support::binary::start_server_with(dir.path(), Some(&database), &env);
    let http = reqwest::Client::new();
    let expid = http.post(format!("{url}/v4/experiments")).json(&json!({"description": "lost answer"})).send().await.unwrap().json::<Value>().await.unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let count = dir.path().join("count.txt");
    let jobs = format!("JOBS:\n  ONCE:\n    RUNNING: once\n    PLATFORM: HPC\n    RETRIALS: 1\n    SCRIPT: echo ran >> {}\n", count.display());
    let files = json!({"files": {"expdef.yml": expdef(""), "jobs.yml": jobs}});
    assert_eq!(http.put(format!("{url}/v4/experiments/{expid}/config")).json(&files).send().await.unwrap().status(), 200);
    assert_eq!(http.post(format!("{url}/v4/experiments/{expid}?action=generate")).send().await.unwrap().status(), 200);
    let run = http.post(format!("{url}/v4/experiments/{expid}/runs")).json(&json!({})).send().await.unwrap().json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let view = run_end_on(&http, &url, &expid, run).await;
    let attempts = http.get(format!("{url}/v4/experiments/{expid}/runs/{run}/attempts")).send().await.unwrap().json::<Value>().await.unwrap();
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(view["status"], "passed", "{view} {attempts}");
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "ran\n", "the job ran once");
    let listed = attempts["attempts"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{attempts}");
    assert!(listed[0]["executor_id"].as_str().is_some_and(|h| h.starts_with("slurm:")), "{attempts}");
}

async fn killed_while_a_slurm_job_runs(handle_file: HandleFile) {
    slurm::cluster();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/h.db", dir.path().display());
    let open = [("PROTECTION_LEVEL", "NONE"), ("HINDCAST_DATA_DIR", "data")];
    let held_writes = [open[0], open[1], ("HINDCAST_WRITE_INTERVAL_MS", "60000")];
    let (mut server, url) = support::binary::start_server_with(dir.path(), Some(&database), &held_writes);
    let http = reqwest::Client::new();
    let expid = http.post(format!("{url}/v4/experiments")).json(&json!({"description": "crash"})).send().await.unwrap().json::<Value>().await.unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (count, release) = (dir.path().join("count.txt"), dir.path().join("release"));
    let jobs = format!(
        "JOBS:\n  LONG:\n    RUNNING: once\n    PLATFORM: HPC\n    WALLCLOCK: '00:05'\n    SCRIPT: |\n      echo started >> {c}\n      \
         for i in $(seq 1500); do [ -e {r} ] && break; sleep 0.2; done\n  AFTER:\n    RUNNING: once\n    PLATFORM: HPC\n    DEPENDENCIES: LONG\n    SCRIPT: echo after >> {c}\n",
        c = count.display(),
        r = release.display()
    );
    let files = json!({"files": {"expdef.yml": expdef(""), "jobs.yml": jobs}});
    assert_eq!(http.put(format!("{url}/v4/experiments/{expid}/config")).json(&files).send().await.unwrap().status(), 200);
    assert_eq!(http.post(format!("{url}/v4/experiments/{expid}?action=generate")).send().await.unwrap().status(), 200);
    let run = http.post(format!("{url}/v4/experiments/{expid}/runs")).json(&json!({})).send().await.unwrap().json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !count.exists() {
        assert!(Instant::now() < deadline, "the Slurm job never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let folder = dir.path().join(format!("data/experiments/{expid}/jobs/{expid}_LONG/run{run}-attempt1"));
    let handle = std::fs::read_to_string(folder.join("slurm_handle")).expect("the Slurm id is kept in the job's folder");
    assert_eq!(slurm::state(&slurm::job_id(&handle)).as_deref(), Some("RUNNING"));
    if handle_file == HandleFile::Lost {
        std::fs::remove_file(folder.join("slurm_handle")).unwrap();
    }

    let (mut server, url) = support::binary::start_server_with(dir.path(), Some(&database), &open);
    let attempts = |url: String| {
        let (http, path) = (http.clone(), format!("{url}/v4/experiments/{expid}/runs/{run}/attempts"));
        async move { http.get(path).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let adopted = loop {
        let listed = attempts(url.clone()).await;
        if listed["attempts"].as_array().is_some_and(|a| !a.is_empty()) {
            break listed;
        }
        assert!(Instant::now() < deadline, "the Slurm job was never found again: {listed}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(adopted["attempts"][0]["status"], "RUNNING", "{adopted}");
    assert_eq!(adopted["attempts"][0]["executor_id"].as_str(), Some(handle.as_str()), "{adopted}");
    std::fs::write(&release, "").unwrap();
    let view = run_end_on(&http, &url, &expid, run).await;
    assert_eq!(view["status"], "passed", "{view}");
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "started\nafter\n", "LONG ran once, AFTER after it");
    let ended = attempts(url.clone()).await;
    let long: Vec<&Value> = ended["attempts"].as_array().unwrap().iter().filter(|a| a["job_name"] == format!("{expid}_LONG").as_str()).collect();
    assert_eq!(long.len(), 1, "{ended}");
    assert_eq!((long[0]["status"].as_str(), long[0]["exit_code"].as_i64()), (Some("COMPLETED"), Some(0)), "{ended}");
    server.kill().unwrap();
    let _ = server.wait();
}

/// The same through a login node over SSH (an sshd on loopback, key from the platform): the
/// job is submitted, followed and cancelled with commands run over SSH, and its handle names
/// the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slurm_over_ssh_submits_follows_and_cancels() {
    slurm::cluster();
    let sshd = support::sshd::start();
    let app = spawn_app(Backend::Sqlite).await;
    let user = String::from_utf8(std::process::Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned();
    let platform = format!("    HOST: 127.0.0.1\n    USER: {user}\n    SSH_PORT: {}\n    SSH_KEY: {}\n", sshd.port, sshd.key.display());
    let jobs = "JOBS:\n  ONE:\n    RUNNING: once\n    PLATFORM: HPC\n    SCRIPT: echo \"over ssh in job $SLURM_JOB_ID\"\n  \
                LONG:\n    RUNNING: once\n    PLATFORM: HPC\n    DEPENDENCIES: ONE\n    SCRIPT: sleep 300\n";
    let expid = experiment_with(&app, &expdef(&platform), jobs).await;
    let run = start_run(&app, &expid).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = app.get_json(&format!("/v4/experiments/{expid}/jobs/{expid}_LONG"), 200).await["status"].as_str().unwrap().to_owned();
        if status == "RUNNING" {
            break;
        }
        assert!(Instant::now() < deadline, "LONG is {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let one = attempts_of(&app, &expid, run, "ONE").await;
    let handle = one[0]["executor_id"].as_str().unwrap();
    assert!(handle.ends_with(&format!("@{user}@127.0.0.1:{}", sshd.port)), "{handle}");
    assert_eq!(one[0]["status"], "COMPLETED", "{one:?}");
    let log = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_ONE/log"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(log, format!("over ssh in job {}\n", slurm::job_id(handle)));
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=stop"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let view = wait_for_end(&app, &expid, run, Duration::from_secs(60)).await;
    assert_eq!(view["status"], "cancelled", "{view}");
    let long = attempts_of(&app, &expid, run, "LONG").await;
    assert_eq!(slurm::state(&slurm::job_id(long[0]["executor_id"].as_str().unwrap())).as_deref(), Some("CANCELLED"));
}
