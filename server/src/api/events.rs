//! `GET /v4/experiments/{expid}/events`: the experiment's live events as server-sent events
//! (`jobs`, `run`, `graph`), each with an id. A client reconnecting with `Last-Event-ID` (or
//! `?last_event_id=`) first gets what it missed, or a `reset` event when that is no longer
//! known (reload, then follow). The first event, `hello`, carries the current id.

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use crate::engine::events::{EventHub, StoredEvent};
use app::context::AppContext;
use app::experiment::ops::to_domain_error;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Resume after this event id (as the `Last-Event-ID` header does).
    pub last_event_id: Option<String>,
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/events", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), EventsParams),
    responses((status = 200, description = "A text/event-stream of `hello`, `jobs`, `run`, `graph` and `reset` events", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody)))]
pub async fn stream(
    State(ctx): State<AppContext>,
    Extension(hub): Extension<Arc<EventHub>>,
    Path(expid): Path<String>,
    Query(params): Query<EventsParams>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let experiment_id = ctx.store.experiment(&expid).await.map_err(to_domain_error)?.id;
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned).or(params.last_event_id);
    let subscription = hub.subscribe(experiment_id, last.as_deref());
    let hello = Event::default().event("hello").id(hub.current_id(experiment_id)).data("{}");
    let first = if subscription.reset { Event::default().event("reset").id(hub.current_id(experiment_id)).data("{}") } else { hello };
    let missed = subscription.missed.into_iter().map(|e| Ok(to_sse(&e)));
    let last_seq = subscription.last_seq;
    let live = stream::unfold(subscription.live, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if event.seq <= last_seq => continue,
                Ok(event) => return Some((Ok(to_sse(&event)), receiver)),
                // Fell too far behind: the client must reload, then follow again.
                Err(RecvError::Lagged(_)) => return Some((Ok(Event::default().event("reset").data("{}")), receiver)),
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let events = stream::once(async move { Ok(first) }).chain(stream::iter(missed)).chain(live);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn to_sse(event: &StoredEvent) -> Event {
    Event::default().event(event.kind).id(event.id.clone()).data(event.data.clone())
}
