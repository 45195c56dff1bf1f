//! `/experiments/{expid}/access`: who owns an experiment and who collaborates on it, the forms
//! to change that (shown to whoever the domain would let use them), and the experiment's
//! audit log. Server-rendered like the account page; the checks are the domain's.

use super::html::{audit_table, escape, notice, page_shell, query_value, refusal_page};
use app::access::audit::{self, AuditQuery};
use app::access::{ops, AccessView, Need};
use app::actor::Actor;
use app::auth::UserName;
use app::context::AppContext;
use app::error::HindcastError;
use app::experiment::Expid;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    before: Option<i64>,
}

#[derive(Deserialize)]
pub struct EmbedForm {
    #[serde(default)]
    expires_in_days: String,
}

/// A new signed link to an experiment's embedded views.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EmbedLink {
    /// The `embed` query value the links carry.
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// Paths of the four views, each with the token.
    pub summary: String,
    pub tree: String,
    pub graph: String,
    pub jobs: String,
}

/// Signs a link to `expid`'s embedded views for `days` (1–365, default 30): its owner's or an
/// admin's to give, as sharing is.
pub async fn new_embed_link(
    ctx: &AppContext,
    actor: &Actor,
    keys: &super::embed_links::EmbedKeys,
    expid: &Expid,
    days: Option<u32>,
) -> Result<EmbedLink, HindcastError> {
    let days = days.unwrap_or(30);
    if days == 0 || days > super::embed_links::MAX_DAYS {
        return Err(HindcastError::invalid("expires_in_days", format!("must be between 1 and {}", super::embed_links::MAX_DAYS)));
    }
    ops::authorize(ctx.store.as_ref(), actor, expid, Need::Share).await?;
    let generation = ctx.store.embed_generation(expid).await.map_err(app::experiment::ops::to_domain_error)?;
    let expires = chrono::Utc::now() + chrono::TimeDelta::days(i64::from(days));
    let token = keys.sign(expid.as_str(), generation, expires);
    let expires_at = expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let entry = audit::Entry::new(actor, "embed.link", expid.as_str()).on(expid).after(format!("read-only link until {expires_at}"));
    audit::record(ctx.store.as_ref(), entry).await;
    let path = |view: &str| format!("/embed/experiments/{expid}/{view}?embed={}", query_value(&token));
    Ok(EmbedLink { summary: path("summary"), tree: path("tree"), graph: path("graph"), jobs: path("jobs"), token, expires_at })
}

/// Ends every embed link of the experiment made so far (its owner's or an admin's to do).
pub async fn revoke_embed_links(ctx: &AppContext, actor: &Actor, expid: &Expid) -> Result<(), HindcastError> {
    ops::authorize(ctx.store.as_ref(), actor, expid, Need::Share).await?;
    let generation = ctx.store.next_embed_generation(expid).await.map_err(app::experiment::ops::to_domain_error)?;
    let entry = audit::Entry::new(actor, "embed.revoke", expid.as_str()).on(expid).after(format!("links before generation {generation} end"));
    audit::record(ctx.store.as_ref(), entry).await;
    Ok(())
}

pub async fn revoke_embed_links_form(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Path(raw): Path<String>) -> Response {
    let outcome = async { revoke_embed_links(&ctx, &actor, &expid_of(&raw)?).await.map(|()| "revoked") }.await;
    after(&ctx, &actor, &raw, outcome).await
}

