//! Who performs a domain operation. Every operation takes an `Actor`, so login and permissions
//! can be added without changing the domain's signatures.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user name recorded as owner of what this actor creates.
    pub name: String,
}

impl Actor {
    /// The single local user of an installation without login (the only kind today).
    pub fn local(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}
