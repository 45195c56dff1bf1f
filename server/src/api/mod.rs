//! The public JSON API under `/v4`: autosubmit-api 4.2.0's routes and shapes where it has the
//! same endpoint, and what it lacks. Handlers only translate HTTP to domain calls.

mod access;
mod artifacts;
mod config_upload;
mod docs;
mod auth;
mod error;
mod events;
mod experiments;
mod graph;
mod job_files;
mod job_status;
mod log_follow;
mod logs;
mod openapi;
mod parameters;
mod runs;
mod users;
mod workflow;

pub use error::{ApiError, ErrorBody};
pub use job_files::JobFiles;
pub use openapi::ApiDoc;

use app::context::AppContext;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

pub fn router<S: Clone + Send + Sync + 'static>(
    context: AppContext,
    files: JobFiles,
    hub: std::sync::Arc<crate::engine::events::EventHub>,
) -> Router<S> {
    Router::new()
        .route("/experiments", get(experiments::list).post(experiments::create))
        .route(
            "/experiments/{expid}",
            get(experiments::detail).patch(experiments::update).post(workflow::action),
        )
        .route(
            "/experiments/{expid}/config",
            // 2 MB of YAML grows when escaped into JSON; the domain enforces the 2 MB itself.
            get(workflow::config).put(workflow::save_config).layer(DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route(
            "/experiments/{expid}/config/files",
            post(config_upload::upload).layer(DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route("/experiments/{expid}/config/files/{name}", get(workflow::config_file))
        .route("/experiments/{expid}/filesystem-config", get(workflow::merged_config))
        .route("/experiments/{expid}/summary", get(workflow::summary))
        .route("/experiments/{expid}/tree", get(workflow::tree))
        .route("/experiments/{expid}/graph", get(graph::layout))
        .route("/experiments/{expid}/graph/statuses", get(graph::statuses))
        .route("/experiments/{expid}/jobs", get(workflow::jobs))
        .route("/experiments/{expid}/jobs.csv", get(workflow::jobs_csv))
        // Names of many jobs fit in 1 MB; more is refused (413) before it is read.
        .route("/experiments/{expid}/jobs/status", post(job_status::many).layer(DefaultBodyLimit::max(1024 * 1024)))
        .route("/experiments/{expid}/jobs/{job_name}", get(workflow::job).patch(job_status::one))
        .route("/experiments/{expid}/jobs/{job_name}/parents", get(workflow::parents))
        .route("/experiments/{expid}/jobs/{job_name}/children", get(workflow::children))
        .route("/experiments/{expid}/jobs/{job_name}/parameters", get(parameters::list))
        .route("/experiments/{expid}/jobs/{job_name}/resolve", post(parameters::resolve))
        .route("/experiments/{expid}/events", get(events::stream))
        .route("/experiments/{expid}/jobs/{job_name}/history", get(runs::job_history))
        .route("/experiments/{expid}/jobs/{job_name}/log", get(logs::job_log))
        .route("/experiments/{expid}/jobs/{job_name}/report", axum::routing::put(runs::report).layer(DefaultBodyLimit::max(64 * 1024)))
        .route("/experiments/{expid}/jobs/{job_name}/logs", get(artifacts::job_logs))
        .route("/experiments/{expid}/jobs/{job_name}/outputs", get(artifacts::job_outputs))
        .route("/experiments/{expid}/jobs/{job_name}/outputs/{*path}", get(artifacts::output_file))
        .route("/experiments/{expid}/jobs/{job_name}/temps", get(artifacts::job_temps))
        .route("/experiments/{expid}/runs/{run_id}/logs", get(artifacts::run_logs))
        // A run's options (switches, environment per job) fit in 1 MB; more is refused (413).
        .route("/experiments/{expid}/runs", get(runs::list).post(runs::start).layer(DefaultBodyLimit::max(1024 * 1024)))
        .route("/experiments/{expid}/runs/{run_id}", get(runs::one))
        .route("/experiments/{expid}/runs/{run_id}/cancel", post(runs::cancel))
        .route("/experiments/{expid}/runs/{run_id}/attempts", get(runs::attempts))
        .route("/experiments/{expid}/runs/{run_id}/log", get(logs::run_log))
        .route("/experiments/{expid}/access", get(access::access))
        .route("/experiments/{expid}/collaborators", post(access::add_collaborator))
        .route("/experiments/{expid}/collaborators/{name}", axum::routing::delete(access::remove_collaborator))
        .route("/experiments/{expid}/owner", axum::routing::put(access::set_owner))
        .route("/experiments/{expid}/audit", get(access::of_experiment))
        .route("/experiments/{expid}/embed-links", post(access::embed_link).delete(access::revoke_embed_links))
        .route("/audit", get(access::global))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{name}", axum::routing::patch(users::update).delete(users::remove))
        .route("/auth/me", get(auth::me))
        .route("/auth/verify-token", get(auth::verify_token))
        .route("/auth/jwt", post(auth::issue_jwt))
        .route("/auth/tokens", get(auth::tokens).post(auth::create_token))
        .route("/auth/tokens/{id}", axum::routing::delete(auth::revoke_token))
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(docs::page))
        .fallback(error::unknown_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::Extension(files))
        .layer(axum::Extension(hub))
        .with_state(context)
}
