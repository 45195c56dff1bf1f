//! The workflow's domain operations: configuration, generation and reading jobs. Server
//! functions and `/v4` handlers both call these; nothing else touches the workflow tables.

use super::{
    generate_snapshot, ConfigError, ConfigFiles, GenerateOutcome, Job, JobLink, JobPage, JobQuery, JobSortKey,
    JobStatus, JobSummary, LoadedGraph, NameMatcher, SectionCount, StatusCount, TreeFolder, TreeLevel, TreeParams,
    WorkflowConfig,
};
use crate::access::audit::{self, Entry};
use crate::access::{ops::authorize, Need};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::{JobStateRecord, PreparedGraph, Store};
use std::collections::HashMap;
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

/// The text of one configuration file.
pub async fn config_file(store: &dyn Store, expid: &Expid, name: &str) -> Result<String, HindcastError> {
    let mut files = config(store, expid).await?;
    files
        .files
        .remove(name)
        .ok_or_else(|| HindcastError::NotFound(format!("Experiment {expid} has no configuration file '{name}'.")))
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
    authorize(store, actor, expid, Need::Act).await?;
    files.check_shape()?;
    parse(&files)?;
    let before = config(store, expid).await?;
    store.replace_config_files(expid, &files.files).await.map_err(to_domain_error)?;
    tracing::info!(%expid, actor = %actor.name, files = files.files.len(), "configuration saved");
    let entry = Entry::new(actor, "config.save", "configuration").on(expid).change(sizes(&before), sizes(&files));
    audit::record(store, entry).await;
    Ok(files)
}

/// The files and their sizes, for the audit log.
fn sizes(files: &ConfigFiles) -> String {
    if files.files.is_empty() {
        return "no files".into();
    }
    files.files.iter().map(|(name, text)| format!("{name} ({} bytes)", text.len())).collect::<Vec<_>>().join(", ")
}

/// Creates or replaces one file, checked with the files it joins (name, total size, syntax).
pub async fn save_config_file(
    store: &dyn Store,
    actor: &Actor,
    expid: &Expid,
    name: &str,
    content: String,
) -> Result<ConfigFiles, HindcastError> {
    authorize(store, actor, expid, Need::Act).await?;
    let mut files = config(store, expid).await?;
    let before = files.files.get(name).map_or_else(|| "absent".to_owned(), |text| format!("{} bytes", text.len()));
    files.files.insert(name.to_owned(), content);
    files.check_shape()?;
    let text = &files.files[name];
    WorkflowConfig::from_files([(name, text.as_str())]).map_err(config_error)?;
    store.put_config_file(expid, name, text).await.map_err(to_domain_error)?;
    tracing::info!(%expid, actor = %actor.name, file = name, "configuration file saved");
    let entry = Entry::new(actor, "config.file.save", name).on(expid).change(before, format!("{} bytes", text.len()));
    audit::record(store, entry).await;
    Ok(files)
}

pub async fn delete_config_file(
    store: &dyn Store,
    actor: &Actor,
    expid: &Expid,
    name: &str,
) -> Result<ConfigFiles, HindcastError> {
    authorize(store, actor, expid, Need::Act).await?;
    if !store.delete_config_file(expid, name).await.map_err(to_domain_error)? {
        return Err(HindcastError::NotFound(format!("Experiment {expid} has no configuration file '{name}'.")));
    }
    tracing::info!(%expid, actor = %actor.name, file = name, "configuration file removed");
    audit::record(store, Entry::new(actor, "config.file.delete", name).on(expid)).await;
    config(store, expid).await
}

