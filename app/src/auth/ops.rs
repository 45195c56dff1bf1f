//! Account management, once for every caller (the `hindcast user` CLI, the admin pages, the
//! account page and the API). Who may call what is checked here: accounts are managed by
//! admins, tokens and passwords by their owner (and tokens by admins too); the installation
//! never loses its last admin; every change goes to the audit log.

use super::password::{self, Password};
use super::{Role, TokenView, UserName, UserView};
use crate::access::audit::{self, Entry};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::store::{Store, UserRecord};

fn view(record: UserRecord) -> Result<UserView, HindcastError> {
    Ok(UserView {
        role: Role::parse(&record.role)?,
        local_password: record.password_hash.is_some(),
        created_at: record.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        name: record.name,
    })
}

/// Creates an account; with a password it can log in locally, without one only through an
/// external provider.
pub async fn add_user(
    store: &dyn Store,
    actor: &Actor,
    name: &UserName,
    role: Role,
    password: Option<Password>,
) -> Result<UserView, HindcastError> {
    require_admin(actor)?;
    let hash = match password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let record = store.create_user(name.as_str(), role.as_str(), hash.as_deref()).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, %role, "account created");
    let how = if record.password_hash.is_some() { "local password" } else { "external login" };
    audit::record(store, Entry::new(actor, "user.add", name.as_str()).after(format!("{role}, {how}"))).await;
    view(record)
}

pub async fn list_users(store: &dyn Store, actor: &Actor) -> Result<Vec<UserView>, HindcastError> {
    require_admin(actor)?;
    store.users().await.map_err(to_domain_error)?.into_iter().map(view).collect()
}

/// Removes an account, unless it is the last admin.
pub async fn remove_user(store: &dyn Store, actor: &Actor, name: &UserName) -> Result<(), HindcastError> {
    require_admin(actor)?;
    let role = keep_an_admin(store, name, None).await?;
    store.delete_user(name.as_str()).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, "account removed");
    audit::record(store, Entry::new(actor, "user.remove", name.as_str()).change(role, "removed")).await;
    Ok(())
}

/// Changes an account's role, unless that would leave no admin.
pub async fn set_role(store: &dyn Store, actor: &Actor, name: &UserName, role: Role) -> Result<UserView, HindcastError> {
    require_admin(actor)?;
    let before = keep_an_admin(store, name, Some(role)).await?;
    let record = store.set_role(name.as_str(), role.as_str()).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, %role, "role changed");
    audit::record(store, Entry::new(actor, "user.role", name.as_str()).change(before, role.as_str())).await;
    view(record)
}

pub async fn reset_password(store: &dyn Store, actor: &Actor, name: &UserName, password: Password) -> Result<UserView, HindcastError> {
    require_admin(actor)?;
    let record = store_password(store, name, password).await?;
    audit::record(store, Entry::new(actor, "user.password_reset", name.as_str())).await;
    view(record)
}

async fn store_password(store: &dyn Store, name: &UserName, password: Password) -> Result<UserRecord, HindcastError> {
    let hash = password::hash(password).await?;
    let record = store.set_password_hash(name.as_str(), Some(&hash)).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, "password set");
    Ok(record)
}

fn require_admin(actor: &Actor) -> Result<(), HindcastError> {
    match actor.role {
        Some(Role::Admin) => Ok(()),
        None => Err(HindcastError::Unauthorized("Log in first: managing accounts needs an admin account.".into())),
        Some(_) => Err(HindcastError::Forbidden(format!("{} is not an admin: only admins manage accounts.", actor.name))),
    }
}

/// Whether `actor` may see and revoke `owner`'s tokens: their own, or anyone's for admins.
fn require_self_or_admin(actor: &Actor, owner: &UserName) -> Result<(), HindcastError> {
    if actor.name == owner.as_str() && actor.role.is_some() {
        return Ok(());
    }
    require_admin(actor).map_err(|_| HindcastError::Forbidden(format!("Only {owner} or an admin may manage {owner}'s tokens.")))
}

