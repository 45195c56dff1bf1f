//! The authorisation matrix: every API route, page and server function, under each
//! `PROTECTION_LEVEL`, called by each kind of caller (anonymous, viewer, an operator who is a
//! stranger to the experiment, a collaborator, the owner, an admin), answers the status the
//! rules give, and nothing answered to an anonymous caller under ALL carries the experiment's
//! data. Then collaborators,
//! ownership and the audit log, on both backends.

mod support;

use app::actor::Actor;
use app::auth::{ops, password::Password, Role, UserName};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use support::{spawn_app_with, Backend, TestApp};

const KEY: &str = "0123456789abcdef0123456789abcdef-test-key";
/// In every experiment description: a refusal that contains it has leaked.
const SECRET: &str = "secret-plan-4711";
const EXPDEF: &str = "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  \
     CHUNKSIZEUNIT: month\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS: {}\n";
const JOBS: &str = "JOBS:\n  INI:\n    RUNNING: member\n    SCRIPT: echo ini\n  SIM:\n    RUNNING: chunk\n    DEPENDENCIES: INI\n    SCRIPT: echo sim\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    Anonymous,
    Viewer,
    Stranger,
    Collaborator,
    Owner,
    Admin,
}

const CALLERS: [Caller; 6] = [Caller::Anonymous, Caller::Viewer, Caller::Stranger, Caller::Collaborator, Caller::Owner, Caller::Admin];

impl Caller {
    fn account(self) -> Option<(&'static str, Role)> {
        match self {
            Caller::Anonymous => None,
            Caller::Viewer => Some(("vic", Role::Viewer)),
            Caller::Stranger => Some(("stan", Role::Operator)),
            Caller::Collaborator => Some(("cole", Role::Operator)),
            Caller::Owner => Some(("owen", Role::Operator)),
            Caller::Admin => Some(("ana", Role::Admin)),
        }
    }
}

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Anyone, at every level.
    Public,
    /// The login form: sends everyone on under NONE, where there is nothing to log in to.
    LoginForm,
    /// A page: anonymous browsers are sent to the login form under ALL.
    Page,
    /// Reading: needs a login under ALL only.
    Read,
    /// Creating an experiment: operators and admins.
    Create,
    /// Changing the experiment: its owner, collaborators and admins.
    Act,
    /// Choosing collaborators: the owner and admins.
    Share,
    /// Giving the experiment away: admins.
    Transfer,
    /// Accounts and the whole audit log: admins.
    Accounts,
    /// One's own tokens: anyone logged in.
    Own,
    /// Issuing a JWT: anyone logged in; nothing to issue under NONE.
    Jwt,
}

enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
    Upload(&'static str, &'static str),
}

struct Route {
    method: Method,
    path: String,
    body: Body,
    class: Class,
    /// The status when allowed (under NONE everyone is the local admin).
    ok: u16,
}

fn route(method: Method, path: impl Into<String>, class: Class, ok: u16) -> Route {
    Route { method, path: path.into(), body: Body::None, class, ok }
}

fn with(method: Method, path: impl Into<String>, body: Body, class: Class, ok: u16) -> Route {
    Route { method, path: path.into(), body, class, ok }
}

