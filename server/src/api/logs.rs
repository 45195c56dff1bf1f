//! Job and run logs, read in byte ranges so a log of any size is served without loading it:
//! `offset` and `length`, or the last `tail` bytes. Paths are built from what the store
//! knows (a job of the graph, a recorded attempt, a run id), never from the request's text.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use super::runs::parse_run_path;
use super::job_files::{download, storage_failed, JobFiles, Stored};
use crate::storage::read_all;
use app::context::AppContext;
use app::error::HindcastError;
use app::runs::ops;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

/// The most bytes one request returns; read further with `offset`.
pub const MAX_LOG_CHUNK: u64 = 8 * 1024 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogRange {
    /// `out` (default) or `err`.
    pub stream: Option<String>,
    /// The run of the attempt; the job's latest attempt when absent.
    pub run_id: Option<i64>,
    /// The attempt within the run (1 when only `run_id` is given).
    pub attempt: Option<i32>,
    /// First byte to return.
    pub offset: Option<u64>,
    /// Bytes to return from `offset` (at most 8 MB).
    pub length: Option<u64>,
    /// Return the last `tail` bytes instead.
    pub tail: Option<u64>,
    /// The whole file, as a download (HTTP `Range` requests work too).
    pub download: Option<bool>,
    /// Search the log for lines containing this text (ASCII case ignored) from `offset`,
    /// answering JSON: the matching lines with their byte offsets, and where to go on.
    pub search: Option<String>,
    /// With `search`: at most this many lines (default and maximum 1,000).
    pub limit: Option<usize>,
}

