//! Filter items and *_FROM keys as Autosubmit parses them (`_parse_filter_to_check`,
//! `_parse_filters_to_check`): values, `[a:b:s]` ranges over the experiment's dates, members
//! or chunks, and Autosubmit's fallback when a bound is not in the list.

use super::model::Experiment;

/// A refusal relative to the dependency key being evaluated (`key` may be empty).
#[derive(Debug)]
pub(super) struct Refusal {
    pub key: String,
    pub message: String,
}

impl Refusal {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { key: key.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    DatesFrom,
    MembersFrom,
    ChunksFrom,
    SplitsFrom,
    DatesTo,
    MembersTo,
    ChunksTo,
    SplitsTo,
}

pub(super) const FROM_LEVELS: [Level; 4] = [Level::DatesFrom, Level::MembersFrom, Level::ChunksFrom, Level::SplitsFrom];
pub(super) const TO_KINDS: [&str; 4] = ["DATES_TO", "MEMBERS_TO", "CHUNKS_TO", "SPLITS_TO"];

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::DatesFrom => "DATES_FROM",
            Level::MembersFrom => "MEMBERS_FROM",
            Level::ChunksFrom => "CHUNKS_FROM",
            Level::SplitsFrom => "SPLITS_FROM",
            Level::DatesTo => "DATES_TO",
            Level::MembersTo => "MEMBERS_TO",
            Level::ChunksTo => "CHUNKS_TO",
            Level::SplitsTo => "SPLITS_TO",
        }
    }

    pub fn inner(self) -> &'static [Level] {
        match self {
            Level::DatesFrom => &[Level::MembersFrom, Level::ChunksFrom, Level::SplitsFrom],
            Level::MembersFrom => &[Level::ChunksFrom, Level::SplitsFrom],
            Level::ChunksFrom => &[Level::SplitsFrom],
            _ => &[],
        }
    }

    fn is_splits(self) -> bool {
        matches!(self, Level::SplitsFrom | Level::SplitsTo)
    }
}

/// The value list a range is taken from.
#[derive(Clone, Copy)]
pub(super) enum Values<'a> {
    Text(&'a [String]),
    Ints(&'a [i64]),
    Empty,
}

impl<'a> Values<'a> {
    pub fn of(exp: &'a Experiment, level: Level) -> Self {
        match level {
            Level::DatesFrom | Level::DatesTo => Values::Text(&exp.days),
            Level::MembersFrom | Level::MembersTo => Values::Text(&exp.members),
            Level::ChunksFrom | Level::ChunksTo => Values::Ints(&exp.chunks),
            Level::SplitsFrom | Level::SplitsTo => Values::Empty,
        }
    }

    fn len(self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Ints(v) => v.len(),
            Values::Empty => 0,
        }
    }

    fn text(self, i: usize) -> String {
        match self {
            Values::Text(v) => v[i].clone(),
            Values::Ints(v) => v[i].to_string(),
            Values::Empty => String::new(),
        }
    }

    fn position(self, bound: &Bound) -> Option<usize> {
        match (self, bound) {
            (Values::Text(v), Bound::Text(t)) => v.iter().position(|x| x == t),
            (Values::Ints(v), Bound::Int(n)) => v.iter().position(|x| x == n),
            _ => None,
        }
    }
}

/// A range end as Python holds it: absent, an int or a text.
#[derive(Debug, Clone)]
enum Bound {
    Absent,
    Int(i64),
    Text(String),
}

impl Bound {
    fn truthy(&self) -> bool {
        match self {
            Bound::Absent => false,
            Bound::Int(n) => *n != 0,
            Bound::Text(t) => !t.is_empty(),
        }
    }

    fn to_int(&self, level: Level) -> Result<i64, Refusal> {
        match self {
            Bound::Absent => Ok(0),
            Bound::Int(n) => Ok(*n),
            Bound::Text(t) => t.trim().parse().map_err(|_| not_a_number(level, t)),
        }
    }
}

fn not_a_number(level: Level, text: &str) -> Refusal {
    Refusal::new(level.name(), format!("'{text}' is not a whole number"))
}

/// The largest range expanded; beyond it the configuration is refused.
const MAX_RANGE: i64 = 1_000_000;

