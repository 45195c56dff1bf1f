//! The event hub behind `GET /v4/experiments/{expid}/events`: each experiment's live events,
//! numbered and kept (the last `KEPT` of them, at most `KEPT_BYTES`) so a client that reconnects with
//! `Last-Event-ID` gets what it missed. Ids carry this process's start (`<epoch>-<n>`): an id
//! from before a restart, or older than what is kept, answers a `reset` (reload everything).
//!
//! With several servers on one PostgreSQL the hub is *shared*: events are published to the
//! database's event log (`shared_events.rs`) and come back to every server's hub in the log's
//! order, numbered by it, so a browser gets the same events with the same ids from any server
//! and can reconnect to another one without losing any.

use app::runs::live::LiveEvent;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Events kept per experiment for clients that reconnect.
const KEPT: usize = 4096;
/// Their encoded size at most, per experiment: a 10k-job status change is one large event,
/// and a few thousand of those would otherwise hold gigabytes.
const KEPT_BYTES: usize = 16 * 1024 * 1024;
/// Events a slow subscriber may fall behind before it is told to reset.
const BACKLOG: usize = 1024;

#[derive(Debug)]
pub struct StoredEvent {
    pub seq: u64,
    pub id: String,
    pub kind: &'static str,
    pub data: String,
}

struct Channel {
    /// The last number given (local) or delivered (shared) on this channel.
    next: u64,
    /// The highest number dropped from `kept`: a client behind it must reset.
    dropped_through: u64,
    kept: VecDeque<Arc<StoredEvent>>,
    /// The encoded size of `kept`.
    kept_bytes: usize,
    sender: broadcast::Sender<Arc<StoredEvent>>,
}

pub struct EventHub {
    epoch: String,
    channels: Mutex<HashMap<i64, Channel>>,
    /// Shared mode: where published events go, and the log position this hub started after
    /// (it knows nothing older) and has delivered up to.
    relay: Option<tokio::sync::mpsc::UnboundedSender<Outgoing>>,
    floor: u64,
    delivered: std::sync::atomic::AtomicU64,
}

/// An event on its way to the shared log.
pub struct Outgoing {
    pub experiment_id: i64,
    pub kind: &'static str,
    pub data: String,
}

/// What a new subscriber gets: the missed events (or a reset), then the live ones.
pub struct Subscription {
    pub missed: Vec<Arc<StoredEvent>>,
    pub reset: bool,
    /// Live events after `missed` (skip those with `seq` not above `last_seq`).
    pub live: broadcast::Receiver<Arc<StoredEvent>>,
    pub last_seq: u64,
}

impl Default for EventHub {
    fn default() -> Self {
        let epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Self { epoch: format!("{epoch:x}"), channels: Mutex::new(HashMap::new()), relay: None, floor: 0, delivered: 0.into() }
    }
}

/// The SSE names of events, as `&'static str`, for those read back from the shared log.
pub fn known_kind(kind: &str) -> Option<&'static str> {
    ["jobs", "run", "graph", "report"].into_iter().find(|k| *k == kind)
}

impl EventHub {
    /// A hub fed by a shared event log: `epoch` names the log, `floor` is its last event
    /// before this server started, `relay` takes what this server publishes.
    pub fn shared(epoch: String, floor: u64, relay: tokio::sync::mpsc::UnboundedSender<Outgoing>) -> Self {
        Self { epoch, channels: Mutex::new(HashMap::new()), relay: Some(relay), floor, delivered: floor.into() }
    }

    pub fn publish(&self, experiment_id: i64, event: &LiveEvent) {
        let data = match serde_json::to_string(event) {
            Ok(data) => data,
            Err(err) => {
                tracing::error!(error = %err, "a live event could not be encoded");
                return;
            }
        };
        match &self.relay {
            // Delivered here too once the log has it, in the log's order.
            Some(relay) => {
                if relay.send(Outgoing { experiment_id, kind: event.kind(), data }).is_err() {
                    tracing::error!("the shared event log's writer stopped; a live event was dropped");
                }
            }
            None => {
                let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
                let seq = channels.get(&experiment_id).map_or(0, |c| c.next) + 1;
                self.push(&mut channels, experiment_id, seq, event.kind(), data);
            }
        }
    }

    /// An event read back from the shared log, numbered by it.
    pub fn deliver(&self, seq: u64, experiment_id: i64, kind: &'static str, data: String) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        self.push(&mut channels, experiment_id, seq, kind, data);
        self.delivered.fetch_max(seq, std::sync::atomic::Ordering::Relaxed);
    }

