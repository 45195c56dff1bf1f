//! The experiment (dates, members, chunks) and its job sections, read from the normalised
//! configuration as Autosubmit 4.1.17.1 reads them (SPEC §1–2).

use super::value::{Map, Val};
use crate::workflow::config::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Running {
    Once,
    Date,
    Member,
    Chunk,
}

impl Running {
    pub fn name(self) -> &'static str {
        match self {
            Running::Once => "once",
            Running::Date => "date",
            Running::Member => "member",
            Running::Chunk => "chunk",
        }
    }
}

/// `SYNCHRONIZE`: only the exact texts `date` and `member` change which jobs exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sync {
    No,
    Date,
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    Minus,
    Plus,
}

/// One DEPENDENCIES key, parsed once: `SIM-1` is section SIM, sign minus, distance 1.
#[derive(Debug, Clone)]
pub(super) struct Dep {
    pub key: String,
    pub section: usize,
    pub sign: Option<Sign>,
    pub distance: i64,
    /// The relationship mapping (`Val::Null` or `Val::Map`), STATUS already normalised.
    pub rel: Val,
}

#[derive(Debug)]
pub(super) struct Section {
    pub name: String,
    pub running: Running,
    /// Some Autosubmit checks compare the raw RUNNING text, case included.
    pub raw_chunk: bool,
    pub raw_member: bool,
    pub splits: i64,
    pub frequency: i64,
    pub delay: i64,
    /// Whether the DELAY value itself is true for Python (`DELAY: 0` is not).
    pub delay_truthy: bool,
    pub sync: Sync,
    pub deps: Vec<Dep>,
    pub delete_when_edgeless: bool,
    pub platform: String,
    pub retrials: i64,
    pub wallclock: Option<String>,
    pub processors: String,
}

impl Section {
    /// Whether the section's own DEPENDENCIES hold a key for `section` (any offset).
    pub fn has_key_for(&self, section: usize) -> bool {
        self.deps.iter().any(|d| d.section == section)
    }

    /// The relationship of the key written exactly `key`, if the section has it.
    pub fn exact_key(&self, key: &str) -> Option<&Dep> {
        self.deps.iter().find(|d| d.key == key)
    }
}

#[derive(Debug)]
pub(super) struct Experiment {
    pub expid: String,
    /// Start dates as 14-digit `YYYYMMDDhhmmss` keys, in DATELIST order.
    pub dates: Vec<String>,
    /// `YYYYMMDD`, as *_FROM/*_TO filters write dates.
    pub days: Vec<String>,
    /// As job names write them (hours or minutes only when some date needs them).
    pub date_names: Vec<String>,
    pub members: Vec<String>,
    /// For each member, the first member with the same upper-cased text (filters upper-case).
    pub member_upper: Vec<usize>,
    pub chunks: Vec<i64>,
}

