//! The relay's side of the bus: the stream's state (first and last sequence, the instance it
//! is) and ordered consumers that read its frames from a sequence on, each frame given its
//! stream sequence as `seq`.
//!
//! Only what Debian's nats-server 2.9.10 has is used: one `filter_subject` per consumer at
//! most, never `filter_subjects` (2.9 ignores it silently).

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::{Stream, StreamExt};

use super::{BusError, StreamReport};

/// How long stream lookups and consumer creation wait for the server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a consumer's pull requests live. The client asks for an idle heartbeat every half
/// of it and recreates a consumer that missed two in a row (its server died), so a relay's
/// viewers wait about twice this after a leader is killed; with the client's default (30 s)
/// they waited a minute.
const PULL_EXPIRES: Duration = Duration::from_secs(3);
/// How soon a question the bus did not answer is asked again.
const ASK_AGAIN: Duration = Duration::from_millis(500);

/// What a relay knows of the stream when a viewer connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamState {
    /// The oldest sequence still held (`last_seq + 1` when the stream holds nothing).
    pub oldest_seq: u64,
    /// The newest sequence ever stored (0 before the first).
    pub last_seq: u64,
    /// Changes when the stream is deleted and created again (its sequences start over): the
    /// stream's name and creation time.
    pub instance: String,
}

/// One frame read from the bus, with its stream sequence.
#[derive(Debug, Clone)]
pub struct BusFrame {
    pub seq: u64,
    /// `evs.<src>.<type>.<d1>.<d2>`.
    pub subject: String,
    /// Messages for this consumer still in the stream after this one, when it was delivered
    /// (0: this reader has caught up with the stream).
    pub pending: u64,
    /// The frame's text as the collector published it (no `seq`).
    pub payload: bytes::Bytes,
}

/// Reads one JetStream stream.
pub struct NatsReader {
    jetstream: jetstream::Context,
    stream: String,
    servers: Vec<String>,
}

impl NatsReader {
    /// Connects to `servers`, waiting a few seconds for the first connection; a bus still down
    /// then is retried in the background (viewers get 503 `bus_unavailable` meanwhile), and
    /// one lost later is reconnected by itself.
    pub async fn connect(servers: Vec<String>, stream: String) -> Result<NatsReader, BusError> {
        let client = super::connection::connect(
            &servers,
            "eventscope relay",
            "viewers get 503 bus_unavailable",
        )
        .await?;
        let jetstream = jetstream::ContextBuilder::new()
            .timeout(REQUEST_TIMEOUT)
            .build(client);
        Ok(NatsReader {
            jetstream,
            stream,
            servers,
        })
    }

    /// `connected`, `connecting` or `disconnected`.
    pub fn connection_state(&self) -> &'static str {
        super::report::connection_state(&self.jetstream.client())
    }

    /// The stream as the server holds it now (for `/health`).
    pub async fn stream_report(&self) -> Result<StreamReport, BusError> {
        super::report::stream_report(&self.jetstream, &self.stream).await
    }

    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    /// The stream's state now; an error when it does not exist (no collector created it yet)
    /// or the bus does not answer.
    pub async fn state(&self) -> Result<StreamState, BusError> {
        let mut stream = self.stream().await?;
        let info = stream
            .info()
            .await
            .map_err(|e| BusError::Failed(format!("stream {}: {e}", self.stream)))?;
        let state = &info.state;
        Ok(StreamState {
            oldest_seq: match state.messages {
                0 => state.last_sequence + 1,
                _ => state.first_sequence,
            },
            last_seq: state.last_sequence,
            instance: instance_of(info),
        })
    }

    /// The stream's frames from sequence `start` on (the oldest held, when `start` is older),
    /// then live ones, through an ordered consumer (ephemeral, no acks; gone when dropped),
    /// only those on `filter_subject` when given; with the count of those the stream held when
    /// the consumer was created. It ends with an error when the stream is deleted or created
    /// again: the new stream's seqs must not pass for the old one's.
    pub async fn follow(
        &self,
        start: u64,
        filter_subject: Option<String>,
    ) -> Result<
        (
            u64,
            impl Stream<Item = Result<BusFrame, BusError>> + Send + use<>,
        ),
        BusError,
    > {
        let mut stream = self.stream().await?;
        let instance = stream
            .info()
            .await
            .map(instance_of)
            .map_err(|e| BusError::Failed(format!("stream {}: {e}", self.stream)))?;
        let config = consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: start.max(1),
            },
            filter_subject: filter_subject.unwrap_or_default(),
            max_expires: PULL_EXPIRES,
            ..consumer::pull::OrderedConfig::default()
        };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| BusError::Failed(format!("a consumer on {}: {e}", self.stream)))?;
        let held = consumer.cached_info().num_pending;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| BusError::Failed(format!("reading {}: {e}", self.stream)))?;
        let watch = Recreation {
            jetstream: self.jetstream.clone(),
            stream: self.stream.clone(),
            instance,
            consumer_seq: 0,
        };
        // Ends after the stream turned out deleted or created again. The client recreates a
        // consumer it lost (a reconnect, a new leader): its errors on the way are passed on,
        // not the end.
        let frames =
            futures_util::stream::unfold(Some((Box::pin(messages), watch)), |state| async move {
                let (mut messages, mut watch) = state?;
                let message = match messages.next().await? {
                    Ok(message) => message,
                    Err(e) => {
                        let error = BusError::Failed(e.to_string());
                        return Some((Err(error), Some((messages, watch))));
                    }
                };
                match watch.frame(message).await {
                    Ok(frame) => Some((Ok(frame), Some((messages, watch)))),
                    Err(e) => Some((Err(e), None)),
                }
            });
        Ok((held, frames))
    }

    async fn stream(&self) -> Result<stream::Stream, BusError> {
        self.jetstream
            .get_stream(&self.stream)
            .await
            .map_err(|e| BusError::Failed(format!("stream {}: {e}", self.stream)))
    }
}

