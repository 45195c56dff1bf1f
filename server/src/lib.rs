// Unsafe code is denied everywhere except the two calls of kill(2) that signal process groups
// (engine/local.rs), which allow it one function at a time.
#![deny(unsafe_code)]
//! The `hindcast` server: configuration, the HTTP application (pages, server functions and the
//! `/v4` JSON API) and its start-up and shutdown.

pub mod api;
pub mod auth;
pub mod client;
pub mod config;
pub mod demo;
pub mod embed;
pub mod engine;
pub mod framing;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod user_cli;
pub mod web_security;
