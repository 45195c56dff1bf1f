//! `/v4/users`: accounts, for admins (the same operations as `hindcast user` and the admin page).

use super::error::{ApiError, ErrorBody};
use app::actor::Actor;
use app::auth::password::Password;
use app::auth::{ops, Role, UserName, UserView};
use app::context::AppContext;
use app::error::HindcastError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

#[utoipa::path(get, path = "/v4/users", tag = "users",
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody)))]
pub async fn list(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>) -> Result<Json<UserList>, ApiError> {
    Ok(Json(UserList { users: ops::list_users(ctx.store.as_ref(), &actor).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUserBody {
    pub name: String,
    /// viewer (default), operator or admin.
    pub role: Option<String>,
    /// At least 10 characters; without one the account logs in through CAS, GitHub or OIDC only.
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/v4/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let Json(body) = body?;
    let name = UserName::parse(&body.name)?;
    let role = body.role.as_deref().map_or(Ok(Role::Viewer), Role::parse)?;
    let password = body.password.as_deref().map(Password::parse).transpose()?;
    Ok((StatusCode::CREATED, Json(ops::add_user(ctx.store.as_ref(), &actor, &name, role, password).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UserChangeBody {
    pub role: Option<String>,
    /// A new local password (at least 10 characters).
    pub password: Option<String>,
}

/// Changes an account's role and/or sets a new local password.
#[utoipa::path(patch, path = "/v4/users/{name}", tag = "users", request_body = UserChangeBody,
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    body: Result<Json<UserChangeBody>, JsonRejection>,
) -> Result<Json<UserView>, ApiError> {
    let name = UserName::parse(&name)?;
    let Json(body) = body?;
    // Both are checked before either is applied, so bad input changes nothing.
    let role = body.role.as_deref().map(Role::parse).transpose()?;
    let password = body.password.as_deref().map(Password::parse).transpose()?;
    if role.is_none() && password.is_none() {
        return Err(HindcastError::invalid("role", "give a role, a password, or both").into());
    }
    let store = ctx.store.as_ref();
    let mut view = None;
    if let Some(role) = role {
        view = Some(ops::set_role(store, &actor, &name, role).await?);
    }
    if let Some(password) = password {
        view = Some(ops::reset_password(store, &actor, &name, password).await?);
    }
    Ok(Json(view.expect("a role or a password was given")))
}

#[utoipa::path(delete, path = "/v4/users/{name}", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    ops::remove_user(ctx.store.as_ref(), &actor, &UserName::parse(&name)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