/// Every route, in an order where each allowed call leaves the state the next one expects
/// (what one adds, the next removes).
fn routes(e: &str, run: i64) -> Vec<Route> {
    use Class::*;
    let (get, post, put, patch, delete) = (Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE);
    let ini = format!("{e}_20000101_fc0_INI");
    let x = format!("/v4/experiments/{e}");
    let mut all = vec![
        route(get.clone(), "/healthz", Public, 200),
        route(get.clone(), "/login", LoginForm, 200),
        route(get.clone(), "/v4/openapi.json", Public, 200),
    ];
    for page in ["/", "/experiments", "/experiments/new"] {
        all.push(route(get.clone(), page, Page, 200));
    }
    for view in ["summary", "tree", "graph", "jobs"] {
        all.push(route(get.clone(), format!("/embed/experiments/{e}/{view}"), Page, 200));
    }
    for tab in ["/access", "", "/jobs", "/jobs?view=quick", "/tree", "/graph", "/config", "/runs"] {
        all.push(route(get.clone(), format!("/experiments/{e}{tab}"), Page, 200));
    }
    for path in [
        "/v4/experiments".to_owned(),
        x.clone(),
        format!("{x}/config"),
        format!("{x}/config/files/jobs.yml"),
        format!("{x}/filesystem-config"),
        format!("{x}/summary"),
        format!("{x}/tree"),
        format!("{x}/graph"),
        format!("{x}/graph/statuses"),
        format!("{x}/jobs"),
        format!("{x}/jobs.csv"),
        format!("{x}/jobs/{ini}"),
        format!("{x}/jobs/{ini}/parents"),
        format!("{x}/jobs/{ini}/children"),
        format!("{x}/jobs/{ini}/parameters"),
        format!("{x}/jobs/{ini}/history"),
        format!("{x}/jobs/{ini}/log"),
        format!("{x}/jobs/{ini}/logs"),
        format!("{x}/jobs/{ini}/outputs"),
        format!("{x}/jobs/{ini}/temps"),
        format!("{x}/runs"),
        format!("{x}/runs/{run}"),
        format!("{x}/runs/{run}/attempts"),
        format!("{x}/runs/{run}/log"),
        format!("{x}/runs/{run}/logs"),
        format!("{x}/events"),
        format!("{x}/access"),
        format!("{x}/audit"),
        "/v4/auth/me".to_owned(),
        "/api/experiments/list".to_owned(),
        format!("/api/experiments/get?expid={e}"),
        format!("/api/workflow/summary?expid={e}"),
        format!("/api/workflow/config?expid={e}"),
        format!("/api/workflow/jobs?expid={e}"),
    ] {
        all.push(route(get.clone(), path, Read, 200));
    }
    all.push(with(post.clone(), format!("{x}/jobs/{ini}/resolve"), Body::Json(json!("%JOBNAME%")), Read, 200));
    all.extend([
        with(post.clone(), "/v4/experiments", Body::Json(json!({"description": "another"})), Create, 201),
        with(post.clone(), "/api/experiments/create", Body::Form(vec![("description", "another".into())]), Create, 200),
        with(patch.clone(), x.clone(), Body::Json(json!({"description": SECRET})), Act, 200),
        with(post.clone(), "/api/experiments/describe", Body::Form(vec![("expid", e.into()), ("description", SECRET.into())]), Act, 200),
        with(put.clone(), format!("{x}/config"), Body::Json(json!({"files": {"expdef.yml": EXPDEF, "jobs.yml": JOBS}})), Act, 200),
        with(post.clone(), format!("{x}/config/files"), Body::Upload("extra.yml", "EXTRA: 1\n"), Act, 200),
        with(post.clone(), "/api/workflow/config/delete", Body::Form(vec![("expid", e.into()), ("name", "extra.yml".into())]), Act, 200),
        with(post.clone(), "/api/workflow/config/save", Body::Form(vec![("expid", e.into()), ("name", "extra.yml".into()), ("content", "EXTRA: 2\n".into())]), Act, 200),
        with(post.clone(), "/api/workflow/config/delete", Body::Form(vec![("expid", e.into()), ("name", "extra.yml".into())]), Act, 200),
        route(post.clone(), format!("{x}?action=generate"), Act, 200),
        with(post.clone(), "/api/workflow/generate", Body::Form(vec![("expid", e.into()), ("dry_run", "on".into())]), Act, 200),
        route(post.clone(), format!("{x}?action=stop"), Act, 200),
        // Every job has completed: allowed callers hear that there is nothing to run.
        route(post.clone(), format!("{x}?action=run"), Act, 409),
        route(post.clone(), format!("{x}?action=restart"), Act, 409),
        with(post.clone(), format!("{x}/runs"), Body::Json(json!({"mode": "all"})), Act, 409),
        route(post.clone(), format!("{x}/runs/{run}/cancel"), Act, 409),
        route(patch.clone(), format!("{x}/jobs/{ini}?status=COMPLETED"), Act, 200),
        with(post.clone(), format!("{x}/jobs/status"), Body::Json(json!({"status": "COMPLETED", "job_names": [ini], "dry_run": true})), Act, 200),
        with(post.clone(), format!("{x}/collaborators"), Body::Json(json!({"name": "carl"})), Share, 200),
        route(delete.clone(), format!("{x}/collaborators/carl"), Share, 200),
        with(put.clone(), format!("{x}/owner"), Body::Json(json!({"owner": "owen"})), Transfer, 200),
        with(post.clone(), format!("{x}/embed-links"), Body::Json(json!({"expires_in_days": 2})), Share, 201),
        with(post.clone(), format!("/experiments/{e}/access/embed"), Body::Form(vec![("expires_in_days", "2".into())]), Share, 201),
        route(delete.clone(), format!("{x}/embed-links"), Share, 204),
        route(post.clone(), format!("/experiments/{e}/access/embed/revoke"), Share, 303),
        route(get.clone(), "/v4/users", Accounts, 200),
        with(post.clone(), "/v4/users", Body::Json(json!({"name": "ana", "role": "viewer"})), Accounts, 409),
        with(patch.clone(), "/v4/users/carl", Body::Json(json!({"role": "operator"})), Accounts, 200),
        route(delete.clone(), "/v4/users/nobody", Accounts, 404),
        route(get.clone(), "/v4/audit", Accounts, 200),
        // The server-rendered admin and access pages and their forms (answered by redirects).
        route(get.clone(), "/admin", Accounts, 200),
        route(get.clone(), "/admin/audit", Accounts, 200),
        route(get.clone(), "/admin/users/vic/tokens", Accounts, 200),
        route(post.clone(), "/admin/users/vic/tokens/999999/revoke", Accounts, 404),
        with(post.clone(), "/admin/users/carl/role", Body::Form(vec![("role", "operator".into())]), Accounts, 303),
        with(post.clone(), "/admin/users", Body::Form(vec![("name", "ana".into()), ("role", "viewer".into())]), Accounts, 409),
        with(post.clone(), format!("/experiments/{e}/access/collaborators"), Body::Form(vec![("name", "carl".into())]), Share, 303),
        route(post.clone(), format!("/experiments/{e}/access/collaborators/carl/remove"), Share, 303),
        with(post.clone(), format!("/experiments/{e}/access/owner"), Body::Form(vec![("name", "owen".into())]), Transfer, 303),
        route(get.clone(), "/v4/auth/tokens", Own, 200),
        route(delete.clone(), "/v4/auth/tokens/999999", Own, 404),
        route(post.clone(), "/v4/auth/jwt", Jwt, 201),
    ]);
    all
}