impl Experiment {
    pub fn read(root: &Map, expid: &str) -> Result<Self, ConfigError> {
        let empty = Map::default();
        let exp = root.get("EXPERIMENT").and_then(Val::as_map).unwrap_or(&empty);
        let words = |key: &str| exp.get(key).filter(|v| v.truthy()).and_then(Val::text).unwrap_or_default();
        // A YAML list holds one date per item; text may use Autosubmit's bracket forms.
        let written = match exp.get("DATELIST") {
            Some(Val::Seq(items)) => items.iter().filter_map(Val::text).collect::<Vec<_>>().join(" "),
            _ => words("DATELIST"),
        };
        let mut dates = Vec::new();
        let invalid = |message: String| {
            let what = message.strip_prefix("EXPERIMENT.DATELIST: ").unwrap_or(&message).to_owned();
            ConfigError::invalid("EXPERIMENT.DATELIST", what)
        };
        for text in super::datelist::expand(&written).map_err(invalid)? {
            let key = format!("{text:0<14}");
            if dates.contains(&key) {
                return Err(ConfigError::invalid("EXPERIMENT.DATELIST", "There are repeated start dates"));
            }
            dates.push(key);
        }
        let members: Vec<String> = words("MEMBERS").split_whitespace().map(str::to_owned).collect();
        if let Some(m) = members.iter().enumerate().find(|(i, m)| members[..*i].contains(m)) {
            return Err(ConfigError::invalid("EXPERIMENT.MEMBERS", format!("the member '{}' is repeated", m.1)));
        }
        let member_upper = (0..members.len())
            .map(|i| members.iter().position(|m| m.to_uppercase() == members[i].to_uppercase()).unwrap_or(i))
            .collect();
        let number = |key: &str| -> Result<Option<i64>, ConfigError> {
            match exp.get(key) {
                None | Some(Val::Null) => Ok(None),
                Some(Val::Str(s)) if s.trim().is_empty() => Ok(None),
                Some(v) => py_int(v)
                    .map(Some)
                    .ok_or_else(|| ConfigError::invalid(format!("EXPERIMENT.{key}"), format!("'{}' is not a whole number", show(v)))),
            }
        };
        let last = number("NUMCHUNKS")?
            .ok_or_else(|| ConfigError::invalid("EXPERIMENT.NUMCHUNKS", "is missing; it must be 1 or more"))?;
        if last <= 0 {
            return Err(ConfigError::invalid("EXPERIMENT.NUMCHUNKS", format!("is {last}; it must be 1 or more")));
        }
        // Autosubmit's get_chunk_ini: a missing or zero CHUNKINI means 1.
        let first = number("CHUNKINI")?.filter(|&c| c != 0).unwrap_or(1);
        // Autosubmit's create(): hours in names if any date has hour > 1, minutes if minute > 1.
        let mut width = 8;
        for d in &dates {
            if d[8..10].parse::<u32>().unwrap_or(0) > 1 {
                width = 10;
            }
            if d[10..12].parse::<u32>().unwrap_or(0) > 1 {
                width = 12;
            }
        }
        let date_names: Vec<String> = dates.iter().map(|d| d[..width].to_owned()).collect();
        if let Some(i) = (0..date_names.len()).find(|&i| date_names[..i].contains(&date_names[i])) {
            // Two jobs would share a name; Autosubmit would silently merge them.
            return Err(ConfigError::Unsupported {
                key: "EXPERIMENT.DATELIST".into(),
                what: format!("dates named alike in job names ('{}')", date_names[i]),
            });
        }
        Ok(Self {
            expid: expid.to_owned(),
            days: dates.iter().map(|d| d[..8].to_owned()).collect(),
            dates,
            date_names,
            members,
            member_upper,
            chunks: (first..=last).collect(),
        })
    }

    pub fn last_chunk(&self) -> Option<i64> {
        self.chunks.last().copied()
    }

    pub fn chunk_index(&self, chunk: i64) -> usize {
        (chunk - self.chunks[0]) as usize
    }
}

/// Python's `int()` of a configuration value.
pub(super) fn py_int(value: &Val) -> Option<i64> {
    match value {
        Val::Str(s) => s.trim().parse().ok(),
        Val::Scalar(text, _) => match text.as_str() {
            "True" => Some(1),
            "False" => Some(0),
            t => t.parse().ok().or_else(|| t.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.trunc() as i64)),
        },
        _ => None,
    }
}

pub(super) fn show(value: &Val) -> String {
    value.text().unwrap_or_else(|| "a mapping or list".to_owned())
}

