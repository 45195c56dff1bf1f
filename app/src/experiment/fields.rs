//! Validated input fields of an experiment. Each parses once; a value of these types is valid.

use crate::error::HindcastError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const DESCRIPTION_MAX_CHARS: usize = 1000;
pub const LABEL_MAX_CHARS: usize = 200;

/// What an experiment is for; decides the first letter of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExperimentKind {
    #[default]
    Experiment,
    Test,
    Operational,
    Evaluation,
}

impl ExperimentKind {
    pub const ALL: [ExperimentKind; 4] =
        [Self::Experiment, Self::Test, Self::Operational, Self::Evaluation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Experiment => "experiment",
            Self::Test => "test",
            Self::Operational => "operational",
            Self::Evaluation => "evaluation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Experiment => "Experiment",
            Self::Test => "Test",
            Self::Operational => "Operational",
            Self::Evaluation => "Evaluation",
        }
    }

    /// The first character of this kind's ids (Autosubmit's convention).
    pub fn id_prefix(self) -> char {
        match self {
            Self::Experiment => 'a',
            Self::Test => 't',
            Self::Operational => 'o',
            Self::Evaluation => 'e',
        }
    }

    /// First id characters that belong to the kinds other than standard experiments.
    pub fn is_reserved_prefix(first: u8) -> bool {
        matches!(first, b't' | b'o' | b'e')
    }
}

impl fmt::Display for ExperimentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExperimentKind {
    type Err = HindcastError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim().to_ascii_lowercase()).ok_or_else(
            || {
                HindcastError::invalid(
                    "kind",
                    format!("'{s}' is not a kind; use experiment, test, operational or evaluation"),
                )
            },
        )
    }
}

/// A non-empty description of at most 1000 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, HindcastError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(HindcastError::invalid("description", "a description is required"));
        }
        let chars = text.chars().count();
        if chars > DESCRIPTION_MAX_CHARS {
            return Err(HindcastError::invalid(
                "description",
                format!("{chars} characters is too long; at most {DESCRIPTION_MAX_CHARS}"),
            ));
        }
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(HindcastError::invalid(
                "description",
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional short label (hpc, model, branch): blank means absent; no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionalLabel(Option<String>);

impl OptionalLabel {
    pub fn parse(field: &str, raw: Option<&str>) -> Result<Self, HindcastError> {
        let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Self(None));
        };
        if text.chars().count() > LABEL_MAX_CHARS {
            return Err(HindcastError::invalid(
                field,
                format!("too long; at most {LABEL_MAX_CHARS} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(HindcastError::invalid(field, "must not contain control characters"));
        }
        Ok(Self(Some(text.to_owned())))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Everything needed to create an experiment, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExperiment {
    pub description: Description,
    pub kind: ExperimentKind,
    pub hpc: OptionalLabel,
    pub model: OptionalLabel,
    pub branch: OptionalLabel,
}

impl NewExperiment {
    /// Validates raw form or JSON input; the first invalid field is reported.
    pub fn parse(
        description: &str,
        kind: Option<&str>,
        hpc: Option<&str>,
        model: Option<&str>,
        branch: Option<&str>,
    ) -> Result<Self, HindcastError> {
        Ok(Self {
            description: Description::parse(description)?,
            kind: match kind.map(str::trim).filter(|k| !k.is_empty()) {
                Some(k) => k.parse()?,
                None => ExperimentKind::default(),
            },
            hpc: OptionalLabel::parse("hpc", hpc)?,
            model: OptionalLabel::parse("model", model)?,
            branch: OptionalLabel::parse("branch", branch)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_is_required_and_bounded() {
        assert!(matches!(
            Description::parse("   "),
            Err(HindcastError::Invalid { field, .. }) if field == "description"
        ));
        assert_eq!(Description::parse(" ok ").unwrap().as_str(), "ok");
        assert!(Description::parse(&"é".repeat(1000)).is_ok());
        assert!(Description::parse(&"é".repeat(1001)).is_err());
        assert!(Description::parse("two\nlines\tand a tab").is_ok());
        assert!(Description::parse("nul \0 inside").is_err());
    }

    #[test]
    fn kinds_parse_by_name_only() {
        assert_eq!("Test".parse::<ExperimentKind>().unwrap(), ExperimentKind::Test);
        let err = "prod".parse::<ExperimentKind>().unwrap_err();
        assert!(matches!(err, HindcastError::Invalid { field, .. } if field == "kind"));
    }

    #[test]
    fn labels_are_optional_and_clean() {
        assert_eq!(OptionalLabel::parse("hpc", Some("  ")).unwrap().as_deref(), None);
        assert_eq!(OptionalLabel::parse("hpc", Some(" MN5 ")).unwrap().as_deref(), Some("MN5"));
        assert!(OptionalLabel::parse("hpc", Some("a\nb")).is_err());
        assert!(OptionalLabel::parse("hpc", Some(&"x".repeat(201))).is_err());
    }

    #[test]
    fn new_experiment_defaults_kind_and_names_the_bad_field() {
        let new = NewExperiment::parse("d", None, None, None, None).unwrap();
        assert_eq!(new.kind, ExperimentKind::Experiment);
        let err = NewExperiment::parse("d", Some("bogus"), None, None, None).unwrap_err();
        assert!(matches!(err, HindcastError::Invalid { field, .. } if field == "kind"));
    }
}