/// A page or form for browsers (not `/v4`, not a server function): anonymous callers the
/// guard refuses are sent to the login form instead of getting 401.
fn for_browsers(path: &str) -> bool {
    !path.starts_with("/v4/") && !path.starts_with("/api/")
}

/// The status the rules give `caller` for `route` under `level`.
fn expected_for(level: &str, route: &Route, caller: Caller) -> u16 {
    let guard_refuses_anonymous = level == "ALL" || route.method != Method::GET;
    let protected = !matches!(route.class, Class::Public | Class::LoginForm);
    if caller == Caller::Anonymous && level != "NONE" && for_browsers(&route.path) && guard_refuses_anonymous && protected {
        return 303;
    }
    expected(level, route.class, caller, route.ok)
}

/// The status the rules give `caller` for a route of `class` under `level`.
fn expected(level: &str, class: Class, caller: Caller, ok: u16) -> u16 {
    use Caller::*;
    use Class::*;
    if class == LoginForm {
        return if level == "NONE" { 303 } else { ok };
    }
    if level == "NONE" && class == Jwt {
        return 404;
    }
    if level == "NONE" || class == Public {
        return ok;
    }
    let reads_public = level == "WRITEONLY";
    match (caller, class) {
        (Anonymous, Page) if !reads_public => 303,
        (Anonymous, Page | Read) if reads_public => ok,
        (Anonymous, _) => 401,
        (_, Page | Read | Own | Jwt) => ok,
        (Viewer, _) => 403,
        (Admin, _) => ok,
        (_, Create) => ok,
        (Owner | Collaborator, Act) => ok,
        (Owner, Share) => ok,
        _ => 403,
    }
}

