//! Logging in through other services, against servers on loopback that speak their protocols:
//! CAS 2 (`serviceValidate`) and 3 (`p3/serviceValidate`), whose service tickets are
//! single-use and valid only for the service they were issued to; and GitHub's OAuth (code
//! flow with state and PKCE) with its user and membership endpoints.

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

/// Starts a CAS login and follows it through CAS: the cookie of the browser that started it,
/// and the address CAS sends it back to (with its ticket).
async fn start_cas(app: &TestApp, next: &str) -> (String, String) {
    let res = app.client.get(app.url(&format!("/login/cas?next={}", urlencoding::encode(next)))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let to_cas = res.headers()["location"].to_str().unwrap().to_owned();
    let res = app.client.get(&to_cas).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(&app.base), "CAS sends the browser back here: {back}");
    (cookie, back)
}

/// Returns to Hindcast from CAS in the browser with `cookie`: the new session cookie, if any.
async fn return_from_cas(app: &TestApp, back: &str, cookie: &str) -> (Option<String>, reqwest::Response) {
    let res = app.client.get(back).header("cookie", cookie).send().await.unwrap();
    let session = res.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    (session, res)
}

/// The whole login through CAS: the session cookie, the answer, and the return address used.
async fn log_in_through_cas(app: &TestApp, next: &str) -> (Option<String>, reqwest::Response, String, String) {
    let (cookie, back) = start_cas(app, next).await;
    let (session, res) = return_from_cas(app, &back, &cookie).await;
    (session, res, back, cookie)
}

/// `back` with its ticket replaced.
fn with_ticket(back: &str, ticket: &str) -> String {
    let (head, _) = back.split_once("ticket=").unwrap();
    format!("{head}ticket={ticket}")
}

/// Whether the cookie (if any) is a logged-in session (a refused login may still refresh the
/// browser's session cookie, with nobody in it).
async fn logged_in(app: &TestApp, cookie: Option<&str>) -> bool {
    let Some(cookie) = cookie else { return false };
    app.client.get(app.url("/v4/auth/me")).header("cookie", cookie).send().await.unwrap().status() == 200
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
    let admin = app::actor::Actor::local("test");
    let password = app::auth::password::Password::parse("correct horse battery").unwrap();
    app::auth::ops::add_user(app.store.as_ref(), &admin, &app::auth::UserName::parse("ana").unwrap(), app::auth::Role::Admin, Some(password)).await.unwrap();
    let page = app.client.get(app.url("/login?next=%2Fexperiments")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"href="/login/cas?next=%2Fexperiments""#), "{page}");

    // First login: the account is made (a viewer, without a password), the session is set,
    // and the browser lands on the page it asked for.
    let (cookie, res, back, started) = log_in_through_cas(&app, "/experiments?query=sea").await;
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/experiments?query=sea"));
    let cookie = cookie.expect("a session");
    let me = me(&app, &cookie).await;
    assert_eq!((me["name"].as_str(), me["role"].as_str()), (Some("bea.climate"), Some("viewer")));
    let user = app.store.user("bea.climate").await.unwrap().unwrap();
    assert!(user.password_hash.is_none());

    // The same return again: the nonce is spent. The ticket in a new login: seen before.
    let (session, res) = return_from_cas(&app, &back, &started).await;
    assert_eq!(res.status(), 401);
    assert!(!logged_in(&app, session.as_deref()).await);
    assert!(res.text().await.unwrap().contains("No CAS login was started in this browser"));
    let (cookie2, back2) = start_cas(&app, "/").await;
    let old_ticket = back.split("ticket=").nth(1).unwrap();
    let (_, res) = return_from_cas(&app, &with_ticket(&back2, old_ticket), &cookie2).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("already used"));
    let endpoint = if protocol == "2" { "serviceValidate" } else { "p3/serviceValidate" };
    assert_eq!(*cas.asked.lock().unwrap(), [endpoint], "one validation, at the protocol's endpoint; the replay never reached CAS");

    // Someone else's return (login CSRF: an attacker's own ticket sent to a victim) goes nowhere.
    let (_, attackers_back) = start_cas(&app, "/").await;
    let (victim, _) = start_cas(&app, "/").await;
    let (session, res) = return_from_cas(&app, &attackers_back, &victim).await;
    assert_eq!(res.status(), 401);
    assert!(!logged_in(&app, session.as_deref().or(Some(&victim))).await);
    assert!(res.text().await.unwrap().contains("started in another browser"));
    let res = app.client.get(&attackers_back).send().await.unwrap();
    assert_eq!(res.status(), 401, "and without any session");

    // A ticket CAS never issued, one issued for another service, and malformed ones.
    let (cookie3, back3) = start_cas(&app, "/").await;
    let (_, res) = return_from_cas(&app, &with_ticket(&back3, "ST-999-forged"), &cookie3).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("INVALID_TICKET"));
    let res = app.client.get(format!("{cas_base}/login?service={}", urlencoding::encode("http://elsewhere.example/"))).send().await.unwrap();
    let elsewhere = res.headers()["location"].to_str().unwrap();
    let ticket = elsewhere.split("ticket=").nth(1).unwrap();
    let (cookie4, back4) = start_cas(&app, "/").await;
    let (_, res) = return_from_cas(&app, &with_ticket(&back4, ticket), &cookie4).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("INVALID_SERVICE"));
    for bad in ["PT-1", "ST-1%20x", ""] {
        let (cookie, back) = start_cas(&app, "/").await;
        let (_, res) = return_from_cas(&app, &with_ticket(&back, bad), &cookie).await;
        assert_eq!(res.status(), 401, "{bad}");
    }

    // An open redirect in `next` is replaced by the home page; a second login is the same account.
    let (_, res, _, _) = log_in_through_cas(&app, "https://evil.example/").await;
    assert_eq!(res.headers()["location"], "/");
    assert_eq!(app.store.users().await.unwrap().len(), 2, "bea, and the admin ana");

    // A CAS user named as a local account with a password does not get that account.
    *cas.user.lock().unwrap() = "ana".into();
    let (session, res, _, _) = log_in_through_cas(&app, "/").await;
    assert_eq!(res.status(), 403);
    assert!(!logged_in(&app, session.as_deref()).await);
    assert!(res.text().await.unwrap().contains("An account named ana already exists here"));

    // A name no account may have is refused with the reason.
    *cas.user.lock().unwrap() = "not a name".into();
    let (cookie, res, _, _) = log_in_through_cas(&app, "/").await;
    assert_eq!(res.status(), 403);
    assert!(!logged_in(&app, cookie.as_deref()).await);
}

