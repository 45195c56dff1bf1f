//! Building the job graph from a configuration, as `autosubmit create` does.

use super::config::{scalar_text, ConfigError, WorkflowConfig};
use super::snapshot::{GraphSnapshot, SectionInfo, SnapshotJob};
use super::JobStatus;
use serde::Serialize;
use serde_yaml::{Mapping, Value};
use std::collections::HashMap;

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
        Self { jobs, edges }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Running {
    Once,
    Date,
    Member,
    Chunk,
}

struct Section {
    name: String,
    running: Running,
    dependencies: Vec<Dependency>,
    platform: String,
    retrials: i64,
    wallclock: Option<String>,
    processors: String,
}

struct Dependency {
    section: String,
    /// Chunk offset: `SIM-1` is -1.
    offset: i64,
}

/// Keys of a section that this generator does not implement yet; refused, not ignored.
const NOT_YET: [&str; 7] = ["SPLITS", "FREQUENCY", "SYNCHRONIZE", "DELAY", "CHUNKS_FROM", "SPLITS_FROM", "WHEN"];

/// The largest graph generated unless the server is configured otherwise.
pub const DEFAULT_MAX_JOBS: u64 = 1_000_000;

/// Generates the graph as `expected_graph.json` shows it (for `hindcast graph` and tests).
pub fn generate(config: &WorkflowConfig, expid: &str, max_jobs: u64) -> Result<Graph, ConfigError> {
    let (snapshot, statuses) = generate_snapshot(config, expid, max_jobs)?;
    Ok(Graph::from_snapshot(&snapshot, &statuses))
}

