//! An experiment's configuration as users edit it: YAML files by name. Names and sizes are
//! checked here (in the browser too); YAML syntax and meaning on the server.

use crate::error::HindcastError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most configuration text an experiment may hold, all files together.
pub const MAX_CONFIG_BYTES: usize = 2 * 1024 * 1024;
const MAX_FILES: usize = 64;
const MAX_NAME_CHARS: usize = 64;

/// `{"files": {"jobs.yml": "<yaml text>", …}}`: the body of `GET/PUT …/config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConfigFiles {
    pub files: BTreeMap<String, String>,
}

impl ConfigFiles {
    /// Refuses bad file names, too many files and too much text, naming the file.
    pub fn check_shape(&self) -> Result<(), HindcastError> {
        if self.files.len() > MAX_FILES {
            return Err(HindcastError::invalid("files", format!("at most {MAX_FILES} files")));
        }
        for name in self.files.keys() {
            check_file_name(name)?;
        }
        let total: usize = self.files.values().map(String::len).sum();
        if total > MAX_CONFIG_BYTES {
            return Err(HindcastError::invalid(
                "files",
                format!("the configuration is {total} bytes; at most {MAX_CONFIG_BYTES} (2 MB) are accepted"),
            ));
        }
        Ok(())
    }
}

/// `expdef.yml`, `jobs_a000.yaml`: letters, digits, `.`, `_`, `-`; ending in .yml or .yaml.
pub fn check_file_name(name: &str) -> Result<(), HindcastError> {
    let field = || format!("files.{name}");
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !name.chars().all(allowed) || name.starts_with('.') {
        return Err(HindcastError::Invalid {
            field: field(),
            message: format!(
                "a file name has 1 to {MAX_NAME_CHARS} letters, digits, '.', '_' or '-' and does not start with '.'"
            ),
        });
    }
    if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
        return Err(HindcastError::Invalid { field: field(), message: "must end in .yml or .yaml".into() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sizes_are_checked() {
        for good in ["jobs.yml", "expdef_a000.yaml", "platforms-x.yml"] {
            assert!(check_file_name(good).is_ok(), "{good}");
        }
        for bad in ["", "../jobs.yml", ".hidden.yml", "jobs.txt", "a b.yml"] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
        let big = ConfigFiles { files: [("a.yml".to_owned(), "x".repeat(MAX_CONFIG_BYTES + 1))].into() };
        assert!(big.check_shape().unwrap_err().to_string().contains("2 MB"));
    }
}
