//! Server functions of the workflow views. Each is a public HTTP endpoint: it validates its
//! own input, takes its actor from the request, and calls the domain operation.

use super::{ConfigFiles, GenerateOutcome, JobPage, JobParams, JobSummary};
use crate::error::HindcastError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use {
    super::{check_file_name, ops, JobQuery, JobView, GUI_JOB_PAGE_SIZE},
    crate::context::{with_status, AppContext},
    crate::experiment::Expid,
};

#[cfg(feature = "ssr")]
fn expid_of(raw: &str) -> Result<Expid, HindcastError> {
    Expid::parse(raw).map_err(|_| HindcastError::NotFound(format!("Experiment with expid '{raw}' not found.")))
}

/// Should a checkbox's value turn an option on? (absent: off)
#[cfg(feature = "ssr")]
fn checked(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("true" | "on" | "1"))
}

#[server(endpoint = "workflow/summary", input = GetUrl)]
pub async fn get_job_summary(expid: String) -> Result<JobSummary, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        ops::summary(ctx.store.as_ref(), &expid_of(&expid)?).await
    }.await)
}

/// Generates (or, as a dry run, previews) the experiment's job graph.
#[server(endpoint = "workflow/generate")]
pub async fn generate_graph(
    expid: Option<String>,
    dry_run: Option<String>,
    reset_statuses: Option<String>,
) -> Result<GenerateOutcome, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let expid = expid_of(expid.as_deref().unwrap_or_default())?;
        let options = ops::GenerateOptions { dry_run: checked(&dry_run), reset_statuses: checked(&reset_statuses) };
        ops::generate_graph(ctx.store.as_ref(), ctx.engine.as_ref(), &ctx.actor(), &expid, options, ctx.limits).await
    }.await)
}

#[server(endpoint = "workflow/config", input = GetUrl)]
pub async fn get_config(expid: String) -> Result<ConfigFiles, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        ops::config(ctx.store.as_ref(), &expid_of(&expid)?).await
    }.await)
}

/// Creates or replaces one configuration file.
#[server(endpoint = "workflow/config/save")]
pub async fn save_config_file(
    expid: Option<String>,
    name: Option<String>,
    content: Option<String>,
) -> Result<ConfigFiles, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let expid = expid_of(expid.as_deref().unwrap_or_default())?;
        let name = name.unwrap_or_default().trim().to_owned();
        check_file_name(&name)?;
        // Browsers send form text with CRLF line ends; YAML users expect LF.
        let content = content.unwrap_or_default().replace("\r\n", "\n");
        ops::save_config_file(ctx.store.as_ref(), &ctx.actor(), &expid, &name, content).await
    }.await)
}

#[server(endpoint = "workflow/config/delete")]
pub async fn delete_config_file(expid: Option<String>, name: Option<String>) -> Result<ConfigFiles, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let expid = expid_of(expid.as_deref().unwrap_or_default())?;
        ops::delete_config_file(ctx.store.as_ref(), &ctx.actor(), &expid, name.as_deref().unwrap_or_default()).await
    }.await)
}

/// A page of the job table (100 jobs unless the URL says otherwise).
#[server(endpoint = "workflow/jobs", input = GetUrl)]
pub async fn list_jobs(expid: String, #[server(default)] params: JobParams) -> Result<JobPage, HindcastError> {
    with_status(async {
        let ctx = AppContext::current()?;
        let mut query = JobQuery::parse(&params)?;
        query.page_size = Some(query.page_size.unwrap_or(GUI_JOB_PAGE_SIZE));
        let expid = expid_of(&expid)?;
        let mut page = ops::jobs(ctx.store.as_ref(), &expid, &query).await?;
        if query.view == JobView::Quick {
            let summary = ops::summary(ctx.store.as_ref(), &expid).await?;
            let links = JobQuery { page_size: None, ..query };
            page.quick_html = Some(super::quick_html::quick_markup(expid.as_str(), &summary, &page, &links));
            page.jobs.clear(); // carried as the markup
        }
        Ok(page)
    }.await)
}
