//! A demo experiment for a newcomer's first start (`HINDCAST_DEMO=true`): Autosubmit's
//! `classic` workflow (2 dates × 3 members × 4 chunks), configured and generated, so every
//! view has something to show. Seeded only into an empty catalogue, through the domain.

use app::context::AppContext;
use app::error::HindcastError;
use app::experiment::{ops as experiments, ListQuery, NewExperiment};
use app::workflow::ops::{self as workflow, GenerateOptions};
use app::workflow::ConfigFiles;

const FILES: [(&str, &str); 4] = [
    ("autosubmit.yml", include_str!("../demo/classic/autosubmit.yml")),
    ("expdef.yml", include_str!("../demo/classic/expdef.yml")),
    ("jobs.yml", include_str!("../demo/classic/jobs.yml")),
    ("platforms.yml", include_str!("../demo/classic/platforms.yml")),
];

/// Creates the demo experiment unless the catalogue already holds experiments.
pub async fn seed_if_empty(ctx: &AppContext) -> Result<Option<String>, HindcastError> {
    let store = ctx.store.as_ref();
    if experiments::list(store, &ListQuery::default()).await?.pagination.total_items > 0 {
        return Ok(None);
    }
    let new = NewExperiment::parse(
        "Demo: Autosubmit's classic workflow (2 start dates, 3 members, 4 chunks)",
        Some("experiment"),
        Some("LOCAL"),
        None,
        None,
    )?;
    // At start, outside any request: the installation's local user.
    let actor = ctx.local_actor.clone();
    let created = experiments::create(store, &actor, new).await?;
    let expid = app::experiment::Expid::parse(&created.name)?;
    let files = ConfigFiles { files: FILES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect() };
    workflow::save_config(store, &actor, &expid, files).await?;
    workflow::generate_graph(store, ctx.engine.as_ref(), &actor, &expid, GenerateOptions::default(), ctx.limits).await?;
    tracing::info!(%expid, "demo experiment seeded");
    Ok(Some(created.name))
}
