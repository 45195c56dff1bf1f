//! Who may act on an experiment (`…/access`, `…/collaborators`, `…/owner`) and the audit log
//! (`/v4/audit`, `…/audit`). The rules are in the domain; these only translate HTTP.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::access::audit::{self, AuditQuery};
use app::access::{ops, AccessView, AuditPage};
use app::actor::Actor;
use app::auth::UserName;
use app::context::AppContext;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;

/// An experiment's owner and collaborators.
#[utoipa::path(get, path = "/v4/experiments/{expid}/access", tag = "access",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = AccessView), (status = 404, body = ErrorBody)))]
pub async fn access(State(ctx): State<AppContext>, Path(expid): Path<String>) -> Result<Json<AccessView>, ApiError> {
    Ok(Json(ops::access_of(ctx.store.as_ref(), &parse_path_expid(&expid)?).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CollaboratorBody {
    /// An existing operator or admin account.
    pub name: String,
}

/// Lets another account act on the experiment (its owner or an admin may).
#[utoipa::path(post, path = "/v4/experiments/{expid}/collaborators", tag = "access", request_body = CollaboratorBody,
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = AccessView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_collaborator(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(expid): Path<String>,
    body: Result<Json<CollaboratorBody>, JsonRejection>,
) -> Result<Json<AccessView>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Json(body) = body?;
    let user = UserName::parse(&body.name)?;
    Ok(Json(ops::add_collaborator(ctx.store.as_ref(), &actor, &expid, &user).await?))
}

#[utoipa::path(delete, path = "/v4/experiments/{expid}/collaborators/{name}", tag = "access",
    params(("expid" = String, Path, description = "Experiment id"), ("name" = String, Path, description = "User name")),
    responses((status = 200, body = AccessView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_collaborator(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path((expid, name)): Path<(String, String)>,
) -> Result<Json<AccessView>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let user = UserName::parse(&name)?;
    Ok(Json(ops::remove_collaborator(ctx.store.as_ref(), &actor, &expid, &user).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OwnerBody {
    pub owner: String,
}

/// Gives the experiment to another account (admins only).
#[utoipa::path(put, path = "/v4/experiments/{expid}/owner", tag = "access", request_body = OwnerBody,
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = AccessView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_owner(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(expid): Path<String>,
    body: Result<Json<OwnerBody>, JsonRejection>,
) -> Result<Json<AccessView>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Json(body) = body?;
    let owner = UserName::parse(&body.owner)?;
    Ok(Json(ops::set_owner(ctx.store.as_ref(), &actor, &expid, &owner).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this experiment's entries (whole log only).
    pub expid: Option<String>,
    /// Only this actor's.
    pub actor: Option<String>,
    /// Only this action, e.g. `jobs.set_status`.
    pub action: Option<String>,
    /// Entries older than this id (the previous page's `next_before`).
    pub before: Option<i64>,
    /// 1–500, default 100.
    pub limit: Option<u32>,
}

impl From<AuditParams> for AuditQuery {
    fn from(p: AuditParams) -> Self {
        Self { expid: p.expid, actor: p.actor, action: p.action, before: p.before, limit: p.limit }
    }
}

/// The whole audit log, newest first (admins only).
#[utoipa::path(get, path = "/v4/audit", tag = "access", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn global(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(params) = params?;
    Ok(Json(audit::global(ctx.store.as_ref(), &actor, params.into()).await?))
}

/// One experiment's audit log, newest first (anyone who may read the experiment).
#[utoipa::path(get, path = "/v4/experiments/{expid}/audit", tag = "access", params(("expid" = String, Path, description = "Experiment id"), AuditParams),
    responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn of_experiment(
    State(ctx): State<AppContext>,
    Path(expid): Path<String>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Query(params) = params?;
    Ok(Json(audit::of_experiment(ctx.store.as_ref(), &expid, params.into()).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EmbedLinkBody {
    /// 1 to 365, default 30.
    pub expires_in_days: Option<u32>,
}

/// A signed, expiring read-only link to the experiment's embedded views (its owner or an
/// admin may create one).
#[utoipa::path(post, path = "/v4/experiments/{expid}/embed-links", tag = "access", request_body = EmbedLinkBody,
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 201, body = crate::auth::sharing::EmbedLink), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn embed_link(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Extension(keys): Extension<std::sync::Arc<crate::auth::embed_links::EmbedKeys>>,
    Path(expid): Path<String>,
    body: Option<Json<EmbedLinkBody>>,
) -> Result<(axum::http::StatusCode, Json<crate::auth::sharing::EmbedLink>), ApiError> {
    let expid = parse_path_expid(&expid)?;
    let days = body.and_then(|Json(b)| b.expires_in_days);
    let link = crate::auth::sharing::new_embed_link(&ctx, &actor, &keys, &expid, days).await?;
    Ok((axum::http::StatusCode::CREATED, Json(link)))
}

/// Ends every embed link of the experiment made so far (its owner or an admin may).
#[utoipa::path(delete, path = "/v4/experiments/{expid}/embed-links", tag = "access",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_embed_links(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(expid): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    crate::auth::sharing::revoke_embed_links(&ctx, &actor, &parse_path_expid(&expid)?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
