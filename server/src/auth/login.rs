//! `GET /login`, `POST /login` and `POST /logout`: a plain HTML form that works without the
//! wasm (and costs the browser bundle nothing), styled by the app's stylesheet. After login
//! the user lands on the page they asked for; the session id changes at login, and logout
//! ends the session on the server.

use super::accounts::Credentials;
use app::access::audit::{self, Entry};
use app::actor::Actor;
use super::html::{escape, login_shell};
use super::AuthSession;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Clone)]
pub struct LoginPage {
    /// Whether anything needs a login (`PROTECTION_LEVEL` other than NONE).
    pub enabled: bool,
    pub external: super::providers::ExternalLogin,
    /// For asking providers (CAS's ticket validation).
    pub http: reqwest::Client,
    pub cas_tickets: std::sync::Arc<super::cas::SeenTickets>,
    pub throttle: std::sync::Arc<super::throttle::Throttle>,
    /// For the audit log of logins.
    pub store: app::store::SharedStore,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn page(State(login): State<LoginPage>, auth: AuthSession, Query(query): Query<NextQuery>) -> Response {
    let next = safe_next(query.next.as_deref());
    if !login.enabled || auth.user.is_some() {
        return Redirect::to(&next).into_response();
    }
    form_page(&login, StatusCode::OK, "", &next, None)
}

pub async fn submit(
    State(login): State<LoginPage>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    mut auth: AuthSession,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    if !login.enabled {
        return Redirect::to(&next).into_response();
    }
    let username = form.username.trim().to_owned();
    if let Err(wait) = login.throttle.check(&username, Some(peer.ip())) {
        tracing::warn!(user = %username, address = %peer.ip(), "login refused: too many failures");
        let mut page = form_page(&login, StatusCode::TOO_MANY_REQUESTS, &username, &next, Some(&super::throttle::message(wait)));
        page.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.as_secs().max(1).into());
        return page;
    }
    let credentials = Credentials { username: username.clone(), password: form.password };
    let outcome = auth.authenticate(credentials).await;
    match &outcome {
        Ok(Some(_)) => login.throttle.succeeded(&username),
        Ok(None) => login.throttle.failed(&username, Some(peer.ip())),
        Err(_) => {}
    }
    match outcome {
        Ok(Some(user)) => match login_with_new_id(&mut auth, &user).await {
            Ok(()) => {
                tracing::info!(user = %user.name, "logged in");
                let actor = Actor::user(&user.name, user.role);
                audit::record(login.store.as_ref(), Entry::new(&actor, "session.login", &user.name).after(format!("from {}", peer.ip()))).await;
                Redirect::to(&next).into_response()
            }
            Err(err) => {
                tracing::error!(error = %err, "the session could not be saved at login");
                form_page(&login, StatusCode::INTERNAL_SERVER_ERROR, &username, &next, Some("The login could not be saved; try again."))
            }
        },
        Ok(None) => {
            tracing::info!(user = %username, "login refused");
            // The name only if it is an account's: what was typed may be a password in the
            // wrong field. Failures are throttled, so the log stays bounded.
            let known = login.store.user(&username.to_ascii_lowercase()).await.ok().flatten().is_some();
            let tried = if known { username.to_ascii_lowercase() } else { "(no such account)".to_owned() };
            let entry = Entry::new(&Actor::anonymous(), "session.login_failed", tried).after(format!("from {}", peer.ip()));
            audit::record(login.store.as_ref(), entry).await;
            form_page(&login, StatusCode::UNAUTHORIZED, &username, &next, Some("Wrong name or password."))
        }
        Err(err) => {
            tracing::error!(error = %err, "login failed");
            form_page(&login, StatusCode::INTERNAL_SERVER_ERROR, &username, &next, Some("The login failed on the server; the failure was logged."))
        }
    }
}

/// Every login gets a session with a new id: axum-login renews it for a browser nobody was
/// logged in on, and this does for one where someone was (another account, or the same).
async fn login_with_new_id(
    auth: &mut AuthSession,
    user: &super::accounts::SessionUser,
) -> Result<(), axum_login::Error<super::accounts::Accounts>> {
    if auth.user.is_some() {
        auth.session.cycle_id().await.map_err(axum_login::Error::Session)?;
    }
    auth.login(user).await
}

