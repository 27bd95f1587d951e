//! The bus: beyond one machine, collectors publish every frame to a distributed log (NATS
//! JetStream) and answer the SDK once the log has it. The [`Bus`] trait is the seam (a
//! Kafka/Redpanda publisher could follow); [`NatsBus`] is the JetStream implementation;
//! [`subject`] is the layout frames are published under.
//!
//! A frame on the bus is its stream text without a `seq` (`{"type":"event","receivedAt":…}`):
//! its sequence number is the one the log gives it (the JetStream stream sequence), which a
//! relay puts in when it serves the frame.

mod connection;
mod detached;
mod narrowing;
mod nats;
mod reader;
mod report;
mod settings;
pub mod subject;

pub use detached::Detached;
pub use narrowing::{Narrowing, NarrowingQuery};
pub use nats::NatsBus;
pub use reader::{BusFrame, NatsReader, StreamState, sequenced};
pub use report::{REPORT_TIMEOUT, StreamReport};
pub use settings::{
    BusConfig, DEFAULT_MAX_AGE, DEFAULT_MAX_BYTES, DEFAULT_REPLICAS, DEFAULT_STREAM,
    DUPLICATE_WINDOW, StreamSettings, parse_bus_url, parse_stream_name,
};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;

/// One frame on its way to the bus.
#[derive(Debug, Clone)]
pub struct BusMessage {
    /// `evs.<src>.<type>.<d1>.<d2>` ([`subject`]).
    pub subject: String,
    /// The message's `messageId`: the bus stores a retry within its duplicate window once.
    pub message_id: Option<String>,
    /// The frame's JSON text, without a `seq`.
    pub payload: Bytes,
}

/// What the bus acknowledged for one [`Bus::publish`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acked {
    /// The log's sequence of the last message (for a duplicate: the original's).
    pub last_seq: u64,
    /// Messages the bus already had (the same messageId within the window).
    pub duplicates: u64,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    #[error("the bus is not connected ({0})")]
    Disconnected(String),
    #[error("the bus did not acknowledge within {0:?}")]
    Timeout(Duration),
    #[error("the bus could not take the message: {0}")]
    Failed(String),
    #[error("cannot use the bus: {0}")]
    Config(String),
}

/// A point-in-time view of the bus, for `/health`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BusStatus {
    /// `nats`.
    pub kind: &'static str,
    pub servers: Vec<String>,
    pub stream: String,
    /// `connected`, `connecting` or `disconnected`.
    pub state: &'static str,
    /// The stream sequence of the last acknowledged message (0 before the first).
    pub last_ack_seq: u64,
    /// Messages acknowledged (duplicates included).
    pub published: u64,
    /// Messages the bus already had (a retried messageId within the window).
    pub duplicates: u64,
    /// Publishes that failed (the SDK was answered 503 `bus_unavailable`).
    pub unavailable: u64,
    /// How long the last publish took from sending to its last ack, and the mean of all.
    pub publish_latency_ms: Latency,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Latency {
    pub last: f64,
    pub mean: f64,
}

/// Publishes frames to a distributed log.
pub trait Bus: Send + Sync {
    /// Publishes `messages` in order, pipelined, and completes once the bus has acknowledged
    /// every one (stored, or a duplicate it already had), or with the first failure.
    fn publish(&self, messages: Vec<BusMessage>) -> BoxFuture<'_, Result<Acked, BusError>>;

    /// The stream as the bus's server holds it now (for `/health`), within a second.
    fn stream_report(&self) -> BoxFuture<'_, Result<StreamReport, BusError>>;

    fn status(&self) -> BusStatus;
}

/// Counters every bus keeps for its [`BusStatus`].
#[derive(Debug, Default)]
struct BusCounters {
    last_ack_seq: AtomicU64,
    published: AtomicU64,
    duplicates: AtomicU64,
    unavailable: AtomicU64,
    publishes: AtomicU64,
    latency_total_us: AtomicU64,
    latency_last_us: AtomicU64,
}

impl BusCounters {
    fn acked(&self, count: u64, acked: Acked, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.last_ack_seq
            .fetch_max(acked.last_seq, Ordering::Relaxed);
        self.published.fetch_add(count, Ordering::Relaxed);
        self.duplicates
            .fetch_add(acked.duplicates, Ordering::Relaxed);
        self.publishes.fetch_add(1, Ordering::Relaxed);
        self.latency_total_us.fetch_add(us, Ordering::Relaxed);
        self.latency_last_us.store(us, Ordering::Relaxed);
    }

    fn failed(&self) {
        self.unavailable.fetch_add(1, Ordering::Relaxed);
    }

    fn latency(&self) -> Latency {
        let publishes = self.publishes.load(Ordering::Relaxed);
        let total = self.latency_total_us.load(Ordering::Relaxed) as f64;
        Latency {
            last: self.latency_last_us.load(Ordering::Relaxed) as f64 / 1000.0,
            mean: match publishes {
                0 => 0.0,
                n => total / n as f64 / 1000.0,
            },
        }
    }
}
