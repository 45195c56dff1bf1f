//! Login and protection: sessions kept in the database (`sessions`), local accounts checked
//! by axum-login (`accounts`), the login and logout pages (`login`), and the guard that
//! decides, for every request, who acts and whether they may (`guard`).

pub mod account;
pub mod cas;
pub mod embed_links;
pub mod accounts;
pub mod admin;
pub mod github;
pub mod guard;
pub mod html;
pub mod jwt;
pub mod login;
pub mod oidc;
pub mod pending;
pub mod providers;
pub mod sessions;
pub mod sharing;
pub mod throttle;

pub type AuthSession = axum_login::AuthSession<accounts::Accounts>;
