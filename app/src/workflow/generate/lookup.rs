//! Filtered parent lookups (`DicJobs.get_jobs_filtered`, SPEC §3.2) and the SPLITS_TO
//! selection (SPEC §5.4). Selecting two or more branches grafts them into the index (§3.3).

use super::items::Refusal;
use super::jobs::{Entries, Index, Job, JobId, Node, NodeId};
use super::model::{Experiment, Running};
use crate::workflow::config::ConfigError;

/// The coordinates a lookup starts from (the job's, moved by the key's offset).
pub(super) struct Natural {
    pub date: Option<u32>,
    pub member: Option<u32>,
    pub chunk: Option<i64>,
}

/// One level of the lookup: a node of the index, or the lookup's own working map.
enum Level {
    Indexed(NodeId),
    Working(Entries),
}

struct LevelFilter<'a> {
    filter: Option<&'a str>,
    explicit: Vec<i64>,
    natural: Option<i64>,
    use_all: bool,
}

/// `_consume_level`: leaves go to `found`, selected sub-maps are merged into the next level.
fn consume(index: &mut Index, level: Level, found: &mut Vec<JobId>, f: &LevelFilter, at: &str) -> Result<Entries, ConfigError> {
    let entries = match level {
        Level::Indexed(node) => match &index.nodes[node as usize] {
            Node::Leaf(jobs) => {
                found.extend_from_slice(jobs);
                return Ok(Entries::new());
            }
            Node::Map(m) => m.clone(),
        },
        Level::Working(m) => m,
    };
    if entries.is_empty() {
        return Ok(Entries::new());
    }
    let keys: Vec<i64> = match f.filter.filter(|t| !t.is_empty()) {
        Some(text) => {
            let low = text.to_lowercase();
            if low.contains("none") {
                return Ok(Entries::new());
            }
            if low.contains("all") {
                entries.iter().map(|&(k, _)| k).collect()
            } else {
                f.explicit.clone()
            }
        }
        None if f.use_all => entries.iter().map(|&(k, _)| k).collect(),
        None => match f.natural {
            Some(k) if entries.iter().any(|&(e, n)| e == k && !index.is_empty_node(n)) => vec![k],
            _ => return Ok(Entries::new()),
        },
    };
    let mut working = Entries::new();
    for key in keys {
        let Some(&(_, node)) = entries.iter().find(|&&(k, _)| k == key) else { continue };
        match &index.nodes[node as usize] {
            Node::Leaf(jobs) => found.extend_from_slice(jobs),
            Node::Map(_) => index.merge_into(&mut working, node).map_err(|o| o.refusal(at))?,
        }
    }
    Ok(working)
}

/// The candidates of a filtered key, in traversal order, without repeats nor the job itself.
#[allow(clippy::too_many_arguments)]
pub(super) fn get_jobs_filtered(
    exp: &Experiment,
    index: &mut Index,
    jobs: &[Job],
    section: usize,
    job: JobId,
    running: Running,
    filters: &[(String, String)],
    natural: &Natural,
    parent_previous: bool,
    at: &str,
) -> Result<Vec<JobId>, ConfigError> {
    let get = |kind: &str| filters.iter().find(|(k, _)| k == kind).map(|(_, v)| v.as_str());
    let me = &jobs[job as usize];
    let once = running == Running::Once;
    let mut found = Vec::new();

    let date_filter = get("DATES_TO");
    let mut dates = Vec::new();
    if let Some(text) = explicit(date_filter) {
        for d in text.split(',') {
            if !(d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit())) {
                return Err(ConfigError::invalid(
                    format!("{at}.DATES_TO"),
                    format!("'{text}' is not a comma-separated list of YYYYMMDD dates (Autosubmit 4.1.17.1 expands ranges only inside *_FROM)"),
                ));
            }
            // A date the experiment lacks selects nothing (key -1).
            let key = format!("{d:0<14}");
            dates.push(exp.dates.iter().position(|x| *x == key).map_or(-1, |i| i as i64));
        }
    }
    let level = LevelFilter { filter: date_filter, explicit: dates, natural: natural.date.map(i64::from), use_all: once };
    let by_date = consume(index, Level::Indexed(index.roots[section]), &mut found, &level, at)?;

    // Member keys are upper-cased here: members differing only in case collapse, the last wins.
    let mut by_member = Entries::new();
    for (m, node) in by_date {
        let upper = exp.member_upper[m as usize] as i64;
        match by_member.iter_mut().find(|(k, _)| *k == upper) {
            Some(entry) => entry.1 = node,
            None => by_member.push((upper, node)),
        }
    }
    let member_filter = get("MEMBERS_TO");
    let members = explicit(member_filter)
        .map(|text| {
            text.split(',')
                .map(|m| {
                    let m = m.trim().to_uppercase();
                    exp.members.iter().position(|x| x.to_uppercase() == m).map_or(-1, |i| exp.member_upper[i] as i64)
                })
                .collect()
        })
        .unwrap_or_default();
    let level = LevelFilter {
        filter: member_filter,
        explicit: members,
        natural: natural.member.map(|m| exp.member_upper[m as usize] as i64),
        use_all: once || me.member.is_none(),
    };
    let by_chunk = consume(index, Level::Working(by_member), &mut found, &level, at)?;

    let chunk_filter = get("CHUNKS_TO");
    let mut chunks = Vec::new();
    if let Some(text) = explicit(chunk_filter) {
        for c in text.split(',') {
            let c = c.trim();
            chunks.push(c.parse().map_err(|_| {
                ConfigError::invalid(
                    format!("{at}.CHUNKS_TO"),
                    format!(
                        "'{text}' is not a comma-separated list of chunk numbers; Autosubmit 4.1.17.1 refuses it \
                         (int('{c}') fails) because ranges like [1:3] are expanded only inside a *_FROM block"
                    ),
                )
            })?);
        }
    }
    let level = LevelFilter { filter: chunk_filter, explicit: chunks, natural: natural.chunk, use_all: once || me.chunk.is_none_or(|c| c == 0) };
    consume(index, Level::Working(by_chunk), &mut found, &level, at)?;

    if let Some(split_filter) = get("SPLITS_TO").filter(|t| !t.is_empty()) {
        if !found.is_empty() {
            found = apply_splits_filter(jobs, &found, job, split_filter, parent_previous)
                .map_err(|r| ConfigError::invalid(if r.key.is_empty() { at.to_owned() } else { format!("{at}.{}", r.key) }, r.message))?;
        }
    }
    unique(&mut found);
    found.retain(|&p| p != job);
    Ok(found)
}

