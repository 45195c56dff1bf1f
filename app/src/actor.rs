//! Who performs a domain operation. Every operation takes an `Actor`; the server's guard
//! makes one for each request (the logged-in user, the local user when nothing is protected,
//! or an anonymous reader) before any handler runs.

use crate::auth::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user name recorded as owner of what this actor creates.
    pub name: String,
    /// `None`: an anonymous reader (reading is public under `PROTECTION_LEVEL=WRITEONLY`).
    pub role: Option<Role>,
}

impl Actor {
    /// The single local user of an installation without login (`PROTECTION_LEVEL=NONE`),
    /// who may do everything.
    pub fn local(name: impl Into<String>) -> Self {
        Self { name: name.into(), role: Some(Role::Admin) }
    }

    /// A logged-in user.
    pub fn user(name: impl Into<String>, role: Role) -> Self {
        Self { name: name.into(), role: Some(role) }
    }

    pub fn anonymous() -> Self {
        Self { name: "anonymous".into(), role: None }
    }

    /// Whether this actor may change anything at all (operators and admins may).
    pub fn may_act(&self) -> bool {
        self.role.is_some_and(|r| r >= Role::Operator)
    }
}
