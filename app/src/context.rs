//! What the server hands to server functions and page rendering: the store and the actor.

use crate::actor::Actor;
use crate::error::HindcastError;
use crate::runs::engine::RunEngine;
use crate::store::SharedStore;
use crate::workflow::ops::WorkflowLimits;
use leptos::prelude::*;

#[derive(Clone)]
pub struct AppContext {
    pub store: SharedStore,
    /// Who acts outside any request (seeding the demo at start).
    pub local_actor: Actor,
    pub limits: WorkflowLimits,
    /// Executes the runs the domain queues.
    pub engine: std::sync::Arc<dyn RunEngine>,
}

impl AppContext {
    /// The context of the current request; a missing one is a wiring bug, logged and hidden.
    pub fn current() -> Result<Self, HindcastError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppContext missing from the request context");
            HindcastError::Internal
        })
    }

    /// Who performs the current request, as the server's guard found out. A request the
    /// guard did not see acts as nobody: an anonymous reader, never the local admin.
    pub fn actor(&self) -> Actor {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Actor>().cloned())
            .unwrap_or_else(Actor::anonymous)
    }
}

/// Gives an error's real HTTP status to the response of a server function or page.
///
/// Not for a plain HTML form post: that answer must stay the redirect back to the form, which
/// carries the error in its URL (how forms report errors without wasm).
pub fn with_status<T>(result: Result<T, HindcastError>) -> Result<T, HindcastError> {
    if let Err(err) = &result {
        if !is_plain_form_post() {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(err.status());
            }
        }
    }
    result
}

fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}
