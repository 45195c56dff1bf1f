//! Live events across servers on one PostgreSQL. Each server writes what it publishes to the
//! `live_events` table — one writer at a time (an advisory lock held to commit), so ids
//! commit in order and a reader that asks for "after id N" never skips one — and NOTIFYs.
//! Every server LISTENs, reads the new rows in order and hands them to its hub; a missed
//! notification costs at most a second (the table is read then anyway).
//!
//! The same connection carries stop requests: a stop asked of a server that does not drive
//! the run is NOTIFYed, and the server that drives it acts on it.

use super::events::{known_kind, EventHub, Outgoing};
use sqlx::postgres::{PgListener, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const CHANNEL: &str = "hindcast_events";
const CONTROL: &str = "hindcast_control";
/// The advisory lock that makes writers take turns ("hindcast" in ASCII, as a number).
const WRITER_LOCK: i64 = 0x68696e6463617374;
/// Events written per transaction at most.
const BATCH: usize = 256;
/// Rows read per query.
const PAGE: i64 = 1000;
/// How long events stay in the table (clients further behind reload).
const RETAIN: &str = "1 hour";

/// A stop asked of another server (the one that drives the experiment's run acts on it).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RemoteStop {
    pub experiment_id: i64,
    pub run: Option<i64>,
    pub by: String,
}

/// What the servers on one database share besides it: the event log and stop requests.
pub struct SharedLog {
    pub hub: Arc<EventHub>,
    pub peers: Peers,
    /// Stop requests from other servers, for this server's engine.
    pub stops: mpsc::UnboundedReceiver<RemoteStop>,
}

#[derive(Clone)]
pub struct Peers {
    pool: PgPool,
}

impl Peers {
    pub async fn request_stop(&self, stop: &RemoteStop) -> Result<(), sqlx::Error> {
        let payload = serde_json::to_string(stop).unwrap_or_default();
        sqlx::query("SELECT pg_notify($1, $2)").bind(CONTROL).bind(payload).execute(&self.pool).await?;
        Ok(())
    }
}

/// Starts the writer and the reader.
pub async fn start(pool: PgPool) -> Result<SharedLog, sqlx::Error> {
    // The log's name in event ids: the database's own id, the same on every server.
    let (database_oid,): (i64,) = sqlx::query_as("SELECT oid::bigint FROM pg_database WHERE datname = current_database()").fetch_one(&pool).await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen_all([CHANNEL, CONTROL]).await?;
    // Listening before reading where the log stands: nothing written in between is missed.
    let (floor,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM live_events").fetch_one(&pool).await?;
    let (relay_tx, relay_rx) = mpsc::unbounded_channel();
    let hub = Arc::new(EventHub::shared(format!("pg{database_oid:x}"), floor as u64, relay_tx));
    let (stops_tx, stops) = mpsc::unbounded_channel();
    tokio::spawn(write(pool.clone(), relay_rx));
    tokio::spawn(read(pool.clone(), listener, Arc::clone(&hub), floor, stops_tx));
    Ok(SharedLog { hub, peers: Peers { pool }, stops })
}

async fn write(pool: PgPool, mut outgoing: mpsc::UnboundedReceiver<Outgoing>) {
    let mut batch: Vec<Outgoing> = Vec::new();
    loop {
        if batch.is_empty() {
            match outgoing.recv().await {
                Some(event) => batch.push(event),
                None => return,
            }
        }
        while batch.len() < BATCH {
            match outgoing.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        // Kept until written: a database that is briefly away delays events, loses none.
        let mut wait = Duration::from_millis(100);
        while let Err(err) = write_batch(&pool, &batch).await {
            tracing::warn!(error = %err, events = batch.len(), "live events could not be written to the shared log; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
        batch.clear();
    }
}

async fn write_batch(pool: &PgPool, batch: &[Outgoing]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITER_LOCK).execute(&mut *tx).await?;
    let mut insert = sqlx::QueryBuilder::new("INSERT INTO live_events (experiment_id, kind, data) ");
    insert.push_values(batch, |mut row, event| {
        row.push_bind(event.experiment_id).push_bind(event.kind).push_bind(&event.data);
    });
    insert.build().execute(&mut *tx).await?;
    sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *tx).await?;
    tx.commit().await
}

async fn read(pool: PgPool, mut listener: PgListener, hub: Arc<EventHub>, mut after: i64, stops: mpsc::UnboundedSender<RemoteStop>) {
    let mut pruned = tokio::time::Instant::now();
    loop {
        loop {
            let rows: Result<Vec<(i64, i64, String, String)>, _> =
                sqlx::query_as("SELECT id, experiment_id, kind, data FROM live_events WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(PAGE)
                    .fetch_all(&pool)
                    .await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(error = %err, "the shared event log could not be read; trying again");
                    break;
                }
            };
            let full = rows.len() as i64 == PAGE;
            for (id, experiment_id, kind, data) in rows {
                after = id;
                if let Some(kind) = known_kind(&kind) {
                    hub.deliver(id as u64, experiment_id, kind, data);
                }
            }
            if !full {
                break;
            }
        }
        if pruned.elapsed() > Duration::from_secs(60) {
            pruned = tokio::time::Instant::now();
            let query = format!("DELETE FROM live_events WHERE created_at < now() - interval '{RETAIN}'");
            if let Err(err) = sqlx::query(&query).execute(&pool).await {
                tracing::warn!(error = %err, "old live events could not be removed");
            }
        }
        // A notification, or a second at most (a dropped connection reconnects on `recv`).
        match tokio::time::timeout(Duration::from_secs(1), listener.recv()).await {
            Ok(Ok(notification)) if notification.channel() == CONTROL => match serde_json::from_str(notification.payload()) {
                Ok(stop) => {
                    let _ = stops.send(stop);
                }
                Err(err) => tracing::warn!(error = %err, "an unreadable stop request from another server was ignored"),
            },
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "listening for live events failed; reconnecting");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(Ok(_)) | Err(_) => {}
        }
    }
}
