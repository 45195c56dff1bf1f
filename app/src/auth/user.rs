//! Validated user names and roles, shared by the server, the CLI and the GUI.

use crate::error::HindcastError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A login name: 1–64 characters of letters, digits and `.`, `_`, `-`, `@`, stored in lower
/// case so `Alice` and `alice` are one account (CAS and GitHub names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, HindcastError> {
        let name = raw.trim().to_lowercase();
        if name.is_empty() {
            return Err(HindcastError::invalid("name", "must not be empty"));
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(HindcastError::invalid("name", format!("must be at most {} characters", Self::MAX_LEN)));
        }
        if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))) {
            return Err(HindcastError::invalid(
                "name",
                format!("'{bad}' is not allowed; use letters, digits and . _ - @"),
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl TryFrom<String> for UserName {
    type Error = HindcastError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<UserName> for String {
    fn from(value: UserName) -> Self {
        value.0
    }
}

/// What a user may do: viewers read, operators act on the experiments they own or
/// collaborate on, admins act on everything and manage accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, HindcastError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| HindcastError::invalid("role", format!("'{}' is not a role; use viewer, operator or admin", raw.trim())))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// An account as shown to admins (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserView {
    pub name: String,
    pub role: Role,
    /// Whether the account has a local password (others log in through CAS, GitHub, OIDC).
    pub local_password: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A personal API token as its owner sees it (never the secret, shown only at creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: i64,
    /// What it is for, as its owner named it.
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: Option<String>,
    /// To the minute.
    pub last_used_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_lower_case_and_refuse_odd_characters() {
        assert_eq!(UserName::parse(" Alice.B@bsc.es ").unwrap().as_str(), "alice.b@bsc.es");
        assert!(UserName::parse("").unwrap_err().to_string().contains("must not be empty"));
        assert!(UserName::parse("a b").unwrap_err().to_string().contains("' ' is not allowed"));
        assert!(UserName::parse("ä").is_err());
        assert!(UserName::parse(&"x".repeat(65)).is_err());
        assert!(UserName::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn roles_read_in_any_case() {
        assert_eq!(Role::parse("Admin").unwrap(), Role::Admin);
        assert_eq!(Role::parse("root").unwrap_err().to_string(), "role: 'root' is not a role; use viewer, operator or admin");
        assert!(Role::Viewer < Role::Operator && Role::Operator < Role::Admin);
    }
}