/// The account, if `candidate` is its local password. Unknown names cost as much time as
/// known ones, and the answer does not say which was wrong.
pub async fn check_password(store: &dyn Store, name: &str, candidate: &str) -> Result<Option<UserRecord>, HindcastError> {
    let record = match UserName::parse(name) {
        Ok(name) => store.user(name.as_str()).await.map_err(to_domain_error)?,
        Err(_) => None,
    };
    let stored = record.as_ref().and_then(|r| r.password_hash.clone());
    let verified = password::verify(stored, candidate).await;
    Ok(record.filter(|_| verified))
}

/// Refuses to remove or demote the last admin: nobody could manage accounts afterwards.
/// Answers the account's current role.
async fn keep_an_admin(store: &dyn Store, name: &UserName, new_role: Option<Role>) -> Result<String, HindcastError> {
    let users = store.users().await.map_err(to_domain_error)?;
    let Some(target) = users.iter().find(|u| u.name == name.as_str()) else {
        return Err(HindcastError::NotFound(format!("User {name} not found.")));
    };
    let admins = users.iter().filter(|u| u.role == Role::Admin.as_str()).count();
    let loses_admin = target.role == Role::Admin.as_str() && new_role != Some(Role::Admin);
    if loses_admin && admins == 1 {
        return Err(HindcastError::Conflict(format!("{name} is the only admin; make another user admin first.")));
    }
    Ok(target.role.clone())
}

/// A new personal API token: the secret (shown once, never stored) and its record.
pub struct NewToken {
    pub secret: String,
    pub view: TokenView,
}

/// Creates a token acting as `actor`, for themselves only (a token for someone else would let
/// an admin act in their name); `days`: its life (none: until revoked).
pub async fn create_token(store: &dyn Store, actor: &Actor, name: &str, days: Option<u32>) -> Result<NewToken, HindcastError> {
    let owner = &UserName::parse(&actor.name).ok().filter(|_| actor.role.is_some()).ok_or_else(|| {
        HindcastError::Forbidden("API tokens belong to accounts: log in with one to create a token.".into())
    })?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(HindcastError::invalid("name", "must be 1 to 100 characters (what the token is for)"));
    }
    if days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(HindcastError::invalid("expires_in_days", "must be between 1 and 3650"));
    }
    let user = store.user(owner.as_str()).await.map_err(to_domain_error)?.ok_or_else(|| HindcastError::NotFound(format!("User {owner} not found.")))?;
    let secret = new_token_secret()?;
    let expires = days.map(|d| chrono::Utc::now() + chrono::TimeDelta::days(i64::from(d)));
    let record = store.create_token(user.id, name, &token_hash(&secret), expires).await.map_err(to_domain_error)?;
    tracing::info!(user = %owner, token = record.id, "API token created");
    audit::record(store, Entry::new(actor, "token.create", format!("token {} of {owner}", record.id)).after(name)).await;
    Ok(NewToken { secret, view: token_view(record) })
}

pub async fn tokens_of(store: &dyn Store, actor: &Actor, owner: &UserName) -> Result<Vec<TokenView>, HindcastError> {
    require_self_or_admin(actor, owner)?;
    let Some(user) = store.user(owner.as_str()).await.map_err(to_domain_error)? else { return Ok(Vec::new()) };
    Ok(store.tokens_of(user.id).await.map_err(to_domain_error)?.into_iter().map(token_view).collect())
}

/// Revokes one of the owner's tokens (another's is "not found": ids reveal nothing).
pub async fn revoke_token(store: &dyn Store, actor: &Actor, owner: &UserName, id: i64) -> Result<(), HindcastError> {
    require_self_or_admin(actor, owner)?;
    let user = store.user(owner.as_str()).await.map_err(to_domain_error)?;
    let revoked = match user {
        Some(user) => store.delete_token(user.id, id).await.map_err(to_domain_error)?,
        None => false,
    };
    if !revoked {
        return Err(HindcastError::NotFound(format!("Token {id} not found.")));
    }
    tracing::info!(user = %owner, token = id, "API token revoked");
    audit::record(store, Entry::new(actor, "token.revoke", format!("token {id} of {owner}"))).await;
    Ok(())
}