/// Reads the job sections in written order, then every DEPENDENCIES key against them.
pub(super) fn read_sections(root: &Map) -> Result<Vec<Section>, ConfigError> {
    let jobs = match root.get("JOBS") {
        None | Some(Val::Null) => return Err(ConfigError::invalid("JOBS", "no job sections are defined")),
        Some(Val::Map(m)) => m,
        Some(_) => return Err(ConfigError::invalid("JOBS", "must be a mapping of job sections")),
    };
    let default_platform = text_at(root, "DEFAULT", "HPCARCH").unwrap_or_else(|| "LOCAL".to_owned());
    let default_retrials = match root.get("CONFIG").and_then(Val::as_map).and_then(|c| c.get("RETRIALS")) {
        None | Some(Val::Null) => 0,
        Some(v) => py_int(v).ok_or_else(|| ConfigError::invalid("CONFIG.RETRIALS", format!("'{}' is not a whole number", show(v))))?,
    };
    let mut sections = Vec::new();
    let mut raw_deps = Vec::new();
    for (name, conf) in &jobs.0 {
        let conf = conf.as_map().ok_or_else(|| ConfigError::invalid(format!("JOBS.{name}"), "must be a mapping"))?;
        sections.push(read_section(name, conf, &default_platform, default_retrials)?);
        raw_deps.push(normalize_dependencies(name, conf.get("DEPENDENCIES").unwrap_or(&Val::Null))?);
    }
    if sections.is_empty() {
        return Err(ConfigError::invalid("JOBS", "no job sections are defined"));
    }
    let names: Vec<String> = sections.iter().map(|s| s.name.clone()).collect();
    for (section, deps) in sections.iter_mut().zip(raw_deps) {
        section.deps = deps.into_iter().map(|(key, rel)| parse_dependency(&section.name, key, rel, &names)).collect::<Result<_, _>>()?;
    }
    Ok(sections)
}

fn text_at(root: &Map, block: &str, key: &str) -> Option<String> {
    let v = root.get(block)?.as_map()?.get(key)?;
    scalar(v)
}

/// A scalar as text, trimmed; blank or absent is `None` (as `config::scalar_text`).
fn scalar(v: &Val) -> Option<String> {
    match v {
        Val::Str(s) | Val::Scalar(s, _) => Some(s.trim().to_owned()).filter(|t| !t.is_empty()),
        _ => None,
    }
}

fn read_section(name: &str, conf: &Map, default_platform: &str, default_retrials: i64) -> Result<Section, ConfigError> {
    let key = |k: &str| format!("JOBS.{name}.{k}");
    let int = |k: &str, default: i64| -> Result<i64, ConfigError> {
        match conf.get(k) {
            None => Ok(default),
            Some(v) => py_int(v).ok_or_else(|| ConfigError::invalid(key(k), format!("'{}' is not a whole number", show(v)))),
        }
    };
    let raw = conf.get("RUNNING").map_or(Some("once".to_owned()), Val::text).unwrap_or_default();
    let running = match raw.to_lowercase().as_str() {
        "once" => Running::Once,
        "date" => Running::Date,
        "member" => Running::Member,
        "chunk" => Running::Chunk,
        _ => return Err(ConfigError::invalid(key("RUNNING"), format!("'{raw}' is not once, date, member or chunk"))),
    };
    if conf.get("SPLITS").and_then(Val::text).is_some_and(|t| t.to_lowercase() == "auto") {
        return Err(ConfigError::Unsupported { key: key("SPLITS"), what: "'auto'".into() });
    }
    let frequency = int("FREQUENCY", 1)?;
    if frequency < 1 {
        return Err(ConfigError::invalid(key("FREQUENCY"), "must be 1 or more"));
    }
    let sync = match conf.get("SYNCHRONIZE").and_then(Val::text).as_deref() {
        Some("date") => Sync::Date,
        Some("member") => Sync::Member,
        _ => Sync::No,
    };
    let retrials = match conf.get("RETRIALS").and_then(scalar) {
        None => default_retrials,
        Some(t) => t.parse().map_err(|_| ConfigError::invalid(key("RETRIALS"), format!("'{t}' is not a whole number")))?,
    };
    Ok(Section {
        name: name.to_owned(),
        running,
        raw_chunk: raw == "chunk",
        raw_member: raw == "member",
        splits: int("SPLITS", -1)?,
        frequency,
        delay: int("DELAY", -1)?,
        delay_truthy: conf.get("DELAY").is_some_and(Val::truthy),
        sync,
        deps: Vec::new(),
        delete_when_edgeless: conf.get("DELETE_WHEN_EDGELESS").is_none_or(|v| v.text().is_some_and(|t| t.to_lowercase() == "true")),
        platform: conf.get("PLATFORM").and_then(scalar).unwrap_or_else(|| default_platform.to_owned()),
        retrials,
        wallclock: conf.get("WALLCLOCK").and_then(scalar),
        processors: conf.get("PROCESSORS").and_then(scalar).unwrap_or_else(|| "1".to_owned()),
    })
}

