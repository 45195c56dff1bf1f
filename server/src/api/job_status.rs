//! Setting job statuses by hand: one job (`PATCH …/jobs/{name}?status=`) or many by names
//! and filters (`POST …/jobs/status`), each with a dry run.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::context::AppContext;
use app::workflow::set_status::{self, SetStatusOutcome, SetStatusRequest};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OneJobStatus {
    /// The new status, e.g. COMPLETED.
    pub status: Option<String>,
    /// List what would change and change nothing.
    pub dry_run: Option<bool>,
}

/// Sets one job's status; its children become READY (or go back to WAITING) as their
/// parents allow. SUBMITTED, QUEUING and RUNNING belong to executors and are refused.
#[utoipa::path(patch, path = "/v4/experiments/{expid}/jobs/{job_name}", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), OneJobStatus),
    responses((status = 200, body = SetStatusOutcome), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn one(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path((expid, name)): Path<(String, String)>,
    params: Result<Query<OneJobStatus>, QueryRejection>,
) -> Result<Json<SetStatusOutcome>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Query(params) = params?;
    let request = SetStatusRequest {
        status: params.status.unwrap_or_default(),
        job_names: vec![name],
        filter: None,
        dry_run: params.dry_run.unwrap_or(false),
    };
    Ok(Json(set_status::set_status(ctx.store.as_ref(), ctx.engine.as_ref(), &actor, &expid, &request).await?))
}

/// Sets the status of the jobs named and of those the filter selects, all in one transaction.
#[utoipa::path(post, path = "/v4/experiments/{expid}/jobs/status", tag = "workflow", request_body = SetStatusRequest,
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = SetStatusOutcome), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn many(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path(expid): Path<String>,
    body: Result<Json<SetStatusRequest>, JsonRejection>,
) -> Result<Json<SetStatusOutcome>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Json(request) = body?;
    Ok(Json(set_status::set_status(ctx.store.as_ref(), ctx.engine.as_ref(), &actor, &expid, &request).await?))
}
