//! A job's parameters, as Autosubmit hands them to its scripts, and `%NAME%` placeholders
//! resolved with them: the merged configuration flattened (`%DEFAULT.EXPID%`,
//! `%EXPERIMENT.NUMCHUNKS%`, …), the job's own values (`%JOBNAME%`, `%SDATE%`, `%MEMBER%`,
//! `%CHUNK%`, `%SPLIT%`), its section and platform settings as `%CURRENT_…%`, and the chunk's
//! dates (`%CHUNK_START_DATE%`, `%CHUNK_END_DATE%`, `%RUN_DAYS%`, `%PREV%`, …) in the
//! experiment's calendar.

use super::calendar::{self, ChunkCalendar, ChunkUnit};
use super::ops::{config, number_of, parse};
use super::{LoadedGraph, WorkflowConfig};
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::Store;
use chrono::{Datelike, Duration, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobParameters {
    pub job_name: String,
    pub parameters: BTreeMap<String, String>,
}

/// A text with its placeholders filled in, and the placeholders no parameter answers (left
/// as written, so a script never silently gets an empty value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResolvedText {
    pub text: String,
    pub unresolved: Vec<String>,
}

pub async fn job_parameters(store: &dyn Store, expid: &Expid, name: &str) -> Result<JobParameters, HindcastError> {
    let handle = store.graph(expid).await.map_err(to_domain_error)?;
    let number = number_of(&handle.graph, expid, name)?;
    let files = config(store, expid).await?;
    let config = parse(&files)?;
    let parameters = parameters_of(&config, &handle.graph, number)?;
    Ok(JobParameters { job_name: name.to_owned(), parameters })
}

pub async fn resolve_for_job(
    store: &dyn Store,
    expid: &Expid,
    name: &str,
    text: &str,
) -> Result<ResolvedText, HindcastError> {
    let JobParameters { parameters, .. } = job_parameters(store, expid, name).await?;
    Ok(resolve(text, &parameters))
}

/// Replaces every `%NAME%` (letters, digits, `_`, `.`, `-`) that a parameter answers.
pub fn resolve(text: &str, parameters: &BTreeMap<String, String>) -> ResolvedText {
    resolve_with(text, |name| parameters.get(name).map(String::as_str))
}

/// As `resolve`, with parameters looked up by `lookup`.
pub fn resolve_with<'a>(text: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> ResolvedText {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let mut out = String::with_capacity(text.len());
    let mut unresolved: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('%') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
        let closed = after[name_len..].starts_with('%') && name_len > 0;
        if !closed {
            out.push('%');
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        match lookup(name) {
            Some(value) => out.push_str(value),
            None => {
                out.push_str(&rest[open..open + name_len + 2]);
                if !unresolved.iter().any(|u| u == name) {
                    unresolved.push(name.to_owned());
                }
            }
        }
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    ResolvedText { text: out, unresolved }
}

pub fn parameters_of(config: &WorkflowConfig, graph: &LoadedGraph, number: u32) -> Result<BTreeMap<String, String>, HindcastError> {
    let source = ParameterSource::new(config);
    let layer = source.job_layer(graph, number)?;
    let mut all = source.base;
    all.extend(layer);
    Ok(all)
}

/// The parameters every job of an experiment shares (the configuration flattened), worked
/// out once, and each job's own on top: running thousands of jobs does not flatten (and
/// copy) the whole configuration per job.
#[derive(Debug, Clone)]
pub struct ParameterSource {
    base: BTreeMap<String, String>,
}

impl ParameterSource {
    pub fn new(config: &WorkflowConfig) -> Self {
        let mut base = BTreeMap::new();
        flatten("", &config.to_json(), &mut base);
        let members = base.get("EXPERIMENT.MEMBERS").map_or(0, |m| m.split_whitespace().count());
        base.insert("NUMMEMBERS".into(), members.to_string());
        Self { base }
    }

    /// The job's own parameters, which win over the shared ones.
    pub fn job_layer(&self, graph: &LoadedGraph, number: u32) -> Result<BTreeMap<String, String>, HindcastError> {
        let mut p = BTreeMap::new();
        let job = graph.job(number);
        let section = graph.section(job);
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        p.insert("JOBNAME".into(), job.name().to_owned());
        p.insert("SDATE".into(), text(job.date()));
        p.insert("MEMBER".into(), text(job.member()));
        p.insert("SPLIT".into(), job.5.map_or(String::new(), |s| s.to_string()));
        p.insert("SPLITS".into(), job.6.map_or(String::new(), |s| s.to_string()));
        p.insert("RETRIALS".into(), section.retrials.to_string());
        p.insert("FAIL_COUNT".into(), "0".into());
        p.insert("CURRENT_ARCH".into(), section.platform.clone());
        // The platform's and the section's settings, the section's winning.
        for prefix in [format!("PLATFORMS.{}.", section.platform), format!("JOBS.{}.", section.name)] {
            for (k, v) in self.base.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)) {
                p.insert(format!("CURRENT_{}", &k[prefix.len()..]), v.clone());
            }
        }
        p.insert("CHUNK".into(), job.chunk().unwrap_or(1).to_string());
        if let Some(date) = job.date() {
            chunk_parameters(&self.base, date, job.chunk().unwrap_or(1), &mut p)?;
        }
        Ok(p)
    }

    /// A parameter: the job's layer first, then the shared ones.
    pub fn get<'a>(&'a self, layer: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
        layer.get(name).or_else(|| self.base.get(name)).map(String::as_str)
    }
}

