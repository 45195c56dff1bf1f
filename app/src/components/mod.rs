//! Small pieces shared by pages.

use crate::error::HindcastError;
use crate::experiment::ExperimentKind;
use crate::workflow::{JobStatus, JobSummary};
use leptos::prelude::*;
use leptos_router::components::A;

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
        // Configuration keys (`JOBS.SIM.DEPENDENCIES`) and file names are shown as written.
        other if other.contains('.') => other.to_owned(),
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

/// A job status, coloured with Autosubmit's palette (colour is never the only cue: the name
/// is written).
#[component]
pub fn StatusChip(status: JobStatus) -> impl IntoView {
    view! { <span class=status.css_class()>{status.as_str()}</span> }
}

/// Jobs per status and the share completed; each count links to the jobs in that status.
#[component]
pub fn StatusSummary(expid: String, summary: JobSummary) -> impl IntoView {
    let completed = summary.count(JobStatus::Completed);
    let percent = (completed * 100).checked_div(summary.total).unwrap_or(0);
    let chips = summary
        .counts
        .iter()
        .map(|c| {
            let href = format!("/experiments/{expid}/jobs?status={}", c.status.as_str());
            view! {
                <li>
                    <a href=href class="summary-link">
                        <StatusChip status=c.status />
                        <span class="summary-count">{c.count}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    // `data-live-summary`: kept current by public/live-page.js from the experiment's events.
    view! {
        <div class="status-summary" data-live-summary=expid.clone()>
            <div class="progress" role="progressbar" aria-label="Completed jobs" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=percent.to_string()>
                <div class="progress-bar" style=format!("width: {percent}%")></div>
            </div>
            <p class="progress-text">{format!("{completed} of {} jobs completed ({percent}%)", summary.total)}</p>
            <ul class="summary-chips">{chips}</ul>
        </div>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExperimentTab {
    Overview,
    Configuration,
    Jobs,
    Quick,
    Tree,
    Graph,
    Runs,
}

/// The header of every page about one experiment: breadcrumbs, id and the tabs.
#[component]
pub fn ExperimentHeader(expid: String, current: ExperimentTab) -> impl IntoView {
    let tabs = [
        (ExperimentTab::Overview, "Overview", format!("/experiments/{expid}")),
        (ExperimentTab::Configuration, "Configuration", format!("/experiments/{expid}/config")),
        (ExperimentTab::Jobs, "Jobs", format!("/experiments/{expid}/jobs")),
        (ExperimentTab::Quick, "Quick view", format!("/experiments/{expid}/jobs?view=quick")),
        (ExperimentTab::Tree, "Tree", format!("/experiments/{expid}/tree")),
        (ExperimentTab::Graph, "Graph", format!("/experiments/{expid}/graph")),
        (ExperimentTab::Runs, "Runs", format!("/experiments/{expid}/runs")),
    ];
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href="/experiments">"Experiments"</a>
            <span aria-hidden="true">"/"</span>
            <span class="mono">{expid.clone()}</span>
        </nav>
        <nav class="tabs" aria-label="Experiment">
            {tabs
                .into_iter()
                .map(|(tab, label, href)| {
                    let aria = (tab == current).then_some("page");
                    view! { <a href=href aria-current=aria>{label}</a> }
                })
                .collect_view()}
            // Served by the server, not the router: a full page load.
            <a href=format!("/experiments/{expid}/access") rel="external">"Access"</a>
        </nav>
    }
}

/// A labelled text input of a filter form, showing the value the URL holds.
#[component]
pub fn FilterField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] grow: bool,
) -> impl IntoView {
    let class = if grow { "field field-grow" } else { "field" };
    let kind = if grow { "search" } else { "text" };
    view! {
        <div class=class>
            <label for=id>{label}</label>
            <input id=id type=kind name=name placeholder=placeholder value=move || value.get() />
        </div>
    }
}

/// "Page n of m" and the links to the neighbouring pages.
#[component]
pub fn Pager(info: String, prev: Option<String>, next: Option<String>) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="pager-info">{info}</span>
            {prev.map(|href| view! { <A href=href attr:class="button" attr:rel="prev">"← Previous"</A> })}
            {next.map(|href| view! { <A href=href attr:class="button" attr:rel="next">"Next →"</A> })}
        </nav>
    }
}
