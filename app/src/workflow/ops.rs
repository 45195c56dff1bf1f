//! The workflow's domain operations: configuration, generation and reading jobs. Server
//! functions and `/v4` handlers both call these; nothing else touches the workflow tables.

use super::{
    generate, ConfigError, ConfigFiles, GenerateOutcome, Job, JobLink, JobPage, JobQuery, JobStatus, JobSummary,
    SectionCount, StatusCount, WorkflowConfig,
};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::{GraphRows, JobRecord, Store};
use chrono::SecondsFormat;

/// Bounds an installation sets on what one experiment may generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkflowLimits {
    pub max_jobs: u64,
}

impl Default for WorkflowLimits {
    fn default() -> Self {
        Self { max_jobs: super::DEFAULT_MAX_JOBS }
    }
}

/// How to generate: `dry_run` stores nothing; `reset_statuses` forgets recorded statuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateOptions {
    pub dry_run: bool,
    pub reset_statuses: bool,
}

pub async fn config(store: &dyn Store, expid: &Expid) -> Result<ConfigFiles, HindcastError> {
    let records = store.config_files(expid).await.map_err(to_domain_error)?;
    Ok(ConfigFiles { files: records.into_iter().map(|r| (r.name, r.content)).collect() })
}

/// The merged configuration as one JSON object (autosubmit-api's `filesystem-config`).
pub async fn merged_config(store: &dyn Store, expid: &Expid) -> Result<serde_json::Value, HindcastError> {
    let files = config(store, expid).await?;
    let merged = parse(&files)?;
    Ok(merged.to_json())
}

/// Replaces the configuration after checking names, size and YAML syntax; nothing is stored
/// when any file is refused.
pub async fn save_config(
    store: &dyn Store,
    actor: &Actor,
    expid: &Expid,
    files: ConfigFiles,
) -> Result<ConfigFiles, HindcastError> {
    files.check_shape()?;
    parse(&files)?;
    store.replace_config_files(expid, &files.files).await.map_err(to_domain_error)?;
    tracing::info!(%expid, actor = %actor.name, files = files.files.len(), "configuration saved");
    Ok(files)
}

/// Builds the job graph from the stored configuration and, unless a dry run, stores it.
pub async fn generate_graph(
    store: &dyn Store,
    actor: &Actor,
    expid: &Expid,
    options: GenerateOptions,
    limits: WorkflowLimits,
) -> Result<GenerateOutcome, HindcastError> {
    let files = config(store, expid).await?;
    if files.files.is_empty() {
        return Err(HindcastError::invalid(
            "files",
            "the experiment has no configuration yet; add its YAML files (expdef.yml, jobs.yml, …) first",
        ));
    }
    let name = expid.as_str().to_owned();
    // Generation is CPU work (up to a second for the largest graphs): off the async workers.
    let built = tokio::task::spawn_blocking(move || {
        let config = parse(&files)?;
        let graph = generate(&config, &name, limits.max_jobs).map_err(config_error)?;
        let mut sections: Vec<SectionCount> =
            config.sections().into_iter().map(|(section, _)| SectionCount { section, jobs: 0 }).collect();
        for job in &graph.jobs {
            if let Some(count) = sections.iter_mut().find(|c| c.section == job.section) {
                count.jobs += 1;
            }
        }
        let rows = (!options.dry_run).then(|| GraphRows::from_graph(&graph, status_code));
        Ok::<_, HindcastError>((graph.jobs.len() as u64, graph.edges.len() as u64, sections, rows))
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "graph generation task failed");
        HindcastError::Internal
    })??;
    let (jobs, edges, sections, rows) = built;
    let Some(rows) = rows else {
        let summary = store.job_summary(expid).await.map_err(to_domain_error)?;
        return Ok(GenerateOutcome {
            dry_run: true,
            jobs,
            edges,
            kept_statuses: 0,
            graph_version: summary.graph_version,
            sections,
        });
    };
    let stored = store.store_graph(expid, &rows, !options.reset_statuses).await.map_err(to_domain_error)?;
    tracing::info!(%expid, actor = %actor.name, jobs, edges, version = stored.graph_version, "graph generated");
    Ok(GenerateOutcome {
        dry_run: false,
        jobs,
        edges,
        kept_statuses: stored.kept_statuses,
        graph_version: stored.graph_version,
        sections,
    })
}

