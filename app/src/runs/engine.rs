//! How the domain reaches the engine that executes runs (in the server binary): it is told
//! when a run was queued, asked to stop one, and hands it what changed for live updates. The
//! engine reads everything else from the store.

use super::live::LiveEvent;
use async_trait::async_trait;

#[async_trait]
pub trait RunEngine: Send + Sync + 'static {
    /// A run was queued for the experiment: start it when nothing else runs there.
    fn wake(&self, experiment_id: i64);

    /// Stops the experiment's running run: its jobs are killed (process groups included) and
    /// end FAILED with reason "stopped", and the run ends cancelled. Returns once the run has
    /// ended; `false` when nothing was running there. With `run_id`, only that run is stopped
    /// (if it has ended meanwhile, the next one is left alone).
    async fn stop(&self, experiment_id: i64, run_id: Option<i64>, by: &str) -> bool;

    /// Writes what the experiment's running run holds in memory now (its writes are batched),
    /// and returns once written; at once when nothing runs there.
    async fn flush(&self, experiment_id: i64);

    /// Tells the experiment's live subscribers (pages, API clients) what changed.
    fn publish(&self, experiment_id: i64, event: LiveEvent);

    /// Whether a job token (its hash) belongs to an attempt the engine holds in memory and
    /// has not written yet.
    fn holds_unwritten_token(&self, token_hash: &str) -> bool;
}
