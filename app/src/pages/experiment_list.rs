//! The catalogue: search, filters, sort and paging, all held in the URL query.

use crate::components::{short_time, ErrorNotice, FilterField, KindBadge, Pager, RunStateBadge};
use crate::experiment::server_fns::list_experiments;
use crate::experiment::{ExperimentKind, ExperimentPage, ListParams, ListQuery, SortKey};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ExperimentList() -> impl IntoView {
    let query_map = use_query_map();
    let params = Memo::new(move |_| {
        // Values, not guards: holding a read guard while the reactive graph updates can
        // deadlock server rendering on a multi-threaded runtime.
        let q = query_map.get();
        ListParams {
            query: q.get("query"),
            only_active: q.get("only_active"),
            owner: q.get("owner"),
            exp_type: q.get("exp_type"),
            hpc: q.get("hpc"),
            order_by: q.get("order_by"),
            order_desc: q.get("order_desc"),
            page: q.get("page"),
            page_size: q.get("page_size"),
        }
    });
    let page = crate::codec::page_resource(move || params.get(), list_experiments);
    let field = move |get: fn(&ListParams) -> &Option<String>| {
        move || get(&params.get()).clone().unwrap_or_default()
    };
    // The form shows what the query means, as parsed, not the raw text of the URL.
    let parsed = Memo::new(move |_| ListQuery::parse(&params.get(), false).unwrap_or_default());
    let active_checked = move || parsed.get().only_active;
    let kind_selected = move |kind: &'static str| {
        move || parsed.get().exp_type.map_or("", ExperimentKind::as_str) == kind
    };

    view! {
        <Title text="Experiments" />
        <div class="page-head">
            <h1>"Experiments"</h1>
        </div>
        // A plain GET form, a full page load: the router's <Form> costs the bundle 3 KB.
        <form method="get" action="/experiments" class="panel filters" role="search">
            <FilterField id="f-query" label="Search" name="query" grow=true placeholder="Id, description or owner"
                value=Signal::derive(field(|p| &p.query)) />
            <div class="field">
                <label for="f-kind">"Kind"</label>
                <select id="f-kind" name="exp_type">
                    <option value="" selected=kind_selected("")>"Any"</option>
                    {ExperimentKind::ALL.map(|k| view! {
                        <option value=k.as_str() selected=kind_selected(k.as_str())>{k.label()}</option>
                    })}
                </select>
            </div>
            <FilterField id="f-owner" label="Owner" name="owner" value=Signal::derive(field(|p| &p.owner)) />
            <FilterField id="f-hpc" label="HPC" name="hpc" value=Signal::derive(field(|p| &p.hpc)) />
            <div class="field field-check">
                <input id="f-active" type="checkbox" name="only_active" value="true" checked=active_checked />
                <label for="f-active">"Only running"</label>
            </div>
            <input type="hidden" name="order_by" value=field(|p| &p.order_by) />
            <input type="hidden" name="order_desc" value=field(|p| &p.order_desc) />
            <input type="hidden" name="page_size" value=field(|p| &p.page_size) />
            <button type="submit" class="button button-primary">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading experiments…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(result) => {
                        let query = ListQuery::parse(&params.get_untracked(), false).unwrap_or_default();
                        view! { <ResultsTable result query /> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn link_to(query: &ListQuery) -> String {
    match query.to_query_string() {
        qs if qs.is_empty() => "/experiments".to_owned(),
        qs => format!("/experiments?{qs}"),
    }
}

#[component]
fn SortHeader(label: &'static str, key: SortKey, query: ListQuery) -> impl IntoView {
    let current = query.order_by == key;
    let next = ListQuery {
        order_by: key,
        order_desc: current && !query.order_desc,
        page: 1,
        ..query.clone()
    };
    let aria = match (current, query.order_desc) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let arrow = match aria {
        "ascending" => " ↑",
        "descending" => " ↓",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=aria>
            <A href=link_to(&next)>{label}{arrow}</A>
        </th>
    }
}

#[component]
fn ResultsTable(result: ExperimentPage, query: ListQuery) -> impl IntoView {
    let p = result.pagination.clone();
    if result.experiments.is_empty() {
        return view! {
            <section class="panel empty-state">
                <h2>"No experiments match"</h2>
                <p>"Change the search or the filters, or create a new experiment."</p>
                <a class="button button-primary" href="/experiments/new">"New experiment"</a>
            </section>
        }
        .into_any();
    }
    let prev = (p.page > 1).then(|| link_to(&ListQuery { page: p.page - 1, ..query.clone() }));
    let next = (p.page < p.total_pages).then(|| link_to(&ListQuery { page: p.page + 1, ..query.clone() }));
    let rows = result
        .experiments
        .into_iter()
        .map(|e| {
            let href = format!("/experiments/{}", e.name);
            view! {
                <tr>
                    <td class="mono"><A href=href>{e.name.clone()}</A></td>
                    <td class="description">{e.description}</td>
                    <td><KindBadge kind=e.kind /></td>
                    <td>{e.user}</td>
                    <td>{e.hpc.unwrap_or_else(|| "—".into())}</td>
                    <td class="nowrap">{short_time(&e.created)}</td>
                    <td><RunStateBadge status=e.status /></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel table-panel">
            <div class="table-scroll">
                <table class="data-table experiments-table">
                    <caption class="visually-hidden">"Experiments"</caption>
                    <thead>
                        <tr>
                            <SortHeader label="Id" key=SortKey::Expid query=query.clone() />
                            <SortHeader label="Description" key=SortKey::Description query=query.clone() />
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Owner"</th>
                            <th scope="col">"HPC"</th>
                            <SortHeader label="Created" key=SortKey::Created query=query.clone() />
                            <th scope="col">"State"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Pager info=format!("Page {} of {} · {} experiments", p.page, p.total_pages, p.total_items) prev next />
        </section>
    }
    .into_any()
}
