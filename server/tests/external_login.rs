//! Logging in through CAS against a CAS server on loopback that speaks protocol 2
//! (`serviceValidate`) and 3 (`p3/serviceValidate`) as the protocol describes: service tickets
//! are single-use and valid only for the service they were issued to.

mod support;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use support::{spawn_app_with, Backend, TestApp};

const KEY: &str = "0123456789abcdef0123456789abcdef-test-key";

/// The CAS server's memory: ticket → (service it was issued for, user).
#[derive(Clone, Default)]
struct Cas {
    tickets: Arc<Mutex<HashMap<String, (String, String)>>>,
    next: Arc<Mutex<u32>>,
    /// Who logs in at the CAS login page (the test sets it).
    user: Arc<Mutex<String>>,
    /// The validation endpoints asked, in order.
    asked: Arc<Mutex<Vec<&'static str>>>,
}

#[derive(Deserialize)]
struct LoginQuery {
    service: String,
}

#[derive(Deserialize)]
struct ValidateQuery {
    service: String,
    ticket: String,
}

async fn cas_login(State(cas): State<Cas>, Query(q): Query<LoginQuery>) -> Response {
    let mut next = cas.next.lock().unwrap();
    *next += 1;
    let ticket = format!("ST-{}-test", *next);
    let user = cas.user.lock().unwrap().clone();
    cas.tickets.lock().unwrap().insert(ticket.clone(), (q.service.clone(), user));
    let separator = if q.service.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{}{separator}ticket={ticket}", q.service)).into_response()
}

async fn validate_v2(State(cas): State<Cas>, Query(q): Query<ValidateQuery>) -> String {
    cas.asked.lock().unwrap().push("serviceValidate");
    cas_validate(cas, q)
}

async fn validate_v3(State(cas): State<Cas>, Query(q): Query<ValidateQuery>) -> String {
    cas.asked.lock().unwrap().push("p3/serviceValidate");
    cas_validate(cas, q)
}

fn cas_validate(cas: Cas, q: ValidateQuery) -> String {
    // Single use: the ticket is gone once validated, right or wrong.
    let issued = cas.tickets.lock().unwrap().remove(&q.ticket);
    let body = match issued {
        Some((service, user)) if service == q.service => {
            format!("<cas:authenticationSuccess><cas:user>{user}</cas:user></cas:authenticationSuccess>")
        }
        Some(_) => r#"<cas:authenticationFailure code="INVALID_SERVICE">Ticket was issued for another service</cas:authenticationFailure>"#.into(),
        None => format!(r#"<cas:authenticationFailure code="INVALID_TICKET">Ticket {} not recognized</cas:authenticationFailure>"#, q.ticket),
    };
    format!(r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">{body}</cas:serviceResponse>"#)
}

/// A CAS server on loopback; its base URL.
async fn spawn_cas(cas: Cas) -> (String, tokio::sync::oneshot::Sender<()>) {
    let app = axum::Router::new()
        .route("/cas/login", get(cas_login))
        .route("/cas/serviceValidate", get(validate_v2))
        .route("/cas/p3/serviceValidate", get(validate_v3))
        .with_state(cas);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/cas", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app).with_graceful_shutdown(async { stopped.await.ok(); }).await.ok();
    });
    (base, stop)
}

/// Follows the login through CAS by hand: the session cookie, and where the browser lands.
async fn log_in_through_cas(app: &TestApp, next: &str) -> (Option<String>, reqwest::Response, String) {
    let res = app.client.get(app.url(&format!("/login/cas?next={}", urlencoding::encode(next)))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to_cas = res.headers()["location"].to_str().unwrap().to_owned();
    let res = app.client.get(&to_cas).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(&app.base), "CAS sends the browser back here: {back}");
    let res = app.client.get(&back).send().await.unwrap();
    let cookie = res.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    (cookie, res, back)
}

async fn me(app: &TestApp, cookie: &str) -> Value {
    app.client.get(app.url("/v4/auth/me")).header("cookie", cookie).send().await.unwrap().json().await.unwrap()
}

async fn cas_logins_create_accounts_and_refuse_replays(backend: Backend, protocol: &str) {
    let cas = Cas::default();
    *cas.user.lock().unwrap() = "Bea.Climate".into();
    let (cas_base, _stop) = spawn_cas(cas.clone()).await;
    let app = spawn_app_with(
        backend,
        &[("PROTECTION_LEVEL", "ALL"), ("SECRET_KEY", KEY), ("CAS_SERVER_URL", cas_base.as_str()), ("CAS_PROTOCOL", protocol)],
    )
    .await;
    let page = app.client.get(app.url("/login?next=%2Fexperiments")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"href="/login/cas?next=%2Fexperiments""#), "{page}");

    // First login: the account is made (a viewer, without a password), the session is set,
    // and the browser lands on the page it asked for.
    let (cookie, res, back) = log_in_through_cas(&app, "/experiments?query=sea").await;
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/experiments?query=sea"));
    let cookie = cookie.expect("a session");
    let me = me(&app, &cookie).await;
    assert_eq!((me["name"].as_str(), me["role"].as_str()), (Some("bea.climate"), Some("viewer")));
    let user = app.store.user("bea.climate").await.unwrap().unwrap();
    assert!(user.password_hash.is_none());

    // The same ticket again: refused here (and by CAS), nothing logged in.
    let res = app.client.get(&back).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res.text().await.unwrap().contains("already used"));
    let endpoint = if protocol == "2" { "serviceValidate" } else { "p3/serviceValidate" };
    assert_eq!(*cas.asked.lock().unwrap(), [endpoint], "one validation, at the protocol's endpoint; the replay never reached CAS");
    // A ticket CAS never issued, and one issued for another service.
    let res = app.client.get(app.url("/login/cas?next=%2F&ticket=ST-999-forged")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("INVALID_TICKET"));
    let res = app.client.get(format!("{cas_base}/login?service={}", urlencoding::encode("http://elsewhere.example/"))).send().await.unwrap();
    let elsewhere = res.headers()["location"].to_str().unwrap();
    let ticket = elsewhere.split("ticket=").nth(1).unwrap();
    let res = app.client.get(app.url(&format!("/login/cas?next=%2F&ticket={ticket}"))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("INVALID_SERVICE"));
    for bad in ["PT-1", "ST-1%20x", ""] {
        let res = app.client.get(app.url(&format!("/login/cas?next=%2F&ticket={bad}"))).send().await.unwrap();
        assert_eq!(res.status(), 401, "{bad}");
    }

    // An open redirect in `next` is replaced by the home page; a second login is the same account.
    let (_, res, _) = log_in_through_cas(&app, "https://evil.example/").await;
    assert_eq!(res.headers()["location"], "/");
    assert_eq!(app.store.users().await.unwrap().len(), 1);

    // A name no account may have is refused with the reason.
    *cas.user.lock().unwrap() = "not a name".into();
    let (cookie, res, _) = log_in_through_cas(&app, "/").await;
    assert_eq!(res.status(), 403);
    assert!(cookie.is_none());
}

async fn cas_protocol_3(backend: Backend) {
    cas_logins_create_accounts_and_refuse_replays(backend, "3").await
}

async fn cas_protocol_2(backend: Backend) {
    cas_logins_create_accounts_and_refuse_replays(backend, "2").await
}

on_both_backends!(cas_protocol_3, cas_protocol_2);
