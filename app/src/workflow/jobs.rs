//! Jobs as the views and the API read them, and the job query: filters, sort and page, parsed
//! once from URL parameters (autosubmit-api's `job_name`, `status`, `page`, `page_size`, plus
//! Hindcast's section/date/member/chunk filters and sort) and written back as a query string.

use super::JobStatus;
use crate::error::HindcastError;
use crate::experiment::list_query::{blank_to_none, parse_bool, parse_filter, parse_number};
use crate::experiment::{encode_component, Pagination, MAX_PAGE_SIZE};
use serde::{Deserialize, Serialize};

/// One job: autosubmit-api 4.2.0's job fields plus what Hindcast adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Job {
    pub name: String,
    pub status: JobStatus,
    pub priority: i64,
    pub section: String,
    /// As configured, e.g. `20000101`.
    pub date: Option<String>,
    pub member: Option<String>,
    pub chunk: Option<i64>,
    pub split: Option<i64>,
    pub splits: Option<i64>,
    pub platform: String,
    /// once, date, member or chunk.
    pub running: String,
    pub retrials: i64,
    pub wallclock: Option<String>,
    pub processors: String,
    /// RFC 3339 times of the last attempt, once the engine has run the job.
    pub submit: Option<String>,
    pub start: Option<String>,
    pub finish: Option<String>,
}

/// A page of jobs: `GET /v4/experiments/{expid}/jobs`' body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobPage {
    pub jobs: Vec<Job>,
    pub pagination: Pagination,
    /// The GUI's quick view of this page, as HTML made on the server: the list's code then
    /// stays out of the browser bundle (where it cost 5 KB of gzipped wasm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_html: Option<String>,
}

/// How many jobs an experiment has in each status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobSummary {
    pub total: u64,
    /// Statuses with at least one job, in Autosubmit's code order.
    pub counts: Vec<StatusCount>,
    /// How many times the graph was generated (0: never).
    pub graph_version: i64,
    /// RFC 3339, UTC; absent before the first generation.
    pub generated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusCount {
    pub status: JobStatus,
    pub count: u64,
}

impl JobSummary {
    pub fn count(&self, status: JobStatus) -> u64 {
        self.counts.iter().find(|c| c.status == status).map_or(0, |c| c.count)
    }
}

/// A job's neighbour in the graph: autosubmit-api's `{job_name, status?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobLink {
    pub job_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    /// The status the parent must reach for the child to start, when the dependency names one
    /// (Autosubmit's STATUS); without it the parent must complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<JobStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobSortKey {
    #[default]
    Name,
    Status,
    Section,
    Date,
    Member,
    Chunk,
    Priority,
}

impl JobSortKey {
    pub const ALL: [JobSortKey; 7] =
        [Self::Name, Self::Status, Self::Section, Self::Date, Self::Member, Self::Chunk, Self::Priority];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Status => "status",
            Self::Section => "section",
            Self::Date => "date",
            Self::Member => "member",
            Self::Chunk => "chunk",
            Self::Priority => "priority",
        }
    }
}

/// A job-name filter: `*` matches any text, a leading `!` keeps the jobs that do not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamePattern {
    pub text: String,
}

impl NamePattern {
    pub fn negated(&self) -> bool {
        self.text.starts_with('!')
    }

    /// Whether `name` matches, ignoring ASCII case; without `*` the text may appear anywhere.
    pub fn matches(&self, name: &str) -> bool {
        self.matcher().matches(name)
    }

    /// The pattern prepared for matching many names.
    pub fn matcher(&self) -> NameMatcher {
        let body = self.text.strip_prefix('!').unwrap_or(&self.text);
        let parts: Vec<Vec<u8>> = body.split('*').map(|p| p.as_bytes().to_ascii_lowercase()).collect();
        NameMatcher { wildcard: parts.len() > 1, parts, negated: self.negated() }
    }
}

/// A compiled name pattern: its pieces between `*`s, lower-cased.
#[derive(Debug, Clone)]
pub struct NameMatcher {
    parts: Vec<Vec<u8>>,
    wildcard: bool,
    negated: bool,
}

impl NameMatcher {
    pub fn matches(&self, name: &str) -> bool {
        let text = name.as_bytes();
        let found = if self.wildcard { self.glob(text) } else { find(text, &self.parts[0]).is_some() };
        found != self.negated
    }

