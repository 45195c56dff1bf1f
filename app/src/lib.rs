#![forbid(unsafe_code)]
#![recursion_limit = "256"]
//! Hindcast's application crate: shared types, the domain, server functions and the pages.
//! Everything that touches the database or the file system is behind the `ssr` feature.

pub mod access;
pub mod actor;
pub mod auth;
pub mod codec;
pub mod components;
#[cfg(feature = "ssr")]
pub mod context;
pub mod error;
pub mod experiment;
pub mod pages;
pub mod runs;
#[cfg(feature = "ssr")]
pub mod store;
pub mod workflow;

pub use pages::{shell, App};
