//! The catalogue query: search, filters, sort and page. Parsed once from URL parameters (the
//! GUI keeps it in the address bar, the API reads autosubmit-api's parameters) and written
//! back as a query string, so a link reproduces a view.

use super::ExperimentKind;
use crate::error::HindcastError;
use serde::{Deserialize, Serialize};

pub const DEFAULT_PAGE_SIZE: u32 = 12;
pub const MAX_PAGE_SIZE: u32 = 1000;
const MAX_FILTER_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Expid,
    Created,
    Description,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expid => "expid",
            Self::Created => "created",
            Self::Description => "description",
        }
    }
}

/// Raw, unvalidated parameters as they arrive in a URL (all optional strings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListParams {
    /// Text searched in id, description and owner (case-insensitive).
    pub query: Option<String>,
    /// Only experiments whose workflow is running. Default true in the API (as in
    /// autosubmit-api), false in the GUI.
    pub only_active: Option<String>,
    /// Exact owner name.
    pub owner: Option<String>,
    /// experiment, test, operational or evaluation.
    pub exp_type: Option<String>,
    /// Exact HPC name (case-insensitive).
    pub hpc: Option<String>,
    /// expid, created or description.
    pub order_by: Option<String>,
    /// Sort descending (true/false).
    pub order_desc: Option<String>,
    /// 1-based page number.
    pub page: Option<String>,
    /// 1 to 1000; default 12.
    pub page_size: Option<String>,
}

