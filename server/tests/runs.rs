//! Runs end to end through the JSON API on both backends: real `bash` jobs on the local
//! executor, in dependency order, with retrials, logs, stop, partial runs and bad input.

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{spawn_app, Backend, TestApp};

const EXPDEF: &str = "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  \
     CHUNKSIZEUNIT: month\n  CHUNKSIZE: 1\n  NUMCHUNKS: 2\n  CALENDAR: standard\nPLATFORMS: {}\n";

/// INI → SIM_1 → SIM_2, and POST_n after SIM_n; POST always fails (one retrial).
const JOBS: &str = r#"JOBS:
  INI:
    RUNNING: member
    SCRIPT: |
      echo "INI %SDATE% $1 $GREETING db=${DATABASE_URL:-none}"
      echo INI >> "$ORDER"
  SIM:
    RUNNING: chunk
    DEPENDENCIES: INI SIM-1
    SCRIPT: |
      echo "SIM %CHUNK%" >> "$ORDER"
      test "$HINDCAST_CHUNK" = "%CHUNK%"
  POST:
    RUNNING: chunk
    DEPENDENCIES: SIM
    RETRIALS: 1
    SCRIPT: |
      echo "POST %CHUNK% try %FAIL_COUNT%" >> "$ORDER"
      echo broken >&2
      exit 3
"#;

async fn experiment_with(app: &TestApp, jobs: &str) -> String {
    let res = app.client.post(app.url("/v4/experiments")).json(&json!({"description": "runs"})).send().await.unwrap();
    let expid = res.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    let files = json!({"expdef.yml": EXPDEF, "jobs.yml": jobs});
    let res = app.client.put(app.url(&format!("/v4/experiments/{expid}/config"))).json(&json!({"files": files})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=generate"))).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    expid
}

async fn start(app: &TestApp, expid: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(&format!("/v4/experiments/{expid}/runs"))).json(&body).send().await.unwrap()
}

async fn error_of(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status);
    res.json::<Value>().await.unwrap()["error_message"].as_str().unwrap().to_owned()
}

