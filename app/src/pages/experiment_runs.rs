//! An experiment's runs: start one (any mode), stop, cancel, and each run's job attempts and
//! logs, live. Drawn by the `<hc-runs>` element (`public/runs.js`) from the `/v4` runs API
//! and the experiment's server-sent events; like the tree, a plain element keeps this
//! page's share of the browser bundle near nothing.

use crate::components::{ErrorNotice, ExperimentHeader, ExperimentTab};
use crate::workflow::server_fns::get_job_summary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ExperimentRuns() -> impl IntoView {
    let path = use_params_map();
    let expid = Memo::new(move |_| path.get().get("expid").unwrap_or_default());
    // Read first so an unknown experiment answers 404 like every page about one.
    let summary = crate::codec::page_resource(move || expid.get(), get_job_summary);
    view! {
        {move || view! { <ExperimentHeader expid=expid.get() current=ExperimentTab::Runs /> }}
        <Suspense fallback=|| view! { <p class="loading">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                let expid = expid.get_untracked();
                let title = format!("{expid} runs");
                match summary.await {
                    Ok(_) => {
                        let api = format!("/v4/experiments/{expid}/runs");
                        view! {
                            <Title text=title />
                            <hc-runs expid=expid>
                                <p class="graph-fallback">
                                    "Starting and following runs here needs JavaScript. Without it, the API does the same: "
                                    <a href=api>"the runs as JSON"</a> "."
                                </p>
                            </hc-runs>
                        }.into_any()
                    }
                    Err(error) => view! { <Title text=title /> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
