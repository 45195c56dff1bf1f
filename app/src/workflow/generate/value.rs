//! Configuration values as Autosubmit's Python sees them after `deep_normalize`: mappings
//! with upper-cased keys in written order, scalars with their Python `str()` text. The
//! relationship filters of §5 (SPEC) pop and overwrite keys of per-job copies, so they work
//! on this small owned tree rather than on `serde_yaml` values.

use serde_yaml::Value;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
    Null,
    Str(String),
    /// A number or boolean: its Python `str()` text and whether Python finds it true.
    Scalar(String, bool),
    Map(Map),
    Seq(Vec<Val>),
}

/// An insertion-ordered mapping, as a Python dict.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Map(pub Vec<(String, Val)>);

impl Map {
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub fn pop(&mut self, key: &str) -> Option<Val> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// `dict[key] = value`: keeps the key's place when it exists.
    pub fn set(&mut self, key: &str, value: Val) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Val {
    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Str(s) => !s.is_empty(),
            Val::Scalar(_, t) => *t,
            Val::Map(m) => !m.is_empty(),
            Val::Seq(s) => !s.is_empty(),
        }
    }

    /// Python `str()` of a scalar; `None` for mappings and lists (whose Python text
    /// Autosubmit would go on to parse as filter items: refused instead).
    pub fn text(&self) -> Option<String> {
        match self {
            Val::Null => Some("None".to_owned()),
            Val::Str(s) | Val::Scalar(s, _) => Some(s.clone()),
            Val::Map(_) | Val::Seq(_) => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Val::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Whether `auto` appears in any key or text (gen.py looks at the JSON text).
    pub fn mentions_auto(&self) -> bool {
        match self {
            Val::Str(s) => s.to_lowercase().contains("auto"),
            Val::Map(m) => m.0.iter().any(|(k, v)| k.to_lowercase().contains("auto") || v.mentions_auto()),
            Val::Seq(items) => items.iter().any(Val::mentions_auto),
            Val::Null | Val::Scalar(..) => false,
        }
    }
}

/// Converts YAML to `Val`, upper-casing every mapping key (`str(key).upper()`); a key written
/// twice keeps its first place and its last value, as a Python dict comprehension does.
pub(super) fn upper_keys(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Scalar(if *b { "True" } else { "False" }.to_owned(), *b),
        Value::Number(n) => {
            let truthy = n.as_f64().is_some_and(|f| f != 0.0);
            Val::Scalar(n.to_string(), truthy)
        }
        Value::String(s) => Val::Str(s.clone()),
        Value::Sequence(items) => Val::Seq(items.iter().map(upper_keys).collect()),
        Value::Mapping(map) => {
            let mut out = Map::default();
            for (k, v) in map {
                let key = match upper_keys(k) {
                    Val::Null => "NONE".to_owned(),
                    other => other.text().unwrap_or_default().to_uppercase(),
                };
                out.set(&key, upper_keys(v));
            }
            Val::Map(out)
        }
        Value::Tagged(tagged) => upper_keys(&tagged.value),
    }
}