/// Generates the graph with each job's initial status (READY without parents, else WAITING);
/// refuses, before building anything, a graph of more than `max_jobs`.
pub fn generate_snapshot(
    config: &WorkflowConfig,
    expid: &str,
    max_jobs: u64,
) -> Result<(GraphSnapshot, Vec<JobStatus>), ConfigError> {
    let dates = list(config, "EXPERIMENT.DATELIST");
    for date in &dates {
        let digits = date.len() >= 8 && date.len() <= 14 && date.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return Err(ConfigError::Unsupported {
                key: "EXPERIMENT.DATELIST".into(),
                what: format!("the date form '{date}'"),
            });
        }
    }
    let members = list(config, "EXPERIMENT.MEMBERS");
    let chunk_first = number(config, "EXPERIMENT.CHUNKINI")?.unwrap_or(1).max(1);
    let chunk_last = number(config, "EXPERIMENT.NUMCHUNKS")?.unwrap_or(0);
    if config.get("EXPERIMENT.NUMCHUNKS").is_some() && chunk_last <= 0 {
        return Err(ConfigError::invalid("EXPERIMENT.NUMCHUNKS", format!("is {chunk_last}; it must be 1 or more")));
    }
    let default_platform = config.text("DEFAULT.HPCARCH").unwrap_or_else(|| "LOCAL".into());
    let default_retrials = number(config, "CONFIG.RETRIALS")?.unwrap_or(0);
    let sections = config
        .sections()
        .into_iter()
        .map(|(name, map)| parse_section(name, map, &default_platform, default_retrials))
        .collect::<Result<Vec<_>, _>>()?;
    if sections.is_empty() {
        return Err(ConfigError::invalid("JOBS", "no job sections are defined"));
    }
    for section in &sections {
        let needs = |what: &str, empty: bool| {
            if empty {
                Err(ConfigError::invalid(
                    format!("JOBS.{}.RUNNING", section.name),
                    format!("runs per {what}, but the experiment has none"),
                ))
            } else {
                Ok(())
            }
        };
        match section.running {
            Running::Once => {}
            Running::Date => needs("date", dates.is_empty())?,
            Running::Member => needs("member", dates.is_empty() || members.is_empty())?,
            Running::Chunk => needs("chunk", dates.is_empty() || members.is_empty() || chunk_last < chunk_first)?,
        }
        for dep in &section.dependencies {
            if !sections.iter().any(|s| s.name == dep.section) {
                return Err(ConfigError::invalid(
                    format!("JOBS.{}.DEPENDENCIES", section.name),
                    format!("depends on '{}', which is not a job section", dep.section),
                ));
            }
        }
    }

    let chunks = u64::try_from(chunk_last - chunk_first + 1).unwrap_or(0);
    let (d, m) = (dates.len() as u64, members.len() as u64);
    let planned: u64 = sections
        .iter()
        .map(|s| match s.running {
            Running::Once => 1,
            Running::Date => d,
            Running::Member => d.saturating_mul(m),
            Running::Chunk => d.saturating_mul(m).saturating_mul(chunks),
        })
        .fold(0, u64::saturating_add);
    if planned > max_jobs {
        return Err(ConfigError::invalid(
            "EXPERIMENT",
            format!("this configuration makes {planned} jobs; at most {max_jobs} are allowed"),
        ));
    }

    // Jobs, section by section, in the order Autosubmit gives them priorities. Dates and
    // members are kept as indexes into their lists until the snapshot is written.
    let mut drafts: Vec<Draft> = Vec::with_capacity(planned as usize);
    let mut by_section: Vec<Vec<usize>> = vec![Vec::new(); sections.len()];
    for (index, section) in sections.iter().enumerate() {
        let section_index = index as u16;
        let mut add = |date: Option<usize>, member: Option<usize>, chunk: Option<i64>| {
            let mut name = expid.to_owned();
            let parts = [date.map(|d| dates[d].clone()), member.map(|m| members[m].clone()), chunk.map(|c| c.to_string())];
            for part in parts.into_iter().flatten() {
                name.push('_');
                name.push_str(&part);
            }
            name.push('_');
            name.push_str(&section.name);
            by_section[index].push(drafts.len());
            drafts.push(Draft { name, section: section_index, date, member, chunk });
        };
        match section.running {
            Running::Once => add(None, None, None),
            Running::Date => (0..dates.len()).for_each(|d| add(Some(d), None, None)),
            Running::Member => (0..dates.len()).for_each(|d| (0..members.len()).for_each(|m| add(Some(d), Some(m), None))),
            Running::Chunk => (0..dates.len()).for_each(|d| {
                (0..members.len()).for_each(|m| (chunk_first..=chunk_last).for_each(|c| add(Some(d), Some(m), Some(c))))
            }),
        }
    }

    // Every parent each job asked for, found through an index by (section, date, member,
    // chunk) so that large graphs cost time proportional to their edges.
    let section_index: HashMap<&str, usize> = sections.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    let index: HashMap<JobKey, usize> = drafts.iter().enumerate().map(|(i, j)| ((j.section, j.date, j.member, j.chunk), i)).collect();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); drafts.len()];
    for (child, job) in drafts.iter().enumerate() {
        let section = &sections[usize::from(job.section)];
        for dep in &section.dependencies {
            let parent_section = section_index[dep.section.as_str()];
            let parent_running = sections[parent_section].running;
            let chunk = match (dep.offset, job.chunk) {
                (0, chunk) => chunk,
                // An offset moves along chunks; jobs without chunks get no edge from it.
                (offset, Some(chunk)) if parent_running == Running::Chunk => Some(chunk + offset),
                _ => continue,
            };
            let found = &mut parents[child];
            match exact_key(parent_section as u16, parent_running, job, chunk) {
                Some(key) => found.extend(index.get(&key).copied().filter(|&p| p != child)),
                // The child lacks a coordinate the parents have: every parent agreeing on the
                // coordinates it does have (e.g. a once job after every chunk).
                None => found.extend(by_section[parent_section].iter().copied().filter(|&p| {
                    let parent = &drafts[p];
                    let agrees = |mine: Option<usize>, theirs: Option<usize>| {
                        mine.is_none() || theirs.is_none() || mine == theirs
                    };
                    p != child
                        && agrees(job.date, parent.date)
                        && agrees(job.member, parent.member)
                        && (chunk.is_none() || parent.chunk.is_none() || parent.chunk == chunk)
                })),
            }
        }
        parents[child].sort_unstable();
        parents[child].dedup();
    }

    // A job that asked for parents and got none is dropped (DELETE_WHEN_EDGELESS).
    let keep: Vec<bool> = drafts
        .iter()
        .enumerate()
        .map(|(i, job)| sections[usize::from(job.section)].dependencies.is_empty() || !parents[i].is_empty())
        .collect();
    for list in parents.iter_mut() {
        list.retain(|&p| keep[p]);
    }

    // Autosubmit prunes a parent that is already a parent of another parent: one hop only.
    let pruned: Vec<Vec<usize>> = parents
        .iter()
        .map(|mine| {
            let mut redundant: Vec<usize> = mine
                .iter()
                .flat_map(|&q| parents[q].iter().copied().filter(move |&p| p != q))
                .filter(|p| mine.binary_search(p).is_ok())
                .collect();
            redundant.sort_unstable();
            mine.iter().copied().filter(|p| redundant.binary_search(p).is_err()).collect()
        })
        .collect();

    if let Some(job) = first_job_on_a_cycle(&pruned, &keep) {
        let section = &sections[usize::from(drafts[job].section)].name;
        return Err(ConfigError::invalid(
            format!("JOBS.{section}.DEPENDENCIES"),
            format!("the dependencies form a cycle through job {}", drafts[job].name),
        ));
    }

    // Jobs are numbered in name order; edges are pairs of numbers.
    let mut order: Vec<usize> = (0..drafts.len()).filter(|&i| keep[i]).collect();
    order.sort_unstable_by(|&a, &b| drafts[a].name.cmp(&drafts[b].name));
    let mut number = vec![u32::MAX; drafts.len()];
    for (n, &i) in order.iter().enumerate() {
        number[i] = n as u32;
    }
    let mut edges: Vec<(u32, u32)> = Vec::new();
    for &child in &order {
        edges.extend(pruned[child].iter().map(|&parent| (number[parent], number[child])));
    }
    edges.sort_unstable();
    let statuses = order.iter().map(|&i| if pruned[i].is_empty() { JobStatus::Ready } else { JobStatus::Waiting }).collect();
    let jobs = order
        .into_iter()
        .map(|i| {
            let d = &mut drafts[i];
            let name = std::mem::take(&mut d.name);
            SnapshotJob(name, d.section, d.date.map(|x| dates[x].clone()), d.member.map(|x| members[x].clone()), d.chunk, None, None)
        })
        .collect();
    let sections = sections
        .iter()
        .enumerate()
        .map(|(priority, s)| SectionInfo {
            name: s.name.clone(),
            running: running_name(s.running).to_owned(),
            platform: s.platform.clone(),
            priority: priority as i64,
            retrials: s.retrials,
            wallclock: s.wallclock.clone(),
            processors: s.processors.clone(),
        })
        .collect();
    Ok((GraphSnapshot { sections, jobs, edges }, statuses))
}

