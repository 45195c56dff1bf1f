//! `/v4/experiments/{expid}/…`: configuration, generation and jobs.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::context::AppContext;
use app::error::HindcastError;
use app::workflow::ops::{self, GenerateOptions};
use app::workflow::{
    ConfigFiles, GenerateOutcome, Job, JobLink, JobPage, JobParams, JobQuery, JobStatus, JobSummary, JobView, TreeLevel,
    TreeParams,
};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

/// The experiment's configuration files.
#[utoipa::path(get, path = "/v4/experiments/{expid}/config", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = ConfigFiles), (status = 404, body = ErrorBody)))]
pub async fn config(State(ctx): State<AppContext>, Path(expid): Path<String>) -> Result<Json<ConfigFiles>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(ops::config(ctx.store.as_ref(), &expid).await?))
}

/// Replace every configuration file. Files are checked (names, 2 MB in all, YAML syntax with
/// file, line and column) and nothing is stored if one is refused.
#[utoipa::path(put, path = "/v4/experiments/{expid}/config", tag = "workflow", request_body = ConfigFiles,
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = ConfigFiles), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_config(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path(expid): Path<String>,
    body: Result<Json<ConfigFiles>, JsonRejection>,
) -> Result<Json<ConfigFiles>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Json(files) = body?;
    Ok(Json(ops::save_config(ctx.store.as_ref(), &actor, &expid, files).await?))
}

/// One configuration file as YAML text, to download.
#[utoipa::path(get, path = "/v4/experiments/{expid}/config/files/{name}", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("name" = String, Path, description = "File name")),
    responses((status = 200, content_type = "application/yaml", body = String), (status = 404, body = ErrorBody)))]