/// The account a presented token acts for, if it is live.
pub async fn user_of_token(store: &dyn Store, secret: &str) -> Result<Option<UserRecord>, HindcastError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    store.user_of_token(&token_hash(secret), chrono::Utc::now()).await.map_err(to_domain_error)
}

/// Personal tokens start with this, so they are told apart from JWTs and found by scanners.
pub const TOKEN_PREFIX: &str = "hct_";

/// Bytes from the operating system's random source, for secrets.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], HindcastError> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; N];
    OsRng.try_fill_bytes(&mut bytes).map_err(|err| {
        tracing::error!(error = %err, "no randomness for a secret");
        HindcastError::Internal
    })?;
    Ok(bytes)
}

fn new_token_secret() -> Result<String, HindcastError> {
    let bytes = random_bytes::<32>()?;
    Ok(format!("{TOKEN_PREFIX}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

fn token_hash(secret: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn token_view(record: crate::store::TokenRecord) -> TokenView {
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    TokenView {
        id: record.id,
        name: record.name,
        created_at: time(record.created_at),
        expires_at: record.expires_at.map(time),
        last_used_at: record.last_used_at.map(time),
    }
}

/// A user changing their own password: the current one must be right.
pub async fn change_password(store: &dyn Store, actor: &Actor, current: &str, new: Password) -> Result<UserView, HindcastError> {
    let name = &UserName::parse(&actor.name).ok().filter(|_| actor.role.is_some()).ok_or_else(|| {
        HindcastError::Forbidden("Only an account has a password to change.".into())
    })?;
    if check_password(store, name.as_str(), current).await?.is_none() {
        return Err(HindcastError::invalid("current_password", "is not your current password"));
    }
    let record = store_password(store, name, new).await?;
    audit::record(store, Entry::new(actor, "user.password_change", name.as_str())).await;
    view(record)
}

/// The account a provider (CAS, GitHub) vouches for, by the provider's lasting id for the
/// person (`subject`: GitHub's numeric id, the CAS user) and the name it gives them.
///
/// An identity opens only the account it is linked to. The first login links it: to a new
/// account named `name` (with `new_role`, no password), or to an account of that name an
/// admin prepared for it (no password, no identity yet). An account with a local password or
/// already linked to another identity is never taken over by a same-named stranger.
pub async fn external_account(
    store: &dyn Store,
    provider: &str,
    subject: &str,
    name: &str,
    new_role: Role,
) -> Result<UserRecord, HindcastError> {
    if let Some(record) = store.user_of_identity(provider, subject).await.map_err(to_domain_error)? {
        return Ok(record);
    }
    let name = UserName::parse(name).map_err(|_| {
        HindcastError::Forbidden(format!("{provider} vouched for '{name}', which is not a name an account here may have."))
    })?;
    let taken = || {
        HindcastError::Forbidden(format!(
            "An account named {name} already exists here and is not yours to take through {provider}; ask an admin."
        ))
    };
    let record = match store.user(name.as_str()).await.map_err(to_domain_error)? {
        Some(existing) if existing.password_hash.is_some() => return Err(taken()),
        Some(existing) if store.identities_of(existing.id).await.map_err(to_domain_error)? > 0 => return Err(taken()),
        Some(prepared) => prepared,
        None => match store.create_user(name.as_str(), new_role.as_str(), None).await {
            Ok(record) => {
                tracing::info!(user = %name, %provider, role = %new_role, "account created at its first login");
                let actor = Actor::local(provider.to_ascii_lowercase());
                let entry = Entry::new(&actor, "user.add", name.as_str()).after(format!("{new_role}, first login through {provider}"));
                audit::record(store, entry).await;
                record
            }
            // Two first logins at once: the other one made it, and may have linked it.
            Err(crate::store::StoreError::UserExists(_)) => return Err(taken()),
            Err(err) => return Err(to_domain_error(err)),
        },
    };
    if !store.link_identity(provider, subject, record.id).await.map_err(to_domain_error)? {
        // Linked by a login racing this one: whichever account it points to is the answer.
        return store.user_of_identity(provider, subject).await.map_err(to_domain_error)?.ok_or(HindcastError::Internal);
    }
    Ok(record)
}