struct World {
    app: TestApp,
    expid: String,
    run: i64,
    tokens: HashMap<Caller, String>,
}

async fn world(backend: Backend, level: &str) -> World {
    let portals = [("PROTECTION_LEVEL", level), ("SECRET_KEY", KEY), ("EMBED_FRAME_ANCESTORS", "https://portal.example.org")];
    let app = spawn_app_with(backend, &portals).await;
    let store = app.store.as_ref();
    let cli = Actor::local("cli:test");
    let mut tokens = HashMap::new();
    for caller in CALLERS {
        let Some((name, role)) = caller.account() else { continue };
        let password = Password::parse("correct horse battery").unwrap();
        ops::add_user(store, &cli, &UserName::parse(name).unwrap(), role, Some(password)).await.unwrap();
        let token = ops::create_token(store, &Actor::user(name, role), "matrix", None).await.unwrap();
        tokens.insert(caller, token.secret);
    }
    ops::add_user(store, &cli, &UserName::parse("carl").unwrap(), Role::Operator, None).await.unwrap();

    // The owner makes the experiment, runs it to completion, and adds a collaborator.
    let owner = |request: reqwest::RequestBuilder| match level {
        "NONE" => request,
        _ => request.bearer_auth(&tokens[&Caller::Owner]),
    };
    let res = owner(app.client.post(app.url("/v4/experiments"))).json(&json!({"description": SECRET})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let expid = res.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    let files = json!({"files": {"expdef.yml": EXPDEF, "jobs.yml": JOBS}});
    let res = owner(app.client.put(app.url(&format!("/v4/experiments/{expid}/config")))).json(&files).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = owner(app.client.post(app.url(&format!("/v4/experiments/{expid}?action=run")))).send().await;
    assert_eq!(res.unwrap().status(), 409, "no graph yet");
    let res = owner(app.client.post(app.url(&format!("/v4/experiments/{expid}?action=generate")))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = owner(app.client.post(app.url(&format!("/v4/experiments/{expid}/runs")))).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let run = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let res = owner(app.client.get(app.url(&format!("/v4/experiments/{expid}/runs/{run}")))).send().await.unwrap();
        let view: Value = res.json().await.unwrap();
        if view["status"] == "passed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline && ["queued", "running"].contains(&view["status"].as_str().unwrap()), "{view}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if level != "NONE" {
        let res = owner(app.client.post(app.url(&format!("/v4/experiments/{expid}/collaborators"))))
            .json(&json!({"name": "cole"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    World { app, expid, run, tokens }
}

/// The status, the body, and where a redirect points.
async fn call(world: &World, level: &str, route: &Route, caller: Caller) -> (u16, String, String) {
    let app = &world.app;
    let mut request = app.client.request(route.method.clone(), app.url(&route.path));
    if let (Some(token), false) = (world.tokens.get(&caller), level == "NONE") {
        request = request.bearer_auth(token);
    }
    request = match &route.body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Form(fields) => request.form(fields),
        Body::Upload(name, content) => {
            let boundary = "matrix-boundary";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                 Content-Type: application/yaml\r\n\r\n{content}\r\n--{boundary}--\r\n"
            );
            request.header("content-type", format!("multipart/form-data; boundary={boundary}")).body(body)
        }
    };
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    // Streams (events) never end; their status is what counts.
    let body = if route.path.ends_with("/events") { String::new() } else { res.text().await.unwrap_or_default() };
    (status, body, location)
}

async fn every_route_answers_every_caller_as_the_rules_say(backend: Backend) {
    let mut wrong = Vec::new();
    for level in ["ALL", "WRITEONLY", "NONE"] {
        let world = world(backend, level).await;
        let routes = routes(&world.expid, world.run);
        // Caller by caller, so what an allowed call adds, its next call removes.
        for caller in CALLERS {
            for route in &routes {
                let want = expected_for(level, route, caller);
                let (got, body, location) = call(&world, level, route, caller).await;
                // A redirect to the login form is a refusal, to anywhere else a success.
                let to_login = location.starts_with("/login");
                let refused = want != route.ok || (want == 303 && route.ok == 303 && caller == Caller::Anonymous && level != "NONE");
                if got == 303 && route.class != Class::LoginForm && to_login != refused {
                    wrong.push(format!("{level} {caller:?} {} {} → 303 to {location}", route.method, route.path));
                }
                if got != want {
                    let body: String = body.chars().take(160).collect();
                    wrong.push(format!("{level} {caller:?} {} {} → {got}, expected {want}: {body}", route.method, route.path));
                }
                // Under ALL an anonymous caller may read nothing: no answer may carry data.
                if level == "ALL" && caller == Caller::Anonymous && body.contains(SECRET) {
                    wrong.push(format!("{level} {caller:?} {} {} leaked the description: {got}", route.method, route.path));
                }
            }
        }
        eprintln!("{level}: {} routes × {} callers checked", routes.len(), CALLERS.len());
    }
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
}

/// Sends `body` (if any) as `caller`'s token; the status and the JSON answer.
async fn as_user(world: &World, caller: Caller, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = world.app.client.request(method, world.app.url(path)).bearer_auth(&world.tokens[&caller]);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn owners_share_admins_transfer_and_the_audit_log_keeps_it_all(backend: Backend) {
    use Caller::*;
    let world = world(backend, "ALL").await;
    let x = format!("/v4/experiments/{}", world.expid);
    let describe = |text: &str| Some(json!({"description": text}));

    // cole collaborates (added by the owner in `world`): he may act, not share.
    assert_eq!(as_user(&world, Collaborator, Method::PATCH, &x, describe("by cole")).await.0, 200);
    let (status, body) = as_user(&world, Collaborator, Method::POST, &format!("{x}/collaborators"), Some(json!({"name": "stan"}))).await;
    assert_eq!(status, 403);
    assert_eq!(body["error_message"], format!("Only owen (the owner of {}) or an admin may choose its collaborators.", world.expid));
    let (status, body) = as_user(&world, Stranger, Method::PATCH, &x, describe("by stan")).await;
    assert_eq!(status, 403);
    assert!(body["error_message"].as_str().unwrap().contains("it belongs to owen"), "{body}");

    // Bad collaborators are refused with the reason, and change nothing.
    for (name, reason) in [("vic", "is a viewer"), ("nobody", "There is no account named nobody"), ("owen", "owns"), ("Not A Name", "not allowed")] {
        let (status, body) = as_user(&world, Owner, Method::POST, &format!("{x}/collaborators"), Some(json!({"name": name}))).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert!(body["error_message"].as_str().unwrap().contains(reason), "{name}: {body}");
    }
    let (_, access) = as_user(&world, Viewer, Method::GET, &format!("{x}/access"), None).await;
    assert_eq!(access["owner"], "owen");
    let names: Vec<&str> = access["collaborators"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cole"]);
    assert_eq!(access["collaborators"][0]["added_by"], "owen");

    // The owner takes cole off: he can no longer act.
    assert_eq!(as_user(&world, Owner, Method::DELETE, &format!("{x}/collaborators/cole"), None).await.0, 200);
    assert_eq!(as_user(&world, Collaborator, Method::PATCH, &x, describe("by cole again")).await.0, 403);
    assert_eq!(as_user(&world, Owner, Method::DELETE, &format!("{x}/collaborators/cole"), None).await.0, 404);

    // Only an admin gives the experiment away; then the new owner acts and the old one cannot.
    assert_eq!(as_user(&world, Owner, Method::PUT, &format!("{x}/owner"), Some(json!({"owner": "stan"}))).await.0, 403);
    let (status, body) = as_user(&world, Admin, Method::PUT, &format!("{x}/owner"), Some(json!({"owner": "ghost"}))).await;
    assert_eq!((status, body["error_message"].as_str()), (422, Some("owner: There is no account named ghost.")));
    assert_eq!(as_user(&world, Admin, Method::PUT, &format!("{x}/owner"), Some(json!({"owner": "stan"}))).await.0, 200);
    assert_eq!(as_user(&world, Stranger, Method::PATCH, &x, describe("by stan, now owner")).await.0, 200);
    assert_eq!(as_user(&world, Owner, Method::PATCH, &x, describe("by owen")).await.0, 403);
    assert_eq!(as_user(&world, Stranger, Method::POST, &format!("{x}/collaborators"), Some(json!({"name": "cole"}))).await.0, 200);

    // An account removed takes its collaborations with it.
    assert_eq!(as_user(&world, Admin, Method::DELETE, "/v4/users/cole", None).await.0, 204);
    let (_, access) = as_user(&world, Admin, Method::GET, &format!("{x}/access"), None).await;
    assert_eq!(access["collaborators"], json!([]));

    // The experiment's log: newest first, who did what, before and after; paged.
    let (status, log) = as_user(&world, Viewer, Method::GET, &format!("{x}/audit?limit=500"), None).await;
    assert_eq!(status, 200);
    let entries = log["entries"].as_array().unwrap();
    let summary: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e["actor"].as_str().unwrap().to_owned(), e["action"].as_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("stan", "collaborator.add"),
        ("stan", "experiment.describe"),
        ("ana", "experiment.owner"),
        ("owen", "collaborator.remove"),
        ("cole", "experiment.describe"),
        ("owen", "collaborator.add"),
        ("owen", "run.start"),
        ("owen", "graph.generate"),
        ("owen", "config.save"),
        ("owen", "experiment.create"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(summary, expected, "{log}");
    let owner_change = &entries[2];
    assert_eq!((owner_change["before"].as_str(), owner_change["after"].as_str()), (Some("owen"), Some("stan")));
    let described = &entries[1];
    assert_eq!((described["before"].as_str(), described["after"].as_str()), (Some("by cole"), Some("by stan, now owner")));
    let (_, first) = as_user(&world, Viewer, Method::GET, &format!("{x}/audit?limit=3"), None).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 3);
    let before = first["next_before"].as_i64().expect("more pages");
    let (_, second) = as_user(&world, Viewer, Method::GET, &format!("{x}/audit?limit=3&before={before}"), None).await;
    assert_eq!(second["entries"][0]["action"], "collaborator.remove");
    assert_eq!(as_user(&world, Viewer, Method::GET, &format!("{x}/audit?limit=0"), None).await.0, 422);

    // The whole log is for admins, and filters by action and actor.
    assert_eq!(as_user(&world, Owner, Method::GET, "/v4/audit", None).await.0, 403);
    let (_, removals) = as_user(&world, Admin, Method::GET, "/v4/audit?action=user.remove", None).await;
    assert_eq!(removals["entries"].as_array().unwrap().len(), 1);
    assert_eq!((removals["entries"][0]["actor"].as_str(), removals["entries"][0]["target"].as_str()), (Some("ana"), Some("cole")));
    let (_, by_cli) = as_user(&world, Admin, Method::GET, "/v4/audit?actor=cli:test&action=user.add", None).await;
    assert_eq!(by_cli["entries"].as_array().unwrap().len(), 6, "{by_cli}");
}

/// A signed link opens its experiment's embedded views (and what the graph fetches) to
/// anyone, nothing else; only embedded views may be framed, and only by the listed portals.
async fn embed_links_open_only_their_experiments_views(backend: Backend) {
    use Caller::*;
    let world = world(backend, "ALL").await;
    let app = &world.app;
    let e = &world.expid;
    let (status, link) = as_user(&world, Owner, Method::POST, &format!("/v4/experiments/{e}/embed-links"), Some(json!({}))).await;
    assert_eq!(status, 201);
    let token = link["token"].as_str().unwrap();
    assert_eq!(link["summary"], format!("/embed/experiments/{e}/summary?embed={token}"));
    let get = |path: String| app.client.get(app.url(&path)).send();
    for view in ["summary", "tree", "graph", "jobs"] {
        let res = get(format!("/embed/experiments/{e}/{view}?embed={token}")).await.unwrap();
        assert_eq!(res.status(), 200, "{view}");
        let policy = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.ends_with("frame-ancestors https://portal.example.org"), "{policy}");
        assert!(res.headers().get("x-frame-options").is_none());
        let page = res.text().await.unwrap();
        assert!(!page.contains("<form"), "read-only: {view}");
        assert!(page.contains(&format!("embed={token}")), "links keep the grant: {view}");
    }
    let jobs = get(format!("/embed/experiments/{e}/jobs?embed={token}&status=COMPLETED")).await.unwrap().text().await.unwrap();
    assert!(jobs.contains(&format!("{e}_20000101_fc0_INI")) && jobs.contains("2 jobs"), "{jobs}");
    for path in [format!("/v4/experiments/{e}/graph?embed={token}"), format!("/v4/experiments/{e}/graph/statuses?embed={token}")] {
        assert_eq!(get(path.clone()).await.unwrap().status(), 200, "{path}");
    }
    // Nothing else opens with it: other reads, other experiments, the app's pages.
    for path in [format!("/v4/experiments/{e}/jobs?embed={token}"), format!("/v4/experiments/{e}/config?embed={token}"), "/v4/experiments/a999/graph?embed=".to_owned() + token] {
        assert_eq!(get(path.clone()).await.unwrap().status(), 401, "{path}");
    }
    let res = get(format!("/experiments/{e}?embed={token}")).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().ends_with("frame-ancestors 'none'"));
    let res = get(format!("/embed/experiments/{e}/summary")).await.unwrap();
    assert_eq!(res.status(), 303, "no link, no login: to the login form");
    let res = get(format!("/embed/experiments/{e}/config?embed={token}")).await.unwrap();
    assert_eq!(res.status(), 303, "not an embedded view");
    assert_eq!(as_user(&world, Viewer, Method::GET, &format!("/embed/experiments/{e}/nothing"), None).await.0, 404);
    // Only its owner (or an admin) makes links, for 1 to 365 days.
    assert_eq!(as_user(&world, Collaborator, Method::POST, &format!("/v4/experiments/{e}/embed-links"), Some(json!({}))).await.0, 403);
    assert_eq!(as_user(&world, Owner, Method::POST, &format!("/v4/experiments/{e}/embed-links"), Some(json!({"expires_in_days": 0}))).await.0, 422);

    // Revoking ends every link made so far; a link made afterwards works.
    assert_eq!(as_user(&world, Collaborator, Method::DELETE, &format!("/v4/experiments/{e}/embed-links"), None).await.0, 403);
    assert_eq!(as_user(&world, Owner, Method::DELETE, &format!("/v4/experiments/{e}/embed-links"), None).await.0, 204);
    let res = get(format!("/embed/experiments/{e}/summary?embed={token}")).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("This embed link is revoked"));
    let (_, fresh) = as_user(&world, Owner, Method::POST, &format!("/v4/experiments/{e}/embed-links"), Some(json!({}))).await;
    let fresh = fresh["summary"].as_str().unwrap().to_owned();
    assert_eq!(get(fresh).await.unwrap().status(), 200);
}

on_both_backends!(
    every_route_answers_every_caller_as_the_rules_say,
    owners_share_admins_transfer_and_the_audit_log_keeps_it_all,
    embed_links_open_only_their_experiments_views
);