/// A job while the graph is built: dates and members by index.
struct Draft {
    name: String,
    section: u16,
    date: Option<usize>,
    member: Option<usize>,
    chunk: Option<i64>,
}

/// A job that cannot be ordered after its parents (Kahn's algorithm), if there is a cycle.
fn first_job_on_a_cycle(parents: &[Vec<usize>], keep: &[bool]) -> Option<usize> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); parents.len()];
    let mut waiting: Vec<usize> = parents.iter().map(Vec::len).collect();
    for (child, list) in parents.iter().enumerate() {
        for &parent in list {
            children[parent].push(child);
        }
    }
    let mut ready: Vec<usize> = (0..parents.len()).filter(|&j| keep[j] && waiting[j] == 0).collect();
    let mut ordered = vec![false; parents.len()];
    while let Some(job) = ready.pop() {
        ordered[job] = true;
        for &child in &children[job] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.push(child);
            }
        }
    }
    (0..parents.len()).find(|&j| keep[j] && !ordered[j])
}

/// A job's place in the index: section, date, member, chunk.
type JobKey = (u16, Option<usize>, Option<usize>, Option<i64>);

/// The one index key holding a dependency's parent, when the child knows every coordinate
/// the parent section has (parents of other sections have none of the missing ones).
fn exact_key(section: u16, running: Running, child: &Draft, chunk: Option<i64>) -> Option<JobKey> {
    match running {
        Running::Once => Some((section, None, None, None)),
        Running::Date => Some((section, Some(child.date?), None, None)),
        Running::Member => Some((section, Some(child.date?), Some(child.member?), None)),
        Running::Chunk => Some((section, Some(child.date?), Some(child.member?), Some(chunk?))),
    }
}

fn running_name(running: Running) -> &'static str {
    match running {
        Running::Once => "once",
        Running::Date => "date",
        Running::Member => "member",
        Running::Chunk => "chunk",
    }
}