/// Polls the run until it has ended (at most 30 s).
async fn wait_for_end(app: &TestApp, expid: &str, run: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = app.get_json(&format!("/v4/experiments/{expid}/runs/{run}"), 200).await;
        if !["queued", "running"].contains(&view["status"].as_str().unwrap()) {
            return view;
        }
        assert!(Instant::now() < deadline, "run {run} did not end: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_of(app: &TestApp, expid: &str, suffix: &str) -> String {
    let name = format!("{expid}_{suffix}");
    app.get_json(&format!("/v4/experiments/{expid}/jobs/{name}"), 200).await["status"].as_str().unwrap().to_owned()
}

async fn text(app: &TestApp, path: &str) -> String {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.text().await.unwrap()
}

async fn a_run_executes_jobs_in_order_with_retrials_logs_and_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment_with(&app, JOBS).await;
    let order = app.data_dir.join("order.txt");
    let body = json!({"extras": {"switches": ["hello"], "env": {"GREETING": "hi", "ORDER": order.display().to_string()}}});
    let res = start(&app, &expid, body.clone()).await;
    assert_eq!(res.status(), 201);
    let run: Value = res.json().await.unwrap();
    assert_eq!((run["mode"].as_str(), run["requested_by"].as_str()), (Some("all"), Some("tester")));
    let id = run["id"].as_i64().unwrap();
    // One active run per experiment: a second is refused and changes nothing.
    let message = error_of(start(&app, &expid, body).await, 409).await;
    assert!(message.contains("already has an active run"), "{message}");

    let ended = wait_for_end(&app, &expid, id).await;
    assert_eq!(ended["status"], "failed", "{ended}");
    assert_eq!(ended["planned_jobs"], 5);
    let message = ended["message"].as_str().unwrap();
    assert!(message.starts_with("2 job(s) failed"), "{message}");
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}"), 200).await["status"], "NOT RUNNING");

    let lines: Vec<String> = std::fs::read_to_string(&order).unwrap().lines().map(str::to_owned).collect();
    let at = |l: &str| lines.iter().position(|x| x == l).unwrap_or_else(|| panic!("{l} missing from {lines:?}"));
    assert_eq!(at("INI"), 0);
    assert!(at("SIM 1") < at("SIM 2") && at("SIM 1") < at("POST 1 try 0") && at("SIM 2") < at("POST 2 try 0"), "{lines:?}");
    assert!(at("POST 1 try 0") < at("POST 1 try 1") && at("POST 2 try 0") < at("POST 2 try 1"), "{lines:?}");
    assert_eq!(lines.len(), 7, "{lines:?}");

    for (job, status) in [("20000101_fc0_INI", "COMPLETED"), ("20000101_fc0_2_SIM", "COMPLETED"), ("20000101_fc0_1_POST", "FAILED")] {
        assert_eq!(status_of(&app, &expid, job).await, status, "{job}");
    }
    let history = app.get_json(&format!("/v4/experiments/{expid}/jobs/{expid}_20000101_fc0_1_POST/history"), 200).await;
    let attempts = history["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert!(attempts.iter().all(|a| a["status"] == "FAILED" && a["exit_code"] == 3 && a["run_id"] == id), "{history}");
    assert_eq!(attempts[1]["attempt"], 2);
    let all = app.get_json(&format!("/v4/experiments/{expid}/runs/{id}/attempts"), 200).await;
    assert_eq!(all["attempts"].as_array().unwrap().len(), 7);

    // Logs: the switch and the environment reached the script, the server's own did not.
    let ini = format!("/v4/experiments/{expid}/jobs/{expid}_20000101_fc0_INI/log");
    assert_eq!(text(&app, &ini).await, "INI 20000101 hello hi db=none\n");
    let res = app.client.get(app.url(&format!("{ini}?tail=8"))).send().await.unwrap();
    assert_eq!(res.headers()["x-log-size"], "30");
    assert_eq!(res.headers()["x-log-offset"], "22");
    assert_eq!(res.text().await.unwrap(), "db=none\n");
    assert_eq!(text(&app, &format!("{ini}?offset=4&length=8")).await, "20000101");
    let found = app.get_json(&format!("{ini}?search=HELLO"), 200).await;
    assert_eq!(found, json!({"matches": [{"offset": 0, "line": "INI 20000101 hello hi db=none"}], "next_offset": null, "size": 30}));
    let found = app.get_json(&format!("{ini}?search=nowhere&offset=10"), 200).await;
    assert_eq!(found["matches"], json!([]));
    let post = format!("/v4/experiments/{expid}/jobs/{expid}_20000101_fc0_1_POST/log?stream=err&run_id={id}&attempt=1");
    assert_eq!(text(&app, &post).await, "broken\n");
    let res = app.client.get(app.url(&format!("{ini}?download=true"))).send().await.unwrap();
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(res.text().await.unwrap(), "INI 20000101 hello hi db=none\n");
    let run_log = text(&app, &format!("/v4/experiments/{expid}/runs/{id}/log")).await;
    assert!(run_log.contains("plans 5 job(s)") && run_log.contains(&format!("run {id} ended failed")), "{run_log}");
    let message = error_of(app.client.get(app.url(&format!("{ini}?stream=all"))).send().await.unwrap(), 422).await;
    assert!(message.starts_with("stream:"), "{message}");

    // Restart: the failed jobs run again (and fail again), the completed ones do not.
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=restart"))).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let again: Value = res.json().await.unwrap();
    let ended = wait_for_end(&app, &expid, again["id"].as_i64().unwrap()).await;
    assert_eq!((ended["status"].as_str(), ended["planned_jobs"].as_i64()), (Some("failed"), Some(2)));
    let runs = app.get_json(&format!("/v4/experiments/{expid}/runs"), 200).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2);
}

