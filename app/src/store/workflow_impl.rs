//! `WorkflowStore` for both backends: the statements are the same (see `job_sql`), so one
//! body is written once and instantiated per backend; only the dialect, the way a write
//! transaction starts (each store's `begin_write`) and the temporary table's definition differ.

/// `impl WorkflowStore for $store`, which has `pool()` and `begin_write()`.
macro_rules! impl_workflow_store {
    ($store:ty, $dialect:expr, kept_table: $kept:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::WorkflowStore for $store {
            #[tracing::instrument(skip_all, fields(%expid))]
            async fn config_files(
                &self,
                expid: &$crate::experiment::Expid,
            ) -> Result<Vec<$crate::store::ConfigFileRecord>, $crate::store::StoreError> {
                let id = self.experiment_id(expid).await?;
                Ok(sqlx::query_as($crate::store::job_sql::CONFIG_FILES).bind(id).fetch_all(self.pool()).await?)
            }

            #[tracing::instrument(skip_all, fields(%expid, files = files.len()))]
            async fn replace_config_files(
                &self,
                expid: &$crate::experiment::Expid,
                files: &std::collections::BTreeMap<String, String>,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar($crate::store::job_sql::EXPERIMENT_ID)
                    .bind(expid.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))?;
                sqlx::query($crate::store::job_sql::DELETE_CONFIG_FILES).bind(id).execute(&mut *tx).await?;
                let now = chrono::Utc::now();
                for (name, content) in files {
                    sqlx::query($crate::store::job_sql::INSERT_CONFIG_FILE)
                        .bind(id)
                        .bind(name)
                        .bind(content)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(%expid, jobs = graph.jobs, edges = graph.edges))]
            async fn store_graph(
                &self,
                expid: &$crate::experiment::Expid,
                graph: &$crate::store::GraphRows,
                keep_statuses: bool,
            ) -> Result<$crate::store::StoredGraph, $crate::store::StoreError> {
                use $crate::store::job_sql as q;
                let mut tx = self.begin_write().await?;
                let bumped: Option<(i64, i64)> = sqlx::query_as(q::BUMP_GRAPH_VERSION)
                    .bind(chrono::Utc::now())
                    .bind(expid.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((id, graph_version)) = bumped else {
                    let exists: Option<i64> =
                        sqlx::query_scalar(q::EXPERIMENT_ID).bind(expid.as_str()).fetch_optional(&mut *tx).await?;
                    return Err(match exists {
                        Some(_) => $crate::store::StoreError::ExperimentRunning(expid.clone()),
                        None => $crate::store::StoreError::ExperimentNotFound(expid.clone()),
                    });
                };
                sqlx::query($kept).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM kept_statuses").execute(&mut *tx).await?;
                if keep_statuses {
                    sqlx::query(q::COLLECT_KEPT_STATUSES).bind(id).execute(&mut *tx).await?;
                }
                sqlx::query(q::DELETE_EDGES).bind(id).execute(&mut *tx).await?;
                sqlx::query(q::DELETE_JOBS).bind(id).execute(&mut *tx).await?;
                sqlx::query(&q::insert_jobs($dialect)).bind(id).bind(&graph.jobs_json).execute(&mut *tx).await?;
                sqlx::query(&q::insert_edges($dialect)).bind(id).bind(&graph.edges_json).execute(&mut *tx).await?;
                let kept: i64 = sqlx::query_scalar(q::COUNT_KEPT).bind(id).fetch_one(&mut *tx).await?;
                sqlx::query("DELETE FROM kept_statuses").execute(&mut *tx).await?;
                tx.commit().await?;
                Ok($crate::store::StoredGraph { graph_version, kept_statuses: u64::try_from(kept).unwrap_or(0) })
            }

            #[tracing::instrument(skip_all, fields(%expid))]
            async fn jobs(
                &self,
                expid: &$crate::experiment::Expid,
                query: &$crate::workflow::JobQuery,
            ) -> Result<$crate::store::JobRecordPage, $crate::store::StoreError> {
                use $crate::store::job_sql::{Bind, JobListSql};
                let id = self.experiment_id(expid).await?;
                let sql = JobListSql::build(query, $dialect);
                let mut page = sqlx::query_as::<_, $crate::store::JobRecord>(&sql.page).bind(id);
                let mut count = sqlx::query_scalar::<_, i64>(&sql.count).bind(id);
                for bind in &sql.binds {
                    match bind {
                        Bind::Text(text) => {
                            page = page.bind(text.as_str());
                            count = count.bind(text.as_str());
                        }
                        Bind::Int(n) => {
                            page = page.bind(*n);
                            count = count.bind(*n);
                        }
                    }
                }
                let jobs = page.bind(sql.limit).bind(sql.offset).fetch_all(self.pool()).await?;
                // A page shorter than asked, on the first page, holds every match: no count needed.
                let total = if sql.offset == 0 && (jobs.len() as i64) < sql.limit {
                    jobs.len() as i64
                } else {
                    count.fetch_one(self.pool()).await?
                };
                Ok($crate::store::JobRecordPage { jobs, total: u64::try_from(total).unwrap_or(0) })
            }

            #[tracing::instrument(skip_all, fields(%expid, name))]
            async fn job(
                &self,
                expid: &$crate::experiment::Expid,
                name: &str,
            ) -> Result<$crate::store::JobRecord, $crate::store::StoreError> {
                let id = self.experiment_id(expid).await?;
                sqlx::query_as(&$crate::store::job_sql::job_by_name())
                    .bind(id)
                    .bind(name)
                    .fetch_optional(self.pool())
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::JobNotFound(expid.clone(), name.to_owned()))
            }

            #[tracing::instrument(skip_all, fields(%expid, name))]
            async fn linked_jobs(
                &self,
                expid: &$crate::experiment::Expid,
                name: &str,
                parents: bool,
            ) -> Result<Vec<$crate::store::LinkRecord>, $crate::store::StoreError> {
                // Unknown job names answer "not found", not an empty list.
                self.job(expid, name).await?;
                let id = self.experiment_id(expid).await?;
                Ok(sqlx::query_as(&$crate::store::job_sql::linked_jobs(parents))
                    .bind(id)
                    .bind(name)
                    .fetch_all(self.pool())
                    .await?)
            }

            #[tracing::instrument(skip_all, fields(%expid))]
            async fn job_summary(
                &self,
                expid: &$crate::experiment::Expid,
            ) -> Result<$crate::store::SummaryRecord, $crate::store::StoreError> {
                use $crate::store::job_sql as q;
                let state: Option<(i64, i64, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as(q::GRAPH_STATE).bind(expid.as_str()).fetch_optional(self.pool()).await?;
                let (id, graph_version, generated_at) =
                    state.ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))?;
                let counts: Vec<(i32, i64)> = sqlx::query_as(q::STATUS_COUNTS).bind(id).fetch_all(self.pool()).await?;
                Ok($crate::store::SummaryRecord { counts, graph_version, generated_at })
            }
        }

        impl $store {
            /// The row id of an experiment, or `ExperimentNotFound`.
            async fn experiment_id(&self, expid: &$crate::experiment::Expid) -> Result<i64, $crate::store::StoreError> {
                sqlx::query_scalar($crate::store::job_sql::EXPERIMENT_ID)
                    .bind(expid.as_str())
                    .fetch_optional(self.pool())
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))
            }
        }
    };
}

pub(crate) use impl_workflow_store;