    fn push(&self, channels: &mut HashMap<i64, Channel>, experiment_id: i64, seq: u64, kind: &'static str, data: String) {
        let channel = channels.entry(experiment_id).or_insert_with(new_channel);
        channel.next = seq;
        let stored = Arc::new(StoredEvent { seq, id: format!("{}-{seq}", self.epoch), kind, data });
        while channel.kept.len() >= KEPT || (!channel.kept.is_empty() && channel.kept_bytes + stored.data.len() > KEPT_BYTES) {
            if let Some(old) = channel.kept.pop_front() {
                channel.kept_bytes -= old.data.len();
                channel.dropped_through = old.seq;
            }
        }
        channel.kept_bytes += stored.data.len();
        channel.kept.push_back(Arc::clone(&stored));
        // No subscriber is not an error: the event is kept for those who reconnect.
        let _ = channel.sender.send(stored);
    }

    pub fn subscribe(&self, experiment_id: i64, last_event_id: Option<&str>) -> Subscription {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let channel = channels.entry(experiment_id).or_insert_with(new_channel);
        let live = channel.sender.subscribe();
        let current = self.position(channel);
        let Some(last) = last_event_id else {
            return Subscription { missed: Vec::new(), reset: false, live, last_seq: current };
        };
        let seq = last.strip_prefix(&self.epoch).and_then(|r| r.strip_prefix('-')).and_then(|n| n.parse::<u64>().ok());
        match seq {
            // Nothing missed is lost when nothing after `seq` was dropped, and `seq` is from
            // this hub's time (or the shared log's, from when this server listens).
            Some(seq) if seq >= channel.dropped_through && seq >= self.floor && (self.relay.is_some() || seq <= current) => Subscription {
                missed: channel.kept.iter().filter(|e| e.seq > seq).cloned().collect(),
                reset: false,
                live,
                // A client ahead of this server (it came from a faster one) skips what it has.
                last_seq: current.max(seq),
            },
            _ => Subscription { missed: Vec::new(), reset: true, live, last_seq: current },
        }
    }

    /// The id a client should remember when it loads everything afresh.
    pub fn current_id(&self, experiment_id: i64) -> String {
        let channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        format!("{}-{}", self.epoch, channels.get(&experiment_id).map_or_else(|| self.delivered(), |c| self.position(c)))
    }

    /// Where a channel stands: its own count (local), the log's position (shared).
    fn position(&self, channel: &Channel) -> u64 {
        if self.relay.is_some() { self.delivered() } else { channel.next }
    }

    fn delivered(&self) -> u64 {
        self.delivered.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn new_channel() -> Channel {
    Channel { next: 0, dropped_through: 0, kept: VecDeque::new(), kept_bytes: 0, sender: broadcast::channel(BACKLOG).0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::runs::live::LiveEvent;

    fn graph(v: i64) -> LiveEvent {
        LiveEvent::Graph { graph_version: v }
    }

    #[test]
    fn reconnecting_clients_get_what_they_missed_or_a_reset() {
        let hub = EventHub::default();
        hub.publish(1, &graph(1));
        let first = hub.current_id(1);
        hub.publish(1, &graph(2));
        hub.publish(1, &graph(3));
        let sub = hub.subscribe(1, Some(&first));
        assert!(!sub.reset);
        assert_eq!(sub.missed.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        assert!(sub.missed[0].data.contains("\"graph_version\":2"));
        // Up to date: nothing missed. Another process's id, or one never issued: reset.
        assert!(hub.subscribe(1, Some(&hub.current_id(1))).missed.is_empty());
        assert!(hub.subscribe(1, Some("0-1")).reset);
        assert!(hub.subscribe(1, Some(&format!("{}-99", hub.epoch))).reset);
        // Other experiments are separate.
        assert!(hub.subscribe(2, Some(&format!("{}-0", hub.epoch))).missed.is_empty());
    }

    #[test]
    fn a_client_too_far_behind_is_told_to_reset() {
        let hub = EventHub::default();
        let start = hub.current_id(1);
        for v in 0..(KEPT as i64 + 1) {
            hub.publish(1, &graph(v));
        }
        assert!(hub.subscribe(1, Some(&start)).reset);
    }

    #[test]
    fn what_is_kept_is_bounded_by_size_too() {
        let hub = EventHub::default();
        // One status change of 20k jobs: about 1 MB encoded.
        let jobs = (0..20_000)
            .map(|i| app::runs::live::JobChange { name: format!("a000_20000101_fc0_{i}_SIM"), status: app::workflow::JobStatus::Ready })
            .collect();
        let big = LiveEvent::Jobs { jobs };
        let start = hub.current_id(1);
        for _ in 0..40 {
            hub.publish(1, &big);
        }
        let channels = hub.channels.lock().unwrap();
        let channel = &channels[&1];
        assert!(channel.kept_bytes <= KEPT_BYTES && channel.kept.len() < 40, "{} events, {} bytes", channel.kept.len(), channel.kept_bytes);
        assert_eq!(channel.kept_bytes, channel.kept.iter().map(|e| e.data.len()).sum::<usize>());
        drop(channels);
        assert!(hub.subscribe(1, Some(&start)).reset, "what was dropped for size is a reset");
    }
}