async fn cas_protocol_3(backend: Backend) {
    cas_logins_create_accounts_and_refuse_replays(backend, "3").await
}

async fn cas_protocol_2(backend: Backend) {
    cas_logins_create_accounts_and_refuse_replays(backend, "2").await
}

/// GitHub as far as the login needs it: codes bound to a PKCE challenge and a redirect URI,
/// one user, and their organisation and team memberships.
#[derive(Clone, Default)]
struct Github {
    /// code → (challenge, redirect_uri)
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
    login: Arc<Mutex<String>>,
    org_state: Arc<Mutex<Option<&'static str>>>,
    team_state: Arc<Mutex<Option<&'static str>>>,
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
}

async fn gh_authorize(State(gh): State<Github>, Query(q): Query<AuthorizeQuery>) -> Response {
    assert_eq!((q.client_id.as_str(), q.code_challenge_method.as_str()), ("hindcast-test", "S256"));
    let code = format!("code{}", gh.codes.lock().unwrap().len());
    gh.codes.lock().unwrap().insert(code.clone(), (q.code_challenge, q.redirect_uri.clone()));
    Redirect::to(&format!("{}?code={code}&state={}", q.redirect_uri, q.state)).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    client_secret: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
}

async fn gh_token(State(gh): State<Github>, axum::Form(f): axum::Form<TokenForm>) -> axum::Json<Value> {
    use base64::Engine;
    use sha2::Digest;
    let issued = gh.codes.lock().unwrap().remove(&f.code);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(f.code_verifier.as_bytes()));
    let good = f.client_secret == "s3cret" && issued == Some((challenge, f.redirect_uri));
    axum::Json(if good {
        serde_json::json!({"access_token": "gho_test", "token_type": "bearer", "scope": "read:org"})
    } else {
        serde_json::json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
    })
}

