//! Login and protection through HTTP, on both backends: the login form, sessions (HttpOnly,
//! SameSite=Lax, a new id at login, ended by logout, shared by a second server), HTTP Basic,
//! and `PROTECTION_LEVEL` ALL / WRITEONLY / NONE with anonymous, viewer and admin callers,
//! for pages, server functions and the JSON API alike.

mod support;

use app::auth::{ops, password::Password, Role, UserName};
use serde_json::{json, Value};
use support::{spawn_app_with, spawn_second_server, Backend, TestApp};

const KEY: &str = "0123456789abcdef0123456789abcdef-test-key";
const PASSWORD: &str = "correct horse battery";

async fn app_with(backend: Backend, level: &str) -> TestApp {
    let app = spawn_app_with(backend, &[("PROTECTION_LEVEL", level), ("SECRET_KEY", KEY)]).await;
    for (name, role) in [("ana", Role::Admin), ("vic", Role::Viewer), ("olga", Role::Operator)] {
        let password = Password::parse(PASSWORD).unwrap();
        ops::add_user(app.store.as_ref(), &app::actor::Actor::local("test"), &UserName::parse(name).unwrap(), role, Some(password)).await.unwrap();
    }
    app
}

/// Logs in through the form; the session cookie (`name=value`) and the response.
async fn login(app: &TestApp, base: &str, user: &str, password: &str, cookie: Option<&str>) -> (Option<String>, reqwest::Response) {
    let mut request = app.client.post(format!("{base}/login")).form(&[("username", user), ("password", password), ("next", "/experiments?page=1")]);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let res = request.send().await.unwrap();
    let cookie = res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
    (cookie, res)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn status(app: &TestApp, method: reqwest::Method, path: &str, cookie: Option<&str>, basic: Option<(&str, &str)>) -> u16 {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some((user, password)) = basic {
        request = request.basic_auth(user, Some(password));
    }
    if method == reqwest::Method::POST && path == "/v4/experiments" {
        request = request.json(&json!({"description": "made in a test"}));
    }
    request.send().await.unwrap().status().as_u16()
}

async fn all_needs_login_everywhere_and_sessions_follow_the_rules(backend: Backend) {
    let app = app_with(backend, "ALL").await;
    // Anonymous: pages go to the login form with the page to come back to; machines get 401.
    let res = app.client.get(app.url("/experiments/a000/jobs?view=quick")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=%2Fexperiments%2Fa000%2Fjobs%3Fview%3Dquick");
    let res = app.client.get(app.url("/v4/experiments")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    // A browser's script gets no challenge: it would open the browser's own password dialog.
    let res = app.client.get(app.url("/v4/auth/me")).header("sec-fetch-mode", "cors").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_none());
    assert_eq!(status(&app, reqwest::Method::GET, "/api/workflow/summary?expid=a000", None, None).await, 401);
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, None).await, 401);
    for open in ["/login", "/healthz", "/v4/openapi.json"] {
        assert_eq!(status(&app, reqwest::Method::GET, open, None, None).await, 200, "{open}");
    }

    // A wrong password: the form again, the name kept, no session.
    let (cookie, res) = login(&app, &app.base, "ana", "wrong horse battery", None).await;
    assert_eq!(res.status(), 401);
    assert!(cookie.is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains("Wrong name or password.") && page.contains(r#"value="ana""#), "{page}");

    // The right one: back to the page asked for, with a session cookie that scripts cannot read.
    let (cookie, res) = login(&app, &app.base, "Ana", PASSWORD, None).await;
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/experiments?page=1"));
    let set_cookie = cookie.expect("a session cookie");
    assert!(set_cookie.starts_with("hindcast_session=") && set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http here: {set_cookie}");
    let session = pair(&set_cookie);
    assert_eq!(status(&app, reqwest::Method::GET, "/experiments", Some(&session), None).await, 200);
    let me: Value = app.client.get(app.url("/v4/auth/me")).header("cookie", &session).send().await.unwrap().json().await.unwrap();
    assert_eq!(me, json!({"name": "ana", "role": "admin", "login": true}));
    let created: Value = app
        .client
        .post(app.url("/v4/experiments"))
        .header("cookie", &session)
        .json(&json!({"description": "owned by whoever is logged in"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["user"], "ana");

    // A second server on the same database knows the session (a restart would too).
    let (second, _stop) = spawn_second_server(&app, &[("PROTECTION_LEVEL", "ALL"), ("SECRET_KEY", KEY)]).await;
    let res = app.client.get(format!("{second}/v4/auth/me")).header("cookie", &session).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Logging in again gives a new session id; logging out ends the session on the server.
    let (again, _) = login(&app, &second, "ana", PASSWORD, Some(&session)).await;
    let renewed = pair(&again.expect("a new cookie"));
    assert_ne!(renewed, session);
    let res = app.client.post(app.url("/logout")).header("cookie", &renewed).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/login"));
    assert_eq!(status(&app, reqwest::Method::GET, "/v4/experiments", Some(&renewed), None).await, 401);
    // A forged cookie is no session.
    assert_eq!(status(&app, reqwest::Method::GET, "/v4/experiments", Some("hindcast_session=forged"), None).await, 401);

    // HTTP Basic with a local account; viewers read but never act.
    assert_eq!(status(&app, reqwest::Method::GET, "/v4/experiments", None, Some(("vic", PASSWORD))).await, 200);
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, Some(("vic", PASSWORD))).await, 403);
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, Some(("olga", PASSWORD))).await, 201);
    assert_eq!(status(&app, reqwest::Method::GET, "/v4/experiments", None, Some(("olga", "nope"))).await, 401);
    // Personal API tokens: anyone logged in makes their own; they act with the owner's role.
    let vic = ("vic", PASSWORD);
    let res = app.client.post(app.url("/v4/auth/tokens")).basic_auth(vic.0, Some(vic.1)).json(&json!({"name": "laptop"})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("hct_") && token.len() == 68, "{token}");
    let with_token = |method: reqwest::Method, path: &str, header: String| app.client.request(method, app.url(path)).header("authorization", header);
    let res = with_token(reqwest::Method::GET, "/v4/experiments", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = with_token(reqwest::Method::GET, "/v4/auth/verify-token", token.clone()).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"authenticated": true, "user": "vic"}));
    let res = with_token(reqwest::Method::POST, "/v4/experiments", format!("Bearer {token}")).json(&json!({"description": "d"})).send().await.unwrap();
    assert_eq!(res.status(), 403, "a viewer's token cannot act");
    let listed: Value = with_token(reqwest::Method::GET, "/v4/auth/tokens", format!("Bearer {token}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1);
    assert!(listed["tokens"][0].get("token").is_none(), "the secret is shown once only");
    assert!(listed["tokens"][0]["last_used_at"].is_string());
    let id = created["id"].as_i64().unwrap();
    let res = app.client.delete(app.url(&format!("/v4/auth/tokens/{id}"))).basic_auth("ana", Some(PASSWORD)).send().await.unwrap();
    assert_eq!(res.status(), 404, "another user's token is not found");
    let res = app.client.post(app.url("/v4/auth/tokens")).basic_auth(vic.0, Some(vic.1)).json(&json!({"name": "x", "expires_in_days": 0})).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let res = with_token(reqwest::Method::DELETE, &format!("/v4/auth/tokens/{id}"), format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let res = with_token(reqwest::Method::GET, "/v4/experiments", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(res.status(), 401, "revoked at once");
    assert_eq!(with_token(reqwest::Method::GET, "/v4/experiments", "Bearer hct_forged".into()).send().await.unwrap().status(), 401);

    // Jobs' reports keep their own token check (401 for a missing token, not a login page).
    let res = app.client.put(app.url("/v4/experiments/a000/jobs/a000_SIM/report")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

async fn writeonly_lets_anyone_read_and_only_logged_in_people_act(backend: Backend) {
    let app = app_with(backend, "WRITEONLY").await;
    assert_eq!(status(&app, reqwest::Method::GET, "/experiments", None, None).await, 200);
    assert_eq!(status(&app, reqwest::Method::GET, "/v4/experiments", None, None).await, 200);
    let me = app.get_json("/v4/auth/me", 200).await;
    assert_eq!(me, json!({"name": "anonymous", "role": null, "login": true}));
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, None).await, 401);
    // A server function that writes is an action like any other.
    let res = app
        .client
        .post(app.url("/api/experiments/create"))
        .form(&[("description", "anonymous"), ("kind", "experiment")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, Some(("ana", PASSWORD))).await, 201);

    // Too many failures lock the account for a while, the right password included.
    for _ in 0..10 {
        let (_, res) = login(&app, &app.base, "olga", "a wrong guess!", None).await;
        assert_eq!(res.status(), 401);
    }
    let (cookie, res) = login(&app, &app.base, "olga", PASSWORD, None).await;
    assert_eq!(res.status(), 429);
    assert!(cookie.is_none());
    assert!(res.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 800);
    assert!(res.text().await.unwrap().contains("Too many failed logins"));
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, Some(("olga", PASSWORD))).await, 429);
    // Other accounts are not locked out by it.
    assert_eq!(status(&app, reqwest::Method::POST, "/v4/experiments", None, Some(("ana", PASSWORD))).await, 201);
}

async fn none_lets_everyone_act_as_the_local_user(backend: Backend) {
    let app = app_with(backend, "NONE").await;
    let created: Value = app.client.post(app.url("/v4/experiments")).json(&json!({"description": "d"})).send().await.unwrap().json().await.unwrap();
    assert_eq!(created["user"], "tester");
    let res = app.client.get(app.url("/login?next=/experiments")).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/experiments"));
    assert_eq!(app.get_json("/v4/auth/me", 200).await, json!({"name": "tester", "role": "admin", "login": false}));
    let res = app.client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("no account to manage"));
}

