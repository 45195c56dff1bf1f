//! `/admin`: accounts and the whole audit log, for admins, as plain server-rendered forms.
//! Every form calls the same domain operation as `hindcast user` and `/v4/users`, which
//! checks that the caller is an admin; this page only shows and forwards.

use super::html::{audit_table, escape, notice, page_shell, query_value, refusal_page};
use app::access::audit::{self, AuditQuery};
use app::actor::Actor;
use app::auth::password::Password;
use app::auth::{ops, Role, UserName, UserView};
use app::context::AppContext;
use app::error::HindcastError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn users_page(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Query(done): Query<Done>) -> Response {
    // Only fixed messages: text from the URL would let a link put words in the page's mouth.
    let message = done.done.as_deref().and_then(|code| match code {
        "added" => Some("The account was added."),
        "role" => Some("The role was changed."),
        "password" => Some("The new password was set."),
        "removed" => Some("The account was removed."),
        _ => None,
    });
    let message = message.map(|m| Ok(m.to_owned()));
    render(&ctx, &actor, StatusCode::OK, message).await
}

pub async fn add_user(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Form(form): Form<NewUserForm>) -> Response {
    let outcome = async {
        let name = UserName::parse(&form.name)?;
        let role = Role::parse(&form.role)?;
        let password = match form.password.as_str() {
            "" => None,
            text => Some(Password::parse(text)?),
        };
        ops::add_user(ctx.store.as_ref(), &actor, &name, role, password).await
    }
    .await;
    after(&ctx, &actor, outcome.map(|_| "added")).await
}

pub async fn set_role(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    let outcome = async { ops::set_role(ctx.store.as_ref(), &actor, &UserName::parse(&name)?, Role::parse(&form.role)?).await }.await;
    after(&ctx, &actor, outcome.map(|_| "role")).await
}

pub async fn reset_password(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let outcome = async {
        let password = Password::parse(&form.password)?;
        ops::reset_password(ctx.store.as_ref(), &actor, &UserName::parse(&name)?, password).await
    }
    .await;
    after(&ctx, &actor, outcome.map(|_| "password")).await
}

pub async fn remove_user(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Path(name): Path<String>) -> Response {
    let outcome = async {
        let name = UserName::parse(&name)?;
        ops::remove_user(ctx.store.as_ref(), &actor, &name).await.map(|()| "removed")
    }
    .await;
    after(&ctx, &actor, outcome).await
}

/// Back to the page with a notice (so a reload does not repeat the change), or the page
/// again with the error and its status.
async fn after(ctx: &AppContext, actor: &Actor, outcome: Result<&'static str, HindcastError>) -> Response {
    match outcome {
        Ok(done) => Redirect::to(&format!("/admin?done={done}")).into_response(),
        Err(err) => render(ctx, actor, err.status(), Some(Err(err.to_string()))).await,
    }
}

async fn render(ctx: &AppContext, actor: &Actor, status: StatusCode, message: Option<Result<String, String>>) -> Response {
    let users = match ops::list_users(ctx.store.as_ref(), actor).await {
        Ok(users) => users,
        Err(err) => return refusal_page(err.status(), "Accounts", &err.to_string()),
    };
    let rows: String = users.iter().map(user_row).collect();
    let body = format!(
        r#"<h1>Accounts</h1>{notice}
<p><a href="/admin/audit">Audit log</a></p>
<div class="table-scroll"><table class="data-table" id="users"><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Login</th><th scope="col">Created</th><th scope="col">New password</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table></div>
<section class="panel"><h2>Add an account</h2>
<form method="post" action="/admin/users" class="form login-form" id="add-user">
<div class="field"><label for="new-name">Name</label><input id="new-name" name="name" required maxlength="64" autocomplete="off"></div>
<div class="field"><label for="new-role">Role</label>{select}</div>
<div class="field"><label for="new-password">Password (empty: logs in through CAS, GitHub or OIDC only)</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10"></div>
<button type="submit" class="button button-primary">Add account</button></form></section>"#,
        notice = notice(message),
        select = role_select("new-role", Role::Viewer),
    );
    page_shell(status, "Accounts", "wide-main", &body)
}