async fn stop_kills_the_running_jobs_with_their_children_and_cancels_the_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let jobs = "JOBS:\n  LONG:\n    RUNNING: once\n    SCRIPT: |\n      sleep 60 &\n      echo $! > child.pid\n      wait\n";
    let expid = experiment_with(&app, jobs).await;
    let id = start(&app, &expid, json!({})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let queued: Value = start(&app, &expid, json!({"queue": true})).await.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    let job = format!("{expid}_LONG");
    let deadline = Instant::now() + Duration::from_secs(20);
    while status_of(&app, &expid, "LONG").await != "RUNNING" {
        assert!(Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Setting statuses by hand waits for the run to end.
    let res = app.client.patch(app.url(&format!("/v4/experiments/{expid}/jobs/{job}?status=COMPLETED"))).send().await.unwrap();
    assert_eq!(res.status(), 409);
    let pid_file = app.data_dir.join(format!("experiments/{expid}/jobs/{job}/run{id}-attempt1/outputs/child.pid"));
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "the job never started its child");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let child = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();

    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=stop"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let stopped: Value = res.json().await.unwrap();
    assert_eq!(stopped, json!({"stopped_run": id, "cancelled_queued": [queued["id"]]}));
    let run = app.get_json(&format!("/v4/experiments/{expid}/runs/{id}"), 200).await;
    assert_eq!((run["status"].as_str(), run["message"].as_str()), (Some("cancelled"), Some("Stopped by tester.")));
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/runs/{}", queued["id"]), 200).await["status"], "cancelled");
    assert_eq!(status_of(&app, &expid, "LONG").await, "FAILED");
    let history = app.get_json(&format!("/v4/experiments/{expid}/jobs/{job}/history"), 200).await;
    assert_eq!(history["attempts"][0]["reason"], "stopped by tester");
    // The whole process group went, the script's own child included.
    let gone = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{child}")).exists() {
        assert!(Instant::now() < gone, "process {child} survived the stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Nothing left to stop.
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=stop"))).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"stopped_run": null, "cancelled_queued": []}));
    let message = error_of(app.client.post(app.url(&format!("/v4/experiments/{expid}/runs/{id}/cancel"))).send().await.unwrap(), 409).await;
    assert!(message.contains("already ended"), "{message}");
}

async fn partial_runs_follow_their_mode_and_bad_input_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let quiet = "JOBS:\n  INI:\n    RUNNING: member\n    SCRIPT: 'true'\n  SIM:\n    RUNNING: chunk\n    DEPENDENCIES: INI SIM-1\n    \
                 SCRIPT: 'true'\n  POST:\n    RUNNING: chunk\n    DEPENDENCIES: SIM\n    WALLCLOCK: '00:00:01'\n    SCRIPT: 'sleep %CHUNK%0'\n";
    let expid = experiment_with(&app, quiet).await;
    let name = |suffix: &str| format!("{expid}_20000101_fc0_{suffix}");
    let run = |body: Value| {
        let app = &app;
        let expid = expid.clone();
        async move {
            let res = start(app, &expid, body).await;
            assert_eq!(res.status(), 201);
            let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            wait_for_end(app, &expid, id).await
        }
    };
    // Only SIM_2, whatever its parents (INI stays READY, as generated).
    let ended = run(json!({"mode": "selected_only", "jobs": [name("2_SIM")]})).await;
    assert_eq!((ended["status"].as_str(), ended["planned_jobs"].as_i64()), (Some("passed"), Some(1)));
    assert_eq!(status_of(&app, &expid, "20000101_fc0_INI").await, "READY");
    assert_eq!(status_of(&app, &expid, "20000101_fc0_1_SIM").await, "WAITING");
    assert_eq!(status_of(&app, &expid, "20000101_fc0_2_SIM").await, "COMPLETED");
    // SIM_1 with what it needs: INI too.
    let ended = run(json!({"mode": "with_predecessors", "jobs": [name("1_SIM")]})).await;
    assert_eq!(ended["planned_jobs"], 2);
    assert_eq!(status_of(&app, &expid, "20000101_fc0_INI").await, "COMPLETED");
    // Everything completed is left alone unless forced.
    let message = error_of(start(&app, &expid, json!({"mode": "selected_only", "jobs": [name("INI")]})).await, 409).await;
    assert!(message.starts_with("Nothing to run"), "{message}");
    let ended = run(json!({"mode": "selected_only", "jobs": [name("INI")], "force": true})).await;
    assert_eq!((ended["status"].as_str(), ended["planned_jobs"].as_i64()), (Some("passed"), Some(1)));
    // POST_1 sleeps 10 s with a wallclock of 1 s: killed, FAILED.
    let ended = run(json!({"mode": "selected_only", "jobs": [name("1_POST")]})).await;
    assert_eq!(ended["status"], "failed");
    let history = app.get_json(&format!("/v4/experiments/{expid}/jobs/{}/history", name("1_POST")), 200).await;
    assert_eq!(history["attempts"][0]["reason"], "wallclock of 1s exceeded");

    // Bad input: a clear error, no run stored.
    let before = app.get_json(&format!("/v4/experiments/{expid}/runs"), 200).await["runs"].as_array().unwrap().len();
    let message = error_of(start(&app, &expid, json!({"mode": "with_downstream", "jobs": ["NOPE", "ALSO_NOT"]})).await, 422).await;
    assert_eq!(message, "jobs: 2 unknown job(s): NOPE, ALSO_NOT");
    let message = error_of(start(&app, &expid, json!({"mode": "selected_only"})).await, 422).await;
    assert_eq!(message, "jobs: mode selected_only needs at least one job");
    let message = error_of(start(&app, &expid, json!({"mode": "sideways"})).await, 422).await;
    assert!(message.contains("mode"), "{message}");
    let message = error_of(start(&app, &expid, json!({"extras": {"env": {"BAD-NAME": "x"}}})).await, 422).await;
    assert!(message.starts_with("extras.env"), "{message}");
    assert_eq!(app.status_of_oversized("POST", &format!("/v4/experiments/{expid}/runs"), 2_000_000).await, 413);
    let after = app.get_json(&format!("/v4/experiments/{expid}/runs"), 200).await["runs"].as_array().unwrap().len();
    assert_eq!(before, after);

    // A section without a script, and an experiment without a graph.
    let res = app.client.put(app.url(&format!("/v4/experiments/{expid}/config")))
        .json(&json!({"files": {"expdef.yml": EXPDEF, "jobs.yml": "JOBS:\n  INI:\n    RUNNING: once\n    FILE: ini.sh\n"}}))
        .send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.client.post(app.url(&format!("/v4/experiments/{expid}?action=generate"))).send().await.unwrap().status(), 200);
    let message = error_of(start(&app, &expid, json!({})).await, 422).await;
    assert!(message.starts_with("JOBS.INI.SCRIPT: section(s) INI have no SCRIPT"), "{message}");
    let res = app.client.post(app.url("/v4/experiments")).json(&json!({"description": "empty"})).send().await.unwrap();
    let empty = res.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    let message = error_of(start(&app, &empty, json!({})).await, 409).await;
    assert!(message.contains("has no graph yet"), "{message}");
    assert_eq!(start(&app, "a999", json!({})).await.status(), 404);
    assert_eq!(app.client.get(app.url(&format!("/v4/experiments/{expid}/runs/77"))).send().await.unwrap().status(), 404);
}