/// One filter item (`5`, `[1:3]`, `[::2]`, `fc0`, `natural`) → its values as text
/// (`_parse_filter_to_check`).
pub(super) fn parse_item(text: &str, values: Values, level: Level, splits: Option<i64>) -> Result<Vec<String>, Refusal> {
    let mut text = text.to_owned();
    if level.is_splits() {
        let with = splits.map_or_else(|| "None".to_owned(), |s| s.to_string());
        if text.contains("auto") {
            text = text.replace("auto", &with);
        } else if text.contains("-1") {
            text = text.replace("-1", &with);
        } else if text.contains("last") {
            text = text.replace("last", &with);
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let colons = chars.iter().filter(|&&c| c == ':').count();
    if colons == 0 || colons > 2 {
        return Ok(vec![text]);
    }
    if chars.len() < 3 {
        return Err(Refusal::new(level.name(), format!("cannot read the range '{text}'")));
    }
    let at = |i: isize| -> char { chars[if i < 0 { (chars.len() as isize + i) as usize } else { i as usize }] };
    let parts: Vec<String> = text.split(':').map(|p| p.trim_matches(|c| c == '[' || c == ']').to_owned()).collect();
    let as_int = matches!(level, Level::ChunksFrom | Level::SplitsFrom);
    let bound = |p: &str| -> Result<Bound, Refusal> {
        if as_int {
            p.trim().parse().map(Bound::Int).map_err(|_| not_a_number(level, p))
        } else {
            Ok(Bound::Text(p.to_owned()))
        }
    };
    let step_of = |p: &str| -> Result<i64, Refusal> {
        match p.trim().parse::<i64>() {
            Ok(0) | Err(_) => Err(Refusal::new(level.name(), format!("'{p}' is not a valid step"))),
            Ok(s) => Ok(s),
        }
    };
    let (start, end, step) = if colons == 1 {
        if at(1) == ':' {
            (Bound::Absent, bound(&parts[1])?, 1)
        } else if at(-2) == ':' {
            (bound(&parts[0])?, Bound::Absent, 1)
        } else {
            (bound(&parts[0])?, bound(&parts[1])?, 1)
        }
    } else if at(-2) == ':' && at(-3) == ':' {
        (bound(&parts[0])?, Bound::Absent, 1)
    } else if at(1) == ':' && at(2) == ':' {
        (Bound::Absent, Bound::Absent, step_of(&parts[2])?)
    } else if at(1) == ':' && at(-2) == ':' {
        (Bound::Absent, bound(&parts[1])?, 1)
    } else {
        (bound(&parts[0])?, bound(&parts[1])?, step_of(&parts[2])?)
    };
    let n = values.len();
    if n > 0 {
        let first_or = |b: Bound, i: usize| match (b, values) {
            (Bound::Absent, Values::Ints(v)) => Bound::Int(v[i]),
            (Bound::Absent, _) => Bound::Text(values.text(i)),
            (b, _) => b,
        };
        let (mut start, mut end) = (first_or(start, 0), first_or(end, n - 1));
        let mut found = true;
        if level == Level::ChunksTo {
            match (start.to_int(level), end.to_int(level)) {
                (Ok(a), Ok(b)) => (start, end) = (Bound::Int(a), Bound::Int(b)),
                _ => found = false,
            }
        }
        let range = match (found, values.position(&start), values.position(&end)) {
            (true, Some(a), Some(b)) => py_slice(n, a as i64, b as i64 + 1, step),
            // Autosubmit's `except ValueError`: every value but the last.
            _ => py_slice(n, 0, n as i64 - 1, step),
        };
        return Ok(range.into_iter().map(|i| values.text(i)).collect());
    }
    let start = if start.truthy() { start.to_int(level)? } else { 0 };
    if !end.truthy() {
        return Ok(Vec::new());
    }
    let end = end.to_int(level)? + 1;
    let count = if step > 0 { (end - start).max(0) / step } else { (start - end).max(0) / -step };
    if count > MAX_RANGE {
        return Err(Refusal::new(level.name(), format!("the range '{text}' is too long")));
    }
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < end) || (step < 0 && i > end) {
        out.push(i.to_string());
        i += step;
    }
    Ok(out)
}

/// Python's `range(len)[start:stop:step]` for non-negative `start` and `stop`.
fn py_slice(len: usize, start: i64, stop: i64, step: i64) -> Vec<usize> {
    let n = len as i64;
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, stop) = (start.min(n), stop.min(n));
        while i < stop {
            out.push(i as usize);
            i += step;
        }
    } else {
        let (mut i, stop) = (start.min(n - 1), stop.min(n - 1));
        while i > stop {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

/// A *_FROM key → its values (`_parse_filters_to_check`).
pub(super) fn parse_keys(text: &str, values: Values, level: Level) -> Result<Vec<String>, Refusal> {
    let text = text.to_uppercase();
    if ["all", "none", "natural"].contains(&text.to_lowercase().as_str()) {
        return Ok(vec![text]);
    }
    let mut out = Vec::new();
    for item in text.split(',') {
        out.extend(parse_item(item, values, level, None)?);
    }
    Ok(out)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::workflow::generate) fn exp() -> Experiment {
        Experiment {
            expid: "a000".into(),
            dates: vec!["20000101000000".into(), "20010101000000".into()],
            days: vec!["20000101".into(), "20010101".into()],
            date_names: vec!["20000101".into(), "20010101".into()],
            members: vec!["fc0".into(), "fc1".into()],
            member_upper: vec![0, 1],
            chunks: (1..=6).collect(),
        }
    }

    #[test]
    fn ranges_expand_as_autosubmit_expands_them() {
        let e = exp();
        let chunks = |t: &str| parse_item(t, Values::of(&e, Level::ChunksFrom), Level::ChunksFrom, None).unwrap();
        assert_eq!(chunks("[2:4]"), ["2", "3", "4"]);
        assert_eq!(chunks("[::2]"), ["1", "3", "5"]);
        assert_eq!(chunks("[5:]"), ["5", "6"]);
        // A bound outside the list: every value but the last.
        assert_eq!(chunks("[2:9]"), ["1", "2", "3", "4", "5"]);
        let members = parse_keys("[fc0:fc1]", Values::of(&e, Level::MembersFrom), Level::MembersFrom).unwrap();
        assert_eq!(members, ["fc0"], "upper-casing breaks lower-case member ranges");
        assert_eq!(parse_item("[1:3]", Values::Empty, Level::SplitsTo, Some(3)).unwrap(), ["1", "2", "3"]);
    }
}