async fn gh_user(State(gh): State<Github>, headers: axum::http::HeaderMap) -> axum::Json<Value> {
    assert_eq!(headers["authorization"], "Bearer gho_test");
    axum::Json(serde_json::json!({"login": *gh.login.lock().unwrap(), "id": 1}))
}

fn membership(state: Option<&'static str>) -> Response {
    match state {
        Some(state) => axum::Json(serde_json::json!({"state": state, "role": "member"})).into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"message": "Not Found"}))).into_response(),
    }
}

async fn gh_org(State(gh): State<Github>, axum::extract::Path(org): axum::extract::Path<String>) -> Response {
    assert_eq!(org, "bsc-es");
    membership(*gh.org_state.lock().unwrap())
}

async fn gh_team(State(gh): State<Github>, axum::extract::Path((org, team, user)): axum::extract::Path<(String, String, String)>) -> Response {
    assert_eq!((org.as_str(), team.as_str(), user.as_str()), ("bsc-es", "climate", gh.login.lock().unwrap().as_str()));
    membership(*gh.team_state.lock().unwrap())
}

async fn spawn_github(gh: Github) -> (String, tokio::sync::oneshot::Sender<()>) {
    let app = axum::Router::new()
        .route("/login/oauth/authorize", get(gh_authorize))
        .route("/login/oauth/access_token", axum::routing::post(gh_token))
        .route("/api/user", get(gh_user))
        .route("/api/user/memberships/orgs/{org}", get(gh_org))
        .route("/api/orgs/{org}/teams/{team}/memberships/{user}", get(gh_team))
        .with_state(gh);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app).with_graceful_shutdown(async { stopped.await.ok(); }).await.ok();
    });
    (base, stop)
}

/// Starts a GitHub login and follows it to the callback: the callback URL and the cookie
/// of the browser that started it.
async fn through_github(app: &TestApp, next: &str) -> (String, String) {
    let res = app.client.get(app.url(&format!("/login/github?next={}", urlencoding::encode(next)))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let to_github = res.headers()["location"].to_str().unwrap().to_owned();
    let res = app.client.get(&to_github).send().await.unwrap();
    assert_eq!(res.status(), 303);
    (res.headers()["location"].to_str().unwrap().to_owned(), cookie)
}

async fn github_logins_check_state_pkce_and_membership(backend: Backend) {
    let gh = Github::default();
    *gh.login.lock().unwrap() = "Octo-Cat".into();
    *gh.org_state.lock().unwrap() = Some("active");
    *gh.team_state.lock().unwrap() = Some("active");
    let (base, _stop) = spawn_github(gh.clone()).await;
    let (authorize, token, api) = (format!("{base}/login/oauth/authorize"), format!("{base}/login/oauth/access_token"), format!("{base}/api"));
    let app = spawn_app_with(
        backend,
        &[
            ("PROTECTION_LEVEL", "ALL"),
            ("SECRET_KEY", KEY),
            ("GITHUB_OAUTH_CLIENT_ID", "hindcast-test"),
            ("GITHUB_OAUTH_CLIENT_SECRET", "s3cret"),
            ("GITHUB_OAUTH_WHITELIST_ORGANIZATION", "bsc-es"),
            ("GITHUB_OAUTH_WHITELIST_TEAM", "climate"),
            ("GITHUB_OAUTH_AUTHORIZE_URL", authorize.as_str()),
            ("GITHUB_OAUTH_TOKEN_URL", token.as_str()),
            ("GITHUB_API_URL", api.as_str()),
        ],
    )
    .await;
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"id="login-github""#), "{page}");

    // An active member of the organisation and team comes in, where they asked to go.
    let (callback, cookie) = through_github(&app, "/experiments").await;
    let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/experiments"));
    let session = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_eq!(me(&app, &session).await["name"], "octo-cat");
    // Renamed on GitHub, the same person (GitHub's numeric id) keeps the same account.
    *gh.login.lock().unwrap() = "octo-renamed".into();
    let (callback, cookie) = through_github(&app, "/").await;
    let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
    let session = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_eq!(me(&app, &session).await["name"], "octo-cat");
    *gh.login.lock().unwrap() = "Octo-Cat".into();

    // The same callback again (the state is spent), from another browser (no state), or with
    // a state changed on the way: refused, and no session.
    let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let (callback, cookie) = through_github(&app, "/").await;
    let res = app.client.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("No GitHub login was started in this browser"));
    let (callback, cookie2) = through_github(&app, "/").await;
    let tampered = callback.replace("state=", "state=x");
    let res = app.client.get(&tampered).header("cookie", &cookie2).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("does not match"));
    drop(cookie);

    // A code traded without the right verifier is refused by GitHub, and said so.
    let (callback, cookie) = through_github(&app, "/").await;
    let code = callback.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    gh.codes.lock().unwrap().get_mut(&code).unwrap().0 = "another challenge".into();
    let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("The code passed is incorrect or expired."));

    // A pending member of the organisation, then an active one outside the team: refused.
    *gh.org_state.lock().unwrap() = Some("pending");
    let (callback, cookie) = through_github(&app, "/").await;
    let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Octo-Cat is not an active member of the GitHub organisation bsc-es"));
    *gh.org_state.lock().unwrap() = Some("active");
    *gh.team_state.lock().unwrap() = None;
    let (callback, cookie) = through_github(&app, "/").await;
    let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("the team bsc-es/climate"));
    // GitHub saying no (the user declined) is shown as such.
    let res = app.client.get(app.url("/login/github/callback?error=access_denied&error_description=The+user+has+denied+your+application+access.")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("The user has denied your application access."));
}

