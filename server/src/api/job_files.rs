//! Which artifact store holds a job's or a run's files, and whole files as downloads (with
//! HTTP `Range`) from either store. An attempt marked archived is read from the object store,
//! every other one from the data folder the jobs write into.

use super::error::ApiError;
use crate::engine::archiver::{attempt_key, run_log_key};
use crate::storage::{ArtifactKey, LocalFolder, SharedArtifacts, StorageError};
use app::error::HindcastError;
use app::runs::{AttemptView, RunView};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Where the engine keeps job files (handed to the API by the server at start).
#[derive(Clone)]
pub struct JobFiles {
    pub local: Arc<LocalFolder>,
    /// The object store ended attempts are copied to, if any.
    pub archive: Option<SharedArtifacts>,
}

/// One store and a key in it: a file or a folder.
#[derive(Clone)]
pub struct Stored {
    pub store: SharedArtifacts,
    pub key: ArtifactKey,
}

impl Stored {
    pub fn child(&self, name: &str) -> Option<Stored> {
        Some(Stored { store: self.store.clone(), key: self.key.child(name)? })
    }
}

impl JobFiles {
    pub fn new(data_dir: std::path::PathBuf, archive: Option<SharedArtifacts>) -> Self {
        Self { local: Arc::new(LocalFolder::new(data_dir)), archive }
    }

    fn local_store(&self) -> SharedArtifacts {
        self.local.clone()
    }

    /// The folder of an attempt, in the store that holds it now.
    pub fn attempt(&self, expid: &str, a: &AttemptView) -> Result<Stored, ApiError> {
        let key = attempt_key(expid, &a.job_name, a.run_id, a.attempt).ok_or(HindcastError::Internal)?;
        let store = match (&self.archive, &a.archived_at) {
            (Some(archive), Some(_)) => archive.clone(),
            _ => self.local_store(),
        };
        Ok(Stored { store, key })
    }

    /// A run's own log, in the store that holds it now.
    pub fn run_log(&self, expid: &str, run: &RunView) -> Result<Stored, ApiError> {
        let key = run_log_key(expid, run.id).ok_or(HindcastError::Internal)?;
        let store = match (&self.archive, &run.log_archived_at) {
            (Some(archive), Some(_)) => archive.clone(),
            _ => self.local_store(),
        };
        Ok(Stored { store, key })
    }
}

/// A store's failure, logged here and told to the client as an internal error (no details).
pub fn storage_failed(err: StorageError) -> ApiError {
    match err {
        StorageError::NotFound(_) => HindcastError::NotFound("No such file.".to_owned()).into(),
        StorageError::Backend(message) => {
            tracing::error!(error = %message, "the artifact store failed");
            HindcastError::Internal.into()
        }
    }
}

/// The whole file as an attachment, streamed; one `Range: bytes=…` is honoured (206), one
/// past the end answers 416, others (several ranges) get the whole file.
pub async fn download(file: &Stored, file_name: &str, content_type: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let size = file
        .store
        .size(&file.key)
        .await
        .map_err(storage_failed)?
        .ok_or_else(|| HindcastError::NotFound(format!("No file {file_name}.")))?;
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|v| byte_range(v, size));
    let (status, range) = match asked {
        Some(Ok(range)) => (StatusCode::PARTIAL_CONTENT, range),
        Some(Err(())) => {
            let mut refused = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                refused.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(refused);
        }
        None => (StatusCode::OK, 0..size),
    };
    let body = file.store.read(&file.key, range.clone()).await.map_err(storage_failed)?;
    let mut response = (status, Body::from_stream(body)).into_response();
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, content_type.to_owned());
    set(header::CONTENT_LENGTH, (range.end - range.start).to_string());
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    set(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file_name.replace(['"', '\\'], "_")));
    if status == StatusCode::PARTIAL_CONTENT {
        set(header::CONTENT_RANGE, format!("bytes {}-{}/{size}", range.start, range.end.saturating_sub(1)));
    }
    Ok(response)
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range of a file of `size` bytes: `None` to
/// serve the whole file (not a single byte range), `Err` when it starts past the end.
fn byte_range(header: &str, size: u64) -> Option<Result<std::ops::Range<u64>, ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = match (first.is_empty(), last.is_empty()) {
        (true, false) => {
            let n: u64 = last.parse().ok()?;
            if n == 0 || size == 0 {
                return Some(Err(()));
            }
            size.saturating_sub(n)..size
        }
        (false, _) => {
            let start: u64 = first.parse().ok()?;
            let end = if last.is_empty() { size } else { last.parse::<u64>().ok()?.saturating_add(1).min(size) };
            if start >= size {
                return Some(Err(()));
            }
            if end <= start {
                return None;
            }
            start..end
        }
        (true, true) => return None,
    };
    Some(Ok(range))
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn ranges_read_as_http_says() {
        assert_eq!(byte_range("bytes=0-3", 10), Some(Ok(0..4)));
        assert_eq!(byte_range("bytes=4-", 10), Some(Ok(4..10)));
        assert_eq!(byte_range("bytes=-3", 10), Some(Ok(7..10)));
        assert_eq!(byte_range("bytes=-30", 10), Some(Ok(0..10)));
        assert_eq!(byte_range("bytes=8-100", 10), Some(Ok(8..10)));
        assert_eq!(byte_range("bytes=10-", 10), Some(Err(())));
        assert_eq!(byte_range("bytes=-0", 10), Some(Err(())));
        assert_eq!(byte_range("bytes=-5", 0), Some(Err(())));
        assert_eq!(byte_range("bytes=0-", 0), Some(Err(())));
        for whole in ["bytes=0-1,4-5", "items=0-1", "bytes=x-2", "bytes=5-2", "bytes=-"] {
            assert_eq!(byte_range(whole, 10), None, "{whole}");
        }
    }
}
