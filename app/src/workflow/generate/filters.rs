//! Mapping-form relationships: choosing the *_FROM entries that apply to a job and unifying
//! their *_TO values into one filter (SPEC §5; Autosubmit's `_filter_current_job`,
//! `_check_relationship`, `_unify_to_filter(s)`, `_parse_filter(s)_to_check`). Text quirks
//! are kept on purpose: the graphs depend on them.

use super::items::{parse_item, parse_keys, Level, Refusal, Values, FROM_LEVELS, TO_KINDS};
use super::model::Experiment;
use super::value::{Map, Val};

/// What the filters read of a job.
pub(super) struct JobView {
    /// `YYYYMMDD`, member and chunk as text with Python truthiness.
    pub date: Option<String>,
    pub member: Option<String>,
    pub chunk: Option<i64>,
    pub split: i64,
    pub splits: i64,
}

impl JobView {
    fn value(&self, level: Level) -> (String, bool) {
        match level {
            Level::DatesFrom => self.date.clone().map_or((String::new(), false), |d| (d, true)),
            Level::MembersFrom => self.member.clone().map_or(("None".into(), false), |m| {
                let t = !m.is_empty();
                (m, t)
            }),
            Level::ChunksFrom => self.chunk.map_or(("None".into(), false), |c| (c.to_string(), c != 0)),
            _ => (self.split.to_string(), self.split != 0),
        }
    }
}

/// The *_TO mappings of every entry of `rels[level]` that selects the job (`_check_relationship`).
fn check_relationship(exp: &Experiment, rels: &Map, level: Level, job: &JobView) -> Result<Vec<Map>, Refusal> {
    let mut relationship = match rels.get(level.name()) {
        None => Map::default(),
        Some(Val::Map(m)) => m.clone(),
        Some(_) => return Err(Refusal::new(level.name(), "must be a mapping of values to *_TO mappings")),
    };
    let inherited = |key: &str| rels.get(key).cloned().unwrap_or(Val::Null);
    let status = relationship.pop("STATUS").unwrap_or_else(|| inherited("STATUS"));
    let from_step = relationship.pop("FROM_STEP").unwrap_or_else(|| inherited("FROM_STEP"));
    let (value, truthy) = job.value(level);
    let value = value.trim_matches(' ').to_lowercase();
    let values = Values::of(exp, level);
    let mut filters = Vec::new();
    for (key, data) in relationship.0 {
        let Val::Map(mut data) = data else {
            return Err(Refusal::new(format!("{}.{key}", level.name()), "must be a mapping of *_TO keys"));
        };
        let selected = parse_keys(&key, values, level)?;
        let included = ["all", "natural", "none"].contains(&key.to_lowercase().as_str())
            || !truthy
            || selected.iter().any(|v| v.trim_matches(' ').to_lowercase() == value);
        if included {
            if !data.get("STATUS").is_some_and(Val::truthy) {
                data.set("STATUS", status.clone());
            }
            if !data.get("FROM_STEP").is_some_and(Val::truthy) {
                data.set("FROM_STEP", from_step.clone());
            }
            filters.push(data);
        }
    }
    if filters.is_empty() {
        filters.push(Map::default());
    }
    Ok(filters)
}

/// `_check_dates` … `_check_splits`: nested *_FROM levels overwrite their entry's keys.
fn check_level(exp: &Experiment, level: Level, rels: &Map, job: &JobView) -> Result<Map, Refusal> {
    let mut filters = check_relationship(exp, rels, level, job)?;
    for f in &mut filters {
        for &inner in level.inner() {
            if let Some(value) = f.pop(inner.name()) {
                let sub = check_level(exp, inner, &Map(vec![(inner.name().to_owned(), value)]), job)?;
                for (k, v) in sub.0 {
                    f.set(&k, v);
                }
            }
        }
    }
    unify(exp, filters, (level == Level::SplitsFrom).then_some(job.splits))
}

/// `_unify_to_filters` + `_normalize_to_filters`.
fn unify(exp: &Experiment, filters: Vec<Map>, splits: Option<i64>) -> Result<Map, Refusal> {
    let mut texts: [String; 4] = Default::default();
    let mut extra = Map::default();
    let levels = [Level::DatesTo, Level::MembersTo, Level::ChunksTo, Level::SplitsTo];
    for mut f in filters {
        for key in ["STATUS", "FROM_STEP"] {
            if !extra.contains(key) {
                if let Some(v) = f.get(key).filter(|v| v.truthy()) {
                    extra.set(key, v.clone());
                }
            }
        }
        if !f.is_empty() {
            for (text, level) in texts.iter_mut().zip(levels) {
                unify_one(exp, text, &mut f, level, if level == Level::SplitsTo { splits } else { None })?;
            }
        }
    }
    let mut out = Map::default();
    for (text, kind) in texts.into_iter().zip(TO_KINDS) {
        if text.is_empty() || text == "," {
            continue;
        }
        let value = if text.contains("all") {
            "all".to_owned()
        } else {
            let t = text.strip_suffix(',').unwrap_or(&text);
            t.strip_prefix(',').unwrap_or(t).to_owned()
        };
        out.set(kind, Val::Str(value));
    }
    out.0.extend(extra.0);
    let is_none = |v: &Val| v.text().is_some_and(|t| t.to_lowercase() == "none");
    if out.0.iter().filter(|(_, v)| is_none(v)).count() != 4 {
        out.0.retain(|(_, v)| !is_none(v));
    }
    Ok(out)
}

