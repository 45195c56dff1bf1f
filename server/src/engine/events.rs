//! The event hub behind `GET /v4/experiments/{expid}/events`: each experiment's live events,
//! numbered and kept (the last `KEPT` of them, at most `KEPT_BYTES`) so a client that reconnects with
//! `Last-Event-ID` gets what it missed. Ids carry this process's start (`<epoch>-<n>`): an id
//! from before a restart, or older than what is kept, answers a `reset` (reload everything).

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
    next: u64,
    kept: VecDeque<Arc<StoredEvent>>,
    /// The encoded size of `kept`.
    kept_bytes: usize,
    sender: broadcast::Sender<Arc<StoredEvent>>,
}

pub struct EventHub {
    epoch: String,
    channels: Mutex<HashMap<i64, Channel>>,
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
        Self { epoch: format!("{epoch:x}"), channels: Mutex::new(HashMap::new()) }
    }
}

impl EventHub {
    pub fn publish(&self, experiment_id: i64, event: &LiveEvent) {
        let data = match serde_json::to_string(event) {
            Ok(data) => data,
            Err(err) => {
                tracing::error!(error = %err, "a live event could not be encoded");
                return;
            }
        };
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let channel = channels.entry(experiment_id).or_insert_with(new_channel);
        channel.next += 1;
        let stored = Arc::new(StoredEvent {
            seq: channel.next,
            id: format!("{}-{}", self.epoch, channel.next),
            kind: event.kind(),
            data,
        });
        while channel.kept.len() >= KEPT || (!channel.kept.is_empty() && channel.kept_bytes + stored.data.len() > KEPT_BYTES) {
            if let Some(old) = channel.kept.pop_front() {
                channel.kept_bytes -= old.data.len();
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
        let current = channel.next;
        let Some(last) = last_event_id else {
            return Subscription { missed: Vec::new(), reset: false, live, last_seq: current };
        };
        let seq = last.strip_prefix(&self.epoch).and_then(|r| r.strip_prefix('-')).and_then(|n| n.parse::<u64>().ok());
        let oldest_kept = channel.kept.front().map_or(current + 1, |e| e.seq);
        match seq {
            // Nothing missed is lost when the next event after `seq` is still kept.
            Some(seq) if seq <= current && seq + 1 >= oldest_kept => Subscription {
                missed: channel.kept.iter().filter(|e| e.seq > seq).cloned().collect(),
                reset: false,
                live,
                last_seq: current,
            },
            _ => Subscription { missed: Vec::new(), reset: true, live, last_seq: current },
        }
    }

    /// The id a client should remember when it loads everything afresh.
    pub fn current_id(&self, experiment_id: i64) -> String {
        let channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        format!("{}-{}", self.epoch, channels.get(&experiment_id).map_or(0, |c| c.next))
    }
}

fn new_channel() -> Channel {
    Channel { next: 0, kept: VecDeque::new(), kept_bytes: 0, sender: broadcast::channel(BACKLOG).0 }
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
