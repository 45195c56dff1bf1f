//! Building the job graph from a configuration, as `autosubmit create` does.

use super::config::{scalar_text, ConfigError, WorkflowConfig};
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
}

/// Jobs sorted by name and `[parent, child]` edges sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graph {
    pub jobs: Vec<GraphJob>,
    pub edges: Vec<(String, String)>,
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
}

struct Dependency {
    section: String,
    /// Chunk offset: `SIM-1` is -1.
    offset: i64,
}

/// Keys of a section that this generator does not implement yet; refused, not ignored.
const NOT_YET: [&str; 7] = ["SPLITS", "FREQUENCY", "SYNCHRONIZE", "DELAY", "CHUNKS_FROM", "SPLITS_FROM", "WHEN"];

pub fn generate(config: &WorkflowConfig, expid: &str) -> Result<Graph, ConfigError> {
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

    // Jobs, section by section, in the order Autosubmit gives them priorities.
    let mut jobs: Vec<GraphJob> = Vec::new();
    let mut by_section: HashMap<&str, Vec<usize>> = HashMap::new();
    for (priority, section) in sections.iter().enumerate() {
        let mut add = |date: Option<&String>, member: Option<&String>, chunk: Option<i64>| {
            let mut name = expid.to_owned();
            for part in [date.cloned(), member.cloned(), chunk.map(|c| c.to_string())].into_iter().flatten() {
                name.push('_');
                name.push_str(&part);
            }
            name.push('_');
            name.push_str(&section.name);
            by_section.entry(section.name.as_str()).or_default().push(jobs.len());
            jobs.push(GraphJob {
                name,
                section: section.name.clone(),
                date: date.cloned(),
                member: member.cloned(),
                chunk,
                split: -1,
                splits: -1,
                status: String::new(),
                running: running_name(section.running).into(),
                platform: section.platform.clone(),
                priority: priority as i64,
                retrials: section.retrials,
            });
        };
        match section.running {
            Running::Once => add(None, None, None),
            Running::Date => dates.iter().for_each(|d| add(Some(d), None, None)),
            Running::Member => dates.iter().for_each(|d| members.iter().for_each(|m| add(Some(d), Some(m), None))),
            Running::Chunk => dates.iter().for_each(|d| {
                members.iter().for_each(|m| (chunk_first..=chunk_last).for_each(|c| add(Some(d), Some(m), Some(c))))
            }),
        }
    }

    // Every parent each job asked for.
    let section_of: HashMap<&str, &Section> = sections.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); jobs.len()];
    for (child, job) in jobs.iter().enumerate() {
        let section = section_of[job.section.as_str()];
        for dep in &section.dependencies {
            let parent_running = section_of[dep.section.as_str()].running;
            let chunk = match (dep.offset, job.chunk) {
                (0, chunk) => chunk,
                // An offset moves along chunks; jobs without chunks get no edge from it.
                (offset, Some(chunk)) if parent_running == Running::Chunk => Some(chunk + offset),
                _ => continue,
            };
            for &candidate in &by_section[dep.section.as_str()] {
                let parent = &jobs[candidate];
                let agrees = |mine: &Option<String>, theirs: &Option<String>| {
                    mine.is_none() || theirs.is_none() || mine == theirs
                };
                let chunk_agrees = chunk.is_none() || parent.chunk.is_none() || parent.chunk == chunk;
                if candidate != child
                    && agrees(&job.date, &parent.date)
                    && agrees(&job.member, &parent.member)
                    && chunk_agrees
                    && !parents[child].contains(&candidate)
                {
                    parents[child].push(candidate);
                }
            }
        }
    }

    // A job that asked for parents and got none is dropped (DELETE_WHEN_EDGELESS).
    let keep: Vec<bool> = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| section_of[job.section.as_str()].dependencies.is_empty() || !parents[i].is_empty())
        .collect();
    for list in parents.iter_mut() {
        list.retain(|&p| keep[p]);
    }

    // Autosubmit prunes a parent that is already a parent of another parent: one hop only.
    let pruned: Vec<Vec<usize>> = parents
        .iter()
        .map(|mine| {
            mine.iter()
                .copied()
                .filter(|&p| !mine.iter().any(|&q| q != p && parents[q].contains(&p)))
                .collect()
        })
        .collect();

    let mut edges = Vec::new();
    for (child, list) in pruned.iter().enumerate() {
        if !keep[child] {
            continue;
        }
        for &parent in list {
            edges.push((jobs[parent].name.clone(), jobs[child].name.clone()));
        }
    }
    let mut kept: Vec<GraphJob> = jobs
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep[*i])
        .map(|(i, mut job)| {
            job.status = if pruned[i].is_empty() { "READY" } else { "WAITING" }.into();
            job
        })
        .collect();
    kept.sort_by(|a, b| a.name.cmp(&b.name));
    edges.sort();
    Ok(Graph { jobs: kept, edges })
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
        generate(&WorkflowConfig::from_files([("expdef.yml", expdef), ("jobs.yml", jobs_yml)]).unwrap(), "a000")
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
}
