//! The catalogue's domain operations. Server functions and `/v4` handlers both call these and
//! nothing else touches the store for experiments.

use super::{
    Description, Experiment, ExperimentKind, ExperimentPage, Expid, ListQuery, NewExperiment,
    Pagination,
};
use crate::access::audit::{self, Entry};
use crate::access::{ops::authorize, Need};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::store::{ExperimentRecord, ExperimentStore, Store, StoreError};

/// The version recorded on experiments this build creates.
pub const HINDCAST_VERSION: &str = concat!("hindcast ", env!("CARGO_PKG_VERSION"));

/// Creates an experiment owned by `actor`, who must be an operator or an admin.
pub async fn create(store: &dyn Store, actor: &Actor, new: NewExperiment) -> Result<Experiment, HindcastError> {
    if !actor.may_act() {
        return Err(match actor.role {
            None => HindcastError::Unauthorized("Log in first: creating an experiment needs an account.".into()),
            Some(_) => HindcastError::Forbidden(format!("{} is a viewer: viewers may read but not create experiments.", actor.name)),
        });
    }
    let record = store
        .create_experiment(&new, &actor.name, HINDCAST_VERSION)
        .await
        .map_err(to_domain_error)?;
    tracing::info!(expid = %record.expid, actor = %actor.name, "experiment created");
    let entry = Entry::new(actor, "experiment.create", record.expid.as_str()).on_named(&record.expid).after(record.description.as_str());
    audit::record(store, entry).await;
    Ok(to_experiment(record))
}

pub async fn get(store: &dyn ExperimentStore, expid: &Expid) -> Result<Experiment, HindcastError> {
    store.experiment(expid).await.map(to_experiment).map_err(to_domain_error)
}

pub async fn list(store: &dyn ExperimentStore, query: &ListQuery) -> Result<ExperimentPage, HindcastError> {
    let page = store.list_experiments(query).await.map_err(to_domain_error)?;
    let total = u32::try_from(page.total).unwrap_or(u32::MAX);
    let page_items = u32::try_from(page.records.len()).unwrap_or(u32::MAX);
    Ok(ExperimentPage {
        experiments: page.records.into_iter().map(to_experiment).collect(),
        pagination: Pagination::new(query.page, query.page_size, page_items, total),
    })
}

pub async fn update_description(
    store: &dyn Store,
    actor: &Actor,
    expid: &Expid,
    description: Description,
) -> Result<Experiment, HindcastError> {
    let before = authorize(store, actor, expid, Need::Act).await?;
    let record = store
        .update_description(expid, description.as_str())
        .await
        .map_err(to_domain_error)?;
    tracing::info!(%expid, actor = %actor.name, "experiment description changed");
    let entry = Entry::new(actor, "experiment.describe", expid.as_str()).on(expid).change(before.description, record.description.as_str());
    audit::record(store, entry).await;
    Ok(to_experiment(record))
}

/// Turns a store failure into what a user may see; database details go to the log only.
pub fn to_domain_error(err: StoreError) -> HindcastError {
    match err {
        StoreError::ExperimentNotFound(expid) => {
            HindcastError::NotFound(format!("Experiment with expid '{expid}' not found."))
        }
        StoreError::JobNotFound(expid, name) => {
            HindcastError::NotFound(format!("Job with name '{name}' not found in experiment '{expid}'"))
        }
        StoreError::ExperimentRunning(expid) => HindcastError::Conflict(format!(
            "Experiment {expid} is running; stop it before generating its graph again."
        )),
        StoreError::StatusesChanged(_) => HindcastError::Conflict(
            "The jobs changed while this was prepared (a new graph or other status changes); nothing was changed. Try again.".to_owned(),
        ),
        StoreError::RunActive(expid, run) => HindcastError::Conflict(format!(
            "Experiment {expid} already has an active run ({run}); stop it first, or ask to queue this one."
        )),
        StoreError::RunNotFound(expid, run) => {
            HindcastError::NotFound(format!("Run {run} not found in experiment '{expid}'."))
        }
        StoreError::TooManyMetrics(max) => {
            HindcastError::invalid("metrics", format!("an attempt's reports may name at most {max} metrics in all"))
        }
        StoreError::UserExists(name) => HindcastError::Conflict(format!("User {name} already exists.")),
        StoreError::UserNotFound(name) => HindcastError::NotFound(format!("User {name} not found.")),
        StoreError::IdsExhausted(kind) => {
            HindcastError::Conflict(format!("No free experiment id is left for kind {kind}."))
        }
        other => {
            tracing::error!(error = %other, "store operation failed");
            HindcastError::Internal
        }
    }
}

fn to_experiment(r: ExperimentRecord) -> Experiment {
    Experiment {
        id: r.id,
        name: r.expid,
        user: r.owner,
        description: r.description,
        kind: r.kind.parse().unwrap_or(ExperimentKind::Experiment),
        hpc: r.hpc,
        model: r.model,
        branch: r.branch,
        version: r.version,
        created: r.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        modified: r.modified_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        status: r.status,
        // Job counters arrive with the workflow; an experiment without jobs has none.
        completed: 0,
        total: 0,
        submitted: 0,
        queuing: 0,
        running: 0,
        failed: 0,
        suspended: 0,
    }
}