/// JWTs: issued to a logged-in caller, accepted as Bearer on any route, and refused with a
/// clear message when tampered with, unsigned, expired, or naming a removed account.
async fn jwts_act_as_their_user_until_they_expire(backend: Backend) {
    use base64::Engine;
    let app = app_with(backend, "ALL").await;
    let issue = |body: Value| app.client.post(app.url("/v4/auth/jwt")).basic_auth("olga", Some(PASSWORD)).json(&body).send();
    let res = issue(json!({})).await.unwrap();
    assert_eq!(res.status(), 201);
    let issued: Value = res.json().await.unwrap();
    let token = issued["token"].as_str().unwrap().to_owned();
    assert_eq!(issued["token_type"], "Bearer");
    let me = |token: String| app.client.get(app.url("/v4/auth/me")).bearer_auth(token).send();
    let res = me(token.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "olga");
    // autosubmit-api's clients send the bare token.
    let res = app.client.get(app.url("/v4/auth/verify-token")).header("authorization", &token).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"authenticated": true, "user": "olga"}));
    // The role is read at each use: a viewer now, olga may no longer create experiments.
    ops::set_role(app.store.as_ref(), &app::actor::Actor::local("test"), &UserName::parse("olga").unwrap(), Role::Viewer).await.unwrap();
    let res = app.client.post(app.url("/v4/experiments")).bearer_auth(&token).json(&json!({"description": "x"})).send().await.unwrap();
    assert_eq!(res.status(), 403);

    let refusal = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 401);
        res.json::<Value>().await.unwrap()["error_message"].as_str().unwrap().to_owned()
    };
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let forged_payload = b64(&format!(r#"{{"sub":"ana","iat":0,"exp":{}}}"#, chrono::Utc::now().timestamp() + 600));
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert!(refusal(me(forged).await.unwrap()).await.contains("signature does not match"));
    let unsigned = format!("{}.{forged_payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
    assert!(refusal(me(unsigned).await.unwrap()).await.starts_with("The token is refused"));
    assert!(refusal(me("a.b.c".into()).await.unwrap()).await.contains("not a well-formed JWT"));

    // Bad lifetimes are refused; a removed account's tokens stop working at once.
    for bad in [json!({"expires_in": 10}), json!({"expires_in": 100000})] {
        assert_eq!(issue(bad).await.unwrap().status(), 422);
    }
    assert_eq!(app.client.post(app.url("/v4/auth/jwt")).send().await.unwrap().status(), 401);
    ops::remove_user(app.store.as_ref(), &app::actor::Actor::local("test"), &UserName::parse("olga").unwrap()).await.unwrap();
    assert!(refusal(me(token).await.unwrap()).await.contains("has no account here"));
}

on_both_backends!(
    jwts_act_as_their_user_until_they_expire,
    all_needs_login_everywhere_and_sessions_follow_the_rules,
    writeonly_lets_anyone_read_and_only_logged_in_people_act,
    none_lets_everyone_act_as_the_local_user,
);