/// A filter that lists values (not empty, `none` nor `all`).
fn explicit(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.is_empty() && !t.to_lowercase().contains("none") && !t.to_lowercase().contains("all"))
}

/// Keeps the first occurrence of each job.
pub(super) fn unique(list: &mut Vec<JobId>) {
    if list.len() < 2 {
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity_and_hasher(list.len(), super::prune::FxBuild);
    list.retain(|j| seen.insert(*j));
}

/// `_apply_splits_filter` / `_resolve_star_splits`. `parent_previous`: the parent section's
/// own self-dependency SPLITS_TO mentions `previous`.
fn apply_splits_filter(jobs: &[Job], candidates: &[JobId], job: JobId, filter: &str, parent_previous: bool) -> Result<Vec<JobId>, Refusal> {
    let me = &jobs[job as usize];
    let parts: Vec<&str> = filter.split(',').map(str::trim).collect();
    let normal = parts.iter().filter(|p| !p.contains('*')).copied().collect::<Vec<_>>().join(",").to_lowercase();
    let split_of = |j: JobId| jobs[j as usize].split;
    if normal.contains("all") {
        return Ok(candidates.to_vec());
    }
    if normal.contains("none") {
        return Ok(candidates.iter().copied().filter(|&f| matches!(split_of(f), -1 | 0) && f != job).collect());
    }
    if let Some(at) = normal.find("previous") {
        let rest = &normal[at + "previous".len()..];
        let digits: String = rest.strip_prefix('-').map(|r| r.chars().take_while(char::is_ascii_digit).collect()).unwrap_or_default();
        let back: i64 = if digits.is_empty() { 1 } else { digits.parse().unwrap_or(i64::MAX) };
        return Ok(candidates.iter().copied().filter(|&f| me.split > back && split_of(f) == me.split - back && f != job).collect());
    }
    let mut result = Vec::new();
    for part in parts {
        if part.contains('*') {
            if me.split <= 0 {
                continue;
            }
            let size = part.find('\\').and_then(|i| {
                let digits: String = part[i + 1..].chars().take_while(char::is_ascii_digit).collect();
                (!digits.is_empty()).then(|| digits.parse::<i64>().unwrap_or(i64::MAX))
            });
            let n = candidates.len() as i64;
            match size {
                Some(size) if size <= 0 => return Err(Refusal::new("SPLITS_TO", format!("grouped slice size must be > 0 in '{part}'"))),
                Some(size) => {
                    if me.splits <= jobs[candidates[0] as usize].splits {
                        // N parents → 1 child: this child's group of parents.
                        let start = ((me.split - 1) * size).min(n);
                        let chosen = &candidates[start as usize..(start + size).min(n) as usize];
                        let chosen = if parent_previous { &chosen[chosen.len().saturating_sub(1)..] } else { chosen };
                        result.extend_from_slice(chosen);
                    } else {
                        // 1 parent → N children.
                        result.push(candidates[((me.split - 1) / size).min(n - 1) as usize]);
                    }
                }
                None if me.split - 1 < n => result.push(candidates[(me.split - 1) as usize]),
                None => {}
            }
        } else {
            let value = if part.to_lowercase() == "natural" { me.split.to_string() } else { part.to_owned() };
            result.extend(candidates.iter().copied().filter(|&f| f != job && (split_of(f).to_string() == value || split_of(f) <= 0)));
        }
    }
    unique(&mut result);
    Ok(result)
}
