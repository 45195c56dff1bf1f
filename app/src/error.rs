//! The one error type that crosses from the domain to the browser and to API clients.
//!
//! It carries only what a person may read: a database failure becomes `Internal` with no text
//! (the cause is logged where it happens), so nothing about the store leaks out.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum HindcastError {
    /// Something the user named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Input failed validation; `field` names the form field or query parameter.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The request did not prove who sent it (a missing or wrong token).
    #[error("{0}")]
    Unauthorized(String),
    /// Who sent the request is known, and may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts lately (failed logins); try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// The request clashes with the current state (e.g. no free experiment id).
    #[error("{0}")]
    Conflict(String),
    /// A failure on our side; details are in the server log, never here.
    #[error("Something went wrong on the server; the failure was logged.")]
    Internal,
    /// The request never reached our code in a usable form (network, decoding).
    #[error("Request failed: {0}")]
    Transport(String),
}

impl HindcastError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }

    /// The HTTP status this error answers with, in pages and in the JSON API alike.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Transport(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl FromServerFnError for HindcastError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}
