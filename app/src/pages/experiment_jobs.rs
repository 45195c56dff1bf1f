//! An experiment's jobs: filters, sort and paging held in the URL, and a CSV export of the
//! same view; as a table, or as the quick view's dense list (`experiment_quick`).

use crate::components::{ErrorNotice, ExperimentHeader, ExperimentTab, FilterField, Pager, StatusChip};
use crate::workflow::server_fns::list_jobs;
use crate::workflow::{JobPage, JobParams, JobQuery, JobSortKey, JobStatus, GUI_JOB_PAGE_SIZE};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The quick view's jobs per page: a dense list reads well far beyond the table's 100 rows.
const QUICK_PAGE_SIZE: u32 = 500;

#[component]
pub fn ExperimentJobs() -> impl IntoView {
    let path = use_params_map();
    let query_map = use_query_map();
    // `?view=quick`: the quick view, status toggles with counts over a dense list of names. A
    // mode of this page rather than a route of its own: a route costs the bundle 6 KB. The
    // router keeps this component when only the query changes, so the mode follows the URL.
    let expid = Memo::new(move |_| path.get().get("expid").unwrap_or_default());
    let params = Memo::new(move |_| {
        let q = query_map.get();
        let quick = q.get("view").as_deref() == Some("quick");
        JobParams {
            view: quick.then(|| "quick".to_owned()),
            job_name: q.get("job_name"),
            status: q.get("status"),
            section: q.get("section"),
            date: q.get("date"),
            member: q.get("member"),
            chunk: q.get("chunk"),
            order_by: q.get("order_by"),
            order_desc: q.get("order_desc"),
            page: q.get("page"),
            page_size: q.get("page_size").or_else(|| quick.then(|| QUICK_PAGE_SIZE.to_string())),
        }
    });
    let quick = move || params.with(|p| p.view.is_some());
    let page = crate::codec::page_resource(move || (expid.get(), params.get()), |(id, p)| list_jobs(id, p));
    let field = move |get: fn(&JobParams) -> &Option<String>| move || get(&params.get()).clone().unwrap_or_default();
    let parsed = Memo::new(move |_| JobQuery::parse(&params.get()).unwrap_or_default());
    let status_selected = move |name: &'static str| {
        move || parsed.get().statuses.first().map_or("", |s| s.as_str()) == name
    };
    let sort_selected = move |key: JobSortKey| move || parsed.get().order_by == key;
    let csv = move || {
        let q = JobQuery { page: 1, page_size: None, ..parsed.get() };
        format!("/v4/experiments/{}/jobs.csv?{}", expid.get(), q.to_query_string())
    };
    view! {
        {move || {
            let tab = if quick() { ExperimentTab::Quick } else { ExperimentTab::Jobs };
            view! { <ExperimentHeader expid=expid.get() current=tab /> }
        }}
        <div class="page-head">
            <h1>{move || if quick() { "Quick view" } else { "Jobs" }}</h1>
            <a class="button" href=csv id="csv-export">"Download CSV"</a>
        </div>
        // A plain GET form, a full page load: the router's <Form> costs the bundle 3 KB.
        <form method="get" class="panel filters" role="search" id="job-filters">
            <FilterField id="j-name" label="Name" name="job_name" grow=true placeholder="*_SIM, !*_POST"
                value=Signal::derive(field(|p| &p.job_name)) />
            // The quick view sets statuses with its toggles (several at once), so there the
            // select gives way to the statuses the URL holds. (A disabled fieldset sends nothing.)
            <input type="hidden" name="view" value=field(|p| &p.view) />
            <fieldset hidden disabled=move || !quick()>
                <input type="hidden" name="status" value=field(|p| &p.status) />
            </fieldset>
            <fieldset class="field" hidden=quick disabled=quick>
                <label for="j-status">"Status"</label>
                <select id="j-status" name="status">
                    <option value="" selected=status_selected("")>"Any"</option>
                    {JobStatus::ALL.map(|s| view! {
                        <option value=s.as_str() selected=status_selected(s.as_str())>{s.as_str()}</option>
                    })}
                </select>
            </fieldset>
            <FilterField id="j-section" label="Section" name="section" value=Signal::derive(field(|p| &p.section)) />
            <FilterField id="j-date" label="Date" name="date" placeholder="20000101" value=Signal::derive(field(|p| &p.date)) />
            <FilterField id="j-member" label="Member" name="member" value=Signal::derive(field(|p| &p.member)) />
            <FilterField id="j-chunk" label="Chunk" name="chunk" value=Signal::derive(field(|p| &p.chunk)) />
            <div class="field">
                <label for="j-sort">"Sort by"</label>
                <select id="j-sort" name="order_by">
                    {JobSortKey::ALL.map(|k| view! {
                        <option value=k.as_str() selected=sort_selected(k)>{k.as_str()}</option>
                    })}
                </select>
            </div>
            <div class="field field-check">
                <input id="j-desc" type="checkbox" name="order_desc" value="true" checked=move || parsed.get().order_desc />
                <label for="j-desc">"Descending"</label>
            </div>
            <input type="hidden" name="page_size" value=field(|p| &p.page_size) />
            <button type="submit" class="button button-primary">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading jobs…"</p> }>
            {move || Suspend::new(async move {
                let expid = expid.get_untracked();
                // A fixed text: leptos_meta reads the title after the page's signals are
                // gone, so it must not read them.
                let title = format!("{expid} {}", if params.with_untracked(|p| p.view.is_some()) { "quick view" } else { "jobs" });
                match page.await {
                    Ok(result) => {
                        let query = JobQuery::parse(&params.get_untracked()).unwrap_or_default();
                        view! { <Title text=title /> <JobTable expid result query /> }.into_any()
                    }
                    Err(error) => view! { <Title text=title /> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn link_to(expid: &str, query: &JobQuery) -> String {
    match query.to_query_string() {
        qs if qs.is_empty() => format!("/experiments/{expid}/jobs"),
        qs => format!("/experiments/{expid}/jobs?{qs}"),
    }
}

#[component]
fn JobTable(expid: String, mut result: JobPage, query: JobQuery) -> impl IntoView {
    if let Some(markup) = result.quick_html.take() {
        return view! { <div class="quick-view" data-live=expid inner_html=markup></div> }.into_any();
    }
    let p = result.pagination.clone();
    if result.jobs.is_empty() {
        let overview = format!("/experiments/{expid}");
        return view! {
            <section class="panel empty-state" id="no-jobs">
                <h2>"No jobs match"</h2>
                <p>"Change the filters, or generate the graph from the Overview tab."</p>
                <a class="button" href=overview>"Overview"</a>
            </section>
        }
        .into_any();
    }
    let size = query.page_size.unwrap_or(GUI_JOB_PAGE_SIZE);
    let prev = (p.page > 1).then(|| link_to(&expid, &JobQuery { page: p.page - 1, ..query.clone() }));
    let next = (p.page < p.total_pages).then(|| link_to(&expid, &JobQuery { page: p.page + 1, ..query.clone() }));
    let rows = result
        .jobs
        .into_iter()
        .map(|j| {
            let dash = || "—".to_owned();
            let graph_link = format!("/experiments/{expid}/graph?job={}", j.name);
            let row_key = j.name.clone();
            view! {
                <tr data-job=row_key>
                    <td class="mono"><a href=graph_link title="Show in the graph">{j.name}</a></td>
                    <td><StatusChip status=j.status /></td>
                    <td class="mono">{j.section}</td>
                    <td class="mono">{j.date.unwrap_or_else(dash)}</td>
                    <td class="mono">{j.member.unwrap_or_else(dash)}</td>
                    <td class="num">{j.chunk.map(|c| c.to_string()).unwrap_or_else(dash)}</td>
                    <td>{j.platform}</td>
                    <td class="mono">{j.wallclock.unwrap_or_else(dash)}</td>
                </tr>
            }
        })
        .collect_view();
    let first = (p.page - 1) * size + 1;
    let last = first + p.page_items - 1;
    view! {
        <section class="panel table-panel" data-live=expid.clone()>
            <div class="table-scroll">
                <table class="data-table jobs-table">
                    <caption class="visually-hidden">"Jobs"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Section"</th>
                            <th scope="col">"Date"</th>
                            <th scope="col">"Member"</th>
                            <th scope="col">"Chunk"</th>
                            <th scope="col">"Platform"</th>
                            <th scope="col">"Wallclock"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Pager info=format!("Jobs {first}–{last} of {} · page {} of {}", p.total_items, p.page, p.total_pages) prev next />
        </section>
    }
    .into_any()
}
