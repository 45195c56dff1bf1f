//! Several `hindcast serve` processes on one PostgreSQL (a throwaway cluster) sharing a data
//! folder: runs are claimed by exactly one server, live events reach clients of every server
//! through the database, and a server killed with -9 loses nothing — another takes over its
//! runs once their lease expires, adopts the jobs still running and carries on.

mod support;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::binary::start_server_with;
use support::{fresh_database, Backend};

const MEMBERS: usize = 75;
const EXPERIMENTS: usize = 4;

/// One ROOT, then `MEMBERS` LEAF jobs, four at a time; each job writes its name to a ledger.
fn files(ledger: &std::path::Path) -> Value {
    let members: Vec<String> = (0..MEMBERS).map(|i| format!("m{i}")).collect();
    let expdef = format!(
        "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: '{}'\n  CHUNKSIZEUNIT: day\n  \
         CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS: {{}}\nCONFIG:\n  TOTALJOBS: 4\n",
        members.join(" ")
    );
    let jobs = format!(
        "JOBS:\n  ROOT:\n    RUNNING: once\n    SCRIPT: echo \"$HINDCAST_JOB_NAME\" >> {l}\n  LEAF:\n    RUNNING: member\n    DEPENDENCIES: ROOT\n    \
         SCRIPT: |\n      sleep 0.4\n      echo \"$HINDCAST_JOB_NAME\" >> {l}\n",
        l = ledger.display()
    );
    json!({"files": {"expdef.yml": expdef, "jobs.yml": jobs}})
}

/// Follows an experiment's events on one server, keeping each job's last status.
fn follow(http: reqwest::Client, url: String, expid: String, seen: Arc<Mutex<HashMap<String, String>>>) {
    tokio::spawn(async move {
        let mut res = http.get(format!("{url}/v4/experiments/{expid}/events")).send().await.unwrap();
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = res.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                if !block.lines().any(|l| l == "event: jobs") {
                    continue;
                }
                let data: String = block.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
                let event: Value = serde_json::from_str(&data).unwrap();
                let mut seen = seen.lock().unwrap();
                for job in event["jobs"].as_array().unwrap() {
                    seen.insert(job["name"].as_str().unwrap().to_owned(), job["status"].as_str().unwrap().to_owned());
                }
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_the_work_and_one_killed_with_9_loses_nothing() {
    let database = fresh_database(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.txt");
    let env = [("PROTECTION_LEVEL", "NONE"), ("HINDCAST_DATA_DIR", data.to_str().unwrap()), ("HINDCAST_RUN_LEASE_SECONDS", "3")];
    let (mut first, first_url) = start_server_with(dir.path(), Some(&database.url), &env);
    let (mut second, second_url) = start_server_with(dir.path(), Some(&database.url), &env);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let streams = reqwest::Client::new();

    let seen = Arc::new(Mutex::new(HashMap::new()));
    let mut runs = Vec::new();
    for i in 0..EXPERIMENTS {
        // Half asked of each server: each drives what it was asked for.
        let url = if i % 2 == 0 { &first_url } else { &second_url };
        let expid = http.post(format!("{url}/v4/experiments")).json(&json!({"description": "shared"})).send().await.unwrap().json::<Value>().await.unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(http.put(format!("{url}/v4/experiments/{expid}/config")).json(&files(&ledger)).send().await.unwrap().status(), 200);
        assert_eq!(http.post(format!("{url}/v4/experiments/{expid}?action=generate")).send().await.unwrap().status(), 200);
        // Every experiment's events followed on the server that survives.
        follow(streams.clone(), second_url.clone(), expid.clone(), Arc::clone(&seen));
        runs.push((expid, url.clone()));
    }
    // A stop asked of the server that does not drive the run reaches the one that does.
    let long = http.post(format!("{first_url}/v4/experiments")).json(&json!({"description": "long"})).send().await.unwrap().json::<Value>().await.unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let jobs = json!({"files": {"expdef.yml": "EXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  CHUNKSIZEUNIT: day\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\n", "jobs.yml": "JOBS:\n  LONG:\n    RUNNING: once\n    SCRIPT: sleep 300\n"}});
    assert_eq!(http.put(format!("{first_url}/v4/experiments/{long}/config")).json(&jobs).send().await.unwrap().status(), 200);
    assert_eq!(http.post(format!("{first_url}/v4/experiments/{long}?action=generate")).send().await.unwrap().status(), 200);
    let long_run = http.post(format!("{first_url}/v4/experiments/{long}/runs")).json(&json!({})).send().await.unwrap().json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let job = http.get(format!("{second_url}/v4/experiments/{long}/jobs/{long}_LONG")).send().await.unwrap().json::<Value>().await.unwrap();
        if job["status"] == "RUNNING" {
            break;
        }
        assert!(Instant::now() < deadline, "LONG never ran: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = http.post(format!("{second_url}/v4/experiments/{long}?action=stop")).send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(stopped["stopped_run"], long_run, "{stopped}");
    let view = http.get(format!("{second_url}/v4/experiments/{long}/runs/{long_run}")).send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(view["status"], "cancelled", "{view}");

    let mut ids = Vec::new();
    for (expid, url) in &runs {
        let res = http.post(format!("{url}/v4/experiments/{expid}/runs")).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let lines = |ledger: &std::path::Path| std::fs::read_to_string(ledger).unwrap_or_default().lines().count();
    let deadline = Instant::now() + Duration::from_secs(60);
    while lines(&ledger) < 40 {
        assert!(Instant::now() < deadline, "the runs did not get going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let killed_at = lines(&ledger);
    assert!(killed_at < EXPERIMENTS * (MEMBERS + 1) / 2, "killed mid-run ({killed_at} jobs done)");

    let deadline = Instant::now() + Duration::from_secs(120);
    for ((expid, _), id) in runs.iter().zip(&ids) {
        loop {
            let view = http.get(format!("{second_url}/v4/experiments/{expid}/runs/{id}")).send().await.unwrap().json::<Value>().await.unwrap();
            if !["queued", "running"].contains(&view["status"].as_str().unwrap()) {
                assert_eq!(view["status"], "passed", "{view}");
                break;
            }
            assert!(Instant::now() < deadline, "run {id} of {expid} did not end: {view}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let total = EXPERIMENTS * (MEMBERS + 1);
    let text = std::fs::read_to_string(&ledger).unwrap();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in text.lines() {
        *counts.entry(line).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, &n)| n != 1).collect();
    assert!(twice.is_empty(), "jobs that ran more than once: {twice:?}");
    assert_eq!(counts.len(), total, "every job ran ({killed_at} had when the first server was killed)");
    // Every job's last event, on the surviving server, says COMPLETED.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let completed = seen.lock().unwrap().values().filter(|s| *s == "COMPLETED").count();
        if completed == total {
            break;
        }
        assert!(Instant::now() < deadline, "{completed} of {total} jobs seen COMPLETED in the events");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill().unwrap();
    let _ = second.wait();
}