/// Reads server-sent events from `res` until `until` matches one (at most 10 s): the events
/// as (name, id, data).
async fn read_events(res: &mut reqwest::Response, until: impl Fn(&str, &str) -> bool) -> Vec<(String, String, String)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block.lines().filter_map(|l| l.strip_prefix(name)).map(str::trim_start).collect::<Vec<_>>().join("\n")
            };
            let (name, id, data) = (field("event:"), field("id:"), field("data:"));
            if name.is_empty() {
                continue; // a keep-alive comment
            }
            let done = until(&name, &data);
            events.push((name, id, data));
            if done {
                return events;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, res.chunk()).await.expect("events in time").unwrap().expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn live_events_resume_after_a_reconnect(backend: Backend) {
    let app = spawn_app(backend).await;
    let quiet = "JOBS:\n  INI:\n    RUNNING: member\n    SCRIPT: 'true'\n  SIM:\n    RUNNING: chunk\n    DEPENDENCIES: INI\n    SCRIPT: 'true'\n";
    let expid = experiment_with(&app, quiet).await;
    let events = app.url(&format!("/v4/experiments/{expid}/events"));
    let mut res = app.client.get(&events).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let hello = read_events(&mut res, |name, _| name == "hello").await;
    assert_eq!(hello.len(), 1);

    let set = |job: &str, status: &str| app.client.patch(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_{job}?status={status}"))).send();
    assert_eq!(set("20000101_fc0_INI", "COMPLETED").await.unwrap().status(), 200);
    let got = read_events(&mut res, |name, _| name == "jobs").await;
    let (_, first_id, data) = got.last().unwrap().clone();
    let jobs: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(jobs["type"], "jobs");
    assert!(jobs["jobs"].as_array().unwrap().contains(&json!({"name": format!("{expid}_20000101_fc0_INI"), "status": "COMPLETED"})), "{jobs}");
    assert!(jobs["jobs"].as_array().unwrap().contains(&json!({"name": format!("{expid}_20000101_fc0_1_SIM"), "status": "READY"})), "{jobs}");
    drop(res);

    // Missed while away: delivered on reconnect with Last-Event-ID, then live again.
    assert_eq!(set("20000101_fc0_1_SIM", "FAILED").await.unwrap().status(), 200);
    let mut again = app.client.get(&events).header("last-event-id", &first_id).send().await.unwrap();
    let got = read_events(&mut again, |name, _| name == "jobs").await;
    assert!(got.last().unwrap().2.contains("FAILED"), "{got:?}");
    let run: Value = start(&app, &expid, json!({})).await.json().await.unwrap();
    let got = read_events(&mut again, |name, data| name == "run" && (data.contains("\"passed\"") || data.contains("\"failed\""))).await;
    assert!(got.iter().any(|(name, _, data)| name == "run" && data.contains(&format!("\"id\":{}", run["id"]))), "{got:?}");
    // An id this server never gave: start over.
    let mut stale = app.client.get(format!("{events}?last_event_id=0-5")).send().await.unwrap();
    assert_eq!(read_events(&mut stale, |_, _| true).await[0].0, "reset");
    assert_eq!(app.client.get(app.url("/v4/experiments/a999/events")).send().await.unwrap().status(), 404);
}

async fn a_log_follows_live_on_the_event_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    let slow = "JOBS:\n  SLOW:\n    RUNNING: once\n    SCRIPT: |\n      for i in 1 2 3 4 5; do echo \"line $i\"; sleep 0.2; done\n      echo 'é end'\n  \
                LATER:\n    RUNNING: once\n    DEPENDENCIES: SLOW\n    SCRIPT: 'true'\n";
    let expid = experiment_with(&app, slow).await;
    let events = app.url(&format!("/v4/experiments/{expid}/events"));
    let job = format!("{expid}_SLOW");
    let res = app.client.get(format!("{events}?log_job={job}")).send().await.unwrap();
    assert_eq!(res.status(), 404, "no attempt yet");
    let id = start(&app, &expid, json!({})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get_json(&format!("/v4/experiments/{expid}/jobs/{job}/history"), 200).await["attempts"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut followed = app.client.get(format!("{events}?log_job={job}&log_offset=0")).send().await.unwrap();
    assert_eq!(followed.status(), 200);
    let got = read_events(&mut followed, |name, _| name == "log_end").await;
    let chunks: Vec<Value> = got.iter().filter(|(name, _, _)| name == "log").map(|(_, _, data)| serde_json::from_str(data).unwrap()).collect();
    assert!(chunks.len() >= 2, "the log came in pieces while the job ran: {chunks:?}");
    let mut offset = 0;
    let mut text = String::new();
    for chunk in &chunks {
        assert_eq!((chunk["job"].as_str(), chunk["stream"].as_str(), chunk["run_id"].as_i64()), (Some(job.as_str()), Some("out"), Some(id)));
        assert_eq!(chunk["offset"].as_u64(), Some(offset), "no byte lost or repeated: {chunks:?}");
        let piece = chunk["text"].as_str().unwrap();
        offset += piece.len() as u64;
        assert_eq!(chunk["next_offset"].as_u64(), Some(offset));
        text.push_str(piece);
    }
    assert_eq!(text, "line 1\nline 2\nline 3\nline 4\nline 5\né end\n");
    let end: Value = serde_json::from_str(&got.last().unwrap().2).unwrap();
    assert_eq!(end["size"].as_u64(), Some(offset));
    // A run's own log, from its start, until it tells the run's end.
    let mut run_log = app.client.get(format!("{events}?log_run={id}&log_offset=0")).send().await.unwrap();
    let got = read_events(&mut run_log, |name, data| name == "log" && data.contains("ended passed")).await;
    assert!(got.iter().any(|(_, _, data)| data.contains("\"stream\":\"run\"") && data.contains("SLOW completed")), "{got:?}");
    let message = error_of(app.client.get(format!("{events}?log_job={job}&log_stream=all")).send().await.unwrap(), 422).await;
    assert!(message.starts_with("stream:"), "{message}");
    assert_eq!(app.client.get(format!("{events}?log_run=999")).send().await.unwrap().status(), 404);
}

async fn scheduled_runs_wait_for_their_time_go_after_interactive_ones_and_repeat(backend: Backend) {
    let app = spawn_app(backend).await;
    let jobs = "JOBS:\n  TICK:\n    RUNNING: once\n    SCRIPT: |\n      sleep ${NAP:-0}\n      echo \"$WHO\" >> \"$ORDER\"\n";
    let expid = experiment_with(&app, jobs).await;
    let order = app.data_dir.join("ticks.txt");
    let request = |who: &str, extra: Value| {
        let mut body = json!({"mode": "selected_only", "jobs": [format!("{expid}_TICK")], "force": true,
            "extras": {"env": {"ORDER": order.display().to_string(), "WHO": who}}});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let res = start(&app, &expid, request("scheduled", json!({"start_at": soon}))).await;
    assert_eq!(res.status(), 201);
    let scheduled: Value = res.json().await.unwrap();
    assert_eq!((scheduled["status"].as_str(), scheduled["interactive"].as_bool()), (Some("queued"), Some(false)), "{scheduled}");
    // A run scheduled for later is not in the way of one asked for now.
    let res = start(&app, &expid, request("now", json!({}))).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let ended = wait_for_end(&app, &expid, scheduled["id"].as_i64().unwrap()).await;
    assert_eq!(ended["status"], "passed", "{ended}");
    let started = chrono::DateTime::parse_from_rfc3339(ended["started_at"].as_str().unwrap()).unwrap();
    assert!(started >= chrono::DateTime::parse_from_rfc3339(&soon).unwrap() - chrono::Duration::seconds(1), "{ended} started before {soon}");
    assert_eq!(std::fs::read_to_string(&order).unwrap(), "now\nscheduled\n");

    // Behind a running run, an interactive run queued later still goes before a due scheduled one.
    std::fs::remove_file(&order).unwrap();
    let busy: Value = start(&app, &expid, request("busy", json!({"extras": {"env": {"ORDER": order.display().to_string(), "WHO": "busy", "NAP": "1"}}}))).await.json().await.unwrap();
    let due = start(&app, &expid, request("due", json!({"start_at": chrono::Utc::now().to_rfc3339()}))).await;
    assert_eq!(due.status(), 201);
    let asked = start(&app, &expid, request("asked", json!({"queue": true}))).await;
    assert_eq!(asked.status(), 201);
    let due_id = due.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    wait_for_end(&app, &expid, busy["id"].as_i64().unwrap()).await;
    wait_for_end(&app, &expid, due_id).await;
    assert_eq!(std::fs::read_to_string(&order).unwrap(), "busy\nasked\ndue\n");

    // A series: it starts now and queues its next occurrence a minute later; a stop leaves the
    // schedule alone, a cancel ends it.
    let first: Value = start(&app, &expid, request("series", json!({"repeat_every": "1m"}))).await.json().await.unwrap();
    assert_eq!(first["repeat_every"], "1m", "{first}");
    wait_for_end(&app, &expid, first["id"].as_i64().unwrap()).await;
    let runs = app.get_json(&format!("/v4/experiments/{expid}/runs"), 200).await;
    let next = runs["runs"].as_array().unwrap().iter().find(|r| r["status"] == "queued").cloned().expect("the next occurrence is queued");
    let next_at = chrono::DateTime::parse_from_rfc3339(next["start_at"].as_str().unwrap()).unwrap();
    let first_at = chrono::DateTime::parse_from_rfc3339(first["start_at"].as_str().unwrap()).unwrap();
    assert_eq!(next_at - first_at, chrono::Duration::seconds(60), "{next}");
    assert_eq!((next["repeat_every"].as_str(), next["requested_by"].as_str()), (Some("1m"), Some("tester")));
    let stopped = app.client.post(app.url(&format!("/v4/experiments/{expid}?action=stop"))).send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(stopped["cancelled_queued"], json!([]), "{stopped}");
    let next_id = next["id"].as_i64().unwrap();
    let res = app.client.post(app.url(&format!("/v4/experiments/{expid}/runs/{next_id}/cancel"))).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");

    // Bad schedules are refused, naming the field; nothing is stored.
    let before = app.get_json(&format!("/v4/experiments/{expid}/runs"), 200).await["runs"].as_array().unwrap().len();
    for (extra, field) in [
        (json!({"start_at": "tomorrow"}), "start_at"),
        (json!({"start_at": "2000-01-01T00:00:00Z"}), "start_at"),
        (json!({"repeat_every": "5s"}), "repeat_every"),
        (json!({"repeat_every": "6"}), "repeat_every"),
        (json!({"start_at": soon, "queue": true}), "queue"),
    ] {
        let message = error_of(start(&app, &expid, request("bad", extra.clone())).await, 422).await;
        assert!(message.starts_with(&format!("{field}:")), "{extra}: {message}");
    }
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/runs"), 200).await["runs"].as_array().unwrap().len(), before);
}

/// The names and contents of a zip's files.
async fn job_files_download_as_zips_and_paths_never_escape(backend: Backend) {
    let app = spawn_app(backend).await;
    let jobs = "JOBS:\n  MAKE:\n    RUNNING: once\n    SCRIPT: |\n      mkdir -p sub\n      echo data > sub/result.txt\n      \
                echo scratch > \"$TMPDIR/scratch\"\n      ln -s /etc/passwd leak\n      echo made\n";
    let expid = experiment_with(&app, jobs).await;
    let run = start(&app, &expid, json!({})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(wait_for_end(&app, &expid, run).await["status"], "passed");
    let job = format!("{expid}_MAKE");
    let zip_of = |path: String| {
        let app = &app;
        async move {
            let res = app.client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(res.headers()["content-type"], "application/zip");
            support::unzip(&res.bytes().await.unwrap())
        }
    };
    let base = format!("/v4/experiments/{expid}/jobs/{job}");
    let attempt = format!("{job}/run{run}-attempt1");
    // The link to /etc/passwd is not followed.
    assert_eq!(zip_of(format!("{base}/outputs")).await, vec![(format!("{attempt}/outputs/sub/result.txt"), "data\n".to_owned())]);
    assert_eq!(zip_of(format!("{base}/temps")).await, vec![(format!("{attempt}/tmp/scratch"), "scratch\n".to_owned())]);
    let logs = zip_of(format!("{base}/logs?run_id={run}")).await;
    let names: Vec<&str> = logs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [format!("{attempt}/script.sh"), format!("{attempt}/stdout.log"), format!("{attempt}/stderr.log")]);
    assert_eq!(logs[1].1, "made\n");
    let run_zip = zip_of(format!("/v4/experiments/{expid}/runs/{run}/logs")).await;
    assert_eq!(run_zip[0].0, format!("run{run}.log"));
    assert!(run_zip.iter().any(|(n, t)| n == &format!("{job}/attempt1/stdout.log") && t == "made\n"), "{run_zip:?}");

    assert_eq!(text(&app, &format!("{base}/outputs/sub/result.txt")).await, "data\n");
    for bad in ["leak", "..%2Fscript.sh", "%2Fetc%2Fpasswd", "sub%2F..%2F..%2Fstdout.log", "sub", "nothing.txt"] {
        let res = app.client.get(app.url(&format!("{base}/outputs/{bad}"))).send().await.unwrap();
        assert_eq!(res.status(), 404, "{bad}");
    }
    assert_eq!(app.client.get(app.url(&format!("{base}/outputs?run_id=99"))).send().await.unwrap().status(), 404);
    assert_eq!(app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/NOPE/logs"))).send().await.unwrap().status(), 404);
}

async fn jobs_report_progress_with_their_own_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let jobs = r#"JOBS:
  REPORTER:
    RUNNING: once
    SCRIPT: |
      echo "$HINDCAST_JOB_TOKEN" > token.txt
      python3 - <<'PY'
      import json, os, urllib.request
      url = f"{os.environ['HINDCAST_API_URL']}/v4/experiments/{os.environ['HINDCAST_EXPID']}/jobs/{os.environ['HINDCAST_JOB_NAME']}/report"
      for body in ({"progress": 50, "message": "half way", "metrics": {"sypd": 3.5}}, {"metrics": {"chunks": 2}}):
          request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT",
              headers={"content-type": "application/json", "authorization": "Bearer " + os.environ["HINDCAST_JOB_TOKEN"]})
          print(urllib.request.urlopen(request).status)
      PY
"#;
    let expid = experiment_with(&app, jobs).await;
    let mut events = app.client.get(app.url(&format!("/v4/experiments/{expid}/events"))).send().await.unwrap();
    let run = start(&app, &expid, json!({})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let got = read_events(&mut events, |name, _| name == "report").await;
    assert!(got.last().unwrap().2.contains("half way"), "{got:?}");
    assert_eq!(wait_for_end(&app, &expid, run).await["status"], "passed");
    let job = format!("{expid}_REPORTER");
    assert_eq!(text(&app, &format!("/v4/experiments/{expid}/jobs/{job}/log")).await, "200\n200\n");
    let history = app.get_json(&format!("/v4/experiments/{expid}/jobs/{job}/history"), 200).await;
    let attempt = &history["attempts"][0];
    assert_eq!((attempt["progress"].as_f64(), attempt["status_message"].as_str()), (Some(50.0), Some("half way")));
    assert_eq!(attempt["metrics"], json!({"sypd": 3.5, "chunks": 2.0}));

    // The token was the attempt's: once it ended, it no longer works; none, or bad input, neither.
    let token_file = app.data_dir.join(format!("experiments/{expid}/jobs/{job}/run{run}-attempt1/outputs/token.txt"));
    let token = std::fs::read_to_string(token_file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64);
    let url = app.url(&format!("/v4/experiments/{expid}/jobs/{job}/report"));
    let res = app.client.put(&url).bearer_auth(&token).json(&json!({"progress": 60})).send().await.unwrap();
    assert!(error_of(res, 401).await.contains("not that of a running attempt"));
    let res = app.client.put(&url).json(&json!({"progress": 60})).send().await.unwrap();
    assert!(error_of(res, 401).await.contains("HINDCAST_JOB_TOKEN"));
    let res = app.client.put(&url).bearer_auth(&token).json(&json!({"progress": 160})).send().await.unwrap();
    assert_eq!(error_of(res, 422).await, "progress: 160 is not between 0 and 100");
}

/// MONITOR may start once MODEL runs, CLEANUP once BROKEN has failed (Autosubmit's STATUS).
const CONDITIONAL_JOBS: &str = r#"JOBS:
  MODEL:
    RUNNING: once
    SCRIPT: |
      echo model-start >> "$ORDER"
      for i in $(seq 200); do test -f "$ORDER.monitor" && break; sleep 0.05; done
      echo model-end >> "$ORDER"
  MONITOR:
    RUNNING: once
    DEPENDENCIES:
      MODEL:
        STATUS: RUNNING
    SCRIPT: |
      echo monitor >> "$ORDER"
      touch "$ORDER.monitor"
  BROKEN:
    RUNNING: once
    SCRIPT: exit 1
  CLEANUP:
    RUNNING: once
    DEPENDENCIES:
      BROKEN:
        STATUS: FAILED
    SCRIPT: echo cleanup >> "$ORDER"
"#;

async fn edge_conditions_let_children_start_before_their_parents_complete(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment_with(&app, CONDITIONAL_JOBS).await;
    let parents = app.get_json(&format!("/v4/experiments/{expid}/jobs/{expid}_MONITOR/parents"), 200).await;
    assert_eq!(parents["parents"][0]["condition"], "RUNNING", "{parents}");
    let order = app.data_dir.join("conditions.txt");
    let res = start(&app, &expid, json!({"extras": {"env": {"ORDER": order.display().to_string()}}})).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let ended = wait_for_end(&app, &expid, id).await;
    assert_eq!(ended["status"], "failed", "{ended}");
    let lines = std::fs::read_to_string(&order).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    let at = |l: &str| lines.iter().position(|x| *x == l).unwrap_or_else(|| panic!("{l} missing from {lines:?}"));
    // MONITOR ran while MODEL was running (MODEL waits for it before it ends). Which of their
    // first lines is written first is a race: MODEL counts as RUNNING once its process starts.
    at("model-start");
    assert!(at("monitor") < at("model-end"), "{lines:?}");
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (job, status) in [("MODEL", "COMPLETED"), ("MONITOR", "COMPLETED"), ("BROKEN", "FAILED"), ("CLEANUP", "COMPLETED")] {
        assert_eq!(status_of(&app, &expid, job).await, status, "{job}");
    }
}

/// Each job's folder is prepared while its parent runs; a job that never starts leaves none.
const CHAIN_WITH_A_FAILURE: &str = r#"JOBS:
  FIRST:
    RUNNING: once
    SCRIPT: echo first
  SECOND:
    RUNNING: once
    DEPENDENCIES: FIRST
    SCRIPT: |
      echo second
      exit 4
  THIRD:
    RUNNING: once
    DEPENDENCIES: SECOND
    SCRIPT: echo third
"#;

async fn a_job_prepared_ahead_that_never_starts_leaves_no_folder(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment_with(&app, CHAIN_WITH_A_FAILURE).await;
    let id = start(&app, &expid, json!({})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let ended = wait_for_end(&app, &expid, id).await;
    assert_eq!(ended["status"], "failed", "{ended}");
    let jobs = app.data_dir.join(format!("experiments/{expid}/jobs"));
    assert_eq!(text(&app, &format!("/v4/experiments/{expid}/jobs/{expid}_SECOND/log")).await, "second\n");
    assert!(jobs.join(format!("{expid}_SECOND/run{id}-attempt1/exit_code")).exists());
    assert!(!jobs.join(format!("{expid}_THIRD")).exists(), "THIRD never started but has a folder");
    assert_eq!(status_of(&app, &expid, "THIRD").await, "WAITING");
}

on_both_backends!(
    scheduled_runs_wait_for_their_time_go_after_interactive_ones_and_repeat,
    a_log_follows_live_on_the_event_stream,
    a_job_prepared_ahead_that_never_starts_leaves_no_folder,
    edge_conditions_let_children_start_before_their_parents_complete,
    jobs_report_progress_with_their_own_token,
    job_files_download_as_zips_and_paths_never_escape,
    live_events_resume_after_a_reconnect,
    a_run_executes_jobs_in_order_with_retrials_logs_and_history,
    stop_kills_the_running_jobs_with_their_children_and_cancels_the_queue,
    partial_runs_follow_their_mode_and_bad_input_changes_nothing,
);

/// A report with a token nobody was given is refused without making the engine write its
/// pending batch (a stranger could otherwise force a write per request).
#[tokio::test]
async fn a_guessed_report_token_forces_no_write() {
    use app::runs::engine::RunEngine;
    use std::sync::atomic::{AtomicUsize, Ordering};
    #[derive(Default)]
    struct CountingEngine(AtomicUsize);
    #[async_trait::async_trait]
    impl RunEngine for CountingEngine {
        fn wake(&self, _: i64) {}
        async fn stop(&self, _: i64, _: Option<i64>, _: &str) -> bool {
            false
        }
        async fn flush(&self, _: i64) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn publish(&self, _: i64, _: app::runs::live::LiveEvent) {}
        fn holds_unwritten_token(&self, _: &str) -> bool {
            false
        }
    }
    let db = support::fresh_database(Backend::Sqlite).await;
    let store = app::store::connect(&db.url).await.unwrap();
    let new = app::experiment::NewExperiment::parse("d", None, None, None, None).unwrap();
    let expid = app::experiment::Expid::parse(&store.create_experiment(&new, "ana", "v").await.unwrap().expid).unwrap();
    let engine = CountingEngine::default();
    let request = app::runs::ReportRequest { progress: Some(10.0), ..Default::default() };
    let refused = app::runs::ops::report(store.as_ref(), &engine, &expid, "a000_SIM", Some("guessed"), &request).await.unwrap_err();
    assert!(refused.to_string().contains("not that of a running attempt"), "{refused}");
    assert_eq!(engine.0.load(Ordering::SeqCst), 0);
}
