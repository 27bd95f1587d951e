//! A stream subscriber (a websocket viewer of `/v1/stream`, on a collector or a relay): counts
//! event frames, gaps and out-of-order seqs, and (for the latency parts) records when each
//! latency-stamped message arrived.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::stamp::parse_latency_id;

const EVENT_PREFIX: &str = r#"{"type":"event","seq":"#;

#[derive(Default)]
pub struct SubStats {
    pub events: AtomicU64,
    pub last_seq: AtomicU64,
    pub gaps: AtomicU64,
    pub missed: AtomicU64,
    pub out_of_order: AtomicU64,
    pub other: AtomicU64,
}

/// Reads the stream until it closes, counting frames; with `record`, the arrival time of
/// every latency-stamped message.
async fn subscriber(
    url: String,
    stats: Arc<SubStats>,
    ready: oneshot::Sender<()>,
    record: bool,
) -> Vec<(u32, Instant)> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect to the stream");
    let mut ready = Some(ready);
    let mut arrivals = Vec::new();
    let mut expected = 0u64;
    while let Some(message) = socket.next().await {
        let now = Instant::now();
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let text = text.as_str();
        if let Some(rest) = text.strip_prefix(EVENT_PREFIX) {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let seq: u64 = rest[..digits].parse().unwrap_or(0);
            if expected != 0 && seq != expected {
                stats.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
            expected = seq + 1;
            if record && let Some(id) = parse_latency_id(text) {
                arrivals.push((id, now));
            }
            stats.events.fetch_add(1, Ordering::Relaxed);
            stats.last_seq.store(seq, Ordering::Relaxed);
        } else if text.starts_with(r#"{"type":"hello""#) {
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
        } else if text.starts_with(r#"{"type":"gap""#) {
            let gap: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let from = gap["from"].as_u64().unwrap_or(0);
            let to = gap["to"].as_u64().unwrap_or(0);
            stats.gaps.fetch_add(1, Ordering::Relaxed);
            stats
                .missed
                .fetch_add(to.saturating_sub(from) + 1, Ordering::Relaxed);
            expected = to + 1;
            stats.last_seq.store(to, Ordering::Relaxed);
        } else {
            stats.other.fetch_add(1, Ordering::Relaxed);
        }
    }
    arrivals
}

pub struct Subscribed {
    pub stats: Arc<SubStats>,
    pub task: JoinHandle<Vec<(u32, Instant)>>,
}

/// Connects to the stream at `url` (`ws://…/v1/stream[?…]`) and waits for its hello.
pub async fn subscribe(url: String, record: bool) -> Subscribed {
    let stats = Arc::new(SubStats::default());
    let (ready, is_ready) = oneshot::channel();
    let task = tokio::spawn(subscriber(url, Arc::clone(&stats), ready, record));
    tokio::time::timeout(Duration::from_secs(5), is_ready)
        .await
        .expect("the stream said hello within 5 s")
        .expect("the stream said hello");
    Subscribed { stats, task }
}

/// Waits until the subscriber has seen `last_seq` (true), or `limit` passed (false).
pub async fn drain(stats: &SubStats, last_seq: u64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while stats.last_seq.load(Ordering::Relaxed) < last_seq {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}
