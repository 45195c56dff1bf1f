//! The OpenAPI document, generated from the handlers and types themselves.

use super::{access, users, artifacts, auth, config_upload, error::ErrorBody, events, experiments, graph, job_status, logs, parameters, runs, workflow};
use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Hindcast API", description = "Experiments and workflows. Compatible with autosubmit-api 4.2.0 where the endpoint exists."),
    paths(
        auth::me, auth::verify_token, auth::issue_jwt, auth::tokens, auth::create_token, auth::revoke_token,
        users::list, users::create, users::update, users::remove,
        access::access, access::add_collaborator, access::remove_collaborator, access::set_owner, access::global, access::of_experiment, access::embed_link, access::revoke_embed_links,
        experiments::list, experiments::detail, experiments::create, experiments::update,
        workflow::config, workflow::save_config, config_upload::upload, workflow::config_file, workflow::merged_config, workflow::action, workflow::jobs,
        workflow::jobs_csv, workflow::job, workflow::parents, workflow::children, workflow::summary, workflow::tree,
        graph::layout, graph::statuses, parameters::list, parameters::resolve,
        job_status::one, job_status::many,
        runs::start, runs::report, runs::list, runs::one, runs::cancel, runs::attempts, runs::job_history, logs::job_log, logs::run_log, events::stream,
        artifacts::job_logs, artifacts::job_outputs, artifacts::job_temps, artifacts::run_logs, artifacts::output_file
    ),
    components(schemas(ErrorBody, experiments::CreateExperimentBody, experiments::UpdateExperimentBody)),
    tags(
        (name = "experiments", description = "The experiment catalogue"),
        (name = "workflow", description = "Configuration, graph generation and jobs"),
        (name = "runs", description = "Runs, job attempts and logs"),
        (name = "auth", description = "Who a request acts as"),
        (name = "access", description = "Owners, collaborators and the audit log"),
        (name = "users", description = "Accounts (admins only)")
    )
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
