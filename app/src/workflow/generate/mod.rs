//! Building the job graph from a configuration, as `autosubmit create` (4.1.17.1) does.
//!
//! A port of the verified reference model (`SPEC.md` of the parity work, "§" below): jobs and
//! Autosubmit's job index ([`jobs`]), *_FROM/*_TO filters ([`items`], [`filters`]), lookups
//! ([`lookup`]), the edge rules ([`dependencies`]) and the final pruning and deletion
//! ([`prune`]). Autosubmit's quirks are reproduced where graphs depend on them; what it would
//! crash on, or keep in a form Hindcast cannot run (cycles), is refused naming the key.

mod datelist;
mod dependencies;
mod filters;
mod items;
mod jobs;
mod lookup;
mod model;
mod prune;
mod value;

use super::config::{ConfigError, WorkflowConfig};
use super::snapshot::{GraphSnapshot, SectionInfo, SnapshotJob};
use super::JobStatus;
use model::{Experiment, Running, Section};
use serde::Serialize;
use serde_yaml::Value;
use value::{upper_keys, Val};

/// One job as `expected_graph.json` and `hindcast graph` show it (`-1`: no split).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphJob {
    pub name: String,
    pub section: String,
    pub date: Option<String>,
    pub member: Option<String>,
    pub chunk: Option<i64>,
    pub split: i64,
    pub splits: i64,
    pub status: String,
    pub running: String,
    pub platform: String,
    pub priority: i64,
    pub retrials: i64,
    /// `HH:MM`, as configured; `None` leaves it to the platform.
    pub wallclock: Option<String>,
    pub processors: String,
}

/// Jobs sorted by name and `[parent, child]` edges sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graph {
    pub jobs: Vec<GraphJob>,
    pub edges: Vec<(String, String)>,
    /// `[parent, child, status]` for the edges whose dependency names a STATUS: the child may
    /// start once the parent reaches it. Left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<(String, String, JobStatus)>,
}

impl Graph {
    pub fn from_snapshot(snapshot: &GraphSnapshot, statuses: &[JobStatus]) -> Self {
        let jobs = snapshot
            .jobs
            .iter()
            .zip(statuses)
            .map(|(job, status)| {
                let section = &snapshot.sections[job.section()];
                GraphJob {
                    name: job.name().to_owned(),
                    section: section.name.clone(),
                    date: job.2.clone(),
                    member: job.3.clone(),
                    chunk: job.4,
                    split: job.5.unwrap_or(-1),
                    splits: job.6.unwrap_or(-1),
                    status: status.as_str().to_owned(),
                    running: section.running.clone(),
                    platform: section.platform.clone(),
                    priority: section.priority,
                    retrials: section.retrials,
                    wallclock: section.wallclock.clone(),
                    processors: section.processors.clone(),
                }
            })
            .collect();
        let name = |n: u32| snapshot.jobs[n as usize].name().to_owned();
        let edges = snapshot.edges.iter().map(|&(p, c)| (name(p), name(c))).collect();
        let conditions = snapshot.edge_conditions.iter().map(|&(p, c, s)| (name(p), name(c), s)).collect();
        Self { jobs, edges, conditions }
    }
}

/// The largest graph generated unless the server is configured otherwise.
pub const DEFAULT_MAX_JOBS: u64 = 1_000_000;

/// Generates the graph as `expected_graph.json` shows it (for `hindcast graph` and tests).
pub fn generate(config: &WorkflowConfig, expid: &str, max_jobs: u64) -> Result<Graph, ConfigError> {
    let (snapshot, statuses) = generate_snapshot(config, expid, max_jobs)?;
    Ok(Graph::from_snapshot(&snapshot, &statuses))
}

/// Generates the graph with each job's initial status (READY without parents, else WAITING);
/// refuses, before building any edge, a graph of more than `max_jobs`.
pub fn generate_snapshot(
    config: &WorkflowConfig,
    expid: &str,
    max_jobs: u64,
) -> Result<(GraphSnapshot, Vec<JobStatus>), ConfigError> {
    let root = match upper_keys(&Value::Mapping(config.root().clone())) {
        Val::Map(map) => map,
        _ => value::Map::default(),
    };
    let sections = model::read_sections(&root)?;
    let exp = Experiment::read(&root, expid)?;
    check_coordinates(&exp, &sections)?;
    let planned = jobs::planned_jobs(&exp, &sections);
    if planned > max_jobs {
        return Err(ConfigError::invalid(
            "EXPERIMENT",
            format!("this configuration makes {planned} jobs; at most {max_jobs} are allowed"),
        ));
    }
    let (all_jobs, index) = jobs::create(&exp, &sections, planned as usize);
    let mut builder = dependencies::Builder::new(&exp, &sections, all_jobs, index);
    builder.add_dependencies()?;
    if let Some(job) = builder.edges.first_job_on_a_cycle() {
        // Autosubmit keeps cyclic graphs and then prunes them in hash order; refused.
        let job = &builder.jobs[job as usize];
        return Err(ConfigError::invalid(
            format!("JOBS.{}.DEPENDENCIES", sections[usize::from(job.section)].name),
            format!("the dependencies form a cycle through job {}", job.name),
        ));
    }
    let problematic = std::mem::take(&mut builder.problematic);
    builder.edges.prune(&problematic);
    let conditions = builder.edge_conditions()?;
    Ok(snapshot(&exp, &sections, builder, &conditions))
}