/// Builds the job graph from the stored configuration and, unless a dry run, stores it.
pub async fn generate_graph(
    store: &dyn Store,
    live: &dyn crate::runs::engine::RunEngine,
    actor: &Actor,
    expid: &Expid,
    options: GenerateOptions,
    limits: WorkflowLimits,
) -> Result<GenerateOutcome, HindcastError> {
    authorize(store, actor, expid, Need::Act).await?;
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
        let (snapshot, statuses) = generate_snapshot(&config, &name, limits.max_jobs).map_err(config_error)?;
        let mut per_section = vec![0u64; snapshot.sections.len()];
        for job in &snapshot.jobs {
            per_section[job.section()] += 1;
        }
        let sections: Vec<SectionCount> = snapshot
            .sections
            .iter()
            .zip(per_section)
            .map(|(s, jobs)| SectionCount { section: s.name.clone(), jobs })
            .collect();
        let (jobs, edges) = (snapshot.jobs.len() as u64, snapshot.edges.len() as u64);
        let rows = (!options.dry_run).then(|| {
            let encoded = snapshot.encode();
            PreparedGraph { snapshot, encoded, statuses }
        });
        Ok::<_, HindcastError>((jobs, edges, sections, rows))
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
    let before = store.job_summary(expid).await.map_err(to_domain_error)?;
    let stored = store.store_graph(expid, rows, !options.reset_statuses).await.map_err(to_domain_error)?;
    tracing::info!(%expid, actor = %actor.name, jobs, edges, version = stored.graph_version, "graph generated");
    let entry = Entry::new(actor, "graph.generate", "graph").on(expid).change(
        format!("version {}", before.graph_version),
        format!("version {}: {jobs} jobs, {edges} edges{}", stored.graph_version, if options.reset_statuses { ", statuses reset" } else { "" }),
    );
    audit::record(store, entry).await;
    if let Ok(handle) = store.graph(expid).await {
        live.publish(handle.experiment_id, crate::runs::live::LiveEvent::Graph { graph_version: stored.graph_version });
    }
    Ok(GenerateOutcome {
        dry_run: false,
        jobs,
        edges,
        kept_statuses: stored.kept_statuses,
        graph_version: stored.graph_version,
        sections,
    })
}

/// The numbers of the jobs a query's filters select (name, statuses, section, date, member,
/// chunk), ascending.
pub(super) async fn matching_numbers(
    store: &dyn Store,
    experiment_id: i64,
    graph: &LoadedGraph,
    query: &JobQuery,
) -> Result<Vec<u32>, HindcastError> {
    let in_status = match query.statuses.is_empty() {
        true => None,
        false => Some(store.jobs_in_status(experiment_id, &query.statuses).await.map_err(to_domain_error)?),
    };
    let names = query.name.as_ref().map(|p| p.matcher());
    let keep = |&n: &u32| matches(graph, n, query, names.as_ref());
    Ok(match in_status {
        Some(list) => list.into_iter().filter(keep).collect(),
        None => (0..graph.len() as u32).filter(keep).collect(),
    })
}

pub async fn jobs(store: &dyn Store, expid: &Expid, query: &JobQuery) -> Result<JobPage, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let (graph, id) = (&handle.graph, handle.experiment_id);
    let mut numbers = matching_numbers(store, id, graph, query).await?;
    // Sorting by status needs every candidate's status, and a long page is cheaper to read
    // whole than by number; otherwise only the page's states are read.
    let long_page = query.page_size.is_none_or(|size| size > 1000) && numbers.len() > 1000;
    let states_of_all = if query.order_by == JobSortKey::Status || long_page {
        Some(store.all_job_states(id).await.map_err(to_domain_error)?)
    } else {
        None
    };
    sort(graph, &mut numbers, query, states_of_all.as_deref());
    let total = numbers.len();
    let start = usize::try_from(query.offset()).unwrap_or(usize::MAX).min(total);
    let end = query.page_size.map_or(total, |size| (start + size as usize).min(total));
    let page = &numbers[start..end];
    let states = match &states_of_all {
        Some(all) => page.iter().filter_map(|&n| all.get(n as usize).cloned()).collect(),
        None => store.job_states(id, page).await.map_err(to_domain_error)?,
    };
    let by_number: HashMap<u32, &JobStateRecord> = states.iter().map(|s| (s.number as u32, s)).collect();
    let jobs = page.iter().map(|&n| to_job(graph, n, by_number.get(&n).copied())).collect();
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    Ok(JobPage { jobs, pagination: query.pagination(u32::try_from(end - start).unwrap_or(u32::MAX), total), quick_html: None })
}

