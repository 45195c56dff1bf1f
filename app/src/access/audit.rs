//! The audit log: every action appends who, when, what, on which target, and the state
//! before and after. Reading the whole log is for admins; an experiment's part is for anyone
//! who may read the experiment.

use super::{AuditPage, AuditView};
use crate::actor::Actor;
use crate::error::HindcastError;
use crate::experiment::ops::to_domain_error;
use crate::experiment::Expid;
use crate::store::{AuditFilter, AuditRecord, Store};
use chrono::{DateTime, Utc};

/// The most entries one page holds.
pub const MAX_PAGE: u32 = 500;
/// Targets longer than this (lists of thousands of jobs) are cut, saying how many were left.
const MAX_TARGET: usize = 2000;

/// One action about to be recorded.
pub struct Entry(AuditRecord);

impl Entry {
    pub fn new(actor: &Actor, action: &str, target: impl Into<String>) -> Self {
        Self(AuditRecord {
            id: 0,
            at: Utc::now(),
            actor: actor.name.clone(),
            action: action.to_owned(),
            expid: None,
            target: target.into(),
            before_state: None,
            after_state: None,
        })
    }

    pub fn on(self, expid: &Expid) -> Self {
        self.on_named(expid.as_str())
    }

    /// As `on`, for an id read back from the store.
    pub fn on_named(mut self, expid: &str) -> Self {
        self.0.expid = Some(expid.to_owned());
        self
    }

    pub fn change(mut self, before: impl Into<String>, after: impl Into<String>) -> Self {
        self.0.before_state = Some(before.into());
        self.0.after_state = Some(after.into());
        self
    }

    pub fn after(mut self, after: impl Into<String>) -> Self {
        self.0.after_state = Some(after.into());
        self
    }
}

/// Appends the entry. The action it records has already happened, so a failure to write it
/// cannot undo the action: it is logged as an error, with the entry, for operators to see.
pub async fn record(store: &dyn Store, entry: Entry) {
    let mut entry = entry.0;
    if entry.target.len() > MAX_TARGET {
        let mut cut = MAX_TARGET;
        while !entry.target.is_char_boundary(cut) {
            cut -= 1;
        }
        let left = entry.target[cut..].split(',').count();
        entry.target = format!("{}… (and about {left} more)", &entry.target[..cut]);
    }
    if let Err(err) = store.append_audit(&entry).await {
        tracing::error!(error = %err, actor = %entry.actor, action = %entry.action, target = %entry.target, "audit entry not written");
    }
}

/// Names a list of items for the log: all of them, comma-separated (`record` cuts long ones).
pub fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join(",")
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What to read from the log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only for the whole log: one experiment's entries.
    pub expid: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// The whole log, for admins.
pub async fn global(store: &dyn Store, actor: &Actor, query: AuditQuery) -> Result<AuditPage, HindcastError> {
    if actor.role.is_none() {
        return Err(HindcastError::Unauthorized("Log in first: the audit log is for admins.".into()));
    }
    if actor.role != Some(crate::auth::Role::Admin) {
        return Err(HindcastError::Forbidden("Only admins may read the whole audit log; an experiment's own log is on its page.".into()));
    }
    let expid = query.expid.clone();
    read(store, expid, query).await
}

/// One experiment's part of the log.
pub async fn of_experiment(store: &dyn Store, expid: &Expid, query: AuditQuery) -> Result<AuditPage, HindcastError> {
    store.experiment(expid).await.map_err(to_domain_error)?;
    read(store, Some(expid.as_str().to_owned()), query).await
}

async fn read(store: &dyn Store, expid: Option<String>, query: AuditQuery) -> Result<AuditPage, HindcastError> {
    let limit = query.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(HindcastError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let filter = AuditFilter { expid, actor: query.actor, action: query.action, before_id: query.before, limit: limit + 1 };
    let mut rows = store.audit(&filter).await.map_err(to_domain_error)?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_before = if more { rows.last().map(|r| r.id) } else { None };
    Ok(AuditPage {
        entries: rows
            .into_iter()
            .map(|r| AuditView {
                id: r.id,
                at: timestamp(r.at),
                actor: r.actor,
                action: r.action,
                expid: r.expid,
                target: r.target,
                before: r.before_state,
                after: r.after_state,
            })
            .collect(),
        next_before,
    })
}
