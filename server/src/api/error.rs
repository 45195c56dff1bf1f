//! API errors: `{"error": true, "error_message": "…"}` with the real HTTP status.

use app::error::HindcastError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// The error body of every `/v4` endpoint (autosubmit-api's shape).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: bool,
    pub error_message: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// What the client reads: never anything internal.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<HindcastError> for ApiError {
    fn from(err: HindcastError) -> Self {
        Self { status: err.status(), message: err.to_string() }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // axum's text names the JSON problem (syntax, wrong type), never anything internal.
        Self { status: rejection.status(), message: rejection.body_text() }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, message: rejection.body_text() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: true, error_message: self.message })).into_response()
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError { status: StatusCode::METHOD_NOT_ALLOWED, message: "This endpoint does not take that method.".to_owned() }
}

pub async fn unknown_route() -> ApiError {
    ApiError { status: StatusCode::NOT_FOUND, message: "No such API endpoint.".to_owned() }
}
