//! Local accounts as axum-login sees them: credentials checked against the stored Argon2
//! hash, and the session's user reloaded from the database on every request (so a removed
//! account, a new role or a new password takes effect at once).

use app::auth::Role;
use app::error::HindcastError;
use app::store::{SharedStore, UserRecord};
use axum_login::{AuthUser, AuthnBackend, UserId};

#[derive(Clone)]
pub struct Accounts {
    store: SharedStore,
}

impl Accounts {
    pub fn new(store: SharedStore) -> Self {
        Self { store }
    }
}

#[derive(Clone)]
pub struct SessionUser {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// What a session is bound to: the password hash, so a new password ends old sessions.
    auth_hash: Vec<u8>,
}

impl std::fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionUser").field("id", &self.id).field("name", &self.name).field("role", &self.role).finish()
    }
}

impl SessionUser {
    pub fn from_record(record: UserRecord) -> Result<Self, HindcastError> {
        let role = Role::parse(&record.role)?;
        let auth_hash = record.password_hash.unwrap_or_else(|| format!("external:{}", record.name)).into_bytes();
        Ok(Self { id: record.id, name: record.name, role, auth_hash })
    }
}

impl AuthUser for SessionUser {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

/// What the login form sends.
#[derive(Clone, serde::Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl AuthnBackend for Accounts {
    type User = SessionUser;
    type Credentials = Credentials;
    type Error = HindcastError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<SessionUser>, HindcastError> {
        let record = app::auth::ops::check_password(self.store.as_ref(), &creds.username, &creds.password).await?;
        record.map(SessionUser::from_record).transpose()
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<SessionUser>, HindcastError> {
        let record = self.store.user_by_id(*id).await.map_err(app::experiment::ops::to_domain_error)?;
        record.map(SessionUser::from_record).transpose()
    }
}
