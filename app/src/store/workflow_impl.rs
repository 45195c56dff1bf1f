//! `WorkflowStore` for both backends: the statements are the same (see `job_sql`), so one
//! body is written once and instantiated per backend; only the dialect and the way a write
//! transaction starts (each store's `begin_write`) differ.

/// `impl WorkflowStore for $store`, which has `pool()`, `begin_write()` and `graphs`.
macro_rules! impl_workflow_store {
    ($store:ty, $dialect:expr) => {
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
                use $crate::store::job_sql as q;
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(q::EXPERIMENT_ID)
                    .bind(expid.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))?;
                sqlx::query(q::DELETE_CONFIG_FILES).bind(id).execute(&mut *tx).await?;
                let now = chrono::Utc::now();
                for (name, content) in files {
                    sqlx::query(q::INSERT_CONFIG_FILE).bind(id).bind(name).bind(content).bind(now).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(%expid, name))]
            async fn put_config_file(
                &self,
                expid: &$crate::experiment::Expid,
                name: &str,
                content: &str,
            ) -> Result<(), $crate::store::StoreError> {
                let id = self.experiment_id(expid).await?;
                sqlx::query($crate::store::job_sql::UPSERT_CONFIG_FILE)
                    .bind(id)
                    .bind(name)
                    .bind(content)
                    .bind(chrono::Utc::now())
                    .execute(self.pool())
                    .await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(%expid, name))]
            async fn delete_config_file(
                &self,
                expid: &$crate::experiment::Expid,
                name: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                let id = self.experiment_id(expid).await?;
                let done = sqlx::query($crate::store::job_sql::DELETE_CONFIG_FILE).bind(id).bind(name).execute(self.pool()).await?;
                Ok(done.rows_affected() > 0)
            }

            #[tracing::instrument(skip_all, fields(%expid, jobs = graph.statuses.len()))]
            async fn store_graph(
                &self,
                expid: &$crate::experiment::Expid,
                graph: $crate::store::PreparedGraph,
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
                let mut codes: Vec<i32> = graph.statuses.iter().map(|s| s.code()).collect();
                let mut kept = 0u64;
                if keep_statuses {
                    let historic: Vec<(i32, i32)> = sqlx::query_as(q::HISTORIC_STATES).bind(id).fetch_all(&mut *tx).await?;
                    if !historic.is_empty() {
                        // The graph being replaced is usually in memory already; decode it only if not.
                        let old = match self.graphs.get(id, graph_version - 1) {
                            Some(cached) => cached,
                            None => std::sync::Arc::new(self.read_graph(&mut *tx, id).await?),
                        };
                        for (number, status) in historic {
                            let Some(job) = old.snapshot.jobs.get(number as usize) else { continue };
                            let found = graph.snapshot.jobs.binary_search_by(|j| j.name().cmp(job.name()));
                            if let Ok(new_number) = found {
                                codes[new_number] = status;
                                kept += 1;
                            }
                        }
                    }
                }
                let codes_json = serde_json::to_string(&codes).unwrap_or_default();
                sqlx::query(q::DELETE_STATES).bind(id).execute(&mut *tx).await?;
                sqlx::query(q::insert_states($dialect)).bind(id).bind(codes_json).execute(&mut *tx).await?;
                sqlx::query(q::DELETE_GRAPH).bind(id).execute(&mut *tx).await?;
                sqlx::query(q::INSERT_GRAPH)
                    .bind(id)
                    .bind(graph_version)
                    .bind(graph.snapshot.jobs.len() as i64)
                    .bind(graph.snapshot.edges.len() as i64)
                    .bind(graph.encoded.as_slice())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                let snapshot = graph.snapshot;
                let loaded = tokio::task::spawn_blocking(move || $crate::workflow::LoadedGraph::new(graph_version, snapshot))
                    .await
                    .map_err(|e| $crate::store::StoreError::Graph(e.to_string()))?;
                self.graphs.put(id, std::sync::Arc::new(loaded));
                Ok($crate::store::StoredGraph { graph_version, kept_statuses: kept })
            }

            #[tracing::instrument(skip_all, fields(%expid))]
            async fn graph(
                &self,
                expid: &$crate::experiment::Expid,
            ) -> Result<$crate::store::GraphHandle, $crate::store::StoreError> {
                let state: Option<(i64, i64, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as($crate::store::job_sql::GRAPH_STATE).bind(expid.as_str()).fetch_optional(self.pool()).await?;
                let (id, version, _) = state.ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))?;
                if let Some(graph) = self.graphs.get(id, version) {
                    return Ok($crate::store::GraphHandle { experiment_id: id, graph });
                }
                let mut conn = self.pool().acquire().await?;
                let graph = std::sync::Arc::new(self.read_graph(&mut *conn, id).await?);
                if graph.version > 0 {
                    self.graphs.put(id, graph.clone());
                }
                Ok($crate::store::GraphHandle { experiment_id: id, graph })
            }

            async fn job_states(
                &self,
                experiment_id: i64,
                numbers: &[u32],
            ) -> Result<Vec<$crate::store::JobStateRecord>, $crate::store::StoreError> {
                if numbers.is_empty() {
                    return Ok(Vec::new());
                }
                Ok(sqlx::query_as(&$crate::store::job_sql::states_of(numbers))
                    .bind(experiment_id)
                    .fetch_all(self.pool())
                    .await?)
            }

            async fn all_job_states(
                &self,
                experiment_id: i64,
            ) -> Result<Vec<$crate::store::JobStateRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::job_sql::all_states()).bind(experiment_id).fetch_all(self.pool()).await?)
            }

            async fn status_codes(&self, experiment_id: i64) -> Result<Vec<i32>, $crate::store::StoreError> {
                let text: String = sqlx::query_scalar($crate::store::job_sql::status_codes_text($dialect))
                    .bind(experiment_id)
                    .fetch_one(self.pool())
                    .await?;
                text.split(',')
                    .filter(|code| !code.is_empty())
                    .map(|code| code.parse().map_err(|_| $crate::store::StoreError::Graph(format!("status code '{code}'"))))
                    .collect()
            }

            #[tracing::instrument(skip_all, fields(experiment_id, changes = changes.len()))]
            async fn change_statuses(
                &self,
                experiment_id: i64,
                graph_version: i64,
                changes: &[(u32, i32, i32)],
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::job_sql as q;
                let mut tx = self.begin_write().await?;
                let current: Option<i64> =
                    sqlx::query_scalar(q::GRAPH_VERSION_OF).bind(experiment_id).fetch_optional(&mut *tx).await?;
                if current != Some(graph_version) {
                    return Err($crate::store::StoreError::StatusesChanged(experiment_id));
                }
                let mut by_move: std::collections::BTreeMap<(i32, i32), Vec<u32>> = Default::default();
                for &(number, from, to) in changes {
                    by_move.entry((from, to)).or_default().push(number);
                }
                for ((from, to), numbers) in by_move {
                    let done = sqlx::query(&q::change_status(&numbers, from, to)).bind(experiment_id).execute(&mut *tx).await?;
                    if done.rows_affected() != numbers.len() as u64 {
                        return Err($crate::store::StoreError::StatusesChanged(experiment_id));
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn jobs_in_status(
                &self,
                experiment_id: i64,
                statuses: &[$crate::workflow::JobStatus],
            ) -> Result<Vec<u32>, $crate::store::StoreError> {
                let codes: Vec<i32> = statuses.iter().map(|s| s.code()).collect();
                let numbers: Vec<i32> = sqlx::query_scalar(&$crate::store::job_sql::numbers_with_status(&codes))
                    .bind(experiment_id)
                    .fetch_all(self.pool())
                    .await?;
                Ok(numbers.into_iter().filter_map(|n| u32::try_from(n).ok()).collect())
            }

            async fn status_counts_in_ranges(
                &self,
                experiment_id: i64,
                groups: &[Vec<(u32, u32)>],
            ) -> Result<Vec<(i32, i32, i64)>, $crate::store::StoreError> {
                let rows: Vec<(i64, i32, i64)> = sqlx::query_as(&$crate::store::job_sql::status_counts_in_ranges(groups))
                    .bind(experiment_id)
                    .fetch_all(self.pool())
                    .await?;
                Ok(rows.into_iter().map(|(group, status, count)| (group as i32, status, count)).collect())
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

            /// Reads and decodes the stored graph (decoding off the async workers).
            async fn read_graph<'c, E>(&self, executor: E, id: i64) -> Result<$crate::workflow::LoadedGraph, $crate::store::StoreError>
            where
                E: sqlx::Executor<'c, Database = <Self as $crate::store::workflow_impl::HasDatabase>::Database>,
            {
                let row: Option<(i64, Vec<u8>)> =
                    sqlx::query_as($crate::store::job_sql::GRAPH_BODY).bind(id).fetch_optional(executor).await?;
                let Some((version, body)) = row else {
                    return Ok($crate::workflow::LoadedGraph::empty());
                };
                tokio::task::spawn_blocking(move || {
                    $crate::workflow::GraphSnapshot::decode(&body)
                        .map(|snapshot| $crate::workflow::LoadedGraph::new(version, snapshot))
                        .map_err(|e| $crate::store::StoreError::Graph(e.to_string()))
                })
                .await
                .map_err(|e| $crate::store::StoreError::Graph(e.to_string()))?
            }
        }
    };
}

/// Names the sqlx database of a store, for the generic executor in `read_graph`.
pub(crate) trait HasDatabase {
    type Database: sqlx::Database;
}

pub(crate) use impl_workflow_store;