/// What the OpenID stand-in puts in its next ID token.
#[derive(Clone, Copy, Debug, PartialEq)]
enum IdToken {
    Good,
    Unsigned,
    /// HS256 "signed" with the provider's public key (the algorithm confusion attack).
    SymmetricWithPublicKey,
    SignedByAnotherKey,
    ForAnotherClient,
    FromAnotherIssuer,
    WithAnotherNonce,
    Expired,
}

#[derive(Clone)]
struct Oidc {
    base: Arc<Mutex<String>>,
    key: Arc<rsa::RsaPrivateKey>,
    other_key: Arc<rsa::RsaPrivateKey>,
    mode: Arc<Mutex<IdToken>>,
    /// code → (nonce, PKCE challenge)
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
}

#[derive(Deserialize)]
struct OidcAuthorize {
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
}

async fn oidc_discovery(State(o): State<Oidc>) -> axum::Json<Value> {
    let base = o.base.lock().unwrap().clone();
    axum::Json(serde_json::json!({
        "issuer": base, "authorization_endpoint": format!("{base}/authorize"), "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"), "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"]
    }))
}

async fn oidc_authorize(State(o): State<Oidc>, Query(q): Query<OidcAuthorize>) -> Response {
    let code = format!("code{}", o.codes.lock().unwrap().len());
    o.codes.lock().unwrap().insert(code.clone(), (q.nonce, q.code_challenge));
    Redirect::to(&format!("{}?code={code}&state={}", q.redirect_uri, q.state)).into_response()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwk_of(key: &rsa::RsaPrivateKey, kid: &str) -> Value {
    use rsa::traits::PublicKeyParts;
    serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be())})
}

async fn oidc_jwks(State(o): State<Oidc>) -> axum::Json<Value> {
    axum::Json(serde_json::json!({"keys": [jwk_of(&o.key, "k1")]}))
}

#[derive(Deserialize)]
struct OidcTokenForm {
    code: String,
    code_verifier: String,
}