    /// `*` matches any text (including none); everything else matches itself.
    fn glob(&self, text: &[u8]) -> bool {
        let (first, last) = (&self.parts[0], &self.parts[self.parts.len() - 1]);
        if text.len() < first.len() + last.len()
            || !text[..first.len()].eq_ignore_ascii_case(first)
            || !text[text.len() - last.len()..].eq_ignore_ascii_case(last)
        {
            return false;
        }
        let mut rest = &text[first.len()..text.len() - last.len()];
        for part in &self.parts[1..self.parts.len() - 1] {
            match find(rest, part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Where `needle` (lower case) first occurs in `text`, ignoring ASCII case.
fn find(text: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    text.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// Raw job-list parameters as they arrive in a URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct JobParams {
    /// `base` (every field, default) or `quick` (name and status).
    pub view: Option<String>,
    /// Job name; `*` is a wildcard, a leading `!` negates. Without `*`, a substring.
    pub job_name: Option<String>,
    /// One status, or several separated by commas (e.g. `FAILED,HELD`).
    pub status: Option<String>,
    pub section: Option<String>,
    pub date: Option<String>,
    pub member: Option<String>,
    pub chunk: Option<String>,
    /// name, status, section, date, member, chunk or priority.
    pub order_by: Option<String>,
    pub order_desc: Option<String>,
    /// 1-based page number.
    pub page: Option<String>,
    /// 1 to 1000. Omit for every job in the API; the GUI pages by 100.
    pub page_size: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobView {
    #[default]
    Base,
    Quick,
}

/// A validated job query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobQuery {
    pub view: JobView,
    pub name: Option<NamePattern>,
    pub statuses: Vec<JobStatus>,
    pub section: Option<String>,
    pub date: Option<String>,
    pub member: Option<String>,
    pub chunk: Option<i64>,
    pub order_by: JobSortKey,
    pub order_desc: bool,
    pub page: u32,
    /// `None`: every matching job.
    pub page_size: Option<u32>,
}

pub const GUI_JOB_PAGE_SIZE: u32 = 100;

impl JobQuery {
    pub fn parse(params: &JobParams) -> Result<Self, HindcastError> {
        let page = parse_number("page", params.page.as_deref(), 1)?;
        if page < 1 {
            return Err(HindcastError::invalid("page", "must be 1 or more"));
        }
        let page_size = match blank_to_none(params.page_size.as_deref()) {
            None => None,
            Some(_) => {
                let size = parse_number("page_size", params.page_size.as_deref(), 1)?;
                if !(1..=MAX_PAGE_SIZE).contains(&size) {
                    return Err(HindcastError::invalid("page_size", format!("must be between 1 and {MAX_PAGE_SIZE}")));
                }
                Some(size)
            }
        };
        let view = match blank_to_none(params.view.as_deref()) {
            None | Some("base") => JobView::Base,
            Some("quick") => JobView::Quick,
            Some(other) => return Err(HindcastError::invalid("view", format!("'{other}' is not a view; use base or quick"))),
        };
        let statuses = match blank_to_none(params.status.as_deref()) {
            None => Vec::new(),
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| JobStatus::parse(s).ok_or_else(|| HindcastError::invalid("status", JobStatus::allowed_values())))
                .collect::<Result<_, _>>()?,
        };
        let order_by = match blank_to_none(params.order_by.as_deref()) {
            None => JobSortKey::default(),
            Some(key) => JobSortKey::ALL.into_iter().find(|k| k.as_str() == key).ok_or_else(|| {
                HindcastError::invalid(
                    "order_by",
                    format!("'{key}' is not a sort key; use name, status, section, date, member, chunk or priority"),
                )
            })?,
        };
        let chunk = match blank_to_none(params.chunk.as_deref()) {
            None => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .map_err(|_| HindcastError::invalid("chunk", format!("'{text}' is not a whole number")))?,
            ),
        };
        Ok(Self {
            view,
            name: parse_filter("job_name", params.job_name.as_deref())?.map(|text| NamePattern { text }),
            statuses,
            section: parse_filter("section", params.section.as_deref())?,
            date: parse_filter("date", params.date.as_deref())?,
            member: parse_filter("member", params.member.as_deref())?,
            chunk,
            order_by,
            order_desc: parse_bool("order_desc", params.order_desc.as_deref(), false)?,
            page,
            page_size,
        })
    }

    /// The first row of this page, counted from zero.
    pub fn offset(&self) -> u64 {
        self.page_size.map_or(0, |size| u64::from(self.page - 1) * u64::from(size))
    }

    /// The URL query string (without `?`) reproducing this view; defaults left out.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.view == JobView::Quick {
            pairs.push(("view", "quick".into()));
        }
        if let Some(name) = &self.name {
            pairs.push(("job_name", name.text.clone()));
        }
        if !self.statuses.is_empty() {
            pairs.push(("status", self.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")));
        }
        for (key, value) in [("section", &self.section), ("date", &self.date), ("member", &self.member)] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        if let Some(chunk) = self.chunk {
            pairs.push(("chunk", chunk.to_string()));
        }
        if self.order_by != JobSortKey::Name {
            pairs.push(("order_by", self.order_by.as_str().into()));
        }
        if self.order_desc {
            pairs.push(("order_desc", "true".into()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if let Some(size) = self.page_size {
            pairs.push(("page_size", size.to_string()));
        }
        pairs.into_iter().map(|(k, v)| format!("{k}={}", encode_component(&v))).collect::<Vec<_>>().join("&")
    }

    /// The pagination block for a page of `page_items` out of `total_items`.
    pub fn pagination(&self, page_items: u32, total_items: u32) -> Pagination {
        match self.page_size {
            Some(size) => Pagination::new(self.page, size, page_items, total_items),
            None => Pagination { page: self.page, page_size: None, total_pages: 1, page_items, total_items },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns_match_with_wildcards_and_negation() {
        let p = |t: &str| NamePattern { text: t.to_owned() };
        let name = "a000_20000101_fc0_1_SIM";
        for yes in ["a000_*_SIM", "*sim", "A000_*", "fc0", "a000*fc0*SIM", "*", "!*_POST"] {
            assert!(p(yes).matches(name), "{yes}");
        }
        for no in ["*_POST", "a001*", "fc1", "!*_SIM", "a000_*_SIM_*", "SIM*"] {
            assert!(!p(no).matches(name), "{no}");
        }
        assert!(!p("a0*0a").matches("a0a"), "overlapping prefix and suffix");
    }

    #[test]
    fn statuses_parse_and_bad_ones_list_the_allowed_values() {
        let q = JobQuery::parse(&JobParams { status: Some("failed, HELD".into()), ..Default::default() }).unwrap();
        assert_eq!(q.statuses, vec![JobStatus::Failed, JobStatus::Held]);
        let err = JobQuery::parse(&JobParams { status: Some("BOGUS".into()), ..Default::default() }).unwrap_err();
        assert_eq!(
            err.to_string(),
            "status: Invalid job status. Allowed values: COMPLETED, DELAYED, FAILED, HELD, PREPARED, QUEUING, \
             READY, RUNNING, SKIPPED, SUBMITTED, SUSPENDED, UNKNOWN, WAITING"
        );
    }

    #[test]
    fn query_strings_round_trip_and_bad_input_names_the_field() {
        let params = JobParams {
            job_name: Some("!*_SIM".into()),
            status: Some("FAILED".into()),
            chunk: Some("3".into()),
            order_by: Some("status".into()),
            page: Some("2".into()),
            page_size: Some("50".into()),
            ..Default::default()
        };
        let q = JobQuery::parse(&params).unwrap();
        assert_eq!(q.offset(), 50);
        let text = q.to_query_string();
        assert_eq!(text, "job_name=%21%2A_SIM&status=FAILED&chunk=3&order_by=status&page=2&page_size=50");
        for (field, params) in [
            ("page_size", JobParams { page_size: Some("0".into()), ..Default::default() }),
            ("chunk", JobParams { chunk: Some("x".into()), ..Default::default() }),
            ("order_by", JobParams { order_by: Some("nope".into()), ..Default::default() }),
            ("view", JobParams { view: Some("tree".into()), ..Default::default() }),
        ] {
            let err = JobQuery::parse(&params).unwrap_err();
            assert!(matches!(&err, HindcastError::Invalid { field: f, .. } if f == field), "{err}");
        }
    }
}