pub async fn logout(State(login): State<LoginPage>, mut auth: AuthSession) -> Response {
    if let Some(user) = &auth.user {
        tracing::info!(user = %user.name, "logged out");
        audit::record(login.store.as_ref(), Entry::new(&Actor::user(&user.name, user.role), "session.logout", &user.name)).await;
    }
    if let Err(err) = auth.logout().await {
        tracing::error!(error = %err, "the session could not be ended");
    }
    Redirect::to("/login").into_response()
}

/// Links to the other ways of logging in this server offers.
fn external_links(login: &LoginPage, next: &str) -> String {
    let mut links = String::new();
    if login.external.cas.is_some() {
        links.push_str(&format!(r#"<a class="button" href="/login/cas?next={}" id="login-cas">Log in with CAS</a>"#, escape(&urlencoding::encode(next))));
    }
    if login.external.github.is_some() {
        links.push_str(&format!(r#"<a class="button" href="/login/github?next={}" id="login-github">Log in with GitHub</a>"#, escape(&urlencoding::encode(next))));
    }
    if login.external.oidc.is_some() {
        links.push_str(&format!(r#"<a class="button" href="/login/oidc?next={}" id="login-oidc">Log in with OpenID Connect</a>"#, escape(&urlencoding::encode(next))));
    }
    if links.is_empty() {
        return links;
    }
    format!(r#"<div class="panel login-form external-logins"><p>Or log in with your organisation's account:</p>{links}</div>"#)
}

/// Ends a login that a provider (CAS, GitHub, OIDC) vouched for: the account (created at its
/// first login), a session with a new id, the audit log, and the page asked for.
pub(super) async fn finish_external_login(
    login: &LoginPage,
    mut auth: AuthSession,
    peer: std::net::SocketAddr,
    provider: &str,
    subject: &str,
    name: &str,
    next: &str,
) -> Response {
    let record = match app::auth::ops::external_account(login.store.as_ref(), provider, subject, name, login.external.new_account_role).await {
        Ok(record) => record,
        Err(err) => return super::html::refusal_page(err.status(), "Log in", &err.to_string()),
    };
    let user = match super::accounts::SessionUser::from_record(record) {
        Ok(user) => user,
        Err(err) => return super::html::refusal_page(err.status(), "Log in", &err.to_string()),
    };
    if let Err(err) = login_with_new_id(&mut auth, &user).await {
        tracing::error!(error = %err, "the session could not be saved at login");
        return super::html::refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "Log in", "The login could not be saved; try again.");
    }
    tracing::info!(user = %user.name, %provider, "logged in");
    let actor = Actor::user(&user.name, user.role);
    let entry = Entry::new(&actor, "session.login", &user.name).after(format!("through {provider}, from {}", peer.ip()));
    audit::record(login.store.as_ref(), entry).await;
    Redirect::to(next).into_response()
}

/// A path on this site to go to after login; anything else (another host, `//host`,
/// `/\host`) is replaced by the home page, so the form cannot send people elsewhere.
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.chars().any(char::is_control) => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn form_page(login: &LoginPage, status: StatusCode, username: &str, next: &str, error: Option<&str>) -> Response {
    let error = error.map_or(String::new(), |e| format!(r#"<p class="notice notice-error" role="alert">{}</p>"#, escape(e)));
    let body = format!(
        r#"<h1>Log in</h1>
<form method="post" action="/login" class="panel form login-form">{error}
<div class="field"><label for="username">Name</label><input id="username" name="username" autocomplete="username" required autofocus value="{username}"></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<input type="hidden" name="next" value="{next}">
<button type="submit" class="button button-primary">Log in</button>
</form>{external}"#,
        external = external_links(login, next),
        username = escape(username),
        next = escape(next),
    );
    login_shell(status, &body)
}

/// A server-rendered page outside the app (login, account): the app's stylesheet and top bar.
/// `class`: the `<main>`'s (`login-main`, narrow, or `account-main`).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/experiments/a000/jobs?view=quick")), "/experiments/a000/jobs?view=quick");
        for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "experiments", "/a\nb", ""] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
