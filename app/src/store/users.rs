//! Accounts as stored: one row per user, with a role and, for local accounts, a password hash.

use super::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// Argon2 PHC string; `None` for accounts that log in elsewhere (CAS, GitHub, OIDC).
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

/// A personal API token as stored (its hash, never the token).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Stores a new account; `UserExists` if the name is taken.
    async fn create_user(&self, name: &str, role: &str, password_hash: Option<&str>) -> Result<UserRecord, StoreError>;

    async fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, StoreError>;

    /// Every account, by name.
    async fn users(&self) -> Result<Vec<UserRecord>, StoreError>;

    /// `UserNotFound` if there is no such account.
    async fn delete_user(&self, name: &str) -> Result<(), StoreError>;

    async fn set_role(&self, name: &str, role: &str) -> Result<UserRecord, StoreError>;

    async fn set_password_hash(&self, name: &str, password_hash: Option<&str>) -> Result<UserRecord, StoreError>;

    async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<TokenRecord, StoreError>;

    /// The user a live (unexpired) token belongs to, its use recorded.
    async fn user_of_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<UserRecord>, StoreError>;

    async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError>;

    /// Whether the user had that token.
    async fn delete_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError>;

    /// The account an external identity is linked to.
    async fn user_of_identity(&self, provider: &str, subject: &str) -> Result<Option<UserRecord>, StoreError>;

    /// How many external identities are linked to the account.
    async fn identities_of(&self, user_id: i64) -> Result<i64, StoreError>;

    /// Links an identity to an account; `false` if the identity was linked meanwhile.
    async fn link_identity(&self, provider: &str, subject: &str, user_id: i64) -> Result<bool, StoreError>;
}