pub async fn config_file(
    State(ctx): State<AppContext>,
    Path((expid, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let text = ops::config_file(ctx.store.as_ref(), &expid, &name).await?;
    // The name passed the file-name rule when stored: safe inside the header's quotes.
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok(([(header::CONTENT_TYPE, "application/yaml; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], text))
}

/// autosubmit-api's `filesystem-config`: the merged configuration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MergedConfig {
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/filesystem-config", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = MergedConfig), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merged_config(State(ctx): State<AppContext>, Path(expid): Path<String>) -> Result<Json<MergedConfig>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(MergedConfig { config: ops::merged_config(ctx.store.as_ref(), &expid).await? }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionParams {
    /// `generate` (the graph from the configuration; Autosubmit's `create`), `run` (every job
    /// that has not completed), `restart` (failed jobs back to READY/WAITING, then carry on)
    /// or `stop` (kill the running jobs; they end FAILED, "stopped").
    pub action: Option<String>,
    /// Build the graph and report it without storing anything.
    pub dry_run: Option<bool>,
    /// Forget the statuses of jobs that still exist (default: keep them).
    pub reset_statuses: Option<bool>,
}

/// An action on an experiment. Regenerating keeps the status of jobs that still exist and
/// is refused (409) while the experiment runs; `run` and `restart` answer the queued run
/// (201), `stop` what it stopped.
#[utoipa::path(post, path = "/v4/experiments/{expid}", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ActionParams),
    responses((status = 200, body = GenerateOutcome), (status = 201, body = app::runs::RunView),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn action(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path(expid): Path<String>,
    params: Result<Query<ActionParams>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use app::runs::ops as runs;
    use axum::response::IntoResponse;
    let expid = parse_path_expid(&expid)?;
    let Query(params) = params?;
    let (store, engine, actor) = (ctx.store.as_ref(), ctx.engine.as_ref(), actor);
    match params.action.as_deref() {
        Some("generate") => {
            let options = GenerateOptions {
                dry_run: params.dry_run.unwrap_or(false),
                reset_statuses: params.reset_statuses.unwrap_or(false),
            };
            Ok(Json(ops::generate_graph(store, engine, &actor, &expid, options, ctx.limits).await?).into_response())
        }
        Some("run") => {
            let run = runs::start_run(store, engine, &actor, &expid, &app::runs::RunRequest::default()).await?;
            Ok((axum::http::StatusCode::CREATED, Json(run)).into_response())
        }
        Some("restart") => {
            let run = runs::restart(store, engine, &actor, &expid).await?;
            Ok((axum::http::StatusCode::CREATED, Json(run)).into_response())
        }
        Some("stop") => Ok(Json(runs::stop(store, engine, &actor, &expid).await?).into_response()),
        Some(other) => {
            Err(HindcastError::invalid("action", format!("'{other}' is not an action; use generate, run, restart or stop")).into())
        }
        None => Err(HindcastError::invalid("action", "missing; use ?action=generate, run, restart or stop").into()),
    }
}

/// A job in the quick view: name and status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuickJob {
    pub name: String,
    pub status: JobStatus,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum JobsResponse {
    Base(JobPage),
    Quick { jobs: Vec<QuickJob>, pagination: app::experiment::Pagination },
}

/// The experiment's jobs (autosubmit-api 4.2.0's parameters and shapes, plus filters by
/// section, date, member and chunk, several statuses, `!` negation and sorting).
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), JobParams),
    responses((status = 200, body = JobsResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn jobs(
    State(ctx): State<AppContext>,
    Path(expid): Path<String>,
    params: Result<Query<JobParams>, QueryRejection>,
) -> Result<Json<JobsResponse>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Query(params) = params?;
    let query = JobQuery::parse(&params)?;
    let page = ops::jobs(ctx.store.as_ref(), &expid, &query).await?;
    Ok(Json(match query.view {
        JobView::Base => JobsResponse::Base(page),
        JobView::Quick => JobsResponse::Quick {
            jobs: page.jobs.into_iter().map(|j| QuickJob { name: j.name, status: j.status }).collect(),
            pagination: page.pagination,
        },
    }))
}

/// The same jobs as CSV, for spreadsheets (every matching job unless `page_size` is given).
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs.csv", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), JobParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn jobs_csv(
    State(ctx): State<AppContext>,
    Path(expid): Path<String>,
    params: Result<Query<JobParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Query(params) = params?;
    let query = JobQuery::parse(&params)?;
    let page = ops::jobs(ctx.store.as_ref(), &expid, &query).await?;
    let disposition = format!("attachment; filename=\"{expid}_jobs.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], to_csv(&page.jobs)))
}

fn to_csv(jobs: &[Job]) -> String {
    let mut out = String::from("name,status,section,date,member,chunk,split,splits,platform,priority,submit,start,finish\n");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    for j in jobs {
        let fields = [
            j.name.clone(),
            j.status.to_string(),
            j.section.clone(),
            opt(&j.date),
            opt(&j.member),
            num(j.chunk),
            num(j.split),
            num(j.splits),
            j.platform.clone(),
            j.priority.to_string(),
            opt(&j.submit),
            opt(&j.start),
            opt(&j.finish),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Quotes a field holding a separator, quote or line break (RFC 4180); a leading formula
/// character is neutralised so spreadsheets do not evaluate it.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name")),
    responses((status = 200, body = Job), (status = 404, body = ErrorBody)))]
pub async fn job(State(ctx): State<AppContext>, Path((expid, name)): Path<(String, String)>) -> Result<Json<Job>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(ops::job(ctx.store.as_ref(), &expid, &name).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkParams {
    /// Also give each job's status.
    pub include_status: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Parents {
    pub parents: Vec<JobLink>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Children {
    pub children: Vec<JobLink>,
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/parents", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), LinkParams),
    responses((status = 200, body = Parents), (status = 404, body = ErrorBody)))]
pub async fn parents(
    State(ctx): State<AppContext>,
    Path((expid, name)): Path<(String, String)>,
    params: Result<Query<LinkParams>, QueryRejection>,
) -> Result<Json<Parents>, ApiError> {
    Ok(Json(Parents { parents: linked(&ctx, &expid, &name, params, true).await? }))
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/children", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), LinkParams),
    responses((status = 200, body = Children), (status = 404, body = ErrorBody)))]
pub async fn children(
    State(ctx): State<AppContext>,
    Path((expid, name)): Path<(String, String)>,
    params: Result<Query<LinkParams>, QueryRejection>,
) -> Result<Json<Children>, ApiError> {
    Ok(Json(Children { children: linked(&ctx, &expid, &name, params, false).await? }))
}

async fn linked(
    ctx: &AppContext,
    expid: &str,
    name: &str,
    params: Result<Query<LinkParams>, QueryRejection>,
    parents: bool,
) -> Result<Vec<JobLink>, ApiError> {
    let expid = parse_path_expid(expid)?;
    let Query(params) = params?;
    let include = params.include_status.unwrap_or(false);
    Ok(ops::linked_jobs(ctx.store.as_ref(), &expid, name, parents, include).await?)
}

/// One level of the tree: date → member → section → jobs. Without parameters, the dates (and
/// the jobs that run once); with `date`, its members; with `member` too, its sections; with
/// `section` too, that section's jobs. Each folder counts its jobs per status.
#[utoipa::path(get, path = "/v4/experiments/{expid}/tree", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id"), TreeParams),
    responses((status = 200, body = TreeLevel), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tree(
    State(ctx): State<AppContext>,
    Path(expid): Path<String>,
    params: Result<Query<TreeParams>, QueryRejection>,
) -> Result<Json<TreeLevel>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Query(params) = params?;
    Ok(Json(ops::tree(ctx.store.as_ref(), &expid, &params).await?))
}

/// Jobs per status, and the graph's version.
#[utoipa::path(get, path = "/v4/experiments/{expid}/summary", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = JobSummary), (status = 404, body = ErrorBody)))]
pub async fn summary(State(ctx): State<AppContext>, Path(expid): Path<String>) -> Result<Json<JobSummary>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(ops::summary(ctx.store.as_ref(), &expid).await?))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}
