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