pub async fn job(store: &dyn Store, expid: &Expid, name: &str) -> Result<Job, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let number = number_of(&handle.graph, expid, name)?;
    let states = store.job_states(handle.experiment_id, &[number]).await.map_err(to_domain_error)?;
    Ok(to_job(&handle.graph, number, states.first()))
}

/// A job's parents (or children), with their statuses when asked.
pub async fn linked_jobs(
    store: &dyn Store,
    expid: &Expid,
    name: &str,
    parents: bool,
    include_status: bool,
) -> Result<Vec<JobLink>, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let graph = &handle.graph;
    let number = number_of(graph, expid, name)?;
    let linked = if parents { graph.parents(number) } else { graph.children(number) };
    let statuses: HashMap<u32, i32> = match include_status {
        true => store
            .job_states(handle.experiment_id, linked)
            .await
            .map_err(to_domain_error)?
            .into_iter()
            .map(|s| (s.number as u32, s.status))
            .collect(),
        false => HashMap::new(),
    };
    Ok(linked
        .iter()
        .map(|&n| JobLink {
            job_name: graph.job(n).name().to_owned(),
            status: include_status.then(|| statuses.get(&n).map_or(JobStatus::Unknown, |&code| status_of(code))),
            condition: if parents { graph.condition(n, number) } else { graph.condition(number, n) },
        })
        .collect())
}

/// One level of the tree view, its folders counted per status in one query.
pub async fn tree(store: &dyn Store, expid: &Expid, params: &TreeParams) -> Result<TreeLevel, HindcastError> {
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let (date, member, section) = (blank(&params.date), blank(&params.member), blank(&params.section));
    if member.is_some() && date.is_none() {
        return Err(HindcastError::invalid("member", "a member is opened within a date; give the date too"));
    }
    if section.is_some() && member.is_none() {
        return Err(HindcastError::invalid("section", "a section is opened within a date and member; give both"));
    }
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let graph = &handle.graph;
    // The jobs of this level, then split into sub-folders (by the next coordinate) and the jobs
    // that have no value for it.
    let here: Vec<u32> = (0..graph.len() as u32)
        .filter(|&n| {
            let job = graph.job(n);
            date.as_deref().is_none_or(|d| job.date() == Some(d))
                && member.as_deref().is_none_or(|m| job.member() == Some(m))
                && section.as_deref().is_none_or(|s| graph.section(job).name == s)
        })
        .collect();
    if here.is_empty() && date.is_some() {
        return Err(HindcastError::NotFound(format!("Experiment {expid} has no jobs in that folder.")));
    }
    type Key = for<'g> fn(&'g LoadedGraph, u32) -> Option<&'g str>;
    let (kind, key): (&str, Key) = match (&date, &member, &section) {
        (None, _, _) => ("date", |g, n| g.job(n).date()),
        (Some(_), None, _) => ("member", |g, n| g.job(n).member()),
        (Some(_), Some(_), None) => ("section", |g, n| Some(g.section(g.job(n)).name.as_str())),
        (Some(_), Some(_), Some(_)) => ("job", |_, _| None),
    };
    let mut folders: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut direct = Vec::new();
    for &n in &here {
        match key(graph, n) {
            // Jobs come in name order, so a job mostly joins the folder of the job before it.
            Some(name) => match folders.iter_mut().rev().find(|(f, _)| *f == name) {
                Some((_, numbers)) => numbers.push(n),
                None => folders.push((name, vec![n])),
            },
            None => direct.push(n),
        }
    }
    if kind == "section" {
        let order = |name: &str| graph.snapshot.sections.iter().position(|s| s.name == name);
        folders.sort_by_key(|(name, _)| order(name));
    }
    let groups: Vec<Vec<(u32, u32)>> = folders.iter().map(|(_, numbers)| runs(numbers)).collect();
    let counted = store.status_counts_in_ranges(handle.experiment_id, &groups).await.map_err(to_domain_error)?;
    let states = store.job_states(handle.experiment_id, &direct).await.map_err(to_domain_error)?;
    let status_by_number: HashMap<u32, i32> = states.iter().map(|s| (s.number as u32, s.status)).collect();
    let folders = folders
        .into_iter()
        .enumerate()
        .map(|(i, (name, numbers))| {
            let mut counts: Vec<StatusCount> = counted
                .iter()
                .filter(|(group, _, _)| *group as usize == i)
                .map(|&(_, code, count)| StatusCount { status: status_of(code), count: u64::try_from(count).unwrap_or(0) })
                .collect();
            counts.sort_by_key(|c| c.status.code());
            TreeFolder { name: name.to_owned(), kind: kind.to_owned(), total: numbers.len() as u64, counts }
        })
        .collect();
    let jobs = direct
        .iter()
        .map(|n| JobLink {
            job_name: graph.job(*n).name().to_owned(),
            status: Some(status_by_number.get(n).map_or(JobStatus::Unknown, |&c| status_of(c))),
            condition: None,
        })
        .collect();
    Ok(TreeLevel { date, member, section, folders, jobs })
}

