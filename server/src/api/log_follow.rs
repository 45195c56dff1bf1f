//! New bytes of a log as `log` events on the experiment's event stream, for a client that asks
//! (`?log_job=…` or `?log_run=…`, from `log_offset`, by default the log's end when it
//! connects). The file is looked at every 200 ms while nothing new has come: jobs' folders
//! may sit on shared filesystems (NFS, Lustre) where change notifications from other machines
//! never arrive, or in the object store once archived. A job's log ends with a `log_end` event once its attempt has ended and every
//! byte was sent.

use axum::response::sse::Event;
use super::job_files::Stored;
use crate::storage::read_all;
use futures_util::stream::{self, Stream};
use serde::Serialize;
use std::time::Duration;

const CHECK_EVERY: Duration = Duration::from_millis(200);
/// The most bytes one event carries; more follow at once in further events.
const MAX_EVENT_BYTES: u64 = 64 * 1024;

/// Which log is followed, as told in every event.
#[derive(Debug, Clone, Serialize)]
pub struct LogSource {
    /// The job, or absent for a run's own log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// `out`, `err`, or `run` for a run's own log.
    pub stream: &'static str,
    pub run_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
}

pub struct FollowedLog {
    pub source: LogSource,
    pub file: Stored,
    /// Exists once the attempt has ended (a job's `exit_code`); none for a run's log.
    pub ended_when: Option<Stored>,
    /// The log can grow no more (it was archived): it ends once every byte was sent.
    pub complete: bool,
    /// Where to start; the log's end when absent.
    pub from: Option<u64>,
}

#[derive(Serialize)]
struct Chunk<'a> {
    #[serde(flatten)]
    source: &'a LogSource,
    /// The byte of the file where `text` starts …
    offset: u64,
    /// … and where the next event starts (not `offset` plus `text`'s length when bytes that
    /// are not UTF-8 were replaced).
    next_offset: u64,
    text: String,
}

#[derive(Serialize)]
struct End<'a> {
    #[serde(flatten)]
    source: &'a LogSource,
    size: u64,
}

struct State {
    log: FollowedLog,
    offset: Option<u64>,
    done: bool,
}

pub fn follow(log: FollowedLog) -> impl Stream<Item = Event> {
    futures_util::StreamExt::map(follow_raw(log), |(kind, data)| Event::default().event(kind).data(data))
}

/// The events' names and data.
fn follow_raw(log: FollowedLog) -> impl Stream<Item = (&'static str, String)> {
    stream::unfold(State { log, offset: None, done: false }, |mut state| async move {
        if state.done {
            return None;
        }
        loop {
            // Whether the attempt had ended before the size is read: then nothing comes after.
            let ended = state.log.complete
                || match &state.log.ended_when {
                    Some(marker) => marker.store.size(&marker.key).await.is_ok_and(|s| s.is_some()),
                    None => false,
                };
            let file = &state.log.file;
            let size = file.store.size(&file.key).await.ok().flatten().unwrap_or(0);
            let offset = *state.offset.get_or_insert(state.log.from.unwrap_or(size));
            if size > offset {
                let length = (size - offset).min(MAX_EVENT_BYTES);
                let (text, used) = read_text(file, offset, length, ended && offset + length == size).await;
                if used > 0 {
                    let next_offset = offset + used;
                    state.offset = Some(next_offset);
                    let data = serde_json::to_string(&Chunk { source: &state.log.source, offset, next_offset, text }).unwrap_or_default();
                    return Some((("log", data), state));
                }
            }
            // Ended, and everything up to its end was sent.
            if ended && size <= offset {
                state.done = true;
                let data = serde_json::to_string(&End { source: &state.log.source, size: offset }).unwrap_or_default();
                return Some((("log_end", data), state));
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    })
}

/// Up to `length` bytes at `offset` as text, and how many bytes that text used: a character
/// cut by the end of what was read waits for the next read, unless this is the `last` read
/// of a log that ended; bytes that are not UTF-8 are replaced (and counted), so the log always
/// moves on.
async fn read_text(file: &Stored, offset: u64, length: u64, last: bool) -> (String, u64) {
    let Ok(bytes) = read_all(file.store.as_ref(), &file.key, offset..offset + length).await else { return (String::new(), 0) };
    match std::str::from_utf8(&bytes) {
        Ok(text) => (text.to_owned(), bytes.len() as u64),
        Err(err) if err.valid_up_to() > 0 => {
            let valid = err.valid_up_to();
            (String::from_utf8_lossy(&bytes[..valid]).into_owned(), valid as u64)
        }
        Err(err) => match err.error_len() {
            Some(bad) => (String::from_utf8_lossy(&bytes[..bad]).into_owned(), bad as u64),
            None if last => (String::from_utf8_lossy(&bytes).into_owned(), bytes.len() as u64),
            None => (String::new(), 0), // the start of a character: the rest is on its way
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn new_bytes_arrive_as_text_and_the_end_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let (path, marker) = (dir.path().join("stdout.log"), dir.path().join("exit_code"));
        std::fs::write(&path, "before\n").unwrap();
        let source = LogSource { job: Some("a000_SIM".into()), stream: "out", run_id: 3, attempt: Some(1) };
        let store: crate::storage::SharedArtifacts = std::sync::Arc::new(crate::storage::LocalFolder::new(dir.path().to_path_buf()));
        let stored = |name: &str| Stored { store: store.clone(), key: crate::storage::ArtifactKey::new([name]).unwrap() };
        let events = follow_raw(FollowedLog { source, file: stored("stdout.log"), ended_when: Some(stored("exit_code")), complete: false, from: None });
        let writer = tokio::spawn(async move {
            use std::io::Write;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            // "é" cut in two by the writes: it arrives whole.
            file.write_all(b"one\n\xc3").unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            file.write_all(b"\xa9 two\n\xff\n\xe2\x96").unwrap();
            std::fs::write(&marker, "0\n").unwrap();
        });
        let got: Vec<(&str, serde_json::Value)> =
            tokio::time::timeout(Duration::from_secs(5), events.map(|(k, d)| (k, serde_json::from_str(&d).unwrap())).collect()).await.unwrap();
        writer.await.unwrap();
        let texts: Vec<(u64, &str)> = got.iter().filter(|(k, _)| *k == "log").map(|(_, d)| (d["offset"].as_u64().unwrap(), d["text"].as_str().unwrap())).collect();
        // Only what came after the start; the cut character whole; a stray byte replaced.
        let all: String = texts.iter().map(|(_, t)| *t).collect();
        // A character cut by the job's end is given up as a replacement, and the log ends.
        assert_eq!(all, "one\né two\n\u{FFFD}\n\u{FFFD}", "{got:?}");
        assert_eq!(texts[0], (7, "one\n"));
        assert_eq!(texts[1].0, 11);
        // Each event says where the next starts, however the text was decoded.
        let logs: Vec<&serde_json::Value> = got.iter().filter(|(k, _)| *k == "log").map(|(_, d)| d).collect();
        for pair in logs.windows(2) {
            assert_eq!(pair[0]["next_offset"], pair[1]["offset"], "{got:?}");
        }
        let (kind, end) = got.last().unwrap();
        assert_eq!((*kind, end["size"].as_u64(), end["job"].as_str(), end["attempt"].as_i64()), ("log_end", Some(22), Some("a000_SIM"), Some(1)));
    }
}
