//! One experiment: its facts and its description, which can be edited here.

use crate::components::{
    short_time, ErrorNotice, ExperimentHeader, ExperimentTab, KindBadge, RunStateBadge, StatusSummary,
};
use crate::experiment::server_fns::{get_experiment, UpdateDescription};
use crate::experiment::Experiment;
use crate::workflow::server_fns::{get_job_summary, GenerateGraph};
use crate::workflow::GenerateOutcome;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ExperimentDetail() -> impl IntoView {
    let params = use_params_map();
    let expid = move || params.get().get("expid").unwrap_or_default();
    let update = ServerAction::<UpdateDescription>::new();
    let experiment = crate::codec::page_resource(move || (expid(), update.version().get()), |(id, _)| get_experiment(id));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading experiment…"</p> }>
            {move || Suspend::new(async move {
                match experiment.await {
                    Ok(e) => view! { <Details experiment=e update /> }.into_any(),
                    Err(error) => view! {
                        <Title text="Not found" />
                        <ErrorNotice error />
                        <a class="button" href="/experiments">"Back to experiments"</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Details(experiment: Experiment, update: ServerAction<UpdateDescription>) -> impl IntoView {
    let e = experiment;
    let error = move || update.value().get().and_then(Result::err);
    let saved = move || matches!(update.value().get(), Some(Ok(_)));
    let pending = update.pending();
    let facts = [
        ("Owner", e.user.clone()),
        ("HPC", e.hpc.clone().unwrap_or_else(|| "—".into())),
        ("Model", e.model.clone().unwrap_or_else(|| "—".into())),
        ("Branch", e.branch.clone().unwrap_or_else(|| "—".into())),
        ("Created", short_time(&e.created)),
        ("Modified", short_time(&e.modified)),
        ("Version", e.version.clone()),
    ];
    view! {
        <Title text=e.name.clone() />
        <ExperimentHeader expid=e.name.clone() current=ExperimentTab::Overview />
        <div class="page-head">
            <h1><span class="mono" id="expid">{e.name.clone()}</span></h1>
            <KindBadge kind=e.kind />
            <span data-live-state=e.name.clone()><RunStateBadge status=e.status.clone() /></span>
        </div>
        <p class="lead" id="description">{e.description.clone()}</p>
        <WorkflowPanel expid=e.name.clone() />
        <div class="grid-2">
            <section class="panel">
                <h2>"Facts"</h2>
                <dl class="facts">
                    {facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </section>
            <section class="panel">
                <h2>"Edit description"</h2>
                <ActionForm action=update attr:class="form" attr:id="edit-description">
                    {move || error().map(|error| view! { <ErrorNotice error /> })}
                    {move || saved().then(|| view! { <p class="notice notice-ok" role="status">"Saved."</p> })}
                    <input type="hidden" name="expid" value=e.name.clone() />
                    <div class="field">
                        <label for="d-description">"Description"</label>
                        <textarea id="d-description" name="description" rows="4" required maxlength="1000">
                            {e.description.clone()}
                        </textarea>
                    </div>
                    <div class="actions">
                        <button type="submit" class="button button-primary" disabled=pending>
                            {move || if pending.get() { "Saving…" } else { "Save description" }}
                        </button>
                    </div>
                </ActionForm>
            </section>
        </div>
    }
}

/// The job graph at a glance, and the button that generates it from the configuration.
#[component]
fn WorkflowPanel(expid: String) -> impl IntoView {
    let generate = ServerAction::<GenerateGraph>::new();
    let summary = crate::codec::page_resource(move || generate.version().get(), {
        let expid = expid.clone();
        move |_| get_job_summary(expid.clone())
    });
    let pending = generate.pending();
    let outcome = move || generate.value().get();
    let summary_expid = expid.clone();
    let config_href = format!("/experiments/{expid}/config");
    let live_expid = expid.clone();
    view! {
        <section class="panel" id="workflow" aria-labelledby="workflow-title" data-live=live_expid>
            <h2 id="workflow-title">"Workflow"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading jobs…"</p> }>
                {move || {
                    let expid = summary_expid.clone();
                    Suspend::new(async move {
                        match summary.await {
                            Ok(s) if s.graph_version == 0 => view! {
                                <p id="no-graph">"No job graph yet. Write the configuration, then generate the graph."</p>
                            }.into_any(),
                            Ok(s) => {
                                let when = s.generated_at.as_deref().map(short_time).unwrap_or_default();
                                let version = s.graph_version;
                                view! {
                                    <StatusSummary expid=expid summary=s />
                                    <p class="progress-text">{format!("Graph version {version}, generated {when}.")}</p>
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <ActionForm action=generate attr:class="form" attr:id="generate">
                {move || match outcome() {
                    Some(Err(error)) => Some(view! { <ErrorNotice error /> }.into_any()),
                    Some(Ok(o)) => Some(view! { <OutcomeNotice outcome=o /> }.into_any()),
                    None => None,
                }}
                <input type="hidden" name="expid" value=expid.clone() />
                <div class="actions">
                    <label class="choice">
                        <input type="checkbox" name="dry_run" value="true" />
                        "Preview only (dry run)"
                    </label>
                    <label class="choice">
                        <input type="checkbox" name="reset_statuses" value="true" />
                        "Forget recorded statuses"
                    </label>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=pending>
                        {move || if pending.get() { "Generating…" } else { "Generate graph" }}
                    </button>
                    <a class="button" href=config_href>"Edit configuration"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn OutcomeNotice(outcome: GenerateOutcome) -> impl IntoView {
    let o = outcome;
    let text = if o.dry_run {
        format!("Preview: {} jobs and {} edges. Nothing was stored.", o.jobs, o.edges)
    } else {
        format!(
            "Generated graph version {}: {} jobs and {} edges; {} jobs kept their status.",
            o.graph_version, o.jobs, o.edges, o.kept_statuses
        )
    };
    let sections = o
        .sections
        .into_iter()
        .map(|s| view! { <li><span class="mono">{s.section}</span>": "{s.jobs}" jobs"</li> })
        .collect_view();
    view! {
        <div class="notice notice-ok" role="status" id="generate-outcome">
            <p>{text}</p>
            <ul class="section-counts">{sections}</ul>
        </div>
    }
}