/// A section running per date, member or chunk needs those to exist.
fn check_coordinates(exp: &Experiment, sections: &[Section]) -> Result<(), ConfigError> {
    for section in sections {
        let missing = match section.running {
            Running::Once => None,
            Running::Date => exp.dates.is_empty().then_some("date"),
            Running::Member => (exp.dates.is_empty() || exp.members.is_empty()).then_some("member"),
            Running::Chunk => (exp.dates.is_empty() || exp.members.is_empty() || exp.chunks.is_empty()).then_some("chunk"),
        };
        if let Some(what) = missing {
            return Err(ConfigError::invalid(
                format!("JOBS.{}.RUNNING", section.name),
                format!("runs per {what}, but the experiment has none"),
            ));
        }
    }
    Ok(())
}

/// Deletes the edgeless jobs that asked for parents (only if the graph has an edge; SPEC
/// §7.3), numbers jobs by name and sets READY/WAITING.
fn snapshot(
    exp: &Experiment,
    sections: &[Section],
    builder: dependencies::Builder,
    conditions: &[(jobs::JobId, jobs::JobId, JobStatus)],
) -> (GraphSnapshot, Vec<JobStatus>) {
    let dependencies::Builder { jobs, edges, .. } = builder;
    let any_edge = !edges.is_empty();
    let with_children = edges.with_children();
    let keep: Vec<bool> = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let sec = &sections[usize::from(job.section)];
            let edgeless = !edges.has_parents(i as u32) && !with_children[i];
            !(any_edge && !sec.deps.is_empty() && edgeless && sec.delete_when_edgeless)
        })
        .collect();
    let mut order: Vec<usize> = (0..jobs.len()).filter(|&i| keep[i]).collect();
    order.sort_unstable_by(|&a, &b| jobs[a].name.cmp(&jobs[b].name));
    let mut number = vec![u32::MAX; jobs.len()];
    for (n, &i) in order.iter().enumerate() {
        number[i] = n as u32;
    }
    let mut pairs: Vec<(u32, u32)> = edges.pairs().map(|(p, c)| (number[p as usize], number[c as usize])).collect();
    pairs.sort_unstable();
    let mut edge_conditions: Vec<(u32, u32, JobStatus)> =
        conditions.iter().map(|&(p, c, s)| (number[p as usize], number[c as usize], s)).collect();
    edge_conditions.sort_unstable();
    let statuses = order.iter().map(|&i| if edges.has_parents(i as u32) { JobStatus::Waiting } else { JobStatus::Ready }).collect();
    let mut jobs = jobs;
    let minus_one_is_none = |v: i64| (v != -1).then_some(v);
    let list = order
        .into_iter()
        .map(|i| {
            let job = &mut jobs[i];
            SnapshotJob(
                std::mem::take(&mut job.name),
                job.section,
                job.date.map(|d| exp.date_names[d as usize].clone()),
                job.member.map(|m| exp.members[m as usize].clone()),
                job.chunk,
                minus_one_is_none(job.split),
                minus_one_is_none(job.splits),
            )
        })
        .collect();
    let infos = sections
        .iter()
        .enumerate()
        .map(|(priority, s)| SectionInfo {
            name: s.name.clone(),
            running: s.running.name().to_owned(),
            platform: s.platform.clone(),
            priority: priority as i64,
            retrials: s.retrials,
            wallclock: s.wallclock.clone(),
            processors: s.processors.clone(),
        })
        .collect();
    (GraphSnapshot { sections: infos, jobs: list, edges: pairs, edge_conditions }, statuses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(jobs_yml: &str) -> Result<Graph, ConfigError> {
        let expdef = "EXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  NUMCHUNKS: 2\n";
        generate(&WorkflowConfig::from_files([("expdef.yml", expdef), ("jobs.yml", jobs_yml)]).unwrap(), "a000", DEFAULT_MAX_JOBS)
    }

    fn edges(g: &Graph) -> Vec<(&str, &str)> {
        g.edges.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect()
    }

    #[test]
    fn unknown_sections_and_unsupported_keys_are_named() {
        let err = graph("JOBS:\n  A:\n    DEPENDENCIES: B\n").unwrap_err();
        assert!(err.to_string().starts_with("JOBS.A.DEPENDENCIES: depends on 'B'"), "{err}");
        // Autosubmit reads `POST-PROC` as section POST at distance "PROC".
        let err = graph("JOBS:\n  POST-PROC:\n    RUNNING: once\n  A:\n    DEPENDENCIES: POST-PROC\n").unwrap_err();
        assert!(err.to_string().starts_with("JOBS.A.DEPENDENCIES.POST-PROC: 'PROC' is not a whole number"), "{err}");
        let err = graph("JOBS:\n  A:\n    RUNNING: chunk\n    SPLITS: auto\n").unwrap_err();
        assert!(matches!(err, ConfigError::Unsupported { .. }), "{err}");
    }

    #[test]
    fn cycles_numchunks_and_the_job_cap_are_refused_naming_the_key() {
        let err = graph("JOBS:\n  A:\n    DEPENDENCIES: B\n  B:\n    DEPENDENCIES: A\n").unwrap_err();
        assert!(err.to_string().starts_with("JOBS.A.DEPENDENCIES: the dependencies form a cycle"), "{err}");
        let config = |chunks: i64| {
            let expdef = format!("EXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0 fc1\n  NUMCHUNKS: {chunks}\n");
            WorkflowConfig::from_files([("expdef.yml", expdef.as_str()), ("jobs.yml", "JOBS:\n  SIM:\n    RUNNING: chunk\n")])
                .unwrap()
        };
        let err = generate(&config(0), "a000", DEFAULT_MAX_JOBS).unwrap_err();
        assert!(err.to_string().starts_with("EXPERIMENT.NUMCHUNKS"), "{err}");
        let err = generate(&config(10), "a000", 19).unwrap_err();
        assert_eq!(err.to_string(), "EXPERIMENT: this configuration makes 20 jobs; at most 19 are allowed");
        assert_eq!(generate(&config(10), "a000", 20).unwrap().jobs.len(), 20);
    }

    #[test]
    fn splits_name_jobs_and_chain_one_to_one() {
        let g = graph("JOBS:\n  SIM:\n    RUNNING: chunk\n    SPLITS: 2\n  POST:\n    RUNNING: chunk\n    SPLITS: 2\n    DEPENDENCIES:\n      SIM:\n        SPLITS_TO: '1*,2*'\n").unwrap();
        assert!(g.jobs.iter().any(|j| j.name == "a000_20000101_fc0_1_2_SIM" && j.split == 2 && j.splits == 2));
        assert!(edges(&g).contains(&("a000_20000101_fc0_1_2_SIM", "a000_20000101_fc0_1_2_POST")));
        assert!(!edges(&g).contains(&("a000_20000101_fc0_1_1_SIM", "a000_20000101_fc0_1_2_POST")));
    }

    #[test]
    fn a_filter_that_doubles_autosubmits_index_is_refused() {
        // Each POST lookup merges the one shared SIMS leaf into itself once per member.
        let members: Vec<String> = (0..30).map(|m| format!("fc{m}")).collect();
        let expdef = format!("EXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: {}\n  NUMCHUNKS: 2\n", members.join(" "));
        let jobs = "JOBS:\n  SIMS:\n    RUNNING: chunk\n    SYNCHRONIZE: date\n  POST:\n    RUNNING: member\n    DEPENDENCIES:\n      SIMS:\n        MEMBERS_TO: all\n        CHUNKS_TO: all\n";
        let config = WorkflowConfig::from_files([("expdef.yml", expdef.as_str()), ("jobs.yml", jobs)]).unwrap();
        let err = generate(&config, "a000", DEFAULT_MAX_JOBS).unwrap_err();
        assert!(err.to_string().starts_with("JOBS.POST.DEPENDENCIES.SIMS: Autosubmit 4.1.17.1 would run out of memory"), "{err}");
    }

    #[test]
    fn a_job_with_children_but_no_parents_is_kept() {
        // SIM chunk 1 has no SIM-1 parent, but has a child: Autosubmit keeps it (READY).
        let g = graph("JOBS:\n  SIM:\n    RUNNING: chunk\n    DEPENDENCIES: SIM-1\n").unwrap();
        assert_eq!(g.jobs.len(), 2);
        assert_eq!(g.jobs[0].status, "READY");
        assert_eq!(edges(&g), [("a000_20000101_fc0_1_SIM", "a000_20000101_fc0_2_SIM")]);
    }
}
