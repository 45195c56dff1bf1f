//! `GET /v4/experiments/{expid}/events`: the experiment's live events as server-sent events
//! (`jobs`, `run`, `graph`), each with an id. A client reconnecting with `Last-Event-ID` (or
//! `?last_event_id=`) first gets what it missed, or a `reset` event when that is no longer
//! known (reload, then follow). The first event, `hello`, carries the current id. On request,
//! one log's new bytes come on the same stream (`log`, `log_end`; see `log_follow`).

use super::error::{ApiError, ErrorBody};
use super::experiments::parse_path_expid;
use super::log_follow::{self, FollowedLog, LogSource};
use super::job_files::JobFiles;
use super::logs::job_log_file;
use crate::engine::events::{EventHub, StoredEvent};
use app::experiment::Expid;
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
    /// Also send this job's new log bytes as `log` events (then `log_end` when its attempt
    /// has ended and all was sent).
    pub log_job: Option<String>,
    /// With `log_job`: `out` (default) or `err`.
    pub log_stream: Option<String>,
    /// With `log_job`: the attempt's run (the job's latest attempt when absent) …
    pub log_run_id: Option<i64>,
    /// … and the attempt within it (1 when only the run is given).
    pub log_attempt: Option<i32>,
    /// Instead of a job's: this run's own log.
    pub log_run: Option<i64>,
    /// The byte of the log to start from (its end when the stream opens, by default).
    pub log_offset: Option<u64>,
}

#[utoipa::path(get, path = "/v4/experiments/{expid}/events", tag = "runs",
    params(("expid" = String, Path, description = "Experiment id"), EventsParams),
    responses((status = 200, description = "A text/event-stream of `hello`, `jobs`, `run`, `report`, `graph` and `reset` events, and `log`/`log_end` when a log is followed", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody)))]
pub async fn stream(
    State(ctx): State<AppContext>,
    Extension(hub): Extension<Arc<EventHub>>,
    Extension(files): Extension<JobFiles>,
    Path(expid): Path<String>,
    Query(params): Query<EventsParams>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let expid = parse_path_expid(&expid)?;
    let experiment_id = ctx.store.experiment(&expid).await.map_err(to_domain_error)?.id;
    let followed = followed_log(&ctx, &files, &expid, &params).await?;
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
    let log = match followed {
        Some(log) => log_follow::follow(log).map(Ok).left_stream(),
        None => stream::empty().right_stream(),
    };
    Ok(Sse::new(stream::select(events, log)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The log the client asked to follow, if any (404 when it names no attempt or run).
async fn followed_log(ctx: &AppContext, files: &JobFiles, expid: &Expid, params: &EventsParams) -> Result<Option<FollowedLog>, ApiError> {
    if let Some(job) = &params.log_job {
        let file = job_log_file(ctx, files, expid, job, params.log_stream.as_deref(), params.log_run_id, params.log_attempt).await?;
        let source = LogSource { job: Some(job.clone()), stream: file.stream, run_id: file.run_id, attempt: Some(file.attempt) };
        let ended_when = file.dir.child(crate::engine::local::EXIT_CODE_FILE);
        return Ok(Some(FollowedLog { source, file: file.file, ended_when, complete: file.archived, from: params.log_offset }));
    }
    if let Some(run_id) = params.log_run {
        let run = app::runs::ops::get_run(ctx.store.as_ref(), expid, run_id).await?;
        let source = LogSource { job: None, stream: "run", run_id, attempt: None };
        let file = files.run_log(expid.as_str(), &run)?;
        let complete = run.log_archived_at.is_some();
        return Ok(Some(FollowedLog { source, file, ended_when: None, complete, from: params.log_offset }));
    }
    Ok(None)
}

fn to_sse(event: &StoredEvent) -> Event {
    Event::default().event(event.kind).id(event.id.clone()).data(event.data.clone())
}
