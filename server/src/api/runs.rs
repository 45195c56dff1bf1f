//! Runs through the API: start one (any mode), list, read, cancel, and each run's attempts.
//! `POST /v4/experiments/{expid}?action=run|stop|restart` are in `workflow::action`.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::context::AppContext;
use app::runs::ops;
use app::runs::{AttemptView, RunRequest, RunView};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunList {
    pub runs: Vec<RunView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptList {
    pub attempts: Vec<AttemptView>,
}

/// Queues a run and starts it when nothing else runs in the experiment. A second run while
/// one is active is refused (409) unless `queue` is set.
#[utoipa::path(post, path = "/v4/experiments/{expid}/runs", tag = "runs", request_body = RunRequest,
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 201, body = RunView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path(expid): Path<String>,
    body: Result<Json<RunRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Json(request) = body?;
    let run = ops::start_run(ctx.store.as_ref(), ctx.engine.as_ref(), &actor, &expid, &request).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

/// The experiment's runs, newest first (at most 200).
#[utoipa::path(get, path = "/v4/experiments/{expid}/runs", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = RunList), (status = 404, body = ErrorBody)))]
pub async fn list(State(ctx): State<AppContext>, Path(expid): Path<String>) -> Result<Json<RunList>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(RunList { runs: ops::list_runs(ctx.store.as_ref(), &expid).await? }))
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/runs/{run_id}", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("run_id" = i64, Path, description = "Run id")),
    responses((status = 200, body = RunView), (status = 404, body = ErrorBody)))]
pub async fn one(State(ctx): State<AppContext>, Path((expid, run_id)): Path<(String, String)>) -> Result<Json<RunView>, ApiError> {
    let (expid, run_id) = parse_run_path(&expid, &run_id)?;
    Ok(Json(ops::get_run(ctx.store.as_ref(), &expid, run_id).await?))
}

/// Cancels a run: a queued one never starts; a running one is stopped (its jobs killed).
#[utoipa::path(post, path = "/v4/experiments/{expid}/runs/{run_id}/cancel", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("run_id" = i64, Path, description = "Run id")),
    responses((status = 200, body = RunView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>, Path((expid, run_id)): Path<(String, String)>) -> Result<Json<RunView>, ApiError> {
    let (expid, run_id) = parse_run_path(&expid, &run_id)?;
    Ok(Json(ops::cancel_run(ctx.store.as_ref(), ctx.engine.as_ref(), &actor, &expid, run_id).await?))
}

/// Every job attempt of the run, in submission order.
#[utoipa::path(get, path = "/v4/experiments/{expid}/runs/{run_id}/attempts", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("run_id" = i64, Path, description = "Run id")),
    responses((status = 200, body = AttemptList), (status = 404, body = ErrorBody)))]
pub async fn attempts(State(ctx): State<AppContext>, Path((expid, run_id)): Path<(String, String)>) -> Result<Json<AttemptList>, ApiError> {
    let (expid, run_id) = parse_run_path(&expid, &run_id)?;
    Ok(Json(AttemptList { attempts: ops::run_attempts(ctx.store.as_ref(), &expid, run_id).await? }))
}

/// Every attempt of one job, in every run (autosubmit-api's job history).
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/history", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name")),
    responses((status = 200, body = AttemptList), (status = 404, body = ErrorBody)))]
pub async fn job_history(State(ctx): State<AppContext>, Path((expid, name)): Path<(String, String)>) -> Result<Json<AttemptList>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(AttemptList { attempts: ops::job_attempts(ctx.store.as_ref(), &expid, &name).await? }))
}

pub(super) fn parse_run_path(expid: &str, run_id: &str) -> Result<(app::experiment::Expid, i64), ApiError> {
    let expid = parse_path_expid(expid)?;
    let run_id = run_id
        .parse::<i64>()
        .map_err(|_| app::error::HindcastError::NotFound(format!("Run {run_id} not found in experiment '{expid}'.")))?;
    Ok((expid, run_id))
}

/// A running job reports its progress (percent), a message and metrics, with its own
/// `HINDCAST_JOB_TOKEN` as a bearer token: valid only while that attempt runs.
#[utoipa::path(put, path = "/v4/experiments/{expid}/jobs/{job_name}/report", tag = "runs", request_body = app::runs::ReportRequest,
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name")),
    responses((status = 200, body = AttemptView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn report(
    State(ctx): State<AppContext>,
    Path((expid, name)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: Result<Json<app::runs::ReportRequest>, JsonRejection>,
) -> Result<Json<AttemptView>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Json(request) = body?;
    Ok(Json(ops::report(ctx.store.as_ref(), ctx.engine.as_ref(), &expid, &name, token, &request).await?))
}
