//! `AccessStore` for both backends, written once (the SQL is the same on both).

pub const COLLABORATORS: &str =
    "SELECT user_name, added_by, added_at FROM experiment_collaborators WHERE experiment_id = $1 ORDER BY user_name";

pub const IS_COLLABORATOR: &str = "SELECT 1 FROM experiment_collaborators WHERE experiment_id = $1 AND user_name = $2";

/// Inserts unless already there; the account must exist (its name is the foreign key).
pub const ADD_COLLABORATOR: &str = "INSERT INTO experiment_collaborators (experiment_id, user_name, added_by, added_at) \
     SELECT $1, name, $3, $4 FROM users WHERE name = $2 ON CONFLICT DO NOTHING";

pub const REMOVE_COLLABORATOR: &str = "DELETE FROM experiment_collaborators WHERE experiment_id = $1 AND user_name = $2";

pub fn set_owner() -> String {
    format!("UPDATE experiments SET owner = $1, modified_at = $2 WHERE expid = $3 RETURNING {}", super::sql::COLUMNS)
}

pub const APPEND_AUDIT: &str = "INSERT INTO audit_log (at, actor, action, expid, target, before_state, after_state) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Newest first; every filter is optional (`$n IS NULL` skips it), so one statement serves all.
pub const SELECT_AUDIT: &str = "SELECT id, at, actor, action, expid, target, before_state, after_state FROM audit_log \
     WHERE ($1 IS NULL OR expid = $1) AND ($2 IS NULL OR actor = $2) AND ($3 IS NULL OR action = $3) \
     AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5";

/// `impl AccessStore for $store`, which has `pool()`.
macro_rules! impl_access_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::AccessStore for $store {
            async fn collaborators(
                &self,
                experiment_id: i64,
            ) -> Result<Vec<$crate::store::CollaboratorRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as($crate::store::access_impl::COLLABORATORS).bind(experiment_id).fetch_all(self.pool()).await?)
            }

            async fn is_collaborator(&self, experiment_id: i64, user_name: &str) -> Result<bool, $crate::store::StoreError> {
                let found: Option<(i32,)> = sqlx::query_as($crate::store::access_impl::IS_COLLABORATOR)
                    .bind(experiment_id)
                    .bind(user_name)
                    .fetch_optional(self.pool())
                    .await?;
                Ok(found.is_some())
            }

            async fn add_collaborator(
                &self,
                experiment_id: i64,
                user_name: &str,
                added_by: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                if $crate::store::UserStore::user(self, user_name).await?.is_none() {
                    return Err($crate::store::StoreError::UserNotFound(user_name.to_owned()));
                }
                let done = sqlx::query($crate::store::access_impl::ADD_COLLABORATOR)
                    .bind(experiment_id)
                    .bind(user_name)
                    .bind(added_by)
                    .bind(chrono::Utc::now())
                    .execute(self.pool())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn remove_collaborator(&self, experiment_id: i64, user_name: &str) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query($crate::store::access_impl::REMOVE_COLLABORATOR)
                    .bind(experiment_id)
                    .bind(user_name)
                    .execute(self.pool())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_owner(
                &self,
                expid: &$crate::experiment::Expid,
                owner: &str,
            ) -> Result<$crate::store::ExperimentRecord, $crate::store::StoreError> {
                sqlx::query_as(&$crate::store::access_impl::set_owner())
                    .bind(owner)
                    .bind(chrono::Utc::now())
                    .bind(expid.as_str())
                    .fetch_optional(self.pool())
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))
            }

            async fn append_audit(&self, entry: &$crate::store::AuditRecord) -> Result<(), $crate::store::StoreError> {
                sqlx::query($crate::store::access_impl::APPEND_AUDIT)
                    .bind(chrono::Utc::now())
                    .bind(&entry.actor)
                    .bind(&entry.action)
                    .bind(&entry.expid)
                    .bind(&entry.target)
                    .bind(&entry.before_state)
                    .bind(&entry.after_state)
                    .execute(self.pool())
                    .await?;
                Ok(())
            }

            async fn audit(
                &self,
                filter: &$crate::store::AuditFilter,
            ) -> Result<Vec<$crate::store::AuditRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as($crate::store::access_impl::SELECT_AUDIT)
                    .bind(&filter.expid)
                    .bind(&filter.actor)
                    .bind(&filter.action)
                    .bind(filter.before_id)
                    .bind(i64::from(filter.limit))
                    .fetch_all(self.pool())
                    .await?)
            }

            async fn embed_generation(&self, expid: &$crate::experiment::Expid) -> Result<i64, $crate::store::StoreError> {
                let row: Option<(i64,)> = sqlx::query_as("SELECT embed_generation FROM experiments WHERE expid = $1")
                    .bind(expid.as_str())
                    .fetch_optional(self.pool())
                    .await?;
                row.map(|(g,)| g).ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))
            }

            async fn next_embed_generation(&self, expid: &$crate::experiment::Expid) -> Result<i64, $crate::store::StoreError> {
                let row: Option<(i64,)> =
                    sqlx::query_as("UPDATE experiments SET embed_generation = embed_generation + 1 WHERE expid = $1 RETURNING embed_generation")
                        .bind(expid.as_str())
                        .fetch_optional(self.pool())
                        .await?;
                row.map(|(g,)| g).ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))
            }
        }
    };
}

pub(crate) use impl_access_store;
