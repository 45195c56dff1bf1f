//! Server functions of the catalogue. Each is a public HTTP endpoint: it validates its own
//! input, takes its actor from the request, and calls the domain operation.

use super::{Experiment, ExperimentPage};
use super::list_query::ListParams;
use crate::error::HindcastError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use {
    super::{ops, Description, Expid, ListQuery, NewExperiment},
    crate::context::{with_status, AppContext},
};

/// One page of the catalogue for the GUI (a missing `only_active` means all experiments).
#[server(endpoint = "experiments/list", input = GetUrl)]
pub async fn list_experiments(#[server(default)] params: ListParams) -> Result<ExperimentPage, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let query = ListQuery::parse(&params, false)?;
        ops::list(ctx.store.as_ref(), &query).await
    }.await)
}

#[server(endpoint = "experiments/get", input = GetUrl)]
pub async fn get_experiment(expid: String) -> Result<Experiment, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let expid = Expid::parse(&expid)
            .map_err(|_| HindcastError::NotFound(format!("Experiment with expid '{expid}' not found.")))?;
        ops::get(ctx.store.as_ref(), &expid).await
    }.await)
}

/// Creates an experiment and sends the browser to its page.
#[server(endpoint = "experiments/create")]
pub async fn create_experiment(
    description: Option<String>,
    kind: Option<String>,
    hpc: Option<String>,
    model: Option<String>,
    branch: Option<String>,
) -> Result<Experiment, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let new = NewExperiment::parse(
            description.as_deref().unwrap_or_default(),
            kind.as_deref(),
            hpc.as_deref(),
            model.as_deref(),
            branch.as_deref(),
        )?;
        let created = ops::create(ctx.store.as_ref(), &ctx.actor(), new).await?;
        leptos_axum::redirect(&format!("/experiments/{}", created.name));
        Ok(created)
    }.await)
}

#[server(endpoint = "experiments/describe")]
pub async fn update_description(
    expid: Option<String>,
    description: Option<String>,
) -> Result<Experiment, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let expid = Expid::parse(expid.as_deref().unwrap_or_default())?;
        let description = Description::parse(description.as_deref().unwrap_or_default())?;
        ops::update_description(ctx.store.as_ref(), &ctx.actor(), &expid, description).await
    }.await)
}