async fn oidc_token(State(o): State<Oidc>, headers: axum::http::HeaderMap, axum::Form(f): axum::Form<OidcTokenForm>) -> axum::Json<Value> {
    use base64::Engine;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use sha2::Digest;
    let basic = base64::engine::general_purpose::STANDARD.encode("hindcast-test:oidc-s3cret");
    assert_eq!(headers["authorization"], format!("Basic {basic}"));
    let (nonce, challenge) = o.codes.lock().unwrap().remove(&f.code).expect("a code this provider gave");
    assert_eq!(challenge, b64(&sha2::Sha256::digest(f.code_verifier.as_bytes())), "PKCE");
    let mode = *o.mode.lock().unwrap();
    let base = o.base.lock().unwrap().clone();
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": if mode == IdToken::FromAnotherIssuer { "http://elsewhere.example".to_owned() } else { base },
        "aud": if mode == IdToken::ForAnotherClient { "another-client" } else { "hindcast-test" },
        "sub": "248289761001", "preferred_username": "Ida.Ocean",
        "nonce": if mode == IdToken::WithAnotherNonce { "another nonce".to_owned() } else { nonce },
        "iat": now, "exp": if mode == IdToken::Expired { now - 3600 } else { now + 300 },
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let rsa_key = |key: &rsa::RsaPrivateKey| EncodingKey::from_rsa_der(key.to_pkcs1_der().unwrap().as_bytes());
    let id_token = match mode {
        IdToken::Unsigned => format!("{}.{}.", b64(br#"{"alg":"none","kid":"k1"}"#), b64(claims.to_string().as_bytes())),
        IdToken::SymmetricWithPublicKey => {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("k1".into());
            let public = jwk_of(&o.key, "k1").to_string();
            encode(&header, &claims, &EncodingKey::from_secret(public.as_bytes())).unwrap()
        }
        IdToken::SignedByAnotherKey => encode(&header, &claims, &rsa_key(&o.other_key)).unwrap(),
        _ => encode(&header, &claims, &rsa_key(&o.key)).unwrap(),
    };
    axum::Json(serde_json::json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}))
}

async fn oidc_id_tokens_are_checked_against_the_providers_keys(backend: Backend) {
    let mut rng = rsa::rand_core::OsRng;
    let oidc = Oidc {
        base: Arc::default(),
        key: Arc::new(rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap()),
        other_key: Arc::new(rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap()),
        mode: Arc::new(Mutex::new(IdToken::Good)),
        codes: Arc::default(),
    };
    let router = axum::Router::new()
        .route("/.well-known/openid-configuration", get(oidc_discovery))
        .route("/authorize", get(oidc_authorize))
        .route("/token", axum::routing::post(oidc_token))
        .route("/jwks", get(oidc_jwks))
        .with_state(oidc.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    *oidc.base.lock().unwrap() = issuer.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    let app = spawn_app_with(
        backend,
        &[
            ("PROTECTION_LEVEL", "ALL"),
            ("SECRET_KEY", KEY),
            ("OIDC_ISSUER_URL", issuer.as_str()),
            ("OIDC_CLIENT_ID", "hindcast-test"),
            ("OIDC_CLIENT_SECRET", "oidc-s3cret"),
        ],
    )
    .await;
    let attempt = |mode: IdToken| {
        let (app, oidc) = (&app, &oidc);
        async move {
            *oidc.mode.lock().unwrap() = mode;
            let res = app.client.get(app.url("/login/oidc?next=%2Fexperiments")).send().await.unwrap();
            assert_eq!(res.status(), 303);
            let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
            let res = app.client.get(res.headers()["location"].to_str().unwrap()).send().await.unwrap();
            let callback = res.headers()["location"].to_str().unwrap().to_owned();
            let res = app.client.get(&callback).header("cookie", &cookie).send().await.unwrap();
            let status = res.status().as_u16();
            let session = res.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
            (status, res.text().await.unwrap(), session)
        }
    };
    let (status, _, session) = attempt(IdToken::Good).await;
    assert_eq!(status, 303);
    assert_eq!(me(&app, &session.unwrap()).await["name"], "ida.ocean");
    for (mode, why) in [
        (IdToken::Unsigned, "is not a well-formed JWT"),
        (IdToken::SymmetricWithPublicKey, "HS256 is not an accepted signature algorithm"),
        (IdToken::SignedByAnotherKey, "its signature does not match the provider"),
        (IdToken::ForAnotherClient, "it is for another client"),
        (IdToken::FromAnotherIssuer, "it is from another issuer"),
        (IdToken::WithAnotherNonce, "its nonce is not this login"),
        (IdToken::Expired, "it has expired"),
    ] {
        let (status, page, session) = attempt(mode).await;
        assert_eq!(status, 401, "{mode:?}: {page}");
        assert!(page.contains(why), "{mode:?}: {page}");
        assert!(!logged_in(&app, session.as_deref()).await, "{mode:?}");
    }
}

on_both_backends!(
    cas_protocol_3,
    cas_protocol_2,
    github_logins_check_state_pkce_and_membership,
    oidc_id_tokens_are_checked_against_the_providers_keys
);