/// DEPENDENCIES as an ordered mapping key → relationships (Autosubmit's
/// `_normalize_dependencies`): text is upper-cased and split on single spaces.
fn normalize_dependencies(section: &str, deps: &Val) -> Result<Vec<(String, Val)>, ConfigError> {
    let mut out = Map::default();
    match deps {
        Val::Null => {}
        Val::Str(text) => {
            for key in text.to_uppercase().split(' ').filter(|k| !k.is_empty()) {
                if !out.contains(key) {
                    out.set(key, Val::Map(Map::default()));
                }
            }
        }
        Val::Map(map) => {
            for (key, rel) in &map.0 {
                let mut rel = rel.clone();
                if let Val::Map(r) = &mut rel {
                    normalize_status(r);
                }
                out.set(key, rel);
            }
        }
        _ => {
            return Err(ConfigError::invalid(
                format!("JOBS.{section}.DEPENDENCIES"),
                "must be a text like 'INI SIM-1' or a mapping",
            ))
        }
    }
    Ok(out.0.into_iter().filter(|(k, _)| !k.is_empty()).collect())
}

/// STATUS upper-cased; a trailing `?` (or a status that is not final) sets
/// ANY_FINAL_STATUS_IS_VALID unless it is given.
fn normalize_status(rel: &mut Map) {
    let Some(status) = rel.get("STATUS").filter(|s| s.truthy()) else { return };
    let mut status = status.text().unwrap_or_default().to_uppercase();
    if !rel.get("ANY_FINAL_STATUS_IS_VALID").is_some_and(Val::truthy) {
        let any = if let Some(stripped) = status.strip_suffix('?') {
            status = stripped.to_owned();
            true
        } else {
            !["READY", "DELAYED", "PREPARED", "SKIPPED", "FAILED", "COMPLETED"].contains(&status.as_str())
        };
        rel.set("ANY_FINAL_STATUS_IS_VALID", Val::Scalar(if any { "True" } else { "False" }.to_owned(), any));
    }
    rel.set("STATUS", Val::Str(status));
}

/// Autosubmit's `_manage_dependencies` key parsing: `SECTION`, `SECTION-N`, `SECTION+N`.
fn parse_dependency(section: &str, key: String, rel: Val, names: &[String]) -> Result<Dep, ConfigError> {
    let at = format!("JOBS.{section}.DEPENDENCIES.{key}");
    if key.contains(['?', '*']) {
        return Err(ConfigError::Unsupported { key: at, what: "the '?' and '*' key forms".into() });
    }
    if key.contains('-') && key.contains('+') {
        return Err(ConfigError::Unsupported { key: at, what: "a key with both '+' and '-'".into() });
    }
    let (name, sign, distance) = match key.find(['-', '+']) {
        None => (key.as_str(), None, 0),
        Some(i) => {
            let sign = if key.as_bytes()[i] == b'-' { Sign::Minus } else { Sign::Plus };
            let rest = &key[i + 1..];
            let number = rest.split(['-', '+']).next().unwrap_or("");
            let distance: i64 = number.trim().parse().map_err(|_| ConfigError::invalid(&at, format!("'{rest}' is not a whole number")))?;
            (&key[..i], Some(sign), distance)
        }
    };
    let Some(parent) = names.iter().position(|n| n == name) else {
        return Err(ConfigError::invalid(
            format!("JOBS.{section}.DEPENDENCIES"),
            format!("depends on '{name}', which is not a job section"),
        ));
    };
    match &rel {
        Val::Null | Val::Map(_) => {}
        _ => return Err(ConfigError::invalid(at, "must be a mapping")),
    }
    if rel.mentions_auto() {
        return Err(ConfigError::Unsupported { key: at, what: "the 'auto' split keyword".into() });
    }
    Ok(Dep { key, section: parent, sign, distance, rel })
}
