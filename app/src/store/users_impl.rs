//! `UserStore` for both backends, written once (the SQL is the same on both).

const USER_COLUMNS: &str = "id, name, role, password_hash, created_at, modified_at";

pub fn select_user() -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1")
}

pub fn select_user_by_id() -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")
}

pub fn select_users() -> String {
    format!("SELECT {USER_COLUMNS} FROM users ORDER BY name")
}

pub fn insert_user() -> String {
    format!("INSERT INTO users (name, role, password_hash, created_at, modified_at) VALUES ($1, $2, $3, $4, $4) RETURNING {USER_COLUMNS}")
}

pub fn update_role() -> String {
    format!("UPDATE users SET role = $2, modified_at = $3 WHERE name = $1 RETURNING {USER_COLUMNS}")
}

pub fn update_password() -> String {
    format!("UPDATE users SET password_hash = $2, modified_at = $3 WHERE name = $1 RETURNING {USER_COLUMNS}")
}

const TOKEN_COLUMNS: &str = "id, user_id, name, created_at, expires_at, last_used_at";

pub fn insert_token() -> String {
    format!("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}")
}

pub fn tokens_of() -> String {
    format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id")
}

/// A live token's user and when it was last used.
pub const LIVE_TOKEN: &str = "SELECT user_id, last_used_at FROM api_tokens WHERE token_hash = $1 \
     AND (expires_at IS NULL OR expires_at > $2)";

pub const TOKEN_USED: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1";

/// How stale `last_used_at` may get: a client's every request is not worth a write.
pub const USE_RECORDED_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// `impl UserStore for $store`, which has `pool()`.
macro_rules! impl_user_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::UserStore for $store {
            async fn create_user(
                &self,
                name: &str,
                role: &str,
                password_hash: Option<&str>,
            ) -> Result<$crate::store::UserRecord, $crate::store::StoreError> {
                let inserted = sqlx::query_as(&$crate::store::users_impl::insert_user())
                    .bind(name)
                    .bind(role)
                    .bind(password_hash)
                    .bind(chrono::Utc::now())
                    .fetch_one(self.pool())
                    .await;
                match inserted {
                    Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                        Err($crate::store::StoreError::UserExists(name.to_owned()))
                    }
                    other => Ok(other?),
                }
            }

            async fn user(&self, name: &str) -> Result<Option<$crate::store::UserRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::users_impl::select_user()).bind(name).fetch_optional(self.pool()).await?)
            }

            async fn user_by_id(&self, id: i64) -> Result<Option<$crate::store::UserRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::users_impl::select_user_by_id()).bind(id).fetch_optional(self.pool()).await?)
            }

            async fn users(&self) -> Result<Vec<$crate::store::UserRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::users_impl::select_users()).fetch_all(self.pool()).await?)
            }

            async fn delete_user(&self, name: &str) -> Result<(), $crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM users WHERE name = $1").bind(name).execute(self.pool()).await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::UserNotFound(name.to_owned()));
                }
                Ok(())
            }

            async fn set_role(&self, name: &str, role: &str) -> Result<$crate::store::UserRecord, $crate::store::StoreError> {
                sqlx::query_as(&$crate::store::users_impl::update_role())
                    .bind(name)
                    .bind(role)
                    .bind(chrono::Utc::now())
                    .fetch_optional(self.pool())
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::UserNotFound(name.to_owned()))
            }

            async fn set_password_hash(
                &self,
                name: &str,
                password_hash: Option<&str>,
            ) -> Result<$crate::store::UserRecord, $crate::store::StoreError> {
                sqlx::query_as(&$crate::store::users_impl::update_password())
                    .bind(name)
                    .bind(password_hash)
                    .bind(chrono::Utc::now())
                    .fetch_optional(self.pool())
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::UserNotFound(name.to_owned()))
            }

            async fn create_token(
                &self,
                user_id: i64,
                name: &str,
                token_hash: &str,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<$crate::store::TokenRecord, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::users_impl::insert_token())
                    .bind(user_id)
                    .bind(name)
                    .bind(token_hash)
                    .bind(chrono::Utc::now())
                    .bind(expires_at)
                    .fetch_one(self.pool())
                    .await?)
            }

            async fn user_of_token(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::store::UserRecord>, $crate::store::StoreError> {
                use $crate::store::users_impl as q;
                let live: Option<(i64, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as(q::LIVE_TOKEN).bind(token_hash).bind(now).fetch_optional(self.pool()).await?;
                let Some((user_id, last_used)) = live else { return Ok(None) };
                if last_used.is_none_or(|at| now - at > q::USE_RECORDED_EVERY) {
                    sqlx::query(q::TOKEN_USED).bind(token_hash).bind(now).execute(self.pool()).await?;
                }
                $crate::store::UserStore::user_by_id(self, user_id).await
            }

            async fn tokens_of(&self, user_id: i64) -> Result<Vec<$crate::store::TokenRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::users_impl::tokens_of()).bind(user_id).fetch_all(self.pool()).await?)
            }

            async fn delete_token(&self, user_id: i64, token_id: i64) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
                    .bind(token_id)
                    .bind(user_id)
                    .execute(self.pool())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn user_of_identity(
                &self,
                provider: &str,
                subject: &str,
            ) -> Result<Option<$crate::store::UserRecord>, $crate::store::StoreError> {
                let linked: Option<(i64,)> = sqlx::query_as("SELECT user_id FROM external_identities WHERE provider = $1 AND subject = $2")
                    .bind(provider)
                    .bind(subject)
                    .fetch_optional(self.pool())
                    .await?;
                match linked {
                    Some((id,)) => $crate::store::UserStore::user_by_id(self, id).await,
                    None => Ok(None),
                }
            }

            async fn identities_of(&self, user_id: i64) -> Result<i64, $crate::store::StoreError> {
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM external_identities WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_one(self.pool())
                    .await?;
                Ok(count)
            }

            async fn link_identity(&self, provider: &str, subject: &str, user_id: i64) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query(
                    "INSERT INTO external_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(provider)
                .bind(subject)
                .bind(user_id)
                .bind(chrono::Utc::now())
                .execute(self.pool())
                .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_user_store;
