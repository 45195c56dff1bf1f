//! `POST /v4/experiments/{expid}/config/files`: configuration files uploaded as a multipart
//! form. API clients get JSON; a browser's form (it accepts HTML) is sent back to the
//! configuration page with the outcome in the address, so uploading works without JavaScript.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::context::AppContext;
use app::error::HindcastError;
use app::workflow::ops;
use app::workflow::ConfigFiles;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use std::collections::BTreeMap;

/// Adds or replaces the uploaded files (multipart `files` parts, one YAML file each; other
/// files stay). Checked together with the files already there; nothing is stored on error.
#[utoipa::path(post, path = "/v4/experiments/{expid}/config/files", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id")),
    request_body(content_type = "multipart/form-data", description = "One or more `files` parts"),
    responses((status = 200, body = ConfigFiles), (status = 303, description = "A browser form: back to the configuration page"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(ctx): State<AppContext>,
    axum::Extension(actor): axum::Extension<app::actor::Actor>,
    Path(raw_expid): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let from_browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let outcome = save_uploaded(&ctx, &actor, &raw_expid, form).await;
    match (from_browser, outcome) {
        (false, Ok((files, _))) => Json(files).into_response(),
        (false, Err(error)) => error.into_response(),
        (true, outcome) => {
            let page = format!("/experiments/{}/config", urlencode(&raw_expid));
            let query = match outcome {
                Ok((_, uploaded)) => format!("uploaded={uploaded}"),
                Err(error) => format!("upload_error={}", urlencode(error.message())),
            };
            Redirect::to(&format!("{page}?{query}")).into_response()
        }
    }
}

async fn save_uploaded(
    ctx: &AppContext,
    actor: &app::actor::Actor,
    raw_expid: &str,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(ConfigFiles, usize), ApiError> {
    let expid = parse_path_expid(raw_expid)?;
    let unreadable = |e: String| HindcastError::invalid("files", format!("the upload could not be read: {e}"));
    let mut form = form.map_err(|e| unreadable(e.body_text()))?;
    let mut uploaded = BTreeMap::new();
    while let Some(part) = form.next_field().await.map_err(|e| unreadable(e.body_text()))? {
        // Browsers may send a path; only the file's own name counts. An empty name is the
        // part a form sends when no file was chosen.
        let Some(name) = part.file_name().map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned()) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let bytes = part.bytes().await.map_err(|e| unreadable(e.body_text()))?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| HindcastError::invalid("files", format!("{name} is not UTF-8 text")))?;
        uploaded.insert(name, text);
    }
    if uploaded.is_empty() {
        return Err(HindcastError::invalid("files", "choose one or more YAML files to upload").into());
    }
    let count = uploaded.len();
    let mut files = ops::config(ctx.store.as_ref(), &expid).await?;
    files.files.extend(uploaded);
    Ok((ops::save_config(ctx.store.as_ref(), actor, &expid, files).await?, count))
}

/// Percent-encodes everything but unreserved characters, for a query value or path segment.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn urlencode_keeps_only_unreserved_characters() {
        assert_eq!(super::urlencode("jobs.yml: line 3 & ü"), "jobs.yml%3A%20line%203%20%26%20%C3%BC");
    }
}
