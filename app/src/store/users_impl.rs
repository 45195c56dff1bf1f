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
        }
    };
}

pub(crate) use impl_user_store;
