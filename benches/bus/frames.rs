//! The collector's own bus messages, captured from the stream (subject, payload, and where
//! the messageId sits in it), and the bare `async-nats` publisher that sends them again, each
//! with a fresh messageId (`Nats-Msg-Id` and in the payload) and at most [`IN_FLIGHT`] acks in
//! flight.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage};
use bytes::Bytes;

use crate::client::Conn;
use crate::generator::Requests;
use crate::stamp::{Stamped, UNIQUE_DIGITS, UNIQUE_ID_PREFIX, find, fresh_ids, write_digits};

/// Acks in flight at most: as the collector's bus (`NatsBus::IN_FLIGHT`).
pub const IN_FLIGHT: usize = eventscope::bus::NatsBus::IN_FLIGHT;

/// One bus message as the collector published it.
pub struct Frame {
    pub subject: String,
    payload: Vec<u8>,
    /// Where the messageId's digits are in the payload (the message, and any copy of it).
    slots: Vec<usize>,
}

/// Posts the fixture's 600 messages (unique ids) to the collector at `addr` and reads back
/// from `stream` what it published for them, in order.
pub async fn capture(addr: SocketAddr, js: &jetstream::Context, stream: &str) -> Vec<Frame> {
    let mut stream = js
        .get_stream(stream)
        .await
        .expect("the collector made the stream");
    let before = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence;
    let mut source = Stamped::new(addr, 0);
    let mut conn = Conn::connect(addr).await.expect("connect to the collector");
    let mut messages = 0;
    for _ in 0..source.bodies() {
        let status = conn.round_trip(source.next()).await.expect("POST");
        assert_eq!(status, 200, "the collector took the fixture");
        messages += crate::common::BATCH_MESSAGES as u64;
    }
    let mut frames = Vec::with_capacity(messages as usize);
    for seq in before + 1..=before + messages {
        let message = stream
            .get_raw_message(seq)
            .await
            .expect("a captured message");
        let id = message
            .headers
            .get("Nats-Msg-Id")
            .expect("the collector sets Nats-Msg-Id")
            .to_string();
        assert!(id.starts_with(UNIQUE_ID_PREFIX), "{id}");
        let payload = message.payload.to_vec();
        let mut slots = Vec::new();
        let mut from = 0;
        while let Some(at) = find(&payload[from..], id.as_bytes()) {
            slots.push(from + at + UNIQUE_ID_PREFIX.len());
            from += at + id.len();
        }
        assert!(!slots.is_empty(), "the payload holds its messageId");
        frames.push(Frame {
            subject: message.subject.to_string(),
            payload,
            slots,
        });
    }
    frames
}

#[derive(Default)]
pub struct PublishCounters {
    pub stop: AtomicBool,
    /// Messages the bus acknowledged (stored; duplicates are counted apart).
    pub acked: AtomicU64,
    pub duplicates: AtomicU64,
    pub errors: AtomicU64,
    /// The stream sequence of the last ack.
    pub last_seq: AtomicU64,
}

/// Sends `frames` in turn (starting with the first), each with a fresh id, until `stop`:
/// as fast as the acks allow, or `rate` messages/s (in steps of 10 ms). Returns how many
/// messages it sent.
pub async fn publish(
    js: jetstream::Context,
    frames: Arc<Vec<Frame>>,
    rate: Option<u64>,
    counters: Arc<PublishCounters>,
) -> u64 {
    const STEP: Duration = Duration::from_millis(10);
    let mut next_id = fresh_ids();
    let mut in_flight: VecDeque<PublishAckFuture> = VecDeque::with_capacity(IN_FLIGHT);
    let mut ticker = tokio::time::interval(STEP);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let per_step = rate.map(|r| (r as f64 * STEP.as_secs_f64()).max(1.0));
    let mut owed = 0.0;
    let mut sent = 0u64;
    let mut id = format!("{UNIQUE_ID_PREFIX}{}", "0".repeat(UNIQUE_DIGITS)).into_bytes();
    while !counters.stop.load(Ordering::Relaxed) {
        let burst = match per_step {
            Some(per_step) => {
                ticker.tick().await;
                owed += per_step;
                let whole = owed.floor();
                owed -= whole;
                whole as u64
            }
            None => IN_FLIGHT as u64,
        };
        for _ in 0..burst {
            let frame = &frames[(sent % frames.len() as u64) as usize];
            let mut payload = frame.payload.clone();
            for &at in &frame.slots {
                write_digits(&mut payload[at..at + UNIQUE_DIGITS], next_id);
            }
            write_digits(&mut id[UNIQUE_ID_PREFIX.len()..], next_id);
            next_id += 1;
            let message_id = std::str::from_utf8(&id).expect("ascii id");
            let message = PublishMessage::build()
                .payload(Bytes::from(payload))
                .message_id(message_id);
            match js.send_publish(frame.subject.clone(), message).await {
                Ok(ack) => in_flight.push_back(ack),
                Err(_) => {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            sent += 1;
            while in_flight.len() >= IN_FLIGHT {
                settle(in_flight.pop_front(), &counters).await;
            }
        }
    }
    while let Some(ack) = in_flight.pop_front() {
        settle(Some(ack), &counters).await;
    }
    sent
}

async fn settle(ack: Option<PublishAckFuture>, counters: &PublishCounters) {
    let Some(ack) = ack else { return };
    match ack.await {
        Ok(ack) if ack.duplicate => counters.duplicates.fetch_add(1, Ordering::Relaxed),
        Ok(ack) => {
            counters.last_seq.fetch_max(ack.sequence, Ordering::Relaxed);
            counters.acked.fetch_add(1, Ordering::Relaxed)
        }
        Err(_) => counters.errors.fetch_add(1, Ordering::Relaxed),
    };
}

/// A JetStream context on its own connection, bounded like the collector's.
pub async fn connect(url: &str) -> jetstream::Context {
    let client = async_nats::connect(url)
        .await
        .expect("connect to nats-server");
    jetstream::ContextBuilder::new()
        .max_ack_inflight(IN_FLIGHT * 4)
        .backpressure_on_inflight(true)
        .build(client)
}
