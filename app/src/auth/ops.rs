//! Account management, once for every caller (the `hindcast user` CLI now; the admin pages
//! and API next). Callers decide who may call these; the rules that protect the installation
//! itself (never lose the last admin) are here.

use super::password::{self, Password};
use super::{Role, UserName, UserView};
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
pub async fn add_user(store: &dyn Store, name: &UserName, role: Role, password: Option<Password>) -> Result<UserView, HindcastError> {
    let hash = match password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let record = store.create_user(name.as_str(), role.as_str(), hash.as_deref()).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, %role, "account created");
    view(record)
}

pub async fn list_users(store: &dyn Store) -> Result<Vec<UserView>, HindcastError> {
    store.users().await.map_err(to_domain_error)?.into_iter().map(view).collect()
}

/// Removes an account, unless it is the last admin.
pub async fn remove_user(store: &dyn Store, name: &UserName) -> Result<(), HindcastError> {
    keep_an_admin(store, name, None).await?;
    store.delete_user(name.as_str()).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, "account removed");
    Ok(())
}

/// Changes an account's role, unless that would leave no admin.
pub async fn set_role(store: &dyn Store, name: &UserName, role: Role) -> Result<UserView, HindcastError> {
    keep_an_admin(store, name, Some(role)).await?;
    let record = store.set_role(name.as_str(), role.as_str()).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, %role, "role changed");
    view(record)
}

pub async fn reset_password(store: &dyn Store, name: &UserName, password: Password) -> Result<UserView, HindcastError> {
    let hash = password::hash(password).await?;
    let record = store.set_password_hash(name.as_str(), Some(&hash)).await.map_err(to_domain_error)?;
    tracing::info!(user = %name, "password reset");
    view(record)
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
async fn keep_an_admin(store: &dyn Store, name: &UserName, new_role: Option<Role>) -> Result<(), HindcastError> {
    let users = store.users().await.map_err(to_domain_error)?;
    let Some(target) = users.iter().find(|u| u.name == name.as_str()) else {
        return Err(HindcastError::NotFound(format!("User {name} not found.")));
    };
    let admins = users.iter().filter(|u| u.role == Role::Admin.as_str()).count();
    let loses_admin = target.role == Role::Admin.as_str() && new_role != Some(Role::Admin);
    if loses_admin && admins == 1 {
        return Err(HindcastError::Conflict(format!("{name} is the only admin; make another user admin first.")));
    }
    Ok(())
}
