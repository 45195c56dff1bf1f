//! One experiment: its facts and its description, which can be edited here.

use crate::components::{short_time, ErrorNotice, KindBadge, RunStateBadge};
use crate::experiment::server_fns::{get_experiment, UpdateDescription};
use crate::experiment::Experiment;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ExperimentDetail() -> impl IntoView {
    let params = use_params_map();
    let expid = move || params.get().get("expid").unwrap_or_default();
    let update = ServerAction::<UpdateDescription>::new();
    let experiment = Resource::new(move || (expid(), update.version().get()), |(id, _)| get_experiment(id));
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
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href="/experiments">"Experiments"</a>
            <span aria-hidden="true">"/"</span>
            <span aria-current="page" class="mono">{e.name.clone()}</span>
        </nav>
        <div class="page-head">
            <h1><span class="mono" id="expid">{e.name.clone()}</span></h1>
            <KindBadge kind=e.kind />
            <RunStateBadge status=e.status.clone() />
        </div>
        <p class="lead" id="description">{e.description.clone()}</p>
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
