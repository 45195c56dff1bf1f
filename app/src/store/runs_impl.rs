//! `RunStore` for both backends, written once (see `workflow_impl` for the pattern).

/// `impl RunStore for $store`, which has `pool()` and `begin_write()`.
macro_rules! impl_run_store {
    ($store:ty, $dialect:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::RunStore for $store {
            #[tracing::instrument(skip_all, fields(%expid))]
            async fn create_run(
                &self,
                expid: &$crate::experiment::Expid,
                run: &$crate::store::NewRun,
                queue: bool,
            ) -> Result<$crate::store::RunRecord, $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(q::lock_experiment($dialect))
                    .bind(expid.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::ExperimentNotFound(expid.clone()))?;
                // A scheduled run waits its turn in any case.
                if !queue && run.not_before.is_none() {
                    let now = chrono::Utc::now().timestamp();
                    let active: Option<i64> = sqlx::query_scalar(q::ACTIVE_RUN_OF).bind(id).bind(now).fetch_optional(&mut *tx).await?;
                    if let Some(active) = active {
                        return Err($crate::store::StoreError::RunActive(expid.clone(), active));
                    }
                }
                let run_id: i64 = sqlx::query_scalar(q::INSERT_RUN)
                    .bind(id)
                    .bind(&run.requested_by)
                    .bind(&run.mode)
                    .bind(&run.selection)
                    .bind(run.force_rerun)
                    .bind(&run.options)
                    .bind(run.interactive)
                    .bind(chrono::Utc::now())
                    .bind(run.not_before)
                    .bind(run.repeat_seconds)
                    .fetch_one(&mut *tx)
                    .await?;
                let record = sqlx::query_as(&q::run_by_number()).bind(run_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn run(
                &self,
                expid: &$crate::experiment::Expid,
                id: i64,
            ) -> Result<$crate::store::RunRecord, $crate::store::StoreError> {
                sqlx::query_as(&$crate::store::run_sql::run_by_id())
                    .bind(expid.as_str())
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::RunNotFound(expid.clone(), id))
            }

            async fn runs(
                &self,
                expid: &$crate::experiment::Expid,
                limit: i64,
            ) -> Result<Vec<$crate::store::RunRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::run_sql::runs_of()).bind(expid.as_str()).bind(limit).fetch_all(self.pool()).await?)
            }

            async fn active_runs(&self) -> Result<Vec<$crate::store::RunRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::run_sql::active_runs()).fetch_all(self.pool()).await?)
            }

            #[tracing::instrument(skip_all, fields(experiment_id))]
            async fn claim_next_run(
                &self,
                experiment_id: i64,
                lease: &$crate::store::Lease,
            ) -> Result<Option<$crate::store::RunRecord>, $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                sqlx::query_scalar::<_, i64>(q::lock_experiment_by_id($dialect)).bind(experiment_id).fetch_optional(&mut *tx).await?;
                let running: Option<i64> = sqlx::query_scalar(q::RUNNING_RUN_OF).bind(experiment_id).fetch_optional(&mut *tx).await?;
                if running.is_some() {
                    return Ok(None);
                }
                let now = chrono::Utc::now();
                let next: Option<i64> =
                    sqlx::query_scalar(q::NEXT_QUEUED_RUN).bind(experiment_id).bind(now.timestamp()).fetch_optional(&mut *tx).await?;
                let Some(run_id) = next else { return Ok(None) };
                let (not_before, every, started_before): (Option<i64>, Option<i64>, Option<chrono::DateTime<chrono::Utc>>) =
                    sqlx::query_as("SELECT not_before, repeat_seconds, started_at FROM runs WHERE id = $1").bind(run_id).fetch_one(&mut *tx).await?;
                sqlx::query(q::START_RUN).bind(run_id).bind(now).bind(&lease.owner).bind(lease.until).execute(&mut *tx).await?;
                // The next occurrence is queued at the first start only: a run resumed after a
                // restart has queued it already.
                if let (Some(every), None) = (every, started_before) {
                    let start = not_before.unwrap_or(now.timestamp());
                    let next = $crate::runs::schedule::next_occurrence(start, every, now.timestamp());
                    sqlx::query(q::QUEUE_NEXT_OCCURRENCE).bind(run_id).bind(now).bind(next).execute(&mut *tx).await?;
                }
                sqlx::query(q::MARK_EXPERIMENT)
                    .bind(experiment_id)
                    .bind($crate::experiment::STATUS_RUNNING)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let record = sqlx::query_as(&q::run_by_number()).bind(run_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(record))
            }

            async fn renew_leases(&self, lease: &$crate::store::Lease) -> Result<Vec<i64>, $crate::store::StoreError> {
                let ids = sqlx::query_scalar($crate::store::run_sql::RENEW_LEASES).bind(&lease.owner).bind(lease.until).fetch_all(self.pool()).await?;
                Ok(ids)
            }

            async fn take_over_runs(
                &self,
                lease: &$crate::store::Lease,
                expired_before: i64,
            ) -> Result<Vec<$crate::store::RunRecord>, $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                let ids: Vec<i64> =
                    sqlx::query_scalar(q::TAKE_OVER_RUNS).bind(&lease.owner).bind(lease.until).bind(expired_before).fetch_all(&mut *tx).await?;
                let mut runs = Vec::with_capacity(ids.len());
                for id in ids {
                    runs.push(sqlx::query_as(&q::run_by_number()).bind(id).fetch_one(&mut *tx).await?);
                }
                tx.commit().await?;
                Ok(runs)
            }

            #[tracing::instrument(skip_all, fields(experiment_id, jobs = jobs.len(), attempts = attempts.len()))]
            async fn record_progress(
                &self,
                experiment_id: i64,
                jobs: &[$crate::store::JobProgress],
                attempts: &[$crate::store::AttemptRecord],
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                for job in jobs {
                    sqlx::query(q::UPDATE_JOB_STATE)
                        .bind(experiment_id)
                        .bind(job.number as i32)
                        .bind(job.status)
                        .bind(job.submitted_at)
                        .bind(job.started_at)
                        .bind(job.finished_at)
                        .execute(&mut *tx)
                        .await?;
                }
                for a in attempts {
                    sqlx::query(q::UPSERT_ATTEMPT)
                        .bind(a.run_id)
                        .bind(&a.job_name)
                        .bind(a.attempt)
                        .bind(a.experiment_id)
                        .bind(&a.status)
                        .bind(a.exit_code)
                        .bind(&a.reason)
                        .bind(&a.external_id)
                        .bind(a.submitted_at)
                        .bind(a.started_at)
                        .bind(a.finished_at)
                        .bind(&a.token_hash)
                        .bind(&a.queue_name)
                        .bind(&a.node_list)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn set_planned_jobs(&self, run_id: i64, planned: i64) -> Result<(), $crate::store::StoreError> {
                sqlx::query($crate::store::run_sql::SET_PLANNED).bind(run_id).bind(planned).execute(self.pool()).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(run_id, status))]
            async fn finish_run(
                &self,
                run_id: i64,
                status: &str,
                message: Option<&str>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                let now = chrono::Utc::now();
                let experiment_id: Option<i64> = sqlx::query_scalar(q::FINISH_RUN)
                    .bind(run_id)
                    .bind(status)
                    .bind(message)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(experiment_id) = experiment_id {
                    sqlx::query(q::MARK_EXPERIMENT)
                        .bind(experiment_id)
                        .bind($crate::experiment::STATUS_NOT_RUNNING)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn requeue_run(&self, run_id: i64) -> Result<(), $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                let experiment_id: Option<i64> = sqlx::query_scalar(q::REQUEUE_RUN).bind(run_id).fetch_optional(&mut *tx).await?;
                if let Some(experiment_id) = experiment_id {
                    sqlx::query(q::MARK_EXPERIMENT)
                        .bind(experiment_id)
                        .bind($crate::experiment::STATUS_NOT_RUNNING)
                        .bind(chrono::Utc::now())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn cancel_queued_run(&self, run_id: i64, message: &str) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query($crate::store::run_sql::CANCEL_QUEUED)
                    .bind(run_id)
                    .bind(message)
                    .bind(chrono::Utc::now())
                    .execute(self.pool())
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(skip_all, fields(experiment_id, job_name))]
            async fn record_report(
                &self,
                experiment_id: i64,
                job_name: &str,
                token_hash: &str,
                report: &$crate::store::JobReport,
            ) -> Result<Option<$crate::store::AttemptRecord>, $crate::store::StoreError> {
                use $crate::store::run_sql as q;
                let mut tx = self.begin_write().await?;
                let found: Option<$crate::store::AttemptRecord> = sqlx::query_as(&q::running_attempt_by_token())
                    .bind(experiment_id)
                    .bind(job_name)
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(mut attempt) = found else { return Ok(None) };
                let mut metrics: serde_json::Map<String, serde_json::Value> =
                    attempt.metrics.as_deref().and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
                metrics.extend(report.metrics.clone());
                if metrics.len() > $crate::store::MAX_METRICS {
                    return Err($crate::store::StoreError::TooManyMetrics($crate::store::MAX_METRICS));
                }
                attempt.metrics = Some(serde_json::Value::Object(metrics).to_string());
                attempt.progress = report.progress.or(attempt.progress);
                attempt.status_message = report.message.clone().or(attempt.status_message);
                attempt.reported_at = Some(chrono::Utc::now());
                sqlx::query(q::RECORD_REPORT)
                    .bind(attempt.run_id)
                    .bind(&attempt.job_name)
                    .bind(attempt.attempt)
                    .bind(token_hash)
                    .bind(attempt.progress)
                    .bind(&attempt.status_message)
                    .bind(&attempt.metrics)
                    .bind(attempt.reported_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(attempt))
            }

            async fn job_attempts(
                &self,
                experiment_id: i64,
                job_name: &str,
            ) -> Result<Vec<$crate::store::AttemptRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::run_sql::attempts_of_job())
                    .bind(experiment_id)
                    .bind(job_name)
                    .fetch_all(self.pool())
                    .await?)
            }

            async fn run_attempts(&self, run_id: i64) -> Result<Vec<$crate::store::AttemptRecord>, $crate::store::StoreError> {
                Ok(sqlx::query_as(&$crate::store::run_sql::attempts_of_run()).bind(run_id).fetch_all(self.pool()).await?)
            }

            async fn attempts_to_archive(
                &self,
                after: Option<&$crate::store::ArchivedAttempt>,
                limit: i64,
            ) -> Result<Vec<$crate::store::ArchivedAttempt>, $crate::store::StoreError> {
                let (run_id, job_name, attempt) = after.map_or((0, "", 0), |a| (a.run_id, a.job_name.as_str(), a.attempt));
                Ok(sqlx::query_as($crate::store::run_sql::ATTEMPTS_TO_ARCHIVE)
                    .bind(run_id)
                    .bind(job_name)
                    .bind(attempt)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?)
            }

            async fn mark_archived(&self, attempts: &[$crate::store::ArchivedAttempt]) -> Result<(), $crate::store::StoreError> {
                let now = chrono::Utc::now();
                let mut tx = self.begin_write().await?;
                for a in attempts {
                    sqlx::query($crate::store::run_sql::MARK_ARCHIVED)
                        .bind(a.run_id)
                        .bind(&a.job_name)
                        .bind(a.attempt)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn run_logs_to_archive(&self, after: i64, limit: i64) -> Result<Vec<$crate::store::ArchivedRunLog>, $crate::store::StoreError> {
                Ok(sqlx::query_as($crate::store::run_sql::RUN_LOGS_TO_ARCHIVE).bind(after).bind(limit).fetch_all(self.pool()).await?)
            }

            async fn mark_run_log_archived(&self, run_id: i64) -> Result<(), $crate::store::StoreError> {
                sqlx::query($crate::store::run_sql::MARK_RUN_LOG_ARCHIVED).bind(run_id).bind(chrono::Utc::now()).execute(self.pool()).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_run_store;