/// Autosubmit's `calendar_chunk`: the chunk's dates, in the format of the start dates.
fn chunk_parameters(base: &BTreeMap<String, String>, date: &str, chunk: i64, p: &mut BTreeMap<String, String>) -> Result<(), HindcastError> {
    let text = |key: &str| base.get(key).cloned();
    let invalid = |key: &str, message: String| HindcastError::invalid(key, message);
    let size_text = text("EXPERIMENT.CHUNKSIZE").unwrap_or_else(|| "1".into());
    let size: i64 = size_text.trim().parse().map_err(|_| invalid("EXPERIMENT.CHUNKSIZE", format!("'{size_text}' is not a whole number")))?;
    let unit_text = text("EXPERIMENT.CHUNKSIZEUNIT").unwrap_or_default();
    let unit = ChunkUnit::parse(&unit_text)
        .ok_or_else(|| invalid("EXPERIMENT.CHUNKSIZEUNIT", format!("'{unit_text}' is not hour, day, month or year")))?;
    let noleap = text("EXPERIMENT.CALENDAR").is_some_and(|c| c.trim().eq_ignore_ascii_case("noleap"));
    let start = calendar::parse_date(date).ok_or_else(|| invalid("EXPERIMENT.DATELIST", format!("'{date}' is not a date")))?;
    let numchunks = text("EXPERIMENT.NUMCHUNKS").and_then(|n| n.trim().parse::<i64>().ok()).unwrap_or(1);
    let (from, to) = calendar::chunk_bounds(start, chunk, ChunkCalendar { size, unit, noleap });
    let before_end = match unit {
        ChunkUnit::Hour => to - Duration::hours(1),
        _ => calendar::previous_day(to, noleap),
    };
    let width = date.len();
    let show = |d| calendar::date_text(d, width);
    p.insert("DAY_BEFORE".into(), show(calendar::previous_day(start, noleap)));
    p.insert("RUN_DAYS".into(), calendar::days_between(from, to, noleap).to_string());
    p.insert("CHUNK_END_IN_DAYS".into(), calendar::days_between(start, to, noleap).to_string());
    p.insert("PREV".into(), calendar::days_between(start, from, noleap).to_string());
    for (prefix, d) in [("CHUNK_START", from), ("CHUNK_SECOND_TO_LAST", before_end), ("CHUNK_END", to)] {
        p.insert(format!("{prefix}_DATE"), show(d));
        p.insert(format!("{prefix}_YEAR"), d.year().to_string());
        p.insert(format!("{prefix}_MONTH"), format!("{:02}", d.month()));
        p.insert(format!("{prefix}_DAY"), format!("{:02}", d.day()));
        p.insert(format!("{prefix}_HOUR"), format!("{:02}", d.hour()));
    }
    p.insert("CHUNK_FIRST".into(), if chunk == 1 { "TRUE" } else { "FALSE" }.into());
    p.insert("CHUNK_LAST".into(), if chunk == numchunks { "TRUE" } else { "FALSE" }.into());
    Ok(())
}

/// `A.B.C` → text for every scalar of the merged configuration, keys upper-cased as
/// Autosubmit normalises them; lists as space-separated text.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    use serde_json::Value as J;
    let key = |k: &str| match prefix.is_empty() {
        true => k.to_uppercase(),
        false => format!("{prefix}.{}", k.to_uppercase()),
    };
    match value {
        J::Object(map) => map.iter().for_each(|(k, v)| flatten(&key(k), v, out)),
        J::Array(items) => {
            let words: Vec<String> = items.iter().filter_map(scalar).collect();
            out.insert(prefix.to_owned(), words.join(" "));
        }
        other => {
            if let Some(text) = scalar(other) {
                out.insert(prefix.to_owned(), text);
            }
        }
    }
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => Some(String::new()),
        serde_json::Value::Object(_) | serde_json::Value::Array(_) => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_resolve_and_unknown_ones_stay_as_written() {
        let parameters: BTreeMap<String, String> =
            [("CHUNK", "2"), ("DEFAULT.EXPID", "a000"), ("EMPTY", "")].map(|(k, v)| (k.into(), v.into())).into();
        let resolved = resolve("run %DEFAULT.EXPID% chunk %CHUNK% of %NOPE%; 50% done, %% %EMPTY%. %NOPE%", &parameters);
        assert_eq!(resolved.text, "run a000 chunk 2 of %NOPE%; 50% done, %% . %NOPE%");
        assert_eq!(resolved.unresolved, ["NOPE"]);
    }
}