pub async fn create_embed_link(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Extension(keys): Extension<std::sync::Arc<super::embed_links::EmbedKeys>>,
    Extension(public): Extension<super::providers::PublicUrl>,
    Path(raw): Path<String>,
    Form(form): Form<EmbedForm>,
) -> Response {
    let outcome = async {
        let days = match form.expires_in_days.trim() {
            "" => None,
            text => Some(text.parse::<u32>().map_err(|_| HindcastError::invalid("expires_in_days", format!("'{text}' is not a whole number of days")))?),
        };
        new_embed_link(&ctx, &actor, &keys, &expid_of(&raw)?, days).await
    }
    .await;
    match outcome {
        Ok(link) => {
            let public = escape(&public.0);
            let shown = format!(
                r#"<div class="notice notice-ok" role="status" id="embed-link"><p>A read-only link until {} (copy it now; it is not shown again):</p><p><code>{public}{}</code></p><p>In a portal: <code>&lt;iframe src="{public}{}" width="100%" height="600"&gt;&lt;/iframe&gt;</code></p></div>"#,
                escape(&link.expires_at),
                escape(&link.summary),
                escape(&link.graph),
            );
            render_with(&ctx, &actor, &raw, StatusCode::CREATED, None, None, &shown).await
        }
        Err(err) => render(&ctx, &actor, &raw, err.status(), Some(Err(err.to_string())), None).await,
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

fn expid_of(raw: &str) -> Result<Expid, HindcastError> {
    Expid::parse(raw).map_err(|_| HindcastError::NotFound(format!("Experiment with expid '{raw}' not found.")))
}

pub async fn page(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(raw): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    // Only fixed messages: text from the URL would let a link put words in the page's mouth.
    let message = query.done.as_deref().and_then(|code| match code {
        "added" => Some("The collaborator was added."),
        "removed" => Some("The collaborator was removed."),
        "owner" => Some("The experiment has a new owner."),
        "revoked" => Some("Every embed link made so far has ended."),
        _ => None,
    });
    let message = message.map(|m| Ok(m.to_owned()));
    render(&ctx, &actor, &raw, StatusCode::OK, message, query.before).await
}

pub async fn add_collaborator(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(raw): Path<String>,
    Form(form): Form<NameForm>,
) -> Response {
    let outcome = async {
        let user = UserName::parse(&form.name)?;
        ops::add_collaborator(ctx.store.as_ref(), &actor, &expid_of(&raw)?, &user).await.map(|_| "added")
    }
    .await;
    after(&ctx, &actor, &raw, outcome).await
}

pub async fn remove_collaborator(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path((raw, name)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        let user = UserName::parse(&name)?;
        ops::remove_collaborator(ctx.store.as_ref(), &actor, &expid_of(&raw)?, &user).await.map(|_| "removed")
    }
    .await;
    after(&ctx, &actor, &raw, outcome).await
}

pub async fn set_owner(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(raw): Path<String>,
    Form(form): Form<NameForm>,
) -> Response {
    let outcome = async {
        let owner = UserName::parse(&form.name)?;
        ops::set_owner(ctx.store.as_ref(), &actor, &expid_of(&raw)?, &owner).await.map(|_| "owner")
    }
    .await;
    after(&ctx, &actor, &raw, outcome).await
}

async fn after(ctx: &AppContext, actor: &Actor, raw: &str, outcome: Result<&'static str, HindcastError>) -> Response {
    match outcome {
        Ok(done) => Redirect::to(&format!("/experiments/{}/access?done={done}", query_value(raw))).into_response(),
        Err(err) => render(ctx, actor, raw, err.status(), Some(Err(err.to_string())), None).await,
    }
}

async fn render(
    ctx: &AppContext,
    actor: &Actor,
    raw: &str,
    status: StatusCode,
    message: Option<Result<String, String>>,
    before: Option<i64>,
) -> Response {
    render_with(ctx, actor, raw, status, message, before, "").await
}

async fn render_with(
    ctx: &AppContext,
    actor: &Actor,
    raw: &str,
    status: StatusCode,
    message: Option<Result<String, String>>,
    before: Option<i64>,
    shown: &str,
) -> Response {
    let store = ctx.store.as_ref();
    let loaded = async {
        let expid = expid_of(raw)?;
        let access = ops::access_of(store, &expid).await?;
        let log = audit::of_experiment(store, &expid, AuditQuery { before, limit: Some(50), ..Default::default() }).await?;
        Ok::<_, HindcastError>((expid, access, log))
    }
    .await;
    let (expid, access, log) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => return refusal_page(err.status(), "Access", &err.to_string()),
    };
    // Forms only for what the domain would allow; it checks again when they are sent.
    let may_share = ops::authorize(store, actor, &expid, Need::Share).await.is_ok();
    let may_transfer = ops::authorize(store, actor, &expid, Need::Transfer).await.is_ok();
    let body = format!(
        r#"{header}{notice}{shown}
<section class="panel"><h2>Who may change it</h2>{people}{share}{transfer}</section>{embed}
<section class="panel"><h2>Audit log</h2>{log}</section>"#,
        header = header(expid.as_str()),
        notice = notice(message),
        people = people(&access, may_share),
        share = if may_share { share_form(expid.as_str()) } else { String::new() },
        transfer = if may_transfer { transfer_form(expid.as_str()) } else { String::new() },
        embed = if may_share { embed_form(expid.as_str()) } else { String::new() },
        log = audit_table(&log, &format!("/experiments/{expid}/access"), false),
    );
    page_shell(status, &format!("{expid} access"), "wide-main", &body)
}

/// The same breadcrumbs and tabs as the experiment's other pages, with Access current.
fn header(expid: &str) -> String {
    let tabs = [("Overview", ""), ("Configuration", "/config"), ("Jobs", "/jobs"), ("Quick view", "/jobs?view=quick"), ("Tree", "/tree"), ("Graph", "/graph"), ("Runs", "/runs")];
    let links: String = tabs.iter().map(|(label, path)| format!(r#"<a href="/experiments/{expid}{path}">{label}</a>"#)).collect();
    format!(
        r#"<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/experiments">Experiments</a><span aria-hidden="true">/</span><span class="mono">{expid}</span></nav>
<nav class="tabs" aria-label="Experiment">{links}<a href="/experiments/{expid}/access" aria-current="page">Access</a></nav>"#
    )
}

fn people(access: &AccessView, may_share: bool) -> String {
    let owner = format!(r#"<p>Owner: <strong id="owner">{}</strong>. Admins may change any experiment.</p>"#, escape(&access.owner));
    if access.collaborators.is_empty() {
        return format!("{owner}<p>No collaborators.</p>");
    }
    let rows: String = access
        .collaborators
        .iter()
        .map(|c| {
            let remove = if may_share {
                format!(
                    r#"<form method="post" action="/experiments/{}/access/collaborators/{}/remove" class="inline-form"><button type="submit" class="button button-danger" aria-label="Remove {name}">Remove</button></form>"#,
                    escape(&access.expid),
                    query_value(&c.name),
                    name = escape(&c.name)
                )
            } else {
                String::new()
            };
            format!(r#"<tr><td>{}</td><td>{}</td><td class="mono">{}</td><td>{remove}</td></tr>"#, escape(&c.name), escape(&c.added_by), escape(&c.added_at))
        })
        .collect();
    format!(
        r#"{owner}<div class="table-scroll"><table class="data-table" id="collaborators"><thead><tr><th scope="col">Collaborator</th><th scope="col">Added by</th><th scope="col">Added</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}

fn share_form(expid: &str) -> String {
    format!(
        r#"<form method="post" action="/experiments/{expid}/access/collaborators" class="form login-form" id="add-collaborator">
<div class="field"><label for="collaborator">Add a collaborator (an operator's account name)</label><input id="collaborator" name="name" required maxlength="64" autocomplete="off"></div>
<button type="submit" class="button button-primary">Add</button></form>"#
    )
}

fn embed_form(expid: &str) -> String {
    format!(
        r#"<section class="panel"><h2>Embed in a portal</h2><p>A signed link lets a project portal show this experiment's summary, tree, graph and jobs, read-only, even where the experiment needs a login. Portals must also be listed in <code>EMBED_FRAME_ANCESTORS</code>.</p>
<form method="post" action="/experiments/{expid}/access/embed" class="form login-form" id="embed-form">
<div class="field"><label for="embed-days">Valid for (days, 1–365; empty: 30)</label><input id="embed-days" name="expires_in_days" inputmode="numeric"></div>
<button type="submit" class="button">Create an embed link</button></form>
<form method="post" action="/experiments/{expid}/access/embed/revoke" class="form login-form" id="embed-revoke-form"><button type="submit" class="button button-danger">End every embed link made so far</button></form></section>"#
    )
}

fn transfer_form(expid: &str) -> String {
    format!(
        r#"<form method="post" action="/experiments/{expid}/access/owner" class="form login-form" id="set-owner">
<div class="field"><label for="new-owner">Give it to another owner (admins only)</label><input id="new-owner" name="name" required maxlength="64" autocomplete="off"></div>
<button type="submit" class="button">Change owner</button></form>"#
    )
}
