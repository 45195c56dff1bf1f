//! The real router on port 0: JSON API, pages and server functions, on both backends.

mod support;

use serde_json::{json, Value};
use support::{spawn_app, Backend, TestApp};

async fn create(app: &TestApp, body: Value) -> reqwest::Response {
    app.client.post(app.url("/v4/experiments")).json(&body).send().await.unwrap()
}

async fn total(app: &TestApp) -> u64 {
    let body: Value = app
        .client
        .get(app.url("/v4/experiments?only_active=false"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["pagination"]["total_items"].as_u64().unwrap()
}

async fn api_creates_lists_reads_and_edits(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = create(&app, json!({"description": "Sea ice", "kind": "experiment", "hpc": "MN5", "model": "EC-Earth4"})).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/v4/experiments/a000");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["name"], "a000");
    assert_eq!(created["user"], "tester");
    assert_eq!(created["hpc"], "MN5");
    assert_eq!(created["status"], "NOT RUNNING");

    let res = create(&app, json!({"description": "A test", "kind": "test"})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "t000");

    // autosubmit-api's list shape and defaults: only_active defaults to true.
    let active: Value = app.client.get(app.url("/v4/experiments")).send().await.unwrap().json().await.unwrap();
    assert_eq!(active["experiments"], json!([]));
    assert_eq!(active["pagination"]["page_size"], 12);
    let found: Value = app
        .client
        .get(app.url("/v4/experiments?query=ice&only_active=false&order_by=expid&order_desc=true&page=1&page_size=5"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["pagination"], json!({"page": 1, "page_size": 5, "total_pages": 1, "page_items": 1, "total_items": 1}));
    let row = &found["experiments"][0];
    for key in ["id", "name", "user", "description", "hpc", "version", "created", "modified", "status", "completed", "total", "submitted", "queuing", "running", "failed", "suspended"] {
        assert!(row.get(key).is_some(), "list item lacks {key}");
    }
    let by_kind: Value = app
        .client
        .get(app.url("/v4/experiments?only_active=false&exp_type=test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_kind["experiments"][0]["name"], "t000");

    let detail: Value = app.client.get(app.url("/v4/experiments/a000")).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["name"], "a000");
    assert_eq!(detail["description"], "Sea ice");
    assert!(detail["autosubmit_version"].as_str().unwrap().starts_with("hindcast"));

    let res = app
        .client
        .patch(app.url("/v4/experiments/a000"))
        .json(&json!({"description": "Sea ice, longer spin-up"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["description"], "Sea ice, longer spin-up");
}

async fn api_rejects_bad_input_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({"description": "   "}), 422, "description"),
        (json!({"kind": "experiment"}), 422, "description"),
        (json!({"description": "x".repeat(1001)}), 422, "description"),
        (json!({"description": "ok", "kind": "production"}), 422, "kind"),
        (json!({"description": "ok", "hpc": "a\u{0}b"}), 422, "hpc"),
        (json!({"description": 5}), 422, "description"),
        (json!({"description": "a\u{0}b"}), 422, "description"),
    ];
    for (body, status, field) in cases {
        let res = create(&app, body.clone()).await;
        assert_eq!(res.status(), status, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"], true);
        assert!(err["error_message"].as_str().unwrap().contains(field), "{body}: {err}");
    }
    let res = app
        .client
        .post(app.url("/v4/experiments"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], true);
    assert_eq!(total(&app).await, 0, "nothing is stored on error");

    for (query, field) in [("page_size=0", "page_size"), ("page_size=1001", "page_size"), ("page=0", "page"), ("order_by=owner", "order_by"), ("exp_type=x", "exp_type"), ("only_active=maybe", "only_active"), ("query=%00ab", "query"), ("page=1&page=2", "")] {
        let res = app.client.get(app.url(&format!("/v4/experiments?{query}"))).send().await.unwrap();
        assert_eq!(res.status(), 422, "{query}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error_message"].as_str().unwrap().starts_with(field), "{query}: {err}");
    }

    let res = app.client.get(app.url("/v4/experiments/zzzz")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": true, "error_message": "Experiment with expid 'zzzz' not found."})
    );
    assert_eq!(app.client.get(app.url("/v4/experiments/..%2Fetc")).send().await.unwrap().status(), 404);
    let res = app.client.patch(app.url("/v4/experiments/zzzz")).json(&json!({"description": "x"})).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app.client.delete(app.url("/v4/experiments")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], true);
    let res = app.client.get(app.url("/v4/nothing-here")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], true);
}

async fn pages_render_with_real_statuses(backend: Backend) {
    let app = spawn_app(backend).await;
    create(&app, json!({"description": "Visible <b>not bold</b>"})).await;
    let res = app.client.get(app.url("/experiments")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<a href="/experiments/a000">a000"#), "the row links the experiment");
    assert!(html.contains("Visible &lt;b&gt;not bold&lt;/b&gt;"), "descriptions are escaped");

    let res = app.client.get(app.url("/experiments/a000")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Save description"));

    assert_eq!(app.client.get(app.url("/experiments/zzzz")).send().await.unwrap().status(), 404);
    assert_eq!(app.client.get(app.url("/no/such/page")).send().await.unwrap().status(), 404);
    let res = app.client.get(app.url("/experiments?page_size=5000")).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Page size"));
}

async fn forms_work_without_javascript(backend: Backend) {
    let app = spawn_app(backend).await;
    // A plain HTML form post, as a browser without wasm sends it.
    let res = app
        .client
        .post(app.url("/api/experiments/create"))
        .header("accept", "text/html")
        .header("referer", app.url("/experiments/new"))
        .form(&[("description", "No JS"), ("kind", "evaluation"), ("hpc", ""), ("model", ""), ("branch", "")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/experiments/e000");

    let res = app
        .client
        .post(app.url("/api/experiments/create"))
        .header("accept", "text/html")
        .header("referer", app.url("/experiments/new"))
        .form(&[("description", " "), ("kind", "experiment")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(&app.url("/experiments/new?")), "{back}");
    let page = app.client.get(&back).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("a description is required"), "the error is shown after the redirect");
    assert_eq!(total(&app).await, 1);

    let res = app
        .client
        .post(app.url("/api/experiments/describe"))
        .header("accept", "text/html")
        .header("referer", app.url("/experiments/e000"))
        .form(&[("expid", "e000"), ("description", "Edited without JS")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    let page = app.client.get(app.url("/experiments/e000")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Edited without JS"));
}

/// Posts the create form with the given request headers, as a browser would send it.
async fn post_create_form(app: &TestApp, headers: &[(&str, &str)], description: &str) -> reqwest::StatusCode {
    let mut request = app.client.post(app.url("/api/experiments/create"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.form(&[("description", description)]).send().await.unwrap().status()
}

async fn cross_site_form_posts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(post_create_form(&app, &[("origin", "http://evil.example")], "forged").await, 403);
    assert_eq!(post_create_form(&app, &[("sec-fetch-site", "cross-site")], "forged").await, 403);
    assert_eq!(total(&app).await, 0);
    // The same post from the app's own origin goes through.
    let own = [("origin", app.base.as_str()), ("sec-fetch-site", "same-origin")];
    let status = post_create_form(&app, &own, "mine").await;
    assert!(status.is_success(), "{status}");
    assert_eq!(total(&app).await, 1);
}

async fn health_and_api_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = app.client.get(app.url("/v4/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/v4/experiments"]["get"].is_object());
    assert!(doc["paths"]["/v4/experiments"]["post"].is_object());
    assert!(doc["paths"]["/v4/experiments/{expid}"]["patch"].is_object());
    let names: Vec<&str> = doc["paths"]["/v4/experiments"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in ["query", "only_active", "owner", "exp_type", "hpc", "order_by", "order_desc", "page", "page_size"] {
        assert!(names.contains(&name), "openapi lacks parameter {name}");
    }
    let docs = app.client.get(app.url("/v4/docs")).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("/v4/experiments/{expid}"));
    let res = app.client.get(app.url("/experiments")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let policy = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'self'"), "{policy}");
}

on_both_backends!(
    api_creates_lists_reads_and_edits,
    api_rejects_bad_input_and_stores_nothing,
    pages_render_with_real_statuses,
    forms_work_without_javascript,
    cross_site_form_posts_are_refused,
    health_and_api_documents,
);
