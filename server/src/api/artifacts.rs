//! A job's logs, outputs or temp files, or a whole run's logs, as a zip streamed while it is
//! written; and one output file by its path inside the attempt's `outputs/`. Folders come
//! from what the database knows (a job of the graph, its recorded attempts), read from the
//! artifact store that holds each attempt; a requested path that is not plain or goes through
//! a link answers 404.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use super::job_files::{download, storage_failed, JobFiles, Stored};
use super::runs::parse_run_path;
use crate::storage::zip::{write_zip, ZipItem};
use app::context::AppContext;
use app::error::HindcastError;
use app::runs::{ops, AttemptView};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

/// Chunks of the zip in flight between its writer and the client.
const ZIP_PIPE_BYTES: usize = 256 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttemptFilter {
    /// Only the attempts of this run.
    pub run_id: Option<i64>,
    /// Only this attempt (with `run_id`).
    pub attempt: Option<i32>,
}

#[derive(Clone, Copy)]
enum JobFolder {
    Logs,
    Outputs,
    Temps,
}

/// Every attempt's `script.sh`, `stdout.log` and `stderr.log`, as a zip.
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/logs", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), AttemptFilter),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 404, body = ErrorBody)))]
pub async fn job_logs(
    state: State<AppContext>,
    files: Extension<JobFiles>,
    path: Path<(String, String)>,
    filter: Query<AttemptFilter>,
) -> Result<Response, ApiError> {
    job_zip(state, files, path, filter, JobFolder::Logs).await
}

/// Every attempt's `outputs/` folder, as a zip.
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/outputs", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), AttemptFilter),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 404, body = ErrorBody)))]
pub async fn job_outputs(
    state: State<AppContext>,
    files: Extension<JobFiles>,
    path: Path<(String, String)>,
    filter: Query<AttemptFilter>,
) -> Result<Response, ApiError> {
    job_zip(state, files, path, filter, JobFolder::Outputs).await
}

/// Every attempt's `tmp/` folder (`TMPDIR`), as a zip.
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/temps", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), AttemptFilter),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 404, body = ErrorBody)))]
pub async fn job_temps(
    state: State<AppContext>,
    files: Extension<JobFiles>,
    path: Path<(String, String)>,
    filter: Query<AttemptFilter>,
) -> Result<Response, ApiError> {
    job_zip(state, files, path, filter, JobFolder::Temps).await
}

async fn job_zip(
    State(ctx): State<AppContext>,
    Extension(files): Extension<JobFiles>,
    Path((expid, name)): Path<(String, String)>,
    Query(filter): Query<AttemptFilter>,
    folder: JobFolder,
) -> Result<Response, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let attempts = chosen_attempts(ops::job_attempts(ctx.store.as_ref(), &expid, &name).await?, &filter, &name)?;
    let mut items = Vec::new();
    for a in &attempts {
        let dir = files.attempt(expid.as_str(), a)?;
        let prefix = format!("{name}/run{}-attempt{}", a.run_id, a.attempt);
        match folder {
            JobFolder::Logs => items.extend(named_files(&dir, &prefix, &["script.sh", "stdout.log", "stderr.log"]).await?),
            JobFolder::Outputs => items.extend(files_under(&dir, "outputs", &prefix).await?),
            JobFolder::Temps => items.extend(files_under(&dir, "tmp", &prefix).await?),
        }
    }
    let kind = match folder {
        JobFolder::Logs => "logs",
        JobFolder::Outputs => "outputs",
        JobFolder::Temps => "temps",
    };
    Ok(zip_response(items, &format!("{name}-{kind}.zip")))
}

