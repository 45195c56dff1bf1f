//! The content security policy of every answer, and who may frame it: nobody, except the
//! portals in `EMBED_FRAME_ANCESTORS`, and those only for the `/embed/…` pages.
//!
//! Everything comes from this site. Inline scripts and styles stay allowed: Leptos writes its
//! hydration data and start-up as inline scripts, and the views' elements style their shadow
//! roots inline; `wasm-unsafe-eval` lets the browser compile the wasm.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

const POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'";

#[derive(Clone)]
pub struct Framing {
    closed: HeaderValue,
    embeddable: HeaderValue,
}

impl Framing {
    /// `ancestors` are validated origins (see the configuration).
    pub fn new(ancestors: &[String]) -> Arc<Self> {
        let allowed = if ancestors.is_empty() { "'self'".to_owned() } else { ancestors.join(" ") };
        // Validated origins are plain ASCII; should one not be, nothing may frame the page.
        let policy = |ancestors: &str| {
            HeaderValue::from_str(&format!("{POLICY}; frame-ancestors {ancestors}"))
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
        };
        Arc::new(Self { closed: policy("'none'"), embeddable: policy(&allowed) })
    }
}

pub async fn content_security_policy(State(framing): State<Arc<Framing>>, request: Request, next: Next) -> Response {
    let embeddable = request.uri().path().starts_with("/embed/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if embeddable {
        headers.insert(header::CONTENT_SECURITY_POLICY, framing.embeddable.clone());
    } else {
        headers.insert(header::CONTENT_SECURITY_POLICY, framing.closed.clone());
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
