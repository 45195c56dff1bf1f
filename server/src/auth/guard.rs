//! The one gate every request passes: it finds who acts (the session's user, a local account
//! by HTTP Basic, the local user when nothing is protected, or an anonymous reader), applies
//! `PROTECTION_LEVEL`, and hands the `Actor` to pages, server functions and API handlers
//! alike, so they all answer the same way. Anonymous browsers are sent to the login page;
//! API clients and server functions get 401 (403 when logged in without the right).

use super::AuthSession;
use crate::config::Protection;
use app::actor::Actor;
use app::error::HindcastError;
use app::store::SharedStore;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use std::net::{IpAddr, SocketAddr};

#[derive(Clone)]
pub struct Guard {
    pub protection: Protection,
    pub local_user: String,
    pub store: SharedStore,
    pub throttle: std::sync::Arc<super::throttle::Throttle>,
    pub jwt: std::sync::Arc<super::jwt::JwtKeys>,
    pub embed: std::sync::Arc<super::embed_links::EmbedKeys>,
}

pub async fn guard(State(guard): State<Guard>, auth: AuthSession, request: Request, next: Next) -> Response {
    // Browsers send `Sec-Fetch-Mode`; they log in by the form, and a Basic challenge would
    // make them pop up their own password dialog over the page (e.g. when a session expires).
    let browser = request.headers().contains_key("sec-fetch-mode");
    let mut response = admit(guard, auth, request, next).await;
    if browser {
        response.headers_mut().remove(header::WWW_AUTHENTICATE);
    }
    response
}

async fn admit(guard: Guard, auth: AuthSession, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_public(request.method(), &path) {
        return next.run(request).await;
    }
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) && !reads_by_post(&path);
    // A signed embed link lets anyone read what the embedded views of its experiment show.
    if let (false, Some((expid, token))) = (writes, embed_grant(&path, request.uri().query())) {
        let generation = match app::experiment::Expid::parse(&expid) {
            Ok(id) => guard.store.embed_generation(&id).await.ok(),
            Err(_) => None,
        };
        let Some(generation) = generation else {
            return refuse(HindcastError::Unauthorized("This embed link names no experiment here.".into()));
        };
        return match guard.embed.verify(&expid, generation, &token, chrono::Utc::now()) {
            Ok(()) => {
                request.extensions_mut().insert(Actor::anonymous());
                request.extensions_mut().insert(guard.protection);
                next.run(request).await
            }
            Err(why) => {
                tracing::info!(%expid, reason = why, "embed link refused");
                refuse(HindcastError::Unauthorized(format!("This embed link is {why}; ask the experiment's owner for a new one.")))
            }
        };
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let actor = match who_acts(&guard, &auth, request.headers(), peer).await {
        Ok(actor) => actor,
        Err(refusal) => return refusal,
    };
    if actor.role.is_none() && (guard.protection == Protection::All || writes) {
        if is_machine_path(&path) {
            return refuse(HindcastError::Unauthorized("Log in first: this needs a session, or HTTP Basic credentials of a local account.".into()));
        }
        let next_url = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        return Redirect::to(&format!("/login?next={}", urlencoding::encode(next_url))).into_response();
    }
    // Everyone logged in manages their own tokens; other changes need an operator or admin.
    if writes && !actor.may_act() && !path.starts_with("/v4/auth/") && !path.starts_with("/account/") {
        return refuse(HindcastError::Forbidden(format!("{} is a viewer: viewers may read but not change anything.", actor.name)));
    }
    request.extensions_mut().insert(actor);
    request.extensions_mut().insert(guard.protection);
    next.run(request).await
}