/// A validated catalogue query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub query: Option<String>,
    pub only_active: bool,
    pub owner: Option<String>,
    pub exp_type: Option<ExperimentKind>,
    pub hpc: Option<String>,
    pub order_by: SortKey,
    pub order_desc: bool,
    pub page: u32,
    pub page_size: u32,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            query: None,
            only_active: false,
            owner: None,
            exp_type: None,
            hpc: None,
            order_by: SortKey::Expid,
            order_desc: false,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl ListQuery {
    /// Validates raw parameters; `only_active_default` is what a missing `only_active` means.
    pub fn parse(params: &ListParams, only_active_default: bool) -> Result<Self, HindcastError> {
        let page = parse_number("page", params.page.as_deref(), 1)?;
        if page < 1 {
            return Err(HindcastError::invalid("page", "must be 1 or more"));
        }
        let page_size = parse_number("page_size", params.page_size.as_deref(), DEFAULT_PAGE_SIZE)?;
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(HindcastError::invalid(
                "page_size",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        let order_by = match blank_to_none(params.order_by.as_deref()) {
            None => SortKey::default(),
            Some("expid") => SortKey::Expid,
            Some("created") => SortKey::Created,
            Some("description") => SortKey::Description,
            Some(other) => {
                return Err(HindcastError::invalid(
                    "order_by",
                    format!("'{other}' is not a sort key; use expid, created or description"),
                ))
            }
        };
        Ok(Self {
            query: parse_filter("query", params.query.as_deref())?,
            only_active: parse_bool("only_active", params.only_active.as_deref(), only_active_default)?,
            owner: parse_filter("owner", params.owner.as_deref())?,
            exp_type: match blank_to_none(params.exp_type.as_deref()) {
                None => None,
                Some(kind) => Some(kind.parse().map_err(|_| {
                    HindcastError::invalid(
                        "exp_type",
                        format!("'{kind}' is not a kind; use experiment, test, operational or evaluation"),
                    )
                })?),
            },
            hpc: parse_filter("hpc", params.hpc.as_deref())?,
            order_by,
            order_desc: parse_bool("order_desc", params.order_desc.as_deref(), false)?,
            page,
            page_size,
        })
    }

    /// The URL query string (without `?`) that reproduces this view in the GUI; defaults are
    /// left out so links stay short.
    pub fn to_query_string(&self) -> String {
        let defaults = Self::default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(q) = &self.query {
            pairs.push(("query", q.clone()));
        }
        if self.only_active {
            pairs.push(("only_active", "true".into()));
        }
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.clone()));
        }
        if let Some(kind) = self.exp_type {
            pairs.push(("exp_type", kind.as_str().into()));
        }
        if let Some(hpc) = &self.hpc {
            pairs.push(("hpc", hpc.clone()));
        }
        if self.order_by != defaults.order_by {
            pairs.push(("order_by", self.order_by.as_str().into()));
        }
        if self.order_desc {
            pairs.push(("order_desc", "true".into()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if self.page_size != defaults.page_size {
            pairs.push(("page_size", self.page_size.to_string()));
        }
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode_component(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The first row of this page, counted from zero.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

pub(crate) fn blank_to_none(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn parse_filter(field: &str, raw: Option<&str>) -> Result<Option<String>, HindcastError> {
    match blank_to_none(raw) {
        Some(text) if text.chars().count() > MAX_FILTER_CHARS => Err(HindcastError::invalid(
            field,
            format!("too long; at most {MAX_FILTER_CHARS} characters"),
        )),
        Some(text) if text.chars().any(char::is_control) => {
            Err(HindcastError::invalid(field, "must not contain control characters"))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

pub(crate) fn parse_number(field: &str, raw: Option<&str>, default: u32) -> Result<u32, HindcastError> {
    match blank_to_none(raw) {
        None => Ok(default),
        Some(text) => text.parse::<i64>().ok().and_then(|n| u32::try_from(n.max(0)).ok()).ok_or_else(|| {
            HindcastError::invalid(field, format!("'{text}' is not a whole number"))
        }),
    }
}

pub(crate) fn parse_bool(field: &str, raw: Option<&str>, default: bool) -> Result<bool, HindcastError> {
    match blank_to_none(raw).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(HindcastError::invalid(field, format!("'{other}' is not true or false"))),
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "query" => p.query = v,
                "only_active" => p.only_active = v,
                "owner" => p.owner = v,
                "exp_type" => p.exp_type = v,
                "hpc" => p.hpc = v,
                "order_by" => p.order_by = v,
                "order_desc" => p.order_desc = v,
                "page" => p.page = v,
                "page_size" => p.page_size = v,
                _ => unreachable!(),
            }
        }
        p
    }

    #[test]
    fn defaults_depend_on_the_caller() {
        assert!(ListQuery::parse(&ListParams::default(), true).unwrap().only_active);
        assert!(!ListQuery::parse(&ListParams::default(), false).unwrap().only_active);
    }

    #[test]
    fn page_size_outside_bounds_names_the_field() {
        for bad in ["0", "1001", "-3", "ten"] {
            let err = ListQuery::parse(&params(&[("page_size", bad)]), false).unwrap_err();
            assert!(matches!(err, HindcastError::Invalid { ref field, .. } if field == "page_size"), "{bad}");
        }
        assert_eq!(ListQuery::parse(&params(&[("page_size", "1000")]), false).unwrap().page_size, 1000);
    }

    #[test]
    fn bad_sort_kind_and_page_are_rejected() {
        assert!(ListQuery::parse(&params(&[("order_by", "owner")]), false).is_err());
        assert!(ListQuery::parse(&params(&[("exp_type", "prod")]), false).is_err());
        assert!(ListQuery::parse(&params(&[("page", "0")]), false).is_err());
        assert!(ListQuery::parse(&params(&[("order_desc", "maybe")]), false).is_err());
        assert!(ListQuery::parse(&params(&[("query", "a\0b")]), false).is_err());
    }

    #[test]
    fn query_string_round_trips() {
        let q = ListQuery::parse(
            &params(&[
                ("query", "sea ice & more"),
                ("only_active", "on"),
                ("exp_type", "test"),
                ("order_by", "created"),
                ("order_desc", "true"),
                ("page", "3"),
                ("page_size", "50"),
            ]),
            false,
        )
        .unwrap();
        let qs = q.to_query_string();
        assert_eq!(
            qs,
            "query=sea%20ice%20%26%20more&only_active=true&exp_type=test&order_by=created&order_desc=true&page=3&page_size=50"
        );
        assert_eq!(q.offset(), 100);
        assert_eq!(ListQuery::default().to_query_string(), "");
    }
}
