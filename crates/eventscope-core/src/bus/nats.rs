//! The bus on NATS JetStream: one connection (reconnecting by itself), the stream created
//! with the configured settings when missing, publishes pipelined within a bounded window of
//! messages in flight, each one done on its PubAck.
//!
//! Only what Debian's nats-server 2.9.10 has is used (async-nats is built without its
//! `server_2_10`+ features): no 2.10+ stream or consumer fields.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::jetstream::{self, message::PublishMessage, stream};
use futures_util::future::BoxFuture;
use tokio::sync::{Mutex, Semaphore};

use super::report::{self, StreamReport};
use super::{Acked, Bus, BusConfig, BusCounters, BusError, BusMessage, BusStatus, subject};

/// Messages in flight (sent, not yet acknowledged) across all requests, at most. A request
/// with more waits for room, in chunks of at most this many.
pub const IN_FLIGHT: usize = 1024;
/// How long a publish waits for its PubAck (and stream lookups for their answer).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);

pub struct NatsBus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    config: BusConfig,
    window: Semaphore,
    /// The stream is known to exist; cleared on a failed publish, so that a stream deleted
    /// (or a server replaced) under us is created again.
    stream_ready: AtomicBool,
    creating: Mutex<()>,
    counters: BusCounters,
}

impl NatsBus {
    /// Messages in flight at most ([`IN_FLIGHT`]).
    pub const IN_FLIGHT: usize = IN_FLIGHT;

    /// Connects to `config.servers`, waiting a few seconds for the first connection, and
    /// creates the stream if missing; a bus still down then is retried in the background
    /// until it comes up (publishes fail meanwhile).
    pub async fn connect(config: BusConfig) -> Result<Arc<NatsBus>, BusError> {
        let client = super::connection::connect(
            &config.servers,
            "eventscope collector",
            "requests get 503 bus_unavailable",
        )
        .await?;
        // Our window bounds what is in flight; the client's own bound is looser, so that acks
        // a failed publish left behind (released after ACK_TIMEOUT) never hold a new one up.
        let jetstream = jetstream::ContextBuilder::new()
            .timeout(ACK_TIMEOUT)
            .ack_timeout(ACK_TIMEOUT)
            .max_ack_inflight(IN_FLIGHT * 4)
            .backpressure_on_inflight(true)
            .build(client.clone());
        let bus = Arc::new(NatsBus {
            client,
            jetstream,
            config,
            window: Semaphore::new(IN_FLIGHT),
            stream_ready: AtomicBool::new(false),
            creating: Mutex::new(()),
            counters: BusCounters::default(),
        });
        // The stream exists from the start when the bus is up (else at the first publish).
        if bus.config.stream.create_if_missing
            && bus.client.connection_state() == State::Connected
            && let Err(e) = bus.ensure_stream().await
        {
            tracing::warn!("bus: {e}; trying again at the first publish");
        }
        Ok(bus)
    }

    /// The stream's configuration: every `evs.>` subject, limits retention, file storage.
    fn stream_config(&self) -> stream::Config {
        let settings = &self.config.stream;
        stream::Config {
            name: settings.name.clone(),
            subjects: vec![format!("{}.>", subject::PREFIX)],
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            storage: stream::StorageType::File,
            max_age: settings.max_age,
            max_bytes: i64::try_from(settings.max_bytes).unwrap_or(i64::MAX),
            num_replicas: settings.replicas,
            duplicate_window: settings.duplicate_window,
            ..stream::Config::default()
        }
    }

    /// Creates the stream if it does not exist (an existing one is used as it is), or with
    /// `create_if_missing` off, checks that it exists.
    async fn ensure_stream(&self) -> Result<(), BusError> {
        if self.stream_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let _creating = self.creating.lock().await;
        if self.stream_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let name = &self.config.stream.name;
        let failed = |e: &dyn std::fmt::Display| BusError::Failed(format!("stream {name}: {e}"));
        if self.config.stream.create_if_missing {
            self.jetstream
                .get_or_create_stream(self.stream_config())
                .await
                .map_err(|e| failed(&e))?;
        } else {
            self.jetstream
                .get_stream(name)
                .await
                .map_err(|e| failed(&e))?;
        }
        self.stream_ready.store(true, Ordering::Release);
        Ok(())
    }

    async fn publish_all(&self, messages: Vec<BusMessage>) -> Result<Acked, BusError> {
        let state = self.client.connection_state();
        if state != State::Connected {
            return Err(BusError::Disconnected(state.to_string()));
        }
        self.ensure_stream().await?;
        let mut acked = Acked::default();
        let mut messages = messages.into_iter().peekable();
        while messages.peek().is_some() {
            let chunk: Vec<BusMessage> = messages.by_ref().take(IN_FLIGHT).collect();
            // All of a chunk's room at once: a request never holds part of the window while
            // it waits for more, so concurrent requests cannot starve each other.
            let count = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            let _room = self
                .window
                .acquire_many(count)
                .await
                .map_err(|e| BusError::Failed(e.to_string()))?;
            let mut acks = Vec::with_capacity(chunk.len());
            for message in chunk {
                let mut publish = PublishMessage::build().payload(message.payload);
                if let Some(id) = &message.message_id {
                    publish = publish.message_id(id);
                }
                let ack = self
                    .jetstream
                    .send_publish(message.subject, publish)
                    .await
                    .map_err(publish_error)?;
                acks.push(ack);
            }
            for ack in acks {
                let ack = ack.await.map_err(publish_error)?;
                acked.last_seq = ack.sequence;
                acked.duplicates += u64::from(ack.duplicate);
            }
        }
        Ok(acked)
    }
}

fn publish_error(e: jetstream::context::PublishError) -> BusError {
    match e.kind() {
        jetstream::context::PublishErrorKind::TimedOut => BusError::Timeout(ACK_TIMEOUT),
        _ => BusError::Failed(e.to_string()),
    }
}

impl Bus for NatsBus {
    fn publish(&self, messages: Vec<BusMessage>) -> BoxFuture<'_, Result<Acked, BusError>> {
        Box::pin(async move {
            let started = Instant::now();
            let count = messages.len() as u64;
            match self.publish_all(messages).await {
                Ok(acked) => {
                    self.counters.acked(count, acked, started.elapsed());
                    Ok(acked)
                }
                Err(e) => {
                    self.counters.failed();
                    // The stream may be gone (a server replaced, a stream deleted): the next
                    // publish looks it up again. Not after a timeout or a lost connection: a
                    // cluster electing a new leader answers nothing for a while, and a lookup
                    // then would only wait out its own timeout too.
                    if !matches!(e, BusError::Timeout(_) | BusError::Disconnected(_)) {
                        self.stream_ready.store(false, Ordering::Release);
                    }
                    Err(e)
                }
            }
        })
    }

    fn stream_report(&self) -> BoxFuture<'_, Result<StreamReport, BusError>> {
        Box::pin(report::stream_report(
            &self.jetstream,
            &self.config.stream.name,
        ))
    }

    fn status(&self) -> BusStatus {
        use std::sync::atomic::Ordering::Relaxed;
        let counters = &self.counters;
        BusStatus {
            kind: "nats",
            servers: self.config.servers.clone(),
            stream: self.config.stream.name.clone(),
            state: report::connection_state(&self.client),
            last_ack_seq: counters.last_ack_seq.load(Relaxed),
            published: counters.published.load(Relaxed),
            duplicates: counters.duplicates.load(Relaxed),
            unavailable: counters.unavailable.load(Relaxed),
            publish_latency_ms: counters.latency(),
        }
    }
}