async fn who_acts(guard: &Guard, auth: &AuthSession, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<Actor, Response> {
    if guard.protection == Protection::None {
        return Ok(Actor::local(&guard.local_user));
    }
    if let Some(user) = &auth.user {
        return Ok(Actor::user(&user.name, user.role));
    }
    let Some(authorization) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Ok(Actor::anonymous());
    };
    // `Bearer <token>`, or the bare token autosubmit-api's clients send.
    let bearer = authorization.strip_prefix("Bearer ").unwrap_or(authorization).trim();
    if bearer.starts_with(app::auth::ops::TOKEN_PREFIX) {
        return match app::auth::ops::user_of_token(guard.store.as_ref(), bearer).await {
            Ok(Some(record)) => app::auth::Role::parse(&record.role).map(|role| Actor::user(record.name, role)).map_err(refuse),
            Ok(None) => Err(refuse(HindcastError::Unauthorized("The API token is unknown, revoked or expired.".into()))),
            Err(err) => Err(refuse(err)),
        };
    }
    // A JWT is three base64url parts joined by dots.
    if bearer.split('.').count() == 3 && !authorization.starts_with("Basic ") {
        let name = guard.jwt.verify(bearer).map_err(refuse)?;
        return match guard.store.user(&name).await {
            Ok(Some(record)) => app::auth::Role::parse(&record.role).map(|role| Actor::user(record.name, role)).map_err(refuse),
            Ok(None) => Err(refuse(HindcastError::Unauthorized(format!("The token names {name}, who has no account here.")))),
            Err(err) => {
                tracing::error!(error = %err, "the account of a token could not be read");
                Err(refuse(HindcastError::Internal))
            }
        };
    }
    let Some(encoded) = authorization.strip_prefix("Basic ") else {
        return Err(refuse(HindcastError::Unauthorized(
            "Send a personal API token (Bearer hct_…), a JWT (Bearer …) or HTTP Basic credentials of a local account.".into(),
        )));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some((name, password)) = decoded.as_deref().and_then(|text| text.split_once(':')) else {
        return Err(refuse(HindcastError::Unauthorized("The Basic credentials are not base64 of name:password.".into())));
    };
    if let Err(wait) = guard.throttle.check(name, peer) {
        let mut response = refuse(HindcastError::TooManyRequests(super::throttle::message(wait)));
        response.headers_mut().insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
        return Err(response);
    }
    match app::auth::ops::check_password(guard.store.as_ref(), name, password).await {
        Ok(Some(record)) => match app::auth::Role::parse(&record.role).inspect(|_| guard.throttle.succeeded(name)) {
            Ok(role) => Ok(Actor::user(record.name, role)),
            Err(err) => Err(refuse(err)),
        },
        Ok(None) => {
            guard.throttle.failed(name, peer);
            tracing::info!(user = %name, "basic authentication refused");
            Err(refuse(HindcastError::Unauthorized("Wrong name or password.".into())))
        }
        Err(err) => Err(refuse(err)),
    }
}

/// The JSON error body of the API, with the challenge that lets clients retry with Basic.
fn refuse(err: HindcastError) -> Response {
    let unauthorized = matches!(err, HindcastError::Unauthorized(_));
    let mut response = crate::api::ApiError::from(err).into_response();
    if unauthorized {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Hindcast\", charset=\"UTF-8\""));
    }
    debug_assert!(response.status() != StatusCode::OK);
    response
}

/// What anyone may reach: logging in and out, health, static files, the API's description,
/// and jobs' reports (authenticated by the job's own token).
fn is_public(method: &Method, path: &str) -> bool {
    const STATIC: [&str; 6] = [".js", ".css", ".wasm", ".svg", ".ico", ".png"];
    matches!(path, "/login" | "/logout" | "/login/cas" | "/login/github" | "/login/github/callback" | "/login/oidc" | "/login/oidc/callback" | "/healthz" | "/v4/docs" | "/v4/openapi.json")
        || path.starts_with("/pkg/")
        || (path.rfind('/') == Some(0) && STATIC.iter().any(|ext| path.ends_with(ext)))
        || (*method == Method::PUT && path.starts_with("/v4/experiments/") && path.ends_with("/report"))
}

/// The experiment and signed token of a request an embed link may open: the embedded views,
/// and what the graph view fetches (its layout and statuses). Not the live events: they
/// carry run messages and job reports that the embedded views do not show.
fn embed_grant(path: &str, query: Option<&str>) -> Option<(String, String)> {
    let token = query?.split('&').find_map(|pair| pair.strip_prefix("embed="))?;
    let token = urlencoding::decode(token).ok()?.into_owned();
    let rest = path.strip_prefix("/embed/experiments/").or_else(|| path.strip_prefix("/v4/experiments/"))?;
    let (expid, view) = rest.split_once('/')?;
    let opened = if path.starts_with("/embed/") {
        matches!(view, "summary" | "tree" | "graph" | "jobs")
    } else {
        matches!(view, "graph" | "graph/statuses")
    };
    opened.then(|| (expid.to_owned(), token))
}

/// A POST that only reads: filling a job's placeholders into a posted text changes nothing.
fn reads_by_post(path: &str) -> bool {
    path.starts_with("/v4/experiments/") && path.ends_with("/resolve")
}

/// API endpoints and server functions: answered with a status, never a redirect.
fn is_machine_path(path: &str) -> bool {
    path.starts_with("/v4/") || path.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_reveals_nothing_is_public() {
        for path in ["/login", "/logout", "/healthz", "/pkg/hindcast.wasm", "/graph.js", "/favicon.svg", "/v4/docs"] {
            assert!(is_public(&Method::GET, path), "{path}");
        }
        assert!(is_public(&Method::PUT, "/v4/experiments/a000/jobs/a000_SIM/report"));
        for path in ["/", "/experiments", "/experiments/a000/jobs", "/v4/experiments", "/api/workflow/jobs", "/x/evil.js"] {
            assert!(!is_public(&Method::GET, path), "{path}");
        }
        assert!(!is_public(&Method::GET, "/v4/experiments/a000/jobs/a000_SIM/report"));
    }

    #[test]
    fn embed_links_open_only_the_embedded_views_and_what_the_graph_reads() {
        let grant = |path: &str| embed_grant(path, Some("x=1&embed=a000.9.sig%3D"));
        assert_eq!(grant("/embed/experiments/a000/jobs"), Some(("a000".into(), "a000.9.sig=".into())));
        assert!(grant("/v4/experiments/a000/graph/statuses").is_some());
        for closed in ["/v4/experiments/a000/events","/v4/experiments/a000/jobs", "/v4/experiments/a000", "/v4/experiments/a000/config", "/embed/experiments/a000/config", "/experiments/a000"] {
            assert!(grant(closed).is_none(), "{closed}");
        }
        assert!(embed_grant("/embed/experiments/a000/jobs", None).is_none());
    }
}
