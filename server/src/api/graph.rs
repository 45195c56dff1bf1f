//! `/v4/experiments/{expid}/graph`: the graph view's layout and statuses.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use app::context::AppContext;
use app::workflow::graph_view::{self, GraphStatuses};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// The graph laid out in layers (computed once per graph version): `names`, `section`,
/// `group`, `x`, `y` indexed by job number, `edges` as a flat `[parent, child, …]` list and
/// one box per date-member group. Gzipped when the client accepts it; an `ETag` names the
/// version, so a browser revalidates without downloading it again.
#[utoipa::path(get, path = "/v4/experiments/{expid}/graph", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, content_type = "application/json", body = Object), (status = 304),
        (status = 404, body = ErrorBody)))]
pub async fn layout(
    State(ctx): State<AppContext>,
    Path(expid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let layout = graph_view::graph_layout(ctx.store.as_ref(), &expid).await?;
    let etag = format!("\"graph-{}-{}\"", layout.experiment_id, layout.graph_version);
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"graph\""));
    let revalidate = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
    if headers.get_all(header::IF_NONE_MATCH).iter().any(|v| v.as_bytes() == etag.as_bytes()) {
        return Ok((StatusCode::NOT_MODIFIED, revalidate).into_response());
    }
    let json = HeaderValue::from_static("application/json");
    let accepts_gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|coding| coding.split(';').next().is_some_and(|c| c.trim() == "gzip")));
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    // A response that already names its encoding is passed through by the compression layer.
    Ok(match accepts_gzip {
        true => {
            let gzip = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (revalidate, [(header::CONTENT_TYPE, json), gzip, vary], layout.encoded.gzip.clone()).into_response()
        }
        false => (revalidate, [(header::CONTENT_TYPE, json), vary], layout.encoded.json.clone()).into_response(),
    })
}

/// Every job's status code, indexed by job number as in the layout.
#[utoipa::path(get, path = "/v4/experiments/{expid}/graph/statuses", tag = "workflow",
    params(("expid" = String, Path, description = "Experiment id")),
    responses((status = 200, body = GraphStatuses), (status = 404, body = ErrorBody)))]
pub async fn statuses(State(ctx): State<AppContext>, Path(expid): Path<String>) -> Result<Json<GraphStatuses>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    Ok(Json(graph_view::graph_statuses(ctx.store.as_ref(), &expid).await?))
}