fn list(config: &WorkflowConfig, path: &str) -> Vec<String> {
    config.text(path).map(|t| t.split_whitespace().map(str::to_owned).collect()).unwrap_or_default()
}

fn number(config: &WorkflowConfig, path: &str) -> Result<Option<i64>, ConfigError> {
    match config.text(path) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::invalid(path, format!("'{text}' is not a whole number"))),
    }
}

fn parse_section(name: String, map: &Mapping, default_platform: &str, default_retrials: i64) -> Result<Section, ConfigError> {
    let key = |k: &str| format!("JOBS.{name}.{k}");
    let text = |k: &str| map.get(Value::String(k.to_owned())).and_then(scalar_text);
    for unsupported in NOT_YET {
        if map.contains_key(Value::String(unsupported.to_owned())) {
            return Err(ConfigError::Unsupported { key: key(unsupported), what: unsupported.to_owned() });
        }
    }
    let running = match text("RUNNING").as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("once") => Running::Once,
        Some("date") => Running::Date,
        Some("member") => Running::Member,
        Some("chunk") => Running::Chunk,
        Some(other) => {
            return Err(ConfigError::invalid(key("RUNNING"), format!("'{other}' is not once, date, member or chunk")))
        }
    };
    let dependencies = match map.get(Value::String("DEPENDENCIES".into())) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.split_whitespace().map(|t| parse_dependency(t, &key("DEPENDENCIES"))).collect::<Result<_, _>>()?,
        Some(Value::Mapping(_)) => {
            return Err(ConfigError::Unsupported { key: key("DEPENDENCIES"), what: "the mapping form".into() })
        }
        Some(_) => return Err(ConfigError::invalid(key("DEPENDENCIES"), "must be a text like 'INI SIM-1'")),
    };
    let retrials = match text("RETRIALS") {
        None => default_retrials,
        Some(t) => t.parse().map_err(|_| ConfigError::invalid(key("RETRIALS"), format!("'{t}' is not a whole number")))?,
    };
    Ok(Section {
        platform: text("PLATFORM").unwrap_or_else(|| default_platform.to_owned()),
        name,
        running,
        dependencies,
        retrials,
        wallclock: text("WALLCLOCK"),
        processors: text("PROCESSORS").unwrap_or_else(|| "1".to_owned()),
    })
}

fn parse_dependency(token: &str, key: &str) -> Result<Dependency, ConfigError> {
    let at = token.rfind(['-', '+']).filter(|&i| i > 0 && token[i + 1..].bytes().all(|b| b.is_ascii_digit()) && i + 1 < token.len());
    let Some(at) = at else {
        return Ok(Dependency { section: token.to_owned(), offset: 0 });
    };
    let amount: i64 = token[at + 1..].parse().map_err(|_| ConfigError::invalid(key, format!("bad offset in '{token}'")))?;
    let offset = if token.as_bytes()[at] == b'-' { -amount } else { amount };
    Ok(Dependency { section: token[..at].to_owned(), offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(jobs_yml: &str) -> Result<Graph, ConfigError> {
        let expdef = "EXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0\n  NUMCHUNKS: 2\n";
        generate(&WorkflowConfig::from_files([("expdef.yml", expdef), ("jobs.yml", jobs_yml)]).unwrap(), "a000", DEFAULT_MAX_JOBS)
    }

    #[test]
    fn offsets_parse_and_section_names_may_hold_dashes() {
        let d = parse_dependency("SIM-1", "k").unwrap();
        assert_eq!((d.section.as_str(), d.offset), ("SIM", -1));
        let d = parse_dependency("POST-PROC", "k").unwrap();
        assert_eq!((d.section.as_str(), d.offset), ("POST-PROC", 0));
    }

    #[test]
    fn unknown_sections_and_unsupported_keys_are_named() {
        let err = graph("JOBS:\n  A:\n    DEPENDENCIES: B\n").unwrap_err();
        assert!(err.to_string().contains("JOBS.A.DEPENDENCIES"), "{err}");
        let err = graph("JOBS:\n  A:\n    RUNNING: chunk\n    SPLITS: 2\n").unwrap_err();
        assert!(matches!(err, ConfigError::Unsupported { .. }));
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
}
