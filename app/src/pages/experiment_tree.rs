//! An experiment's jobs as a tree: date → member → section → jobs, each folder counted per
//! status and loaded when opened, drawn by the `<hc-tree>` element (`public/tree.js`) from the
//! `/v4/…/tree` API. A plain element rather than reactive components: the lazily nested
//! folders cost the browser bundle more than this page is worth (22 KB of gzipped wasm).

use crate::components::{ErrorNotice, ExperimentHeader, ExperimentTab};
use crate::workflow::server_fns::get_job_summary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ExperimentTree() -> impl IntoView {
    let path = use_params_map();
    let expid = Memo::new(move |_| path.get().get("expid").unwrap_or_default());
    // Read first so an unknown experiment answers 404 like every page about one.
    let summary = crate::codec::page_resource(move || expid.get(), get_job_summary);
    view! {
        {move || view! { <ExperimentHeader expid=expid.get() current=ExperimentTab::Tree /> }}
        <Suspense fallback=|| view! { <p class="loading">"Loading the tree…"</p> }>
            {move || Suspend::new(async move {
                let expid = expid.get_untracked();
                let title = format!("{expid} tree");
                match summary.await {
                    Ok(_) => {
                        let jobs = format!("/experiments/{expid}/jobs");
                        view! {
                            <Title text=title />
                            <hc-tree expid=expid class="tree-view">
                                <p class="graph-fallback">
                                    "The tree opens its folders with JavaScript. Without it, the "
                                    <a href=jobs>"job table"</a> " filters by date, member and section."
                                </p>
                            </hc-tree>
                        }.into_any()
                    }
                    Err(error) => view! { <Title text=title /> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
