//! Who may log in and what they may do: user names, roles, and (on the server) passwords
//! and the operations that manage accounts. Login itself (sessions, tokens) builds on these.

mod user;

pub use user::{Role, TokenView, UserName, UserView};

#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod password;
