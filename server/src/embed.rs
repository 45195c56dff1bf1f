//! `/embed/experiments/{expid}/{summary|tree|graph|jobs}`: an experiment's views for project
//! portals' iframes, read-only and without the app's navigation. Rendered here as plain HTML
//! (no wasm to load in someone else's page); the graph is the same `<hc-graph>` element as in
//! the app (as of the page's loading: a signed link does not open the live events). A signed link (`embed=…`, see `auth::embed_links`) opens
//! a private experiment; every link on these pages carries it on.

use crate::auth::html::{escape, query_value};
use app::context::AppContext;
use app::error::HindcastError;
use app::experiment::Expid;
use app::workflow::ops;
use app::workflow::{JobParams, JobQuery, JobStatus, JobSummary, TreeParams, GUI_JOB_PAGE_SIZE};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct EmbedQuery {
    embed: Option<String>,
}

pub async fn page(
    State(ctx): State<AppContext>,
    Path((raw, view)): Path<(String, String)>,
    Query(grant): Query<EmbedQuery>,
    Query(jobs): Query<JobParams>,
    Query(tree): Query<TreeParams>,
) -> Response {
    let keep = Keep(grant.embed.map(|t| format!("embed={}", query_value(&t))));
    let rendered = async {
        let expid = Expid::parse(&raw).map_err(|_| HindcastError::NotFound(format!("Experiment with expid '{raw}' not found.")))?;
        let store = ctx.store.as_ref();
        let body = match view.as_str() {
            "summary" => summary(&expid, &ops::summary(store, &expid).await?, &keep),
            "jobs" => {
                let mut query = JobQuery::parse(&jobs)?;
                query.page_size = Some(query.page_size.unwrap_or(GUI_JOB_PAGE_SIZE).min(GUI_JOB_PAGE_SIZE));
                job_table(&expid, &ops::jobs(store, &expid, &query).await?, &jobs, &keep)
            }
            "tree" => tree_level(&expid, &ops::tree(store, &expid, &tree).await?, &keep),
            "graph" => graph(&expid, &keep),
            other => return Err(HindcastError::NotFound(format!("There is no embedded view '{other}'; use summary, tree, graph or jobs."))),
        };
        Ok::<_, HindcastError>((expid, body))
    }
    .await;
    match rendered {
        Ok((expid, body)) => frame(StatusCode::OK, &format!("{expid} {view}"), expid.as_str(), &body, &keep),
        Err(err) => frame(err.status(), "Not available", &raw, &format!(r#"<p class="notice notice-error" role="alert">{}</p>"#, escape(&err.to_string())), &keep),
    }
}

/// The signed grant, carried on to every link of the page.
struct Keep(Option<String>);

impl Keep {
    /// `path` with the grant added to its query.
    fn link(&self, path: &str) -> String {
        match &self.0 {
            None => escape(path),
            Some(grant) => escape(&format!("{path}{}{grant}", if path.contains('?') { '&' } else { '?' })),
        }
    }
}

fn frame(status: StatusCode, title: &str, expid: &str, body: &str, keep: &Keep) -> Response {
    let tabs: String = ["summary", "tree", "graph", "jobs"]
        .iter()
        .map(|v| format!(r#"<a href="{}">{}</a>"#, keep.link(&format!("/embed/experiments/{}/{v}", query_value(expid))), v))
        .collect();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><link rel="stylesheet" href="/pkg/hindcast.css"><title>{title} · Hindcast</title></head>
<body class="embed"><main id="main">{body}</main>
<footer class="embed-footer"><nav aria-label="Views">{tabs}</nav><span>Hindcast · <span class="mono">{expid}</span> · read-only</span></footer></body></html>"#,
        title = escape(title),
        expid = escape(expid),
    );
    (status, Html(html)).into_response()
}

fn chip(status: JobStatus) -> String {
    format!(r#"<span class="{}">{}</span>"#, status.css_class(), status.as_str())
}

fn summary(expid: &Expid, summary: &JobSummary, keep: &Keep) -> String {
    let completed = summary.count(JobStatus::Completed);
    let percent = (completed * 100).checked_div(summary.total).unwrap_or(0);
    let chips: String = summary
        .counts
        .iter()
        .map(|c| {
            let href = keep.link(&format!("/embed/experiments/{expid}/jobs?status={}", c.status.as_str()));
            format!(r#"<li><a href="{href}" class="summary-link">{}<span class="summary-count">{}</span></a></li>"#, chip(c.status), c.count)
        })
        .collect();
    format!(
        r#"<h1 class="embed-title">{expid}</h1><div class="status-summary" id="embed-summary">
<div class="progress" role="progressbar" aria-label="Completed jobs" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{percent}"><div class="progress-bar" style="width: {percent}%"></div></div>
<p class="progress-text">{completed} of {} jobs completed ({percent}%)</p><ul class="summary-chips">{chips}</ul></div>"#,
        summary.total
    )
}

fn job_table(expid: &Expid, page: &app::workflow::JobPage, params: &JobParams, keep: &Keep) -> String {
    let cell = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    let rows: String = page
        .jobs
        .iter()
        .map(|j| {
            format!(
                r#"<tr><td class="mono">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="mono">{}</td><td class="mono">{}</td></tr>"#,
                escape(&j.name),
                chip(j.status),
                escape(&j.section),
                cell(&j.date),
                cell(&j.member),
                j.chunk.map_or(String::new(), |c| c.to_string()),
                cell(&j.start),
                cell(&j.finish),
            )
        })
        .collect();
    let p = &page.pagination;
    let at = |n: u32| {
        let status = params.status.as_deref().map_or(String::new(), |s| format!("&status={}", query_value(s)));
        keep.link(&format!("/embed/experiments/{expid}/jobs?page={n}{status}"))
    };
    let previous = if p.page > 1 { format!(r#"<a href="{}" rel="prev">Previous</a>"#, at(p.page - 1)) } else { String::new() };
    let next = if p.page < p.total_pages { format!(r#"<a href="{}" rel="next">Next</a>"#, at(p.page + 1)) } else { String::new() };
    format!(
        r#"<div class="table-scroll"><table class="data-table" id="embed-jobs"><thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Section</th><th scope="col">Date</th><th scope="col">Member</th><th scope="col">Chunk</th><th scope="col">Start</th><th scope="col">Finish</th></tr></thead><tbody>{rows}</tbody></table></div>
<p class="pager">{previous} Page {} of {} · {} jobs {next}</p>"#,
        p.page, p.total_pages, p.total_items
    )
}

fn tree_level(expid: &Expid, level: &app::workflow::TreeLevel, keep: &Keep) -> String {
    let mut here = Vec::new();
    for (key, value) in [("date", &level.date), ("member", &level.member), ("section", &level.section)] {
        if let Some(v) = value {
            here.push(format!("{key}={}", query_value(v)));
        }
    }
    let base = format!("/embed/experiments/{expid}/tree");
    let folders: String = level
        .folders
        .iter()
        .map(|f| {
            let mut query = here.clone();
            query.push(format!("{}={}", f.kind, query_value(&f.name)));
            let counts: String = f.counts.iter().map(|c| format!("{} {} ", chip(c.status), c.count)).collect();
            format!(r#"<li><a href="{}">{}</a> <span class="tree-total">{} jobs</span> {counts}</li>"#, keep.link(&format!("{base}?{}", query.join("&"))), escape(&f.name), f.total)
        })
        .collect();
    let jobs: String = level
        .jobs
        .iter()
        .map(|j| format!("<li><span class=\"mono\">{}</span> {}</li>", escape(&j.job_name), j.status.map(chip).unwrap_or_default()))
        .collect();
    let up = if here.is_empty() { String::new() } else { format!(r#"<p><a href="{}">Back to the top</a> · {}</p>"#, keep.link(&base), escape(&here.join(" · "))) };
    format!(r#"{up}<ul class="embed-tree" id="embed-tree">{folders}</ul><ul class="embed-tree-jobs">{jobs}</ul>"#)
}

fn graph(expid: &Expid, keep: &Keep) -> String {
    let embed = keep.0.as_deref().and_then(|g| g.strip_prefix("embed=")).unwrap_or("");
    format!(
        r#"<script type="module" src="/graph.js"></script><hc-graph expid="{expid}" embed="{}" class="graph-view embed-graph"><p class="graph-fallback">The graph is drawn with JavaScript.</p></hc-graph>"#,
        escape(&urlencoding::decode(embed).map(|c| c.into_owned()).unwrap_or_default())
    )
}
