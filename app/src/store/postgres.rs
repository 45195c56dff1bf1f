//! The shared backend: PostgreSQL, for several servers and many users.

use super::sql::{self, Dialect, ListSql};
use super::{
    first_candidate, ExperimentRecord, ExperimentStore, ListedRow, RecordPage, StoreError, ID_ATTEMPTS,
};
use crate::experiment::{Expid, ListQuery, NewExperiment, STATUS_NOT_RUNNING};
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

/// Advisory lock key that serialises id allocation across every server on one database.
const ID_ALLOCATION_LOCK: i64 = 0x6869_6e64_6361_7374; // "hindcast"

#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    graphs: std::sync::Arc<super::graph_cache::GraphCache>,
}

impl PostgresStore {
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool, graphs: Default::default() })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

#[async_trait]
impl ExperimentStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(kind = %new.kind))]
    async fn create_experiment(
        &self,
        new: &NewExperiment,
        owner: &str,
        version: &str,
    ) -> Result<ExperimentRecord, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ID_ALLOCATION_LOCK)
            .execute(&mut *tx)
            .await?;
        let highest: Option<String> = sqlx::query_scalar(sql::HIGHEST_ID_OF_KIND)
            .bind(new.kind.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let mut candidate = first_candidate(new.kind, highest)?;
        let now = chrono::Utc::now();
        for _ in 0..ID_ATTEMPTS {
            // A failed statement aborts a PostgreSQL transaction; the savepoint keeps it usable.
            sqlx::query("SAVEPOINT allocate").execute(&mut *tx).await?;
            let inserted = sqlx::query_as::<_, ExperimentRecord>(&sql::insert())
                .bind(candidate.as_str())
                .bind(new.description.as_str())
                .bind(new.kind.as_str())
                .bind(owner)
                .bind(new.hpc.as_deref())
                .bind(new.model.as_deref())
                .bind(new.branch.as_deref())
                .bind(version)
                .bind(STATUS_NOT_RUNNING)
                .bind(now)
                .fetch_one(&mut *tx)
                .await;
            match inserted {
                Ok(record) => {
                    tx.commit().await?;
                    return Ok(record);
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    sqlx::query("ROLLBACK TO SAVEPOINT allocate").execute(&mut *tx).await?;
                    candidate = candidate.successor(new.kind).ok_or(StoreError::IdsExhausted(new.kind))?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::IdsExhausted(new.kind))
    }

    #[tracing::instrument(skip_all, fields(%expid))]
    async fn experiment(&self, expid: &Expid) -> Result<ExperimentRecord, StoreError> {
        sqlx::query_as::<_, ExperimentRecord>(&sql::select_one())
            .bind(expid.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::ExperimentNotFound(expid.clone()))
    }

    #[tracing::instrument(skip_all)]
    async fn list_experiments(&self, query: &ListQuery) -> Result<RecordPage, StoreError> {
        let sql = ListSql::build(query, Dialect::Postgres);
        let mut page = sqlx::query_as::<_, ListedRow>(&sql.page);
        for text in &sql.filter_binds {
            page = page.bind(text.as_str());
        }
        let rows = page.bind(sql.limit).bind(sql.offset).fetch_all(&self.pool).await?;
        if let Some(page) = RecordPage::from_rows(rows, query.page) {
            return Ok(page);
        }
        let mut count = sqlx::query_scalar::<_, i64>(&sql.count);
        for text in &sql.filter_binds {
            count = count.bind(text.as_str());
        }
        let total = count.fetch_one(&self.pool).await?;
        Ok(RecordPage { records: Vec::new(), total: u64::try_from(total).unwrap_or(0) })
    }

    #[tracing::instrument(skip_all, fields(%expid))]
    async fn update_description(
        &self,
        expid: &Expid,
        description: &str,
    ) -> Result<ExperimentRecord, StoreError> {
        sqlx::query_as::<_, ExperimentRecord>(&sql::update_description())
            .bind(description)
            .bind(chrono::Utc::now())
            .bind(expid.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::ExperimentNotFound(expid.clone()))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn database(&self) -> super::Database {
        super::Database::Postgres(self.pool.clone())
    }
}


super::workflow_impl::impl_workflow_store!(PostgresStore, Dialect::Postgres);
super::runs_impl::impl_run_store!(PostgresStore, Dialect::Postgres);
super::users_impl::impl_user_store!(PostgresStore);
super::access_impl::impl_access_store!(PostgresStore);

impl super::workflow_impl::HasDatabase for PostgresStore {
    type Database = sqlx::Postgres;
}
