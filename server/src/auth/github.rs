//! Login through GitHub OAuth (authorization code flow with `state` and PKCE).
//!
//! `GET /login/github?next=…` keeps a random `state` and PKCE verifier in the browser's
//! session and sends it to GitHub; `GET /login/github/callback` accepts only that `state`,
//! once, within ten minutes, trades the code (with the verifier) for a token, reads who the
//! user is, and, when an organisation (and team) is whitelisted, requires an *active*
//! membership, as autosubmit-api does.

use super::html::refusal_page;
use super::login::{finish_external_login, safe_next, LoginPage};
use super::pending::{self, b64url, check_oauth_return, pkce_challenge, CallbackQuery, StartQuery};
use super::providers::GithubSettings;
use super::AuthSession;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

const SESSION_KEY: &str = "github_login";

/// A login on its way through GitHub.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    next: String,
    started: i64,
}

fn callback_url(login: &LoginPage) -> String {
    format!("{}/login/github/callback", login.external.public_url)
}

pub async fn start(State(login): State<LoginPage>, auth: AuthSession, Query(query): Query<StartQuery>) -> Response {
    let Some(github) = login.external.github.as_ref().filter(|_| login.enabled) else {
        return refusal_page(StatusCode::NOT_FOUND, "Log in with GitHub", "This server does not use GitHub logins.");
    };
    let secrets = app::auth::ops::random_bytes::<32>().and_then(|a| app::auth::ops::random_bytes::<32>().map(|b| (a, b)));
    let Ok((state, verifier)) = secrets else {
        return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "Log in with GitHub", "No randomness for the login; the failure was logged.");
    };
    let pending = Pending {
        state: b64url(&state),
        verifier: b64url(&verifier),
        next: safe_next(query.next.as_deref()),
        started: chrono::Utc::now().timestamp(),
    };
    let challenge = pkce_challenge(&pending.verifier);
    let to = format!(
        "{}?client_id={}&redirect_uri={}&scope={}&state={}&code_challenge={challenge}&code_challenge_method=S256&allow_signup=false",
        github.authorize_url,
        urlencoding::encode(&github.client_id),
        urlencoding::encode(&callback_url(&login)),
        if github.organization.is_some() { "read%3Aorg" } else { "" },
        pending.state,
    );
    if let Err(err) = auth.session.insert(SESSION_KEY, &pending).await {
        tracing::error!(error = %err, "the GitHub login could not be kept in the session");
        return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "Log in with GitHub", "The login could not be started; try again.");
    }
    Redirect::to(&to).into_response()
}

pub async fn callback(
    State(login): State<LoginPage>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    auth: AuthSession,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let refused = |status: StatusCode, message: &str| refusal_page(status, "Log in with GitHub", message);
    let Some(github) = login.external.github.as_ref().filter(|_| login.enabled) else {
        return refused(StatusCode::NOT_FOUND, "This server does not use GitHub logins.");
    };
    // Taken out of the session whatever happens next: a state is good for one try.
    let pending: Option<Pending> = auth.session.remove(SESSION_KEY).await.ok().flatten();
    let (code, pending) = match check_oauth_return("GitHub", pending, query, peer.ip()) {
        Ok(returned) => returned,
        Err((status, why)) => return refused(status, &why),
    };
    let user = match who(&login, github, &code, &pending.verifier).await {
        Ok(user) => user,
        Err((status, message)) => return refused(status, &message),
    };
    // The numeric id, which GitHub never reuses: a login name can be renamed and taken by someone else.
    finish_external_login(&login, auth, peer, "GitHub", &user.id.to_string(), &user.login, &pending.next).await
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct Membership {
    state: String,
}

/// Whoever the code was given to, if they may come in.
async fn who(login: &LoginPage, github: &GithubSettings, code: &str, verifier: &str) -> Result<GithubUser, (StatusCode, String)> {
    let unreachable = |err: reqwest::Error| {
        tracing::error!(error = %err, "GitHub could not be asked");
        (StatusCode::BAD_GATEWAY, "GitHub could not be reached; try again later.".to_owned())
    };
    let form = [
        ("client_id", github.client_id.as_str()),
        ("client_secret", github.client_secret.expose_secret()),
        ("code", code),
        ("redirect_uri", &callback_url(login)),
        ("code_verifier", verifier),
    ];
    let answer: TokenAnswer =
        login.http.post(&github.token_url).header("accept", "application/json").form(&form).send().await.map_err(unreachable)?.json().await.map_err(unreachable)?;
    let Some(token) = answer.access_token else {
        let why = answer.error_description.or(answer.error).unwrap_or_else(|| "no token".into());
        return Err((StatusCode::UNAUTHORIZED, format!("GitHub refused the login: {why}")));
    };
    let get = |path: String| login.http.get(format!("{}{path}", github.api_url)).bearer_auth(&token).header("accept", "application/vnd.github+json").send();
    let user: GithubUser = get("/user".into()).await.map_err(unreachable)?.json().await.map_err(unreachable)?;
    let Some(org) = &github.organization else { return Ok(user) };
    let not_member = |what: &str| (StatusCode::FORBIDDEN, format!("{} is not an active member of {what}, which this server requires.", user.login));
    let membership = get(format!("/user/memberships/orgs/{}", urlencoding::encode(org))).await.map_err(unreachable)?;
    if !membership.status().is_success() || membership.json::<Membership>().await.map_err(unreachable)?.state != "active" {
        return Err(not_member(&format!("the GitHub organisation {org}")));
    }
    if let Some(team) = &github.team {
        let path = format!("/orgs/{}/teams/{}/memberships/{}", urlencoding::encode(org), urlencoding::encode(team), urlencoding::encode(&user.login));
        let membership = get(path).await.map_err(unreachable)?;
        if !membership.status().is_success() || membership.json::<Membership>().await.map_err(unreachable)?.state != "active" {
            return Err(not_member(&format!("the team {org}/{team}")));
        }
    }
    Ok(user)
}

impl pending::Pending for Pending {
    fn secret(&self) -> &str {
        &self.state
    }
    fn started(&self) -> i64 {
        self.started
    }
}
