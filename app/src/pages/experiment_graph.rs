//! An experiment's job graph. The layout comes from the server and is drawn on a canvas by
//! the `<hc-graph>` element (`public/graph.js`): one canvas instead of one DOM node per job
//! keeps 100k jobs usable, and the page itself stays small. `?job=NAME` opens on that job.

use crate::components::{ErrorNotice, ExperimentHeader, ExperimentTab};
use crate::workflow::server_fns::get_job_summary;
use leptos::prelude::*;
use leptos_meta::{Link, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ExperimentGraph() -> impl IntoView {
    let path = use_params_map();
    let query = use_query_map();
    let expid = Memo::new(move |_| path.get().get("expid").unwrap_or_default());
    let summary = crate::codec::page_resource(move || expid.get(), get_job_summary);
    view! {
        {move || view! { <ExperimentHeader expid=expid.get() current=ExperimentTab::Graph /> }}
        <Suspense fallback=|| view! { <p class="loading">"Loading the graph…"</p> }>
            {move || Suspend::new(async move {
                let expid = expid.get_untracked();
                let title = format!("{expid} graph");
                match summary.await {
                    Ok(summary) if summary.total == 0 => {
                        let overview = format!("/experiments/{expid}");
                        view! {
                            <Title text=title />
                            <section class="panel empty-state" id="no-graph">
                                <h2>"No graph yet"</h2>
                                <p>"Generate the graph from the experiment's configuration first."</p>
                                <a class="button" href=overview>"Overview"</a>
                            </section>
                        }.into_any()
                    }
                    Ok(summary) => {
                        let job = query.get_untracked().get("job").unwrap_or_default();
                        // Downloads start while the page parses, before the element's script runs.
                        let layout = format!("/v4/experiments/{expid}/graph");
                        let statuses = format!("/v4/experiments/{expid}/graph/statuses");
                        view! {
                            <Title text=title />
                            <Link rel="preload" href=layout as_="fetch" crossorigin="anonymous" />
                            <Link rel="preload" href=statuses as_="fetch" crossorigin="anonymous" />
                            <hc-graph expid=expid select=job class="graph-view" data-total=summary.total>
                                <p class="graph-fallback">
                                    "The graph is drawn in the browser with JavaScript; the Jobs tab lists the same jobs without it."
                                </p>
                            </hc-graph>
                        }.into_any()
                    }
                    Err(error) => view! { <Title text=title /> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