fn user_row(user: &UserView) -> String {
    let name = escape(&user.name);
    let path = query_value(&user.name);
    let id = format!("role-{}", user.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    format!(
        r#"<tr><td>{name}</td>
<td><form method="post" action="/admin/users/{path}/role" class="inline-form"><label class="visually-hidden" for="{id}">Role of {name}</label>{select}<button type="submit" class="button">Save</button></form></td>
<td>{login}</td><td class="mono">{created}</td>
<td><form method="post" action="/admin/users/{path}/password" class="inline-form"><label class="visually-hidden" for="pw-{id}">New password for {name}</label><input id="pw-{id}" name="password" type="password" autocomplete="new-password" minlength="10" required><button type="submit" class="button">Set</button></form></td>
<td class="inline-form"><a href="/admin/users/{path}/tokens" aria-label="API tokens of {name}">Tokens</a><form method="post" action="/admin/users/{path}/remove" class="inline-form"><button type="submit" class="button button-danger" aria-label="Remove {name}">Remove</button></form></td></tr>"#,
        select = role_select(&id, user.role),
        login = if user.local_password { "local password" } else { "external" },
        created = escape(&user.created_at),
    )
}

fn role_select(id: &str, current: Role) -> String {
    let options: String = Role::ALL
        .iter()
        .map(|r| format!(r#"<option value="{0}"{1}>{0}</option>"#, r.as_str(), if *r == current { " selected" } else { "" }))
        .collect();
    format!(r#"<select id="{id}" name="role">{options}</select>"#)
}

#[derive(Deserialize)]
pub struct AuditFilters {
    actor: Option<String>,
    action: Option<String>,
    expid: Option<String>,
    before: Option<i64>,
}

/// The whole audit log, newest first, filtered by who, what and which experiment.
pub async fn audit_page(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Query(filters): Query<AuditFilters>) -> Response {
    let keep = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let (who, what, expid) = (keep(&filters.actor), keep(&filters.action), keep(&filters.expid));
    let query = AuditQuery { expid: expid.clone(), actor: who.clone(), action: what.clone(), before: filters.before, limit: Some(100) };
    let page = match audit::global(ctx.store.as_ref(), &actor, query).await {
        Ok(page) => page,
        Err(err) => return refusal_page(err.status(), "Audit log", &err.to_string()),
    };
    let value = |v: &Option<String>| escape(v.as_deref().unwrap_or_default());
    let base = format!(
        "/admin/audit?actor={}&action={}&expid={}",
        query_value(who.as_deref().unwrap_or_default()),
        query_value(what.as_deref().unwrap_or_default()),
        query_value(expid.as_deref().unwrap_or_default())
    );
    let body = format!(
        r#"<h1>Audit log</h1><p><a href="/admin">Accounts</a></p>
<form method="get" action="/admin/audit" class="panel filters" id="audit-filters">
<div class="field"><label for="audit-actor">Who</label><input id="audit-actor" name="actor" value="{}"></div>
<div class="field"><label for="audit-action">Action</label><input id="audit-action" name="action" value="{}" placeholder="e.g. jobs.set_status"></div>
<div class="field"><label for="audit-expid">Experiment</label><input id="audit-expid" name="expid" value="{}"></div>
<button type="submit" class="button">Filter</button></form>
{}"#,
        value(&who),
        value(&what),
        value(&expid),
        audit_table(&page, &base, true)
    );
    page_shell(StatusCode::OK, "Audit log", "wide-main", &body)
}

/// One account's personal API tokens, for an admin to see and revoke (a lost laptop).
pub async fn tokens_page(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Path(name): Path<String>, Query(done): Query<Done>) -> Response {
    let message = done.done.as_deref().filter(|code| *code == "revoked").map(|_| Ok("The token was revoked.".to_owned()));
    render_tokens(&ctx, &actor, &name, StatusCode::OK, message).await
}

pub async fn revoke_token(State(ctx): State<AppContext>, Extension(actor): Extension<Actor>, Path((name, id)): Path<(String, String)>) -> Response {
    let outcome = async {
        let owner = UserName::parse(&name)?;
        let id = id.parse::<i64>().map_err(|_| HindcastError::NotFound(format!("Token {id} not found.")))?;
        ops::revoke_token(ctx.store.as_ref(), &actor, &owner, id).await
    }
    .await;
    match outcome {
        Ok(()) => Redirect::to(&format!("/admin/users/{}/tokens?done=revoked", query_value(&name))).into_response(),
        Err(err) => render_tokens(&ctx, &actor, &name, err.status(), Some(Err(err.to_string()))).await,
    }
}

async fn render_tokens(ctx: &AppContext, actor: &Actor, name: &str, status: StatusCode, message: Option<Result<String, String>>) -> Response {
    let listed = async {
        let owner = UserName::parse(name)?;
        // Admins only: the domain lets owners see their own, but this page is the admin's.
        ops::list_users(ctx.store.as_ref(), actor).await?;
        ops::tokens_of(ctx.store.as_ref(), actor, &owner).await.map(|tokens| (owner, tokens))
    }
    .await;
    let (owner, tokens) = match listed {
        Ok(listed) => listed,
        Err(err) => return refusal_page(err.status(), "API tokens", &err.to_string()),
    };
    let path = query_value(owner.as_str());
    let table = super::html::token_table(&tokens, "user-tokens", |id| format!("/admin/users/{path}/tokens/{id}/revoke"));
    let body = format!(
        r#"<h1>API tokens of {name}</h1>{notice}<p><a href="/admin">Accounts</a></p>{table}<p>Tokens are created by their owner on their account page; an admin may revoke them here.</p>"#,
        name = escape(owner.as_str()),
        notice = notice(message),
    );
    page_shell(status, "API tokens", "wide-main", &body)
}