pub async fn jobs(store: &dyn Store, expid: &Expid, query: &JobQuery) -> Result<JobPage, HindcastError> {
    let page = store.jobs(expid, query).await.map_err(to_domain_error)?;
    let total = u32::try_from(page.total).unwrap_or(u32::MAX);
    let page_items = u32::try_from(page.jobs.len()).unwrap_or(u32::MAX);
    Ok(JobPage { jobs: page.jobs.into_iter().map(to_job).collect(), pagination: query.pagination(page_items, total) })
}

pub async fn job(store: &dyn Store, expid: &Expid, name: &str) -> Result<Job, HindcastError> {
    store.job(expid, name).await.map(to_job).map_err(to_domain_error)
}

/// A job's parents (or children), with their statuses when asked.
pub async fn linked_jobs(
    store: &dyn Store,
    expid: &Expid,
    name: &str,
    parents: bool,
    include_status: bool,
) -> Result<Vec<JobLink>, HindcastError> {
    let links = store.linked_jobs(expid, name, parents).await.map_err(to_domain_error)?;
    Ok(links
        .into_iter()
        .map(|l| JobLink { job_name: l.name, status: include_status.then(|| status_of(l.status)) })
        .collect())
}

pub async fn summary(store: &dyn Store, expid: &Expid) -> Result<JobSummary, HindcastError> {
    let record = store.job_summary(expid).await.map_err(to_domain_error)?;
    let counts: Vec<StatusCount> = record
        .counts
        .into_iter()
        .map(|(code, count)| StatusCount { status: status_of(code), count: u64::try_from(count).unwrap_or(0) })
        .collect();
    Ok(JobSummary {
        total: counts.iter().map(|c| c.count).sum(),
        counts,
        graph_version: record.graph_version,
        generated_at: record.generated_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false)),
    })
}

fn parse(files: &ConfigFiles) -> Result<WorkflowConfig, HindcastError> {
    WorkflowConfig::from_files(files.files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(config_error)
}

/// A configuration problem as the user sees it: the file or key it concerns, and why.
pub fn config_error(err: ConfigError) -> HindcastError {
    match err {
        ConfigError::Read { file, message } | ConfigError::Yaml { file, message } => {
            HindcastError::Invalid { field: file, message: format!("not valid YAML: {message}") }
        }
        ConfigError::Invalid { key, message } => HindcastError::Invalid { field: key, message },
        ConfigError::Unsupported { key, what } => {
            HindcastError::Invalid { field: key, message: format!("{what} is not supported yet") }
        }
    }
}

fn status_code(name: &str) -> i32 {
    JobStatus::parse(name).unwrap_or(JobStatus::Waiting).code()
}

/// A stored code outside Autosubmit's range reads as UNKNOWN (it can only come from outside).
fn status_of(code: i32) -> JobStatus {
    JobStatus::from_code(code).unwrap_or(JobStatus::Unknown)
}

fn to_job(r: JobRecord) -> Job {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false));
    Job {
        name: r.name,
        status: status_of(r.status),
        priority: r.priority,
        section: r.section,
        date: r.date,
        member: r.member,
        chunk: r.chunk,
        split: r.split,
        splits: r.splits,
        platform: r.platform,
        running: r.running,
        retrials: r.retrials,
        wallclock: r.wallclock,
        processors: r.processors,
        submit: time(r.submitted_at),
        start: time(r.started_at),
        finish: time(r.finished_at),
    }
}
