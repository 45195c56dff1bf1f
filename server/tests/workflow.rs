//! Workflows through the JSON API on both backends: configuration, generation (stored graph
//! identical to Autosubmit's), regeneration, and the job views' endpoints.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::{case_files, execute_raw, expected_graph, spawn_app, spawn_app_with, Backend, TestApp};

async fn experiment(app: &TestApp) -> String {
    let res = app.client.post(app.url("/v4/experiments")).json(&json!({"description": "workflow"})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned()
}

async fn put_config(app: &TestApp, expid: &str, files: Value) -> reqwest::Response {
    app.client.put(app.url(&format!("/v4/experiments/{expid}/config"))).json(&json!({"files": files})).send().await.unwrap()
}

async fn post(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.post(app.url(path)).send().await.unwrap()
}

async fn error_of(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], true);
    body["error_message"].as_str().unwrap().to_owned()
}

async fn configuration_is_stored_checked_and_merged(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/config"), 200).await, json!({"files": {}}));
    let files = Value::Object(case_files("classic"));
    let res = put_config(&app, &expid, files.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/config"), 200).await["files"], files);
    let merged = app.get_json(&format!("/v4/experiments/{expid}/filesystem-config"), 200).await;
    assert_eq!(merged["config"]["EXPERIMENT"]["NUMCHUNKS"], 4);
    assert_eq!(merged["config"]["JOBS"]["SIM"]["RUNNING"], "chunk");

    // A syntax error names file, line and column; nothing changes.
    let mut broken = files.clone();
    broken["jobs.yml"] = json!("JOBS:\n  SIM:\n    RUNNING: [chunk\n");
    let message = error_of(put_config(&app, &expid, broken).await, 422).await;
    assert!(message.starts_with("jobs.yml: not valid YAML: line "), "{message}");
    assert!(message.contains("column"), "{message}");
    let message = error_of(put_config(&app, &expid, json!({"../x.yml": "A: 1"})).await, 422).await;
    assert!(message.starts_with("files.../x.yml"), "{message}");
    let message = error_of(put_config(&app, &expid, json!({"big.yml": "#".repeat(2 * 1024 * 1024 + 1)})).await, 422).await;
    assert!(message.contains("2 MB"), "{message}");
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/config"), 200).await["files"], files);

    let message = error_of(put_config(&app, "a999", files).await, 404).await;
    assert_eq!(message, "Experiment with expid 'a999' not found.");
}

/// Every edge of the stored graph, read back through the children endpoint.
async fn stored_edges(app: &TestApp, expid: &str) -> BTreeSet<(String, String)> {
    let page = app.get_json(&format!("/v4/experiments/{expid}/jobs?view=quick"), 200).await;
    let mut edges = BTreeSet::new();
    for job in page["jobs"].as_array().unwrap() {
        let name = job["name"].as_str().unwrap();
        let children = app.get_json(&format!("/v4/experiments/{expid}/jobs/{name}/children"), 200).await;
        for child in children["children"].as_array().unwrap() {
            edges.insert((name.to_owned(), child["job_name"].as_str().unwrap().to_owned()));
        }
    }
    edges
}

async fn generation_stores_autosubmits_graph(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    let message = error_of(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await, 422).await;
    assert!(message.contains("no configuration yet"), "{message}");
    assert_eq!(put_config(&app, &expid, Value::Object(case_files("classic"))).await.status(), 200);

    // A dry run reports and stores nothing.
    let dry: Value = post(&app, &format!("/v4/experiments/{expid}?action=generate&dry_run=true")).await.json().await.unwrap();
    let expected = expected_graph("classic");
    let expected_jobs = expected["jobs"].as_array().unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["jobs"].as_u64().unwrap() as usize, expected_jobs.len());
    assert_eq!(dry["graph_version"], 0);
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/summary"), 200).await["total"], 0);

    let res = post(&app, &format!("/v4/experiments/{expid}?action=generate")).await;
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!((done["dry_run"].clone(), done["graph_version"].clone()), (json!(false), json!(1)));
    assert_eq!(done["edges"].as_u64().unwrap() as usize, expected["edges"].as_array().unwrap().len());

    // The stored graph is Autosubmit's, with the generated job's name rewritten to this expid.
    let rename = |name: &str| name.replacen(expected["expid"].as_str().unwrap(), &expid, 1);
    let page = app.get_json(&format!("/v4/experiments/{expid}/jobs"), 200).await;
    let names: Vec<String> = page["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_owned()).collect();
    let mut wanted: Vec<String> = expected_jobs.iter().map(|j| rename(j["name"].as_str().unwrap())).collect();
    wanted.sort();
    assert_eq!(names, wanted);
    let edges = stored_edges(&app, &expid).await;
    let wanted: BTreeSet<(String, String)> = expected["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (rename(e[0].as_str().unwrap()), rename(e[1].as_str().unwrap())))
        .collect();
    assert_eq!(edges, wanted);

    // Another server on the same database reads the stored graph (no shared memory).
    let other = app::store::connect(&app.db.url).await.unwrap();
    let handle = other.graph(&app::experiment::Expid::parse(&expid).unwrap()).await.unwrap();
    assert_eq!((handle.graph.len(), handle.graph.version), (expected_jobs.len(), 1));

    let summary = app.get_json(&format!("/v4/experiments/{expid}/summary"), 200).await;
    assert_eq!(summary["total"].as_u64().unwrap() as usize, expected_jobs.len());
    assert_eq!(summary["graph_version"], 1);
    let ready = expected_jobs.iter().filter(|j| j["status"] == "READY").count();
    assert_eq!(summary["counts"][1], json!({"status": "READY", "count": ready}));
}

async fn regeneration_keeps_statuses_and_waits_for_a_stop(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    put_config(&app, &expid, Value::Object(case_files("tiny"))).await;
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let ini = format!("{expid}_20000101_fc0_INI");
    // Statuses are the engine's to set (issue 4); a completed job is seeded directly here. Jobs
    // are numbered in name order, the order of the list.
    let list = app.get_json(&format!("/v4/experiments/{expid}/jobs?view=quick"), 200).await;
    let number = list["jobs"].as_array().unwrap().iter().position(|j| j["name"] == ini.as_str()).unwrap();
    execute_raw(&app.db, &format!("UPDATE job_states SET status = 5 WHERE number = {number}")).await;

    let again: Value = post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.json().await.unwrap();
    assert_eq!((again["kept_statuses"].clone(), again["graph_version"].clone()), (json!(1), json!(2)));
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/jobs/{ini}"), 200).await["status"], "COMPLETED");

    execute_raw(&app.db, &format!("UPDATE experiments SET status = 'RUNNING' WHERE expid = '{expid}'")).await;
    let message = error_of(post(&app, &format!("/v4/experiments/{expid}?action=generate&reset_statuses=true")).await, 409).await;
    assert!(message.contains("is running"), "{message}");
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/jobs/{ini}"), 200).await["status"], "COMPLETED");
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/summary"), 200).await["graph_version"], 2);

    execute_raw(&app.db, &format!("UPDATE experiments SET status = 'NOT RUNNING' WHERE expid = '{expid}'")).await;
    let reset: Value =
        post(&app, &format!("/v4/experiments/{expid}?action=generate&reset_statuses=true")).await.json().await.unwrap();
    assert_eq!(reset["kept_statuses"], 0);
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/jobs/{ini}"), 200).await["status"], "READY");
}

async fn bad_configurations_are_refused_naming_the_key(backend: Backend) {
    let app = spawn_app_with(backend, &[("HINDCAST_MAX_JOBS", "10")]).await;
    let expid = experiment(&app).await;
    put_config(&app, &expid, Value::Object(case_files("tiny"))).await;
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let before = app.get_json(&format!("/v4/experiments/{expid}/jobs?view=quick"), 200).await;

    let mut files = case_files("tiny");
    files.insert("zz.yml".into(), json!("JOBS:\n  SIM:\n    DEPENDENCIES: NOPE\n"));
    put_config(&app, &expid, Value::Object(files)).await;
    let message = error_of(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await, 422).await;
    assert!(message.starts_with("JOBS.SIM.DEPENDENCIES: depends on 'NOPE'"), "{message}");

    let mut files = case_files("tiny");
    files.insert("zz.yml".into(), json!("EXPERIMENT:\n  NUMCHUNKS: 20\n"));
    put_config(&app, &expid, Value::Object(files)).await;
    let message = error_of(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await, 422).await;
    assert!(message.contains("at most 10 are allowed"), "{message}");

    let message = error_of(post(&app, &format!("/v4/experiments/{expid}?action=explode")).await, 422).await;
    assert!(message.starts_with("action:"), "{message}");
    let message = error_of(post(&app, "/v4/experiments/a999?action=generate").await, 404).await;
    assert!(message.contains("a999"), "{message}");
    // Nothing of the refused generations was stored.
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/jobs?view=quick"), 200).await, before);
}

async fn jobs_filter_sort_page_and_export(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    put_config(&app, &expid, Value::Object(case_files("classic"))).await;
    post(&app, &format!("/v4/experiments/{expid}?action=generate")).await;
    let jobs = |query: &str| {
        let app = &app;
        let path = format!("/v4/experiments/{expid}/jobs?{query}");
        async move { app.get_json(&path, 200).await }
    };
    let names = |page: &Value| -> Vec<String> {
        page["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_owned()).collect()
    };

    let all = jobs("").await;
    let total = all["pagination"]["total_items"].as_u64().unwrap();
    assert_eq!(all["pagination"]["page_size"], Value::Null);
    let first = &all["jobs"][0];
    for key in ["name", "status", "priority", "section", "date", "member", "chunk", "split", "splits", "platform", "wallclock"] {
        assert!(first.get(key).is_some(), "job lacks {key}");
    }

    let page = jobs("view=quick&page=2&page_size=5").await;
    assert_eq!(page["pagination"]["page"], 2);
    assert_eq!(page["pagination"]["total_pages"].as_u64().unwrap(), total.div_ceil(5));
    assert_eq!(names(&page), names(&all)[5..10].to_vec());
    assert_eq!(page["jobs"][0].as_object().unwrap().len(), 2);

    let sims = jobs(&format!("job_name={expid}_*_SIM")).await;
    assert!(names(&sims).iter().all(|n| n.ends_with("_SIM")) && !names(&sims).is_empty());
    let not_sims = jobs("job_name=!*_SIM").await;
    assert_eq!(sims["jobs"].as_array().unwrap().len() + not_sims["jobs"].as_array().unwrap().len(), total as usize);

    let chunk2 = jobs("section=SIM&chunk=2&member=fc0").await;
    assert!(chunk2["jobs"].as_array().unwrap().iter().all(|j| j["chunk"] == 2 && j["member"] == "fc0" && j["section"] == "SIM"));
    assert!(!chunk2["jobs"].as_array().unwrap().is_empty());

    let ready = jobs("status=READY").await;
    assert_eq!(names(&ready), vec![format!("{expid}_LOCAL_SETUP")]);
    let by_status = jobs("order_by=status&order_desc=true&page_size=1").await;
    assert_eq!(by_status["jobs"][0]["status"], "READY");

    let res = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs?status=BOGUS"))).send().await.unwrap();
    let message = error_of(res, 422).await;
    assert!(message.starts_with("status: Invalid job status. Allowed values: COMPLETED, DELAYED"), "{message}");
    let res = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_nope"))).send().await.unwrap();
    assert_eq!(error_of(res, 404).await, format!("Job with name '{expid}_nope' not found in experiment '{expid}'"));
    let res = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_nope/parents"))).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let sim2 = format!("{expid}_20000101_fc0_2_SIM");
    let parents = app.get_json(&format!("/v4/experiments/{expid}/jobs/{sim2}/parents?include_status=true"), 200).await;
    assert_eq!(parents, json!({"parents": [{"job_name": format!("{expid}_20000101_fc0_1_SIM"), "status": "WAITING"}]}));

    let res = app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs.csv?section=SIM"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("name,status,section,date,member,chunk"));
    assert_eq!(lines.len() - 1, jobs("section=SIM").await["jobs"].as_array().unwrap().len());
    assert!(lines[1..].iter().all(|l| l.contains(",SIM,")));
}

on_both_backends!(
    configuration_is_stored_checked_and_merged,
    generation_stores_autosubmits_graph,
    regeneration_keeps_statuses_and_waits_for_a_stop,
    bad_configurations_are_refused_naming_the_key,
    jobs_filter_sort_page_and_export,
);

/// Many pages rendered at once: every one answers 200 (a title that read a page's signal after
/// they were disposed once panicked under such load).
async fn workflow_pages_render_under_concurrent_load(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    put_config(&app, &expid, Value::Object(case_files("classic"))).await;
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let paths = [
        format!("/experiments/{expid}"),
        format!("/experiments/{expid}/config"),
        format!("/experiments/{expid}/jobs"),
        format!("/experiments/{expid}/jobs?status=WAITING&order_by=status"),
    ];
    let mut requests = tokio::task::JoinSet::new();
    for round in 0..240 {
        let (client, url) = (app.client.clone(), app.url(&paths[round % paths.len()]));
        requests.spawn(async move { (client.get(&url).send().await.map(|r| r.status().as_u16()), url) });
    }
    while let Some(done) = requests.join_next().await {
        let (status, url) = done.unwrap();
        assert_eq!(status.unwrap(), 200, "{url}");
    }
}

on_both_backends!(workflow_pages_render_under_concurrent_load);

async fn tree_levels_count_jobs_per_folder(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    put_config(&app, &expid, Value::Object(case_files("classic"))).await;
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let expected = expected_graph("classic");
    let jobs = expected["jobs"].as_array().unwrap();
    let count = |pred: &dyn Fn(&Value) -> bool| jobs.iter().filter(|j| pred(j)).count() as u64;

    let root = app.get_json(&format!("/v4/experiments/{expid}/tree"), 200).await;
    let dates: Vec<&str> = root["folders"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(dates, ["20000101", "20000201"]);
    assert_eq!(root["folders"][0]["total"], count(&|j| j["date"] == "20000101"));
    assert_eq!(root["jobs"].as_array().unwrap().len() as u64, count(&|j| j["date"].is_null()));
    assert!(root["jobs"].as_array().unwrap().iter().any(|j| j["status"] == "READY"));

    // A completed job shows in the counters of every folder above it.
    let sim = format!("{expid}_20000201_fc1_2_SIM");
    let list = app.get_json(&format!("/v4/experiments/{expid}/jobs?view=quick"), 200).await;
    let number = list["jobs"].as_array().unwrap().iter().position(|j| j["name"] == sim.as_str()).unwrap();
    execute_raw(&app.db, &format!("UPDATE job_states SET status = 5 WHERE number = {number}")).await;
    let root = app.get_json(&format!("/v4/experiments/{expid}/tree"), 200).await;
    assert!(root["folders"][1]["counts"].as_array().unwrap().contains(&json!({"status": "COMPLETED", "count": 1})));
    assert!(!root["folders"][0]["counts"].as_array().unwrap().iter().any(|c| c["status"] == "COMPLETED"));

    let date = app.get_json(&format!("/v4/experiments/{expid}/tree?date=20000201"), 200).await;
    let members: Vec<&str> = date["folders"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(members, ["fc0", "fc1", "fc2"]);
    assert_eq!(date["folders"][1]["total"], count(&|j| j["date"] == "20000201" && j["member"] == "fc1"));
    let member = app.get_json(&format!("/v4/experiments/{expid}/tree?date=20000201&member=fc1"), 200).await;
    let sim_folder = member["folders"].as_array().unwrap().iter().find(|f| f["name"] == "SIM").unwrap();
    assert_eq!(sim_folder["counts"], json!([{"status": "WAITING", "count": 3}, {"status": "COMPLETED", "count": 1}]));
    let section = app.get_json(&format!("/v4/experiments/{expid}/tree?date=20000201&member=fc1&section=SIM"), 200).await;
    assert_eq!(section["folders"], json!([]));
    assert!(section["jobs"].as_array().unwrap().contains(&json!({"job_name": sim, "status": "COMPLETED"})));

    let res = app.client.get(app.url(&format!("/v4/experiments/{expid}/tree?member=fc1"))).send().await.unwrap();
    assert!(error_of(res, 422).await.starts_with("member:"));
    let res = app.client.get(app.url(&format!("/v4/experiments/{expid}/tree?date=19990101"))).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

on_both_backends!(tree_levels_count_jobs_per_folder);

/// The graph view's layout: every job once, every edge pointing down, one box per
/// date-member; served gzipped when asked, revalidated by version, and statuses by number.
async fn graph_layout_and_statuses(backend: Backend) {
    use std::io::Read;
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    let empty = app.get_json(&format!("/v4/experiments/{expid}/graph"), 200).await;
    assert_eq!(empty["names"], json!([]));
    assert_eq!(put_config(&app, &expid, Value::Object(case_files("classic"))).await.status(), 200);
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);

    let url = app.url(&format!("/v4/experiments/{expid}/graph"));
    let res = app.client.get(&url).header("accept-encoding", "gzip, br").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&res.bytes().await.unwrap()[..]).read_to_string(&mut text).unwrap();
    let layout: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(layout, app.get_json(&format!("/v4/experiments/{expid}/graph"), 200).await, "plain and gzipped differ");

    let names: Vec<&str> = layout["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    let expected = expected_graph("classic");
    let expected_names: Vec<&str> = expected["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap()).collect();
    // The case was generated as a001; names carry the experiment's own id.
    let unprefixed = |names: &[&str]| names.iter().map(|n| n.split_once('_').unwrap().1.to_owned()).collect::<Vec<_>>();
    assert_eq!(unprefixed(&names), unprefixed(&expected_names));
    let (x, y) = (layout["x"].as_array().unwrap(), layout["y"].as_array().unwrap());
    assert_eq!((x.len(), y.len()), (names.len(), names.len()));
    let edges = layout["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2 * 85);
    for pair in edges.chunks(2) {
        let (p, c) = (pair[0].as_u64().unwrap() as usize, pair[1].as_u64().unwrap() as usize);
        assert!(y[p].as_i64() < y[c].as_i64(), "{} → {} does not point down", names[p], names[c]);
    }
    let labels: Vec<&str> = layout["groups"].as_array().unwrap().iter().map(|g| g["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Experiment", "20000101 · fc0", "20000101 · fc1", "20000101 · fc2", "20000201 · fc0", "20000201 · fc1", "20000201 · fc2"]);

    // Unchanged version: 304 without a body; a new generation changes the tag.
    let res = app.client.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(res.status(), 304);
    let statuses = app.get_json(&format!("/v4/experiments/{expid}/graph/statuses"), 200).await;
    assert_eq!(statuses["graph_version"], layout["graph_version"]);
    let codes = statuses["statuses"].as_array().unwrap();
    assert_eq!(codes.len(), names.len());
    let ready: Vec<&str> = (0..names.len()).filter(|&n| codes[n] == 1).map(|n| names[n]).collect();
    assert_eq!(ready, [format!("{expid}_LOCAL_SETUP")]);
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let res = app.client.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);

    let message = error_of(app.client.get(app.url("/v4/experiments/a999/graph")).send().await.unwrap(), 404).await;
    assert_eq!(message, "Experiment with expid 'a999' not found.");
}

on_both_backends!(graph_layout_and_statuses);

/// A multipart body of `files` parts, as a browser's file input sends it.
fn multipart(files: &[(&str, &str)]) -> (String, String) {
    let boundary = "hindcast-test-boundary";
    let mut body = String::new();
    for (name, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/x-yaml\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploading adds or replaces files, all checked together; a browser goes back to the page.
async fn configuration_files_upload(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    let files = case_files("classic");
    let text = |name: &str| files[name].as_str().unwrap().to_owned();
    assert_eq!(put_config(&app, &expid, json!({"expdef.yml": text("expdef.yml")})).await.status(), 200);
    let url = app.url(&format!("/v4/experiments/{expid}/config/files"));
    let upload = |parts: Vec<(&'static str, String)>, accept: &'static str| {
        let parts: Vec<(&str, &str)> = parts.iter().map(|(n, c)| (*n, c.as_str())).collect();
        let (content_type, body) = multipart(&parts);
        app.client.post(&url).header("content-type", content_type).header("accept", accept).body(body).send()
    };

    let res = upload(vec![("jobs.yml", text("jobs.yml")), ("platforms.yml", text("platforms.yml"))], "application/json").await.unwrap();
    assert_eq!(res.status(), 200);
    let stored: Value = res.json().await.unwrap();
    let names: Vec<&str> = stored["files"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(names, ["expdef.yml", "jobs.yml", "platforms.yml"]);
    assert_eq!(stored["files"]["jobs.yml"], files["jobs.yml"]);

    // One bad file refuses the whole upload.
    let bad = vec![("jobs.yml", "JOBS: [\n".to_owned()), ("extra.yml", "A: 1\n".to_owned())];
    let message = error_of(upload(bad.clone(), "application/json").await.unwrap(), 422).await;
    assert!(message.starts_with("jobs.yml: not valid YAML"), "{message}");
    assert_eq!(app.get_json(&format!("/v4/experiments/{expid}/config"), 200).await, stored);
    let message = error_of(upload(vec![], "application/json").await.unwrap(), 422).await;
    assert!(message.contains("choose one or more"), "{message}");

    // A browser's form is sent back to the configuration page with the outcome.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (content_type, body) = multipart(&[("jobs.yml", "JOBS: [\n")]);
    let res = no_redirects.post(&url).header("content-type", content_type).header("accept", "text/html").body(body).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&format!("/experiments/{expid}/config?upload_error=jobs.yml%3A%20not%20valid%20YAML")), "{location}");
    let (content_type, body) = multipart(&[("more.yml", "B: 2\n")]);
    let res = no_redirects.post(&url).header("content-type", content_type).header("accept", "text/html").body(body).send().await.unwrap();
    assert_eq!(res.headers()["location"], format!("/experiments/{expid}/config?uploaded=1"));
    let page = app.client.get(app.url(&format!("/experiments/{expid}/config?uploaded=1"))).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Uploaded 1 file(s)."));
}

on_both_backends!(configuration_files_upload);

/// A job's parameters carry its chunk's dates in the experiment's calendar, and placeholders
/// in a text resolve with them.
async fn job_parameters_and_placeholders(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    assert_eq!(put_config(&app, &expid, Value::Object(case_files("classic"))).await.status(), 200);
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let sim = format!("{expid}_20000201_fc1_3_SIM");
    let body = app.get_json(&format!("/v4/experiments/{expid}/jobs/{sim}/parameters"), 200).await;
    let p = &body["parameters"];
    assert_eq!(body["job_name"], sim);
    for (key, value) in [
        ("JOBNAME", sim.as_str()),
        ("SDATE", "20000201"),
        ("MEMBER", "fc1"),
        ("CHUNK", "3"),
        ("CHUNK_START_DATE", "20000401"),
        ("CHUNK_END_DATE", "20000501"),
        ("CHUNK_SECOND_TO_LAST_DATE", "20000430"),
        ("RUN_DAYS", "30"),
        ("PREV", "60"),
        ("CHUNK_FIRST", "FALSE"),
        ("CHUNK_LAST", "FALSE"),
        ("EXPERIMENT.NUMCHUNKS", "4"),
        ("CURRENT_ARCH", "LOCAL"),
    ] {
        assert_eq!(p[key], value, "{key}");
    }
    let url = app.url(&format!("/v4/experiments/{expid}/jobs/{sim}/resolve"));
    let res = app.client.post(&url).body("cd %JOBNAME% && run %CHUNK_START_DATE%-%CHUNK_END_DATE% %UNKNOWN%").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let resolved: Value = res.json().await.unwrap();
    assert_eq!(resolved["text"], format!("cd {sim} && run 20000401-20000501 %UNKNOWN%"));
    assert_eq!(resolved["unresolved"], json!(["UNKNOWN"]));
    let message = error_of(app.client.get(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_NOPE/parameters"))).send().await.unwrap(), 404).await;
    assert!(message.contains("NOPE"), "{message}");
}

on_both_backends!(job_parameters_and_placeholders);

/// Statuses set by hand, one job or many, with a dry run; children follow their parents.
async fn job_statuses_set_by_hand(backend: Backend) {
    let app = spawn_app(backend).await;
    let expid = experiment(&app).await;
    let message = error_of(app.client.patch(app.url(&format!("/v4/experiments/{expid}/jobs/{expid}_X?status=COMPLETED"))).send().await.unwrap(), 409).await;
    assert!(message.contains("no graph yet"), "{message}");
    assert_eq!(put_config(&app, &expid, Value::Object(case_files("classic"))).await.status(), 200);
    assert_eq!(post(&app, &format!("/v4/experiments/{expid}?action=generate")).await.status(), 200);
    let status_of = |name: String| {
        let app = &app;
        let expid = expid.clone();
        async move { app.get_json(&format!("/v4/experiments/{expid}/jobs/{name}"), 200).await["status"].clone() }
    };
    let (setup, remote) = (format!("{expid}_LOCAL_SETUP"), format!("{expid}_REMOTE_SETUP"));

    let patch = |name: &str, query: &str| app.client.patch(app.url(&format!("/v4/experiments/{expid}/jobs/{name}?{query}"))).send();
    let res = patch(&setup, "status=completed").await.unwrap();
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["changed"], json!([setup]));
    assert_eq!(outcome["now_ready"], json!([remote]));
    assert_eq!(status_of(remote.clone()).await, "READY");

    // A dry run lists and changes nothing; the same request then changes exactly that.
    let bulk = |body: Value| app.client.post(app.url(&format!("/v4/experiments/{expid}/jobs/status"))).json(&body).send();
    let request = json!({"status": "COMPLETED", "job_names": [remote], "filter": {"section": "INI"}, "dry_run": true});
    let preview: Value = bulk(request.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(preview["changed"].as_array().unwrap().len(), 7);
    assert_eq!(status_of(remote.clone()).await, "READY");
    let mut real = request.clone();
    real["dry_run"] = json!(false);
    let done: Value = bulk(real).await.unwrap().json().await.unwrap();
    assert_eq!((done["changed"].clone(), done["now_ready"].clone()), (preview["changed"].clone(), preview["now_ready"].clone()));
    assert!(!done["now_ready"].as_array().unwrap().is_empty());
    let first_ready = done["now_ready"][0].as_str().unwrap().to_owned();
    assert_eq!(status_of(first_ready.clone()).await, "READY");

    // Undoing a parent sends its ready children back to WAITING.
    let undone: Value = patch(&remote, "status=WAITING").await.unwrap().json().await.unwrap();
    assert!(undone["now_waiting"].as_array().unwrap().is_empty(), "INI children stay ready: their parents are the INIs");
    let ini = format!("{expid}_20000101_fc0_INI");
    let undone: Value = patch(&ini, "status=FAILED").await.unwrap().json().await.unwrap();
    assert_eq!(undone["now_waiting"], json!([format!("{expid}_20000101_fc0_1_SIM")]));

    // Refusals change nothing.
    let message = error_of(patch(&ini, "status=RUNNING").await.unwrap(), 422).await;
    assert!(message.contains("executor"), "{message}");
    let message = error_of(patch(&ini, "status=DONE").await.unwrap(), 422).await;
    assert!(message.contains("'DONE' is not a job status"), "{message}");
    let message = error_of(bulk(json!({"status": "COMPLETED", "job_names": [ini, "nope_1", "nope_2"]})).await.unwrap(), 422).await;
    assert!(message.ends_with("nope_1, nope_2"), "{message}");
    assert_eq!(status_of(ini.clone()).await, "FAILED");
    let message = error_of(bulk(json!({"status": "COMPLETED"})).await.unwrap(), 422).await;
    assert!(message.contains("name the jobs"), "{message}");
    assert_eq!(app.status_of_oversized("POST", &format!("/v4/experiments/{expid}/jobs/status"), 2_000_000).await, 413);
}

on_both_backends!(job_statuses_set_by_hand);
