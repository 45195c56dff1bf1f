//! The public JSON API under `/v4`: autosubmit-api 4.2.0's routes and shapes where it has the
//! same endpoint, and what it lacks. Handlers only translate HTTP to domain calls.

mod docs;
mod error;
mod experiments;
mod openapi;

pub use error::{ApiError, ErrorBody};
pub use openapi::ApiDoc;

use app::context::AppContext;
use axum::routing::get;
use axum::Router;

pub fn router<S: Clone + Send + Sync + 'static>(context: AppContext) -> Router<S> {
    Router::new()
        .route("/experiments", get(experiments::list).post(experiments::create))
        .route("/experiments/{expid}", get(experiments::detail).patch(experiments::update))
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(docs::page))
        .fallback(error::unknown_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(context)
}
