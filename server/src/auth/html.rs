//! The frame of the pages rendered here rather than by Leptos (login, account, admin, access):
//! plain HTML forms that work without the wasm and cost the browser bundle nothing, in the
//! same top bar and stylesheet as the app.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub fn page_shell(status: StatusCode, title: &str, class: &str, body: &str) -> Response {
    frame(status, title, class, body, r#"<script type="module" src="/account.js"></script>"#, "<hc-account></hc-account>")
}

/// The login form's frame: without the account widget, whose question "who am I?" would be
/// answered 401 with a Basic challenge, and the browser would ask for a password over it.
pub fn login_shell(status: StatusCode, body: &str) -> Response {
    frame(status, "Log in", "login-main", body, "", "")
}

fn frame(status: StatusCode, title: &str, class: &str, body: &str, script: &str, widget: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/pkg/hindcast.css">{script}<title>{title} · Hindcast</title></head>
<body><header class="topbar"><a href="/" class="brand"><span class="brand-mark" aria-hidden="true">◆</span>Hindcast</a>
<nav aria-label="Main"><a href="/experiments">Experiments</a><a href="/v4/docs">API</a>{widget}</nav></header>
<main id="main" class="{class}">{body}</main></body></html>"#,
        title = escape(title),
    );
    (status, Html(html)).into_response()
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A success or error notice, or nothing.
pub fn notice(message: Option<Result<String, String>>) -> String {
    match message {
        Some(Ok(text)) => format!(r#"<p class="notice notice-ok" role="status">{}</p>"#, escape(&text)),
        Some(Err(text)) => format!(r#"<p class="notice notice-error" role="alert">{}</p>"#, escape(&text)),
        None => String::new(),
    }
}

/// A page that only says why it cannot be shown.
pub fn refusal_page(status: StatusCode, title: &str, message: &str) -> Response {
    let login = if status == StatusCode::UNAUTHORIZED { r#" <a href="/login">Log in</a>"# } else { "" };
    page_shell(status, title, "account-main", &format!("<h1>{}</h1>{}{login}", escape(title), notice(Some(Err(message.to_owned())))))
}

/// Percent-encodes a query value.
pub fn query_value(text: &str) -> String {
    urlencoding::encode(text).into_owned()
}

/// The audit entries as a table, with a link to the next (older) page when there is one.
pub fn audit_table(page: &app::access::AuditPage, next_base: &str, with_expid: bool) -> String {
    if page.entries.is_empty() {
        return "<p>Nothing recorded.</p>".into();
    }
    let rows: String = page
        .entries
        .iter()
        .map(|e| {
            let expid = if with_expid {
                let cell = e.expid.as_deref().map_or(String::new(), |x| format!(r#"<a href="/experiments/{0}">{0}</a>"#, escape(x)));
                format!("<td class=\"mono\">{cell}</td>")
            } else {
                String::new()
            };
            let change = match (&e.before, &e.after) {
                (Some(b), Some(a)) => format!("{} → {}", escape(b), escape(a)),
                (None, Some(a)) => escape(a),
                (Some(b), None) => format!("{} → ∅", escape(b)),
                (None, None) => String::new(),
            };
            format!(
                r#"<tr><td class="mono">{}</td><td>{}</td><td class="mono">{}</td>{expid}<td class="description">{}</td><td class="description">{change}</td></tr>"#,
                escape(&e.at),
                escape(&e.actor),
                escape(&e.action),
                escape(&e.target),
            )
        })
        .collect();
    let expid_head = if with_expid { r#"<th scope="col">Experiment</th>"# } else { "" };
    let more = page.next_before.map_or(String::new(), |before| {
        let separator = if next_base.contains('?') { '&' } else { '?' };
        format!(r#"<p><a href="{}{separator}before={before}" rel="next">Older entries</a></p>"#, escape(next_base))
    });
    format!(
        r#"<div class="table-scroll"><table class="data-table" id="audit"><thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Action</th>{expid_head}<th scope="col">Target</th><th scope="col">Change</th></tr></thead><tbody>{rows}</tbody></table></div>{more}"#
    )
}

/// API tokens as a table with a "Revoke" form each (`revoke_action`: the form's address for a
/// token id), or a line saying there are none.
pub fn token_table(tokens: &[app::auth::TokenView], table_id: &str, revoke_action: impl Fn(i64) -> String) -> String {
    if tokens.is_empty() {
        return "<p>No tokens yet.</p>".to_owned();
    }
    let rows: String = tokens
        .iter()
        .map(|t| {
            format!(
                r#"<tr><td>{}</td><td class="mono">{}</td><td class="mono">{}</td><td class="mono">{}</td><td><form method="post" action="{}" class="inline-form"><button type="submit" class="button">Revoke</button></form></td></tr>"#,
                escape(&t.name),
                escape(&t.created_at),
                escape(t.expires_at.as_deref().unwrap_or("never")),
                escape(t.last_used_at.as_deref().unwrap_or("never")),
                escape(&revoke_action(t.id)),
            )
        })
        .collect();
    format!(
        r#"<div class="table-scroll"><table class="data-table" id="{table_id}"><thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}