/// The run's own log and every log of its job attempts, as a zip.
#[utoipa::path(get, path = "/v4/experiments/{expid}/runs/{run_id}/logs", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("run_id" = i64, Path, description = "Run id")),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 404, body = ErrorBody)))]
pub async fn run_logs(
    State(ctx): State<AppContext>,
    Extension(files): Extension<JobFiles>,
    Path((expid, run_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (expid, run_id) = parse_run_path(&expid, &run_id)?;
    let run = ops::get_run(ctx.store.as_ref(), &expid, run_id).await?;
    let attempts = ops::run_attempts(ctx.store.as_ref(), &expid, run_id).await?;
    let run_log = files.run_log(expid.as_str(), &run)?;
    let mut items = Vec::new();
    if let Some(size) = run_log.store.size(&run_log.key).await.map_err(storage_failed)? {
        items.push(ZipItem { store: run_log.store, key: run_log.key, name: format!("run{run_id}.log"), size });
    }
    for a in &attempts {
        let dir = files.attempt(expid.as_str(), a)?;
        items.extend(named_files(&dir, &format!("{}/attempt{}", a.job_name, a.attempt), &["script.sh", "stdout.log", "stderr.log"]).await?);
    }
    Ok(zip_response(items, &format!("{expid}-run{run_id}-logs.zip")))
}

/// One file of an attempt's `outputs/` (the latest attempt unless `run_id`/`attempt` say).
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/outputs/{path}", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"),
        ("path" = String, Path, description = "The file's path inside outputs/"), AttemptFilter),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn output_file(
    State(ctx): State<AppContext>,
    Extension(files): Extension<JobFiles>,
    Path((expid, name, path)): Path<(String, String, String)>,
    Query(filter): Query<AttemptFilter>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let attempts = chosen_attempts(ops::job_attempts(ctx.store.as_ref(), &expid, &name).await?, &filter, &name)?;
    let latest = attempts.last().ok_or_else(|| no_attempt(&name))?;
    let dir = files.attempt(expid.as_str(), latest)?;
    let missing = || HindcastError::NotFound(format!("Job {name} has no output file '{path}'."));
    let key = dir.key.child("outputs").and_then(|outputs| outputs.join_relative(&path)).ok_or_else(missing)?;
    let file = Stored { store: dir.store, key };
    if file.store.size(&file.key).await.map_err(storage_failed)?.is_none() {
        return Err(missing().into());
    }
    let file_name = path.rsplit('/').next().unwrap_or_default();
    download(&file, file_name, "application/octet-stream", &headers).await
}

fn chosen_attempts(all: Vec<AttemptView>, filter: &AttemptFilter, name: &str) -> Result<Vec<AttemptView>, ApiError> {
    let chosen: Vec<AttemptView> = all
        .into_iter()
        .filter(|a| filter.run_id.is_none_or(|r| a.run_id == r) && filter.attempt.is_none_or(|n| a.attempt == n))
        .collect();
    if chosen.is_empty() {
        return Err(no_attempt(name).into());
    }
    Ok(chosen)
}

fn no_attempt(name: &str) -> HindcastError {
    HindcastError::NotFound(format!("Job {name} has no such attempt; it may never have run."))
}

/// Every file under the attempt's `sub` folder, as `prefix/sub/relative/path`.
async fn files_under(dir: &Stored, sub: &str, prefix: &str) -> Result<Vec<ZipItem>, ApiError> {
    let Some(folder) = dir.child(sub) else { return Ok(Vec::new()) };
    let files = folder.store.list(&folder.key).await.map_err(storage_failed)?;
    Ok(files
        .into_iter()
        .filter_map(|f| {
            let key = folder.key.join_relative(&f.relative)?;
            Some(ZipItem { store: folder.store.clone(), key, name: format!("{prefix}/{sub}/{}", f.relative), size: f.size })
        })
        .collect())
}

/// The named files of the attempt's folder that exist, as `prefix/name` (asked of the store
/// all at once: one round trip, not one per file).
async fn named_files(dir: &Stored, prefix: &str, names: &[&str]) -> Result<Vec<ZipItem>, ApiError> {
    let files: Vec<Stored> = names.iter().filter_map(|name| dir.child(name)).collect();
    let sizes = futures_util::future::join_all(files.iter().map(|f| f.store.size(&f.key))).await;
    let mut items = Vec::new();
    for ((file, size), name) in files.into_iter().zip(sizes).zip(names) {
        if let Some(size) = size.map_err(storage_failed)? {
            items.push(ZipItem { store: file.store, key: file.key, name: format!("{prefix}/{name}"), size });
        }
    }
    Ok(items)
}

fn zip_response(items: Vec<ZipItem>, file_name: &str) -> Response {
    let (writer, reader) = tokio::io::duplex(ZIP_PIPE_BYTES);
    tokio::spawn(async move {
        if let Err(err) = write_zip(items, writer).await {
            tracing::debug!(error = %err, "a zip download ended early");
        }
    });
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [(header::CONTENT_TYPE, "application/zip".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(tokio_util::io::ReaderStream::new(reader)),
    )
        .into_response()
}