/// A stream's identity: its name and creation time.
fn instance_of(info: &stream::Info) -> String {
    format!(
        "{}-{}",
        info.config.name,
        info.created.unix_timestamp_nanos()
    )
}

/// Watches an ordered consumer for the stream being created again. The consumer recreates
/// itself (from the last seq it saw) when the server loses it — a reconnect, a new leader, or
/// a stream deleted under it — and its consumer sequence then starts again at 1: that is when
/// (and at the first message) the stream's identity is checked, before the frame is passed on.
struct Recreation {
    jetstream: jetstream::Context,
    stream: String,
    instance: String,
    /// The consumer sequence of the last message (0 before any).
    consumer_seq: u64,
}

impl Recreation {
    async fn frame(&mut self, message: jetstream::Message) -> Result<BusFrame, BusError> {
        let info = message
            .info()
            .map_err(|e| BusError::Failed(format!("a message without its info: {e}")))?;
        let (seq, pending, consumer_seq) =
            (info.stream_sequence, info.pending, info.consumer_sequence);
        // The first message too: the consumer may have been made again before it.
        if consumer_seq <= self.consumer_seq || self.consumer_seq == 0 {
            self.same_stream().await?;
        }
        self.consumer_seq = consumer_seq;
        Ok(BusFrame {
            seq,
            pending,
            subject: message.message.subject.to_string(),
            payload: message.message.payload,
        })
    }

    /// An error when the stream is gone or is another instance than the one this reader
    /// started on. A bus that does not answer (a cluster electing a new leader) is asked again
    /// until it does: only its answer ends the reader.
    async fn same_stream(&self) -> Result<(), BusError> {
        loop {
            let info = match self.jetstream.get_stream(&self.stream).await {
                Ok(mut stream) => stream
                    .info()
                    .await
                    .map(instance_of)
                    .map_err(|e| e.to_string()),
                Err(e) if is_not_found(&e) => {
                    return Err(BusError::Failed(format!(
                        "stream {} was deleted",
                        self.stream
                    )));
                }
                Err(e) => Err(e.to_string()),
            };
            match info {
                Ok(instance) if instance == self.instance => return Ok(()),
                Ok(_) => {
                    return Err(BusError::Failed(format!(
                        "stream {} was deleted and created again: its seqs started over",
                        self.stream
                    )));
                }
                Err(e) => {
                    tracing::debug!("relay: is stream {} the same? no answer: {e}", self.stream);
                    tokio::time::sleep(ASK_AGAIN).await;
                }
            }
        }
    }
}

/// The server's "stream not found" (JetStream error 10059).
fn is_not_found(error: &jetstream::context::GetStreamError) -> bool {
    matches!(
        error.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(e)
            if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}

/// The frame's stream text: the bus's `{"type":"<kind>",…}` with `"seq":N` after the type, as
/// `serve` writes it. `None` for a payload no collector published.
pub fn sequenced(payload: &[u8], seq: u64) -> Option<String> {
    let text = std::str::from_utf8(payload).ok()?;
    let rest = text.strip_prefix("{\"type\":\"")?;
    let kind_end = rest.find("\",")?;
    let (kind, tail) = rest.split_at(kind_end);
    let tail = tail.strip_prefix("\",")?;
    if !kind.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some(format!("{{\"type\":\"{kind}\",\"seq\":{seq},{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seq_goes_after_the_type_as_serve_writes_it() {
        let framed = sequenced(br#"{"type":"event","receivedAt":"x"}"#, 42).unwrap();
        assert_eq!(framed, r#"{"type":"event","seq":42,"receivedAt":"x"}"#);
        let frame: serde_json::Value = serde_json::from_str(&framed).unwrap();
        assert_eq!(frame["seq"], 42);
        for odd in [
            &b"{}"[..],
            b"not json",
            br#"{"type":"a\"b","x":1}"#,
            b"\xff",
        ] {
            assert_eq!(sequenced(odd, 1), None, "{odd:?}");
        }
    }
}