/// `_unify_to_filter`: appends `value<extra>,` items (ranges expanded) for one *_TO kind.
fn unify_one(exp: &Experiment, text: &mut String, f: &mut Map, level: Level, splits: Option<i64>) -> Result<(), Refusal> {
    if !text.is_empty() && !text.ends_with(',') {
        text.push(',');
    }
    if text.to_lowercase().contains("all") {
        return Ok(());
    }
    // An absent kind reads as Python's "None".
    let raw = match f.pop(level.name()) {
        None => "None".to_owned(),
        Some(v) => v.text().ok_or_else(|| Refusal::new(level.name(), "must be a text, not a mapping or list"))?,
    };
    let values = Values::of(exp, level);
    for element in raw.split(',').filter(|e| !e.is_empty()) {
        let Some(found) = first_token(element) else {
            return Err(Refusal::new(level.name(), format!("cannot read '{element}'")));
        };
        let parsed = found.to_lowercase();
        // Autosubmit cuts by the token's length from the element's start, not after the token.
        let rest: String = element.chars().skip(parsed.chars().count()).collect();
        let items = parse_item(&parsed, values, level, splits)?;
        let skip = items.iter().any(|e| matches!(e.to_lowercase().as_str(), "natural" | "none"));
        if skip && !text.is_empty() {
            continue;
        }
        for e in items {
            let item = format!("{e}{rest},");
            if !text.contains(&item) {
                text.push_str(&item);
            }
        }
    }
    Ok(())
}

/// The first match of `[\[:\]a-zA-Z0-9._-]+`.
fn first_token(element: &str) -> Option<&str> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '[' | ']' | ':' | '.' | '_' | '-');
    let start = element.find(ok)?;
    let len = element[start..].find(|c: char| !ok(c)).unwrap_or(element.len() - start);
    Some(&element[start..start + len])
}

/// `_filter_current_job`: the first *_FROM level present decides; none → the mapping itself.
pub(super) fn filter_current_job(exp: &Experiment, rel: &Val, job: &JobView) -> Result<Map, Refusal> {
    let Val::Map(rel) = rel else { return Ok(Map::default()) };
    if rel.is_empty() {
        return Ok(Map::default());
    }
    for level in FROM_LEVELS {
        if rel.contains(level.name()) {
            return check_level(exp, level, rel, job);
        }
    }
    Ok(rel.clone())
}

/// `get_filters_to_apply`: the *_TO filter of a key for a job; empty = a natural dependency.
pub(super) fn filters_to_apply(exp: &Experiment, rel: &Val, job: &JobView) -> Result<Vec<(String, String)>, Refusal> {
    if !rel.truthy() {
        return Ok(Vec::new());
    }
    let mut filters = filter_current_job(exp, rel, job)?;
    filters.pop("STATUS");
    if filters.contains("FROM_STEP") && TO_KINDS.iter().all(|k| filters.get(k).is_none_or(|v| *v == Val::Str("none".into()))) {
        filters = Map::default();
    }
    filters.pop("FROM_STEP");
    filters.pop("ANY_FINAL_STATUS_IS_VALID");
    let mut out = Vec::with_capacity(filters.len());
    for (k, v) in filters.0 {
        match v {
            Val::Str(s) => out.push((k, s)),
            other => {
                let shown = other.text().unwrap_or_else(|| "a mapping or list".into());
                return Err(Refusal::new(k, format!("'{shown}' must be written as text (quoted)")));
            }
        }
    }
    if out.iter().all(|(_, v)| v.to_lowercase() == "natural") {
        out.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::generate::items::tests::exp;

    #[test]
    fn an_absent_kind_unifies_to_none() {
        let e = exp();
        let a = Map(vec![("CHUNKS_TO".into(), Val::Str("1".into()))]);
        let b = Map(vec![("CHUNKS_TO".into(), Val::Str("[2:3]*\\2".into()))]);
        let u = unify(&e, vec![a, b], None).unwrap();
        assert_eq!(u.get("CHUNKS_TO"), Some(&Val::Str("1,2*\\2,3*\\2".into())));
        assert_eq!(u.get("DATES_TO"), None, "'none' dropped unless all four are none");
    }
}