/// Ascending numbers as inclusive runs: `[1, 2, 3, 7]` → `[(1, 3), (7, 7)]`.
fn runs(numbers: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &n in numbers {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == n => *last = n,
            _ => out.push((n, n)),
        }
    }
    out
}

pub(super) fn number_of(graph: &LoadedGraph, expid: &Expid, name: &str) -> Result<u32, HindcastError> {
    graph
        .number_of(name)
        .ok_or_else(|| HindcastError::NotFound(format!("Job with name '{name}' not found in experiment '{expid}'")))
}

/// Whether job `n` passes the query's filters other than status.
fn matches(graph: &LoadedGraph, n: u32, q: &JobQuery, names: Option<&NameMatcher>) -> bool {
    let job = graph.job(n);
    names.is_none_or(|m| m.matches(job.name()))
        && q.section.as_deref().is_none_or(|s| graph.section(job).name == s)
        && q.date.as_deref().is_none_or(|d| job.date() == Some(d))
        && q.member.as_deref().is_none_or(|m| job.member() == Some(m))
        && q.chunk.is_none_or(|c| job.chunk() == Some(c))
}

/// Orders job numbers by the query's key, then by name (numbers are in name order).
fn sort(graph: &LoadedGraph, numbers: &mut [u32], q: &JobQuery, states: Option<&[JobStateRecord]>) {
    let status = |n: u32| states.and_then(|all| all.get(n as usize)).map_or(0, |s| s.status);
    match q.order_by {
        JobSortKey::Name => {}
        JobSortKey::Status => numbers.sort_by_key(|&n| status(n)),
        JobSortKey::Section | JobSortKey::Priority => numbers.sort_by_key(|&n| graph.job(n).section()),
        JobSortKey::Date => numbers.sort_by(|&a, &b| graph.job(a).date().cmp(&graph.job(b).date())),
        JobSortKey::Member => numbers.sort_by(|&a, &b| graph.job(a).member().cmp(&graph.job(b).member())),
        JobSortKey::Chunk => numbers.sort_by_key(|&n| graph.job(n).chunk()),
    }
    if q.order_desc {
        numbers.reverse();
    }
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

pub fn parse(files: &ConfigFiles) -> Result<WorkflowConfig, HindcastError> {
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

/// A stored code outside Autosubmit's range reads as UNKNOWN (it can only come from outside).
pub(super) fn status_of(code: i32) -> JobStatus {
    JobStatus::from_code(code).unwrap_or(JobStatus::Unknown)
}

fn to_job(graph: &LoadedGraph, number: u32, state: Option<&JobStateRecord>) -> Job {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false));
    let job = graph.job(number);
    let section = graph.section(job);
    Job {
        name: job.name().to_owned(),
        status: state.map_or(JobStatus::Unknown, |s| status_of(s.status)),
        priority: section.priority,
        section: section.name.clone(),
        date: job.2.clone(),
        member: job.3.clone(),
        chunk: job.4,
        split: job.5,
        splits: job.6,
        platform: section.platform.clone(),
        running: section.running.clone(),
        retrials: section.retrials,
        wallclock: section.wallclock.clone(),
        processors: section.processors.clone(),
        submit: time(state.and_then(|s| s.submitted_at)),
        start: time(state.and_then(|s| s.started_at)),
        finish: time(state.and_then(|s| s.finished_at)),
    }
}
