//! A job's parameters and `%NAME%` placeholders resolved with them.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::context::AppContext;
use app::workflow::parameters::{self, JobParameters, ResolvedText};
use axum::extract::{Path, State};
use axum::Json;

/// Every parameter a job's script would see: the configuration flattened (`DEFAULT.EXPID`),
/// the job's own values (`JOBNAME`, `SDATE`, `MEMBER`, `CHUNK`, `SPLIT`), `CURRENT_…` from its
/// section and platform, and its chunk's dates in the experiment's calendar.
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/parameters", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name")),
    responses((status = 200, body = JobParameters), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(ctx): State<AppContext>,
    Path((expid, name)): Path<(String, String)>,
) -> Result<Json<JobParameters>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(parameters::job_parameters(ctx.store.as_ref(), &expid, &name).await?))
}

/// The request body (any text, e.g. a job script) with its `%NAME%` placeholders filled in
/// for this job; placeholders no parameter answers stay as written and are listed.
#[utoipa::path(post, path = "/v4/experiments/{expid}/jobs/{job_name}/resolve", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name")),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = ResolvedText), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(ctx): State<AppContext>,
    Path((expid, name)): Path<(String, String)>,
    text: String,
) -> Result<Json<ResolvedText>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(parameters::resolve_for_job(ctx.store.as_ref(), &expid, &name, &text).await?))
}
