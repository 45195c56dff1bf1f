//! `/v4/auth`: who the request acts as, and the caller's personal API tokens.

use super::error::{ApiError, ErrorBody};
use crate::config::Protection;
use app::actor::Actor;
use app::auth::{ops, Role, TokenView, UserName};
use app::context::AppContext;
use app::error::HindcastError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user name (`anonymous` for a reader who has not logged in).
    pub name: String,
    /// `null` when not logged in.
    pub role: Option<Role>,
    /// Whether this server has login at all (`PROTECTION_LEVEL` other than NONE).
    pub login: bool,
}

/// Who this request acts as: the session's user, the token's or Basic credentials' account,
/// the local user (no login), or an anonymous reader.
#[utoipa::path(get, path = "/v4/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(Extension(actor): Extension<Actor>, Extension(protection): Extension<Protection>) -> Json<Me> {
    Json(Me { name: actor.name, role: actor.role, login: protection != Protection::None })
}

/// autosubmit-api's answer: whether the request's credentials are valid, and whose they are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub authenticated: bool,
    pub user: Option<String>,
}

/// Checks the request's credentials (token, session or Basic), as autosubmit-api does.
#[utoipa::path(get, path = "/v4/auth/verify-token", tag = "auth",
    responses((status = 200, body = Verified), (status = 401, body = Verified)))]
pub async fn verify_token(Extension(actor): Extension<Actor>) -> impl IntoResponse {
    match actor.role {
        Some(_) => (StatusCode::OK, Json(Verified { authenticated: true, user: Some(actor.name) })),
        None => (StatusCode::UNAUTHORIZED, Json(Verified { authenticated: false, user: None })),
    }
}

/// The caller's own account: tokens belong to someone who logged in.
fn owner(actor: &Actor) -> Result<UserName, ApiError> {
    match actor.role {
        Some(_) => Ok(UserName::parse(&actor.name)?),
        None => Err(HindcastError::Unauthorized("Log in to manage API tokens.".into()).into()),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// The caller's personal API tokens (never their secrets).
#[utoipa::path(get, path = "/v4/auth/tokens", tag = "auth",
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody)))]
pub async fn tokens(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>) -> Result<Json<TokenList>, ApiError> {
    Ok(Json(TokenList { tokens: ops::tokens_of(ctx.store.as_ref(), &actor, &owner(&actor)?).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewTokenRequest {
    /// What the token is for (1–100 characters).
    pub name: String,
    /// Its life in days (1–3650); without it, it lives until revoked.
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The secret: send it as `Authorization: Bearer …`. Shown this once only.
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// Creates a personal API token that acts as the caller, with the caller's role.
#[utoipa::path(post, path = "/v4/auth/tokens", tag = "auth", request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<NewTokenRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    owner(&actor)?;
    let Json(request) = body?;
    let created = ops::create_token(ctx.store.as_ref(), &actor, &request.name, request.expires_in_days).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token: created.secret, view: created.view })))
}

/// Revokes one of the caller's tokens at once.
#[utoipa::path(delete, path = "/v4/auth/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id.parse::<i64>().map_err(|_| HindcastError::NotFound(format!("Token {id} not found.")))?;
    ops::revoke_token(ctx.store.as_ref(), &actor, &owner(&actor)?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct JwtRequest {
    /// How long the token lives: 60 to 86400 seconds, default 3600.
    pub expires_in: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedJwt {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// A short-lived JWT (HS256) acting as the caller, for clients that prefer them to personal
/// tokens. The caller's role is read at each use, not carried in the token.
#[utoipa::path(post, path = "/v4/auth/jwt", tag = "auth", request_body = JwtRequest,
    responses((status = 201, body = IssuedJwt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_jwt(
    Extension(actor): Extension<Actor>,
    Extension(protection): Extension<Protection>,
    Extension(keys): Extension<std::sync::Arc<crate::auth::jwt::JwtKeys>>,
    body: Option<Json<JwtRequest>>,
) -> Result<(StatusCode, Json<IssuedJwt>), ApiError> {
    use crate::auth::jwt::{DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS};
    if protection == Protection::None {
        return Err(HindcastError::NotFound("PROTECTION_LEVEL=NONE: there is no login here, so no tokens either.".into()).into());
    }
    let owner = owner(&actor)?;
    let ttl = body.and_then(|Json(b)| b.expires_in).unwrap_or(DEFAULT_TTL_SECONDS);
    if !(60..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(HindcastError::invalid("expires_in", format!("must be between 60 and {MAX_TTL_SECONDS} seconds")).into());
    }
    let (token, expires) = keys.issue(owner.as_str(), ttl)?;
    let expires_at = expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok((StatusCode::CREATED, Json(IssuedJwt { token, token_type: "Bearer", expires_at })))
}
