//! Reading Autosubmit 4 YAML files, merged as Autosubmit merges them: files in name order,
//! mappings merged key by key, later values winning.

use serde_yaml::{Mapping, Value};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {file}: {message}")]
    Read { file: String, message: String },
    #[error("{file} is not valid YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    #[error("{key}: {what} is not supported yet")]
    Unsupported { key: String, what: String },
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.into(), message: message.into() }
    }
}

/// A merged configuration: the union of an experiment's YAML files.
#[derive(Debug, Clone, Default)]
pub struct WorkflowConfig {
    root: Mapping,
}

impl WorkflowConfig {
    /// Merges `(file name, YAML text)` pairs in file-name order.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ConfigError> {
        let mut files: Vec<_> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let mut root = Mapping::new();
        for (name, text) in files {
            let value: Value = serde_yaml::from_str(text).map_err(|e| yaml_error(name, &e))?;
            match value {
                Value::Mapping(map) => merge(&mut root, map),
                Value::Null => {}
                _ => {
                    return Err(ConfigError::Yaml {
                        file: name.to_owned(),
                        message: "the top level must be a mapping of keys".to_owned(),
                    })
                }
            }
        }
        Ok(Self { root })
    }

    /// Reads every `*.yml`/`*.yaml` file of a folder.
    pub fn from_dir(dir: &Path) -> Result<Self, ConfigError> {
        let read_err = |message: String| ConfigError::Read { file: dir.display().to_string(), message };
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| read_err(e.to_string()))? {
            let path = entry.map_err(|e| read_err(e.to_string()))?.path();
            let is_yaml = path.extension().is_some_and(|x| x == "yml" || x == "yaml");
            if is_yaml && path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
                    file: path.display().to_string(),
                    message: e.to_string(),
                })?;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                texts.push((name, text));
            }
        }
        Self::from_files(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// The value at a dotted path of upper-case keys, e.g. `EXPERIMENT.NUMCHUNKS`.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut current = &self.root;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let value = current.get(Value::String(part.to_owned()))?;
            if parts.peek().is_none() {
                return Some(value);
            }
            current = value.as_mapping()?;
        }
        None
    }

    /// A scalar at `path` as text (numbers included); blank or absent is `None`.
    pub fn text(&self, path: &str) -> Option<String> {
        scalar_text(self.get(path)?)
    }

    /// The merged mapping as written (keys not yet upper-cased).
    pub(crate) fn root(&self) -> &Mapping {
        &self.root
    }

    /// The whole merged configuration as JSON (mapping keys become text).
    pub fn to_json(&self) -> serde_json::Value {
        yaml_to_json(&Value::Mapping(self.root.clone()))
    }

    /// The job sections in the order they are written.
    pub fn sections(&self) -> Vec<(String, &Mapping)> {
        self.get("JOBS")
            .and_then(Value::as_mapping)
            .map(|jobs| {
                jobs.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_mapping()?)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn yaml_to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::to_value(n).unwrap_or(Json::Null),
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(yaml_to_json).collect()),
        Value::Mapping(map) => Json::Object(
            map.iter().map(|(k, v)| (scalar_text(k).unwrap_or_default(), yaml_to_json(v))).collect(),
        ),
        Value::Tagged(tagged) => yaml_to_json(&tagged.value),
    }
}

pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Names the file, line and column of a YAML syntax error.
fn yaml_error(file: &str, err: &serde_yaml::Error) -> ConfigError {
    let message = err.to_string();
    // serde_yaml ends its text with "at line L column C"; say it once, in front.
    let reason = message.split(" at line ").next().unwrap_or(&message).to_owned();
    match err.location() {
        Some(at) => ConfigError::Yaml {
            file: file.to_owned(),
            message: format!("line {} column {}: {reason}", at.line(), at.column()),
        },
        None => ConfigError::Yaml { file: file.to_owned(), message: reason },
    }
}

fn merge(into: &mut Mapping, from: Mapping) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Mapping(existing)), Value::Mapping(incoming)) => merge(existing, incoming),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_files_win_and_mappings_merge() {
        let config = WorkflowConfig::from_files([
            ("b.yml", "EXPERIMENT:\n  NUMCHUNKS: 4\n"),
            ("a.yml", "EXPERIMENT:\n  NUMCHUNKS: 2\n  MEMBERS: fc0\n"),
        ])
        .unwrap();
        assert_eq!(config.text("EXPERIMENT.NUMCHUNKS").as_deref(), Some("4"));
        assert_eq!(config.text("EXPERIMENT.MEMBERS").as_deref(), Some("fc0"));
    }

    #[test]
    fn invalid_yaml_names_the_file() {
        let err = WorkflowConfig::from_files([("jobs.yml", "JOBS:\n  SIM:\n    RUNNING: [chunk\n")]).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("jobs.yml is not valid YAML: line "), "{text}");
        assert!(text.contains("column"), "{text}");
    }
}