/// The most bytes one search request reads; `next_offset` continues from there.
const SEARCH_SPAN: u64 = 256 * 1024 * 1024;
const MAX_SEARCH_LINES: usize = 1000;
/// A matching line is cut to this many bytes in the answer.
const MAX_LINE_BYTES: usize = 4096;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LogMatch {
    /// The line's first byte in the file.
    pub offset: u64,
    pub line: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LogSearch {
    pub matches: Vec<LogMatch>,
    /// Where to continue the search, or absent when the end of the file was reached.
    pub next_offset: Option<u64>,
    pub size: u64,
}

/// A job's stdout or stderr. Headers `X-Log-Size` (the file's size now) and `X-Log-Offset`
/// (where the returned bytes start) let a client follow the log by asking from the end.
#[utoipa::path(get, path = "/v4/experiments/{expid}/jobs/{job_name}/log", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("job_name" = String, Path, description = "Job name"), LogRange),
    responses((status = 200, description = "The bytes asked for", content_type = "text/plain"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn job_log(
    State(ctx): State<AppContext>,
    Extension(files): Extension<JobFiles>,
    Path((expid, name)): Path<(String, String)>,
    range: Result<Query<LogRange>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let Query(range) = range?;
    let log = job_log_file(&ctx, &files, &expid, &name, range.stream.as_deref(), range.run_id, range.attempt).await?;
    if range.download == Some(true) {
        let file_name = format!("{name}.run{}-attempt{}.{}.log", log.run_id, log.attempt, log.stream);
        return download(&log.file, &file_name, TEXT, &headers).await;
    }
    if let Some(needle) = range.search.clone() {
        return search(&log.file, needle, &range).await;
    }
    read_range(&log.file, &range).await
}

const TEXT: &str = "text/plain; charset=utf-8";

/// One attempt's stdout or stderr, as the store knows it.
pub struct JobLogFile {
    pub file: Stored,
    /// `out` or `err`.
    pub stream: &'static str,
    pub run_id: i64,
    pub attempt: i32,
    /// The attempt's folder, in the same store.
    pub dir: Stored,
    /// Read from the object store: the attempt ended and its files are final.
    pub archived: bool,
}

/// The log of a job's attempt (`run_id` and `attempt`, 1 when only the run is given), or of
/// its latest attempt; `stream` is `out` (default) or `err`.
pub async fn job_log_file(
    ctx: &AppContext,
    files: &JobFiles,
    expid: &app::experiment::Expid,
    name: &str,
    stream: Option<&str>,
    run_id: Option<i64>,
    attempt: Option<i32>,
) -> Result<JobLogFile, ApiError> {
    let (stream, file) = match stream.unwrap_or("out") {
        "out" => ("out", "stdout.log"),
        "err" => ("err", "stderr.log"),
        other => return Err(HindcastError::invalid("stream", format!("'{other}' is neither out nor err")).into()),
    };
    let attempts = ops::job_attempts(ctx.store.as_ref(), expid, name).await?;
    let chosen = match run_id {
        None => attempts.last(),
        Some(run) => attempts.iter().find(|a| a.run_id == run && a.attempt == attempt.unwrap_or(1)),
    };
    let chosen = chosen.ok_or_else(|| HindcastError::NotFound(format!("Job {name} has no such attempt; it may never have run.")))?;
    let dir = files.attempt(expid.as_str(), chosen)?;
    let file = dir.child(file).ok_or(HindcastError::Internal)?;
    let archived = files.archive.is_some() && chosen.archived_at.is_some();
    Ok(JobLogFile { file, stream, run_id: chosen.run_id, attempt: chosen.attempt, dir, archived })
}

/// A run's own log: what the engine did, line by line.
#[utoipa::path(get, path = "/v4/experiments/{expid}/runs/{run_id}/log", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), ("run_id" = i64, Path, description = "Run id"), LogRange),
    responses((status = 200, description = "The bytes asked for", content_type = "text/plain"), (status = 404, body = ErrorBody)))]
pub async fn run_log(
    State(ctx): State<AppContext>,
    Extension(files): Extension<JobFiles>,
    Path((expid, run_id)): Path<(String, String)>,
    range: Result<Query<LogRange>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (expid, run_id) = parse_run_path(&expid, &run_id)?;
    let Query(range) = range?;
    let run = ops::get_run(ctx.store.as_ref(), &expid, run_id).await?;
    let file = files.run_log(expid.as_str(), &run)?;
    if range.download == Some(true) {
        return download(&file, &format!("{expid}.run{run_id}.log"), TEXT, &headers).await;
    }
    if let Some(needle) = range.search.clone() {
        return search(&file, needle, &range).await;
    }
    read_range(&file, &range).await
}

/// Lines containing `needle` from `range.offset` on, reading at most `SEARCH_SPAN` bytes.
async fn search(file: &Stored, needle: String, range: &LogRange) -> Result<Response, ApiError> {
    if needle.is_empty() || needle.len() > 1000 {
        return Err(HindcastError::invalid("search", "1 to 1,000 characters").into());
    }
    let (from, limit) = (range.offset.unwrap_or(0), range.limit.unwrap_or(MAX_SEARCH_LINES).clamp(1, MAX_SEARCH_LINES));
    let Some(size) = file.store.size(&file.key).await.map_err(storage_failed)? else {
        return Ok(axum::Json(LogSearch { matches: Vec::new(), next_offset: None, size: 0 }).into_response());
    };
    match scan(file, size, needle.as_bytes(), from, limit).await {
        Ok(found) => Ok(axum::Json(found).into_response()),
        Err(err) => {
            tracing::error!(file = %file.key, error = %err, "a log could not be searched");
            Err(HindcastError::Internal.into())
        }
    }
}

async fn scan(file: &Stored, size: u64, needle: &[u8], from: u64, limit: usize) -> std::io::Result<LogSearch> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let start = from.min(size);
    // Lines are read up to the search span's end, and the line that crosses it whole.
    let bytes = file.store.read(&file.key, start..size).await.map_err(std::io::Error::other)?;
    let mut reader = tokio::io::BufReader::with_capacity(1 << 20, tokio_util::io::StreamReader::new(bytes));
    let needle: Vec<u8> = needle.to_ascii_lowercase();
    let (mut offset, mut matches, mut line) = (start, Vec::new(), Vec::new());
    while offset < size {
        if matches.len() == limit || offset - from >= SEARCH_SPAN {
            return Ok(LogSearch { matches, next_offset: Some(offset), size });
        }
        line.clear();
        // Lines longer than 1 MiB are searched piece by piece, so memory stays bounded.
        let read = (&mut reader).take(1 << 20).read_until(b'\n', &mut line).await? as u64;
        if read == 0 {
            break;
        }
        if line.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(&needle)) {
            let shown = &line[..line.len().min(MAX_LINE_BYTES)];
            let text = String::from_utf8_lossy(shown).trim_end_matches(['\n', '\r']).to_owned();
            matches.push(LogMatch { offset, line: text });
        }
        offset += read;
    }
    Ok(LogSearch { matches, next_offset: None, size })
}

async fn read_range(file: &Stored, range: &LogRange) -> Result<Response, ApiError> {
    // Not written yet (a job just submitted): an empty log, not an error.
    let Some(size) = file.store.size(&file.key).await.map_err(storage_failed)? else { return Ok(text(Vec::new(), 0, 0)) };
    let (start, length) = match (range.tail, range.offset) {
        (Some(tail), _) => {
            let tail = tail.min(MAX_LOG_CHUNK);
            (size.saturating_sub(tail), tail.min(size))
        }
        (None, offset) => {
            let start = offset.unwrap_or(0).min(size);
            (start, range.length.unwrap_or(MAX_LOG_CHUNK).min(MAX_LOG_CHUNK).min(size - start))
        }
    };
    let mut bytes = read_all(file.store.as_ref(), &file.key, start..start + length).await.map_err(storage_failed)?;
    // A log that shrank meanwhile (rewritten) answers what is there.
    bytes.truncate(length as usize);
    Ok(text(bytes, size, start))
}

fn text(bytes: Vec<u8>, size: u64, start: u64) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::HeaderName::from_static("x-log-size"), size.to_string()),
            (header::HeaderName::from_static("x-log-offset"), start.to_string()),
        ],
        bytes,
    )
        .into_response()
}
