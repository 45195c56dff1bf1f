//! The one check every acting operation makes, and the operations that share experiments.

use super::audit::{self, Entry};
use super::{may, AccessView, CollaboratorView, Need, Relation};
use crate::actor::Actor;
use crate::auth::{Role, UserName};
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::{ExperimentRecord, Store};

/// The experiment, if `actor` may do what `need` asks on it; otherwise a refusal that says
/// why. A missing experiment answers 404 first: its existence is no secret to a reader.
pub async fn authorize(store: &dyn Store, actor: &Actor, expid: &Expid, need: Need) -> Result<ExperimentRecord, HindcastError> {
    let experiment = store.experiment(expid).await.map_err(to_domain_error)?;
    let relation = relation(store, actor, &experiment).await?;
    if may(actor.role, relation, need) {
        return Ok(experiment);
    }
    Err(refusal(actor, &experiment, need))
}

async fn relation(store: &dyn Store, actor: &Actor, experiment: &ExperimentRecord) -> Result<Relation, HindcastError> {
    if actor.role.is_none() {
        return Ok(Relation::Stranger);
    }
    if experiment.owner == actor.name {
        return Ok(Relation::Owner);
    }
    // Only operators' rights depend on collaboration; nobody else needs the query.
    if actor.role == Some(Role::Operator) && store.is_collaborator(experiment.id, &actor.name).await.map_err(to_domain_error)? {
        return Ok(Relation::Collaborator);
    }
    Ok(Relation::Stranger)
}

fn refusal(actor: &Actor, experiment: &ExperimentRecord, need: Need) -> HindcastError {
    let (expid, owner, name) = (&experiment.expid, &experiment.owner, &actor.name);
    match (actor.role, need) {
        (None, _) => HindcastError::Unauthorized("Log in first: changing an experiment needs an account.".into()),
        (Some(Role::Viewer), _) => HindcastError::Forbidden(format!("{name} is a viewer: viewers may read but not change anything.")),
        (_, Need::Act) => HindcastError::Forbidden(format!(
            "{name} may not change experiment {expid}: it belongs to {owner}. Its owner or an admin can add {name} as a collaborator."
        )),
        (_, Need::Share) => HindcastError::Forbidden(format!("Only {owner} (the owner of {expid}) or an admin may choose its collaborators.")),
        (_, Need::Transfer) => HindcastError::Forbidden(format!("Only an admin may give experiment {expid} to another owner.")),
    }
}

/// Its owner and collaborators; anyone who may read the experiment may see them.
pub async fn access_of(store: &dyn Store, expid: &Expid) -> Result<AccessView, HindcastError> {
    let experiment = store.experiment(expid).await.map_err(to_domain_error)?;
    view(store, experiment).await
}

async fn view(store: &dyn Store, experiment: ExperimentRecord) -> Result<AccessView, HindcastError> {
    let collaborators = store.collaborators(experiment.id).await.map_err(to_domain_error)?;
    Ok(AccessView {
        collaborators: collaborators
            .into_iter()
            .map(|c| CollaboratorView { name: c.user_name, added_by: c.added_by, added_at: audit::timestamp(c.added_at) })
            .collect(),
        expid: experiment.expid,
        owner: experiment.owner,
    })
}

pub async fn add_collaborator(store: &dyn Store, actor: &Actor, expid: &Expid, user: &UserName) -> Result<AccessView, HindcastError> {
    let experiment = authorize(store, actor, expid, Need::Share).await?;
    let Some(account) = store.user(user.as_str()).await.map_err(to_domain_error)? else {
        return Err(HindcastError::invalid("user", format!("There is no account named {user}.")));
    };
    if account.role == Role::Viewer.as_str() {
        return Err(HindcastError::invalid(
            "user",
            format!("{user} is a viewer and could not act as a collaborator; an admin can make them an operator first."),
        ));
    }
    if account.name == experiment.owner {
        return Err(HindcastError::invalid("user", format!("{user} owns {expid} already.")));
    }
    if store.add_collaborator(experiment.id, user.as_str(), &actor.name).await.map_err(to_domain_error)? {
        audit::record(store, Entry::new(actor, "collaborator.add", user.as_str()).on(expid)).await;
    }
    view(store, experiment).await
}

pub async fn remove_collaborator(store: &dyn Store, actor: &Actor, expid: &Expid, user: &UserName) -> Result<AccessView, HindcastError> {
    let experiment = authorize(store, actor, expid, Need::Share).await?;
    if !store.remove_collaborator(experiment.id, user.as_str()).await.map_err(to_domain_error)? {
        return Err(HindcastError::NotFound(format!("{user} is not a collaborator of {expid}.")));
    }
    audit::record(store, Entry::new(actor, "collaborator.remove", user.as_str()).on(expid)).await;
    view(store, experiment).await
}

/// Gives the experiment to another account; the previous owner keeps no right to it.
pub async fn set_owner(store: &dyn Store, actor: &Actor, expid: &Expid, owner: &UserName) -> Result<AccessView, HindcastError> {
    let before = authorize(store, actor, expid, Need::Transfer).await?;
    if store.user(owner.as_str()).await.map_err(to_domain_error)?.is_none() {
        return Err(HindcastError::invalid("owner", format!("There is no account named {owner}.")));
    }
    let after = store.set_owner(expid, owner.as_str()).await.map_err(to_domain_error)?;
    // An owner listed as collaborator as well would be listed twice.
    store.remove_collaborator(after.id, owner.as_str()).await.map_err(to_domain_error)?;
    audit::record(store, Entry::new(actor, "experiment.owner", expid.as_str()).on(expid).change(&before.owner, &after.owner)).await;
    tracing::info!(%expid, actor = %actor.name, from = %before.owner, to = %after.owner, "experiment given to another owner");
    view(store, after).await
}
