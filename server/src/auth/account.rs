//! `/account`: a logged-in user's own page, server-rendered like the login form (plain forms,
//! no wasm): change the password, and create or revoke personal API tokens. A new token's
//! secret is shown once, in the page that answers its creation, never in a URL.

use super::html::{escape, page_shell};
use crate::config::Protection;
use app::actor::Actor;
use app::auth::password::Password;
use app::auth::{ops, UserName};
use app::context::AppContext;
use app::error::HindcastError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

/// The logged-in user, or where to send anyone else (a response made once per refused
/// request: its size does not matter).
#[allow(clippy::result_large_err)]
fn account_of(actor: &Actor, protection: Protection) -> Result<UserName, Response> {
    if protection == Protection::None {
        return Err(no_account_here());
    }
    match actor.role {
        Some(_) if actor.name != "anonymous" => UserName::parse(&actor.name).map_err(|_| no_account_here()),
        _ => Err(Redirect::to("/login?next=%2Faccount").into_response()),
    }
}

/// Under `PROTECTION_LEVEL=NONE` the local user has no account to manage.
fn no_account_here() -> Response {
    page_shell(StatusCode::NOT_FOUND, "Account", "account-main", "<h1>Account</h1><p class=\"panel\">This server has no login: there is no account to manage.</p>")
}

pub async fn page(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Extension(protection): Extension<Protection>,
    Query(notice): Query<Notice>,
) -> Response {
    let name = match account_of(&actor, protection) {
        Ok(name) => name,
        Err(response) => return response,
    };
    let message = match notice.done.as_deref() {
        Some("password") => Some(Ok("Your password was changed.".to_owned())),
        Some("revoked") => Some(Ok("The token was revoked.".to_owned())),
        _ => None,
    };
    render(&ctx, &actor, &name, StatusCode::OK, message, None).await
}

pub async fn change_password(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Extension(protection): Extension<Protection>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let name = match account_of(&actor, protection) {
        Ok(name) => name,
        Err(response) => return response,
    };
    let outcome = match Password::parse(&form.new_password) {
        Ok(new) => ops::change_password(ctx.store.as_ref(), &actor, &form.current_password, new).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(_) => Redirect::to("/account?done=password").into_response(),
        Err(err) => render(&ctx, &actor, &name, err.status(), Some(Err(err.to_string())), None).await,
    }
}

pub async fn create_token(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Extension(protection): Extension<Protection>,
    Form(form): Form<TokenForm>,
) -> Response {
    let name = match account_of(&actor, protection) {
        Ok(name) => name,
        Err(response) => return response,
    };
    let days = match form.expires_in_days.trim() {
        "" => Ok(None),
        text => text.parse::<u32>().map(Some).map_err(|_| HindcastError::invalid("expires_in_days", format!("'{text}' is not a whole number of days"))),
    };
    let created = match days {
        Ok(days) => ops::create_token(ctx.store.as_ref(), &actor, &form.name, days).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(token) => render(&ctx, &actor, &name, StatusCode::CREATED, None, Some(&token.secret)).await,
        Err(err) => render(&ctx, &actor, &name, err.status(), Some(Err(err.to_string())), None).await,
    }
}

pub async fn revoke_token(
    State(ctx): State<AppContext>,
    Extension(actor): Extension<Actor>,
    Extension(protection): Extension<Protection>,
    Path(id): Path<String>,
) -> Response {
    let name = match account_of(&actor, protection) {
        Ok(name) => name,
        Err(response) => return response,
    };
    let outcome = match id.parse::<i64>() {
        Ok(id) => ops::revoke_token(ctx.store.as_ref(), &actor, &name, id).await,
        Err(_) => Err(HindcastError::NotFound(format!("Token {id} not found."))),
    };
    match outcome {
        Ok(()) => Redirect::to("/account?done=revoked").into_response(),
        Err(err) => render(&ctx, &actor, &name, err.status(), Some(Err(err.to_string())), None).await,
    }
}

async fn render(
    ctx: &AppContext,
    actor: &Actor,
    name: &UserName,
    status: StatusCode,
    message: Option<Result<String, String>>,
    new_secret: Option<&str>,
) -> Response {
    let tokens = match ops::tokens_of(ctx.store.as_ref(), actor, name).await {
        Ok(tokens) => tokens,
        Err(err) => return page_shell(err.status(), "Account", "account-main", &format!("<p class=\"notice notice-error\" role=\"alert\">{}</p>", escape(&err.to_string()))),
    };
    let notice = match message {
        Some(Ok(text)) => format!(r#"<p class="notice notice-ok" role="status">{}</p>"#, escape(&text)),
        Some(Err(text)) => format!(r#"<p class="notice notice-error" role="alert">{}</p>"#, escape(&text)),
        None => String::new(),
    };
    let secret = new_secret.map_or(String::new(), |s| {
        format!(
            r#"<div class="notice notice-ok" role="status" id="new-token"><p>Your new token (copy it now: it is not shown again):</p><p><code>{}</code></p></div>"#,
            escape(s)
        )
    });
    let table = super::html::token_table(&tokens, "tokens", |id| format!("/account/tokens/{id}/revoke"));
    let role = actor.role.map_or("", |r| r.as_str());
    let body = format!(
        r#"<h1>Your account</h1>{notice}{secret}
<p>Logged in as <strong>{name}</strong> ({role}). <a href="/experiments">Experiments</a></p>
<section class="panel"><h2>API tokens</h2>
<p>A token acts as you, with your role, for scripts and the <code>hindcast client</code>: send it as <code>Authorization: Bearer …</code>.</p>
{table}
<form method="post" action="/account/tokens" class="form login-form" id="new-token-form">
<div class="field"><label for="token-name">What it is for</label><input id="token-name" name="name" required maxlength="100"></div>
<div class="field"><label for="token-days">Expires after (days; empty: never)</label><input id="token-days" name="expires_in_days" inputmode="numeric"></div>
<button type="submit" class="button button-primary">Create token</button></form></section>
<section class="panel"><h2>Password</h2>
<form method="post" action="/account/password" class="form login-form" id="password-form">
<div class="field"><label for="current-password">Current password</label><input id="current-password" name="current_password" type="password" autocomplete="current-password" required></div>
<div class="field"><label for="new-password">New password (at least 10 characters)</label><input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="10"></div>
<button type="submit" class="button button-primary">Change password</button></form></section>"#,
        name = escape(name.as_str()),
    );
    page_shell(status, "Your account", "account-main", &body)
}
