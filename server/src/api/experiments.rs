//! `/v4/experiments`: search, read, create and describe experiments.

use super::error::{ApiError, ErrorBody};
use app::context::AppContext;
use app::error::HindcastError;
use app::experiment::{ops, Description, Experiment, ExperimentPage, Expid, ListParams, ListQuery, NewExperiment};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Search experiments (autosubmit-api 4.2.0). `only_active` defaults to true, as there.
#[utoipa::path(get, path = "/v4/experiments", params(ListParams), tag = "experiments",
    responses((status = 200, body = ExperimentPage), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(ctx): State<AppContext>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ExperimentPage>, ApiError> {
    let Query(params) = params?;
    let query = ListQuery::parse(&params, true)?;
    Ok(Json(ops::list(ctx.store.as_ref(), &query).await?))
}

/// One experiment: autosubmit-api's `{id, name, description, autosubmit_version}` plus the
/// catalogue fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExperimentDetail {
    #[serde(flatten)]
    pub experiment: Experiment,
    pub autosubmit_version: String,
}

#[utoipa::path(get, path = "/v4/experiments/{expid}", tag = "experiments",
    params(("expid" = String, Path, description = "Experiment id, e.g. a000")),
    responses((status = 200, body = ExperimentDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(ctx): State<AppContext>,
    Path(expid): Path<String>,
) -> Result<Json<ExperimentDetail>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let experiment = ops::get(ctx.store.as_ref(), &expid).await?;
    let autosubmit_version = experiment.version.clone();
    Ok(Json(ExperimentDetail { experiment, autosubmit_version }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateExperimentBody {
    /// Required, at most 1000 characters.
    pub description: Option<String>,
    /// experiment (default), test, operational or evaluation.
    pub kind: Option<String>,
    pub hpc: Option<String>,
    pub model: Option<String>,
    pub branch: Option<String>,
}

/// Create an experiment; its id is allocated from its kind (`a000…`, `t000…`, `o000…`, `e000…`).
#[utoipa::path(post, path = "/v4/experiments", tag = "experiments", request_body = CreateExperimentBody,
    responses((status = 201, body = Experiment), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    body: Result<Json<CreateExperimentBody>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body?;
    let new = NewExperiment::parse(
        body.description.as_deref().unwrap_or_default(),
        body.kind.as_deref(),
        body.hpc.as_deref(),
        body.model.as_deref(),
        body.branch.as_deref(),
    )?;
    let created = ops::create(ctx.store.as_ref(), &actor, new).await?;
    let location = format!("/v4/experiments/{}", created.name);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(created)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UpdateExperimentBody {
    /// The new description: required, at most 1000 characters.
    pub description: Option<String>,
}

/// Change an experiment's description.
#[utoipa::path(patch, path = "/v4/experiments/{expid}", tag = "experiments",
    params(("expid" = String, Path, description = "Experiment id")),
    request_body = UpdateExperimentBody,
    responses((status = 200, body = Experiment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path(expid): Path<String>,
    body: Result<Json<UpdateExperimentBody>, JsonRejection>,
) -> Result<Json<Experiment>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Json(body) = body?;
    let description = Description::parse(body.description.as_deref().unwrap_or_default())?;
    Ok(Json(ops::update_description(ctx.store.as_ref(), &actor, &expid, description).await?))
}

/// A malformed id in a path cannot name an experiment: answer as autosubmit-api does, 404.
pub(super) fn parse_path_expid(raw: &str) -> Result<Expid, HindcastError> {
    Expid::parse(raw).map_err(|_| HindcastError::NotFound(format!("Experiment with expid '{raw}' not found.")))
}
