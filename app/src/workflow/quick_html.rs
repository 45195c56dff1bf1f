//! The GUI's quick view (`/experiments/{expid}/jobs?view=quick`): every job's name and status
//! in a dense list, filtered by toggling statuses (e.g. only FAILED and RUNNING) besides the
//! job table's filters. Written here, on the server, as plain markup with links: it works
//! without the wasm, keeps its code out of the browser bundle, and its statuses follow the
//! experiment's events like the table's (`public/live-page.js`).

use super::{JobPage, JobQuery, JobStatus, JobSummary};

/// The status toggles, the list and its pager, as HTML.
pub fn quick_markup(expid: &str, summary: &JobSummary, result: &JobPage, query: &JobQuery) -> String {
    use std::fmt::Write;
    let link = |q: &JobQuery| match q.to_query_string() {
        qs if qs.is_empty() => format!("/experiments/{expid}/jobs"),
        qs => format!("/experiments/{expid}/jobs?{qs}"),
    };
    let chip = |status: JobStatus| format!(r#"<span class="{}">{}</span>"#, status.css_class(), status.as_str());
    let mut out = String::with_capacity(200 + result.jobs.len() * 160);
    let all = link(&JobQuery { statuses: Vec::new(), page: 1, ..query.clone() });
    let _ = write!(
        out,
        r#"<nav class="panel quick-toggles" aria-label="Show jobs in these statuses"><ul class="summary-chips"><li><a href="{}" class="summary-link" aria-pressed="{}">All <span class="summary-count">{}</span></a></li>"#,
        escape(&all),
        query.statuses.is_empty(),
        summary.total
    );
    for count in &summary.counts {
        let on = query.statuses.contains(&count.status);
        let mut statuses: Vec<JobStatus> = query.statuses.iter().copied().filter(|s| *s != count.status).collect();
        if !on {
            statuses.push(count.status);
        }
        let href = link(&JobQuery { statuses, page: 1, ..query.clone() });
        let _ = write!(
            out,
            r#"<li><a href="{}" class="summary-link" aria-pressed="{on}">{}<span class="summary-count">{}</span></a></li>"#,
            escape(&href),
            chip(count.status),
            count.count
        );
    }
    out.push_str(r#"</ul></nav><section class="panel"><ul class="quick-list" id="quick-list">"#);
    for job in &result.jobs {
        let name = escape(&job.name);
        let _ = write!(
            out,
            r#"<li data-job="{name}">{}<a class="mono" href="/experiments/{expid}/graph?job={name}">{name}</a></li>"#,
            chip(job.status)
        );
    }
    let p = &result.pagination;
    let _ = write!(
        out,
        r#"</ul><nav class="pager" aria-label="Pages"><span class="pager-info">{} job(s) · page {} of {}</span>"#,
        p.total_items,
        p.page,
        p.total_pages.max(1)
    );
    if p.page > 1 {
        let href = link(&JobQuery { page: p.page - 1, ..query.clone() });
        let _ = write!(out, r#"<a class="button" rel="prev" href="{}">← Previous</a>"#, escape(&href));
    }
    if p.page < p.total_pages {
        let href = link(&JobQuery { page: p.page + 1, ..query.clone() });
        let _ = write!(out, r#"<a class="button" rel="next" href="{}">Next →</a>"#, escape(&href));
    }
    out.push_str("</nav></section>");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
