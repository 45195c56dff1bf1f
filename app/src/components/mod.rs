//! Small pieces shared by pages.

use crate::error::HindcastError;
use crate::experiment::ExperimentKind;
use leptos::prelude::*;

/// Marks `<body data-hydrated="true">` once the wasm has taken over, so browser tests click
/// only after hydration. Effects run only in the browser.
#[component]
pub fn HydrationMarker() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// An error as a person should read it; validation errors name their field.
#[component]
pub fn ErrorNotice(error: HindcastError) -> impl IntoView {
    let (title, detail) = match &error {
        HindcastError::Invalid { field, message } => {
            ("Please check the form".to_owned(), format!("{}: {message}", field_label(field)))
        }
        HindcastError::NotFound(message) => ("Not found".to_owned(), message.clone()),
        HindcastError::Conflict(message) => ("Not possible now".to_owned(), message.clone()),
        other => ("Something went wrong".to_owned(), other.to_string()),
    };
    view! {
        <div class="notice notice-error" role="alert">
            <strong>{title}</strong>
            <p>{detail}</p>
        </div>
    }
}

fn field_label(field: &str) -> String {
    match field {
        "page_size" => "Page size".into(),
        "order_by" => "Sort".into(),
        "exp_type" => "Kind".into(),
        "hpc" => "HPC".into(),
        "expid" => "Experiment id".into(),
        other => {
            let mut chars = other.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

#[component]
pub fn KindBadge(kind: ExperimentKind) -> impl IntoView {
    view! { <span class=format!("badge kind-{}", kind.as_str())>{kind.label()}</span> }
}

/// The running state, coloured with Autosubmit's status tokens.
#[component]
pub fn RunStateBadge(status: String) -> impl IntoView {
    let running = status == crate::experiment::STATUS_RUNNING;
    let class = if running { "badge status-running" } else { "badge status-idle" };
    let text = if running { "Running" } else { "Idle" };
    view! { <span class=class title=status>{text}</span> }
}

/// `2026-11-29T07:30:00+00:00` → `2026-11-29 07:30 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}
