//! Sessions in the application's own database (a table next to ours), so they survive a
//! restart and are shared by every server on one PostgreSQL.

use app::store::Database;
use axum_login::tower_sessions::session::{Id, Record};
use axum_login::tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Debug, Clone)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Sessions {
    /// The store on `database`, its table created if missing.
    pub async fn open(database: Database) -> Result<Self, sqlx::Error> {
        let sessions = match database {
            Database::Sqlite(pool) => Self::Sqlite(SqliteStore::new(pool)),
            Database::Postgres(pool) => Self::Postgres(PostgresStore::new(pool)),
        };
        match &sessions {
            Self::Sqlite(store) => store.migrate().await?,
            Self::Postgres(store) => store.migrate().await?,
        }
        Ok(sessions)
    }

    /// Deletes expired sessions every hour, for as long as the server runs.
    pub fn spawn_cleanup(&self) {
        let period = tokio::time::Duration::from_secs(3600);
        let task = match self.clone() {
            Self::Sqlite(store) => tokio::spawn(store.continuously_delete_expired(period)),
            Self::Postgres(store) => tokio::spawn(store.continuously_delete_expired(period)),
        };
        tokio::spawn(async move {
            if let Ok(Err(err)) = task.await {
                tracing::warn!(error = %err, "expired sessions are no longer deleted");
            }
        });
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}
