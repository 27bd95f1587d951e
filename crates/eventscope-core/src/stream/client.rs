//! Following a stream: connect, reconnect with backoff, resume from the last seq seen without
//! duplicates. Also reads plain sources — websockets whose messages are bare Segment messages
//! or `{"batch":[…]}` objects — turning them into event frames with local seqs.
//!
//! [`follow_publishing`] also sends the owner's `delivery` frames to the server on the same
//! socket (the server publishes them to every subscriber and its recording).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::budget::{self, Weigh};
use crate::model::{DeliveryFrame, EventFrame, Frame, Hello, Incoming, parse_frame_text};

/// A `delivery` frame sent to the server is at most this long (the server refuses messages
/// over 1 MiB and would drop the connection): longer ones lose carried ids until they fit.
pub const MAX_PUBLISHED: usize = 512 * 1024;

/// Events waiting for the owner: at most this many …
const QUEUED: usize = 1024;
/// … and about this many bytes of frames (a stream's frames are as large as its peer makes
/// them); the socket is not read meanwhile, so the server sees a slow reader.
pub const QUEUED_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `ws://host:port[/v1/stream]`, `http://…` (turned into `ws://…/v1/stream`), or `host:port`.
    pub url: String,
    pub token: Option<String>,
    /// Start after this seq (`Some(0)`: everything retained); `None`: live frames only.
    pub since: Option<u64>,
}

/// What the client tells its owner.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // frames are moved once, not stored in bulk
pub enum ClientEvent {
    /// Connected. `hello` is `None` for a plain source. `restarted`: the server is a new
    /// instance since the last connection (or its last seq is behind where we were), so its
    /// seqs started again.
    Connected {
        hello: Option<Hello>,
        restarted: bool,
    },
    /// A frame, with its exact text as received (or, for plain sources, as built here).
    Frame { text: String, frame: Frame },
    /// Text that is neither a frame nor Segment data; skipped.
    Skipped { reason: String },
    /// The connection failed or dropped; the next attempt starts after `retry_in`.
    Reconnecting { error: String, retry_in: Duration },
    /// The client stops: the server refused us, or the URL is unusable.
    Fatal(ClientError),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("{url} refused the connection: {status} {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
    #[error("bad stream URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
}

impl ClientError {
    /// A refusal that retrying will not fix (a wrong or missing token, a refused origin).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            ClientError::Refused {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// Normalizes a user-given address into the stream's websocket URL (without query).
pub fn stream_url(url: &str) -> Result<String, ClientError> {
    let bad = |reason: &str| ClientError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = url.trim();
    let (scheme, rest) = match trimmed.split_once("://") {
        Some(("http" | "ws", rest)) => ("ws", rest),
        Some(("https" | "wss", rest)) => ("wss", rest),
        Some((other, _)) => return Err(bad(&format!("unknown scheme {other}://; use ws://"))),
        None => ("ws", trimmed),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(bad("no host"));
    }
    let path = if path.is_empty() || path == "/" {
        "/v1/stream"
    } else {
        path
    };
    Ok(format!("{scheme}://{authority}{path}"))
}

fn with_query(url: &str, pairs: &[(&str, String)]) -> String {
    let mut out = url.to_string();
    for (key, value) in pairs {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

impl Weigh for ClientEvent {
    fn weight(&self) -> usize {
        let strings = match self {
            // The text, and the frame parsed from it (its message is a copy of the text's).
            ClientEvent::Frame { text, .. } => 2 * text.len(),
            ClientEvent::Skipped { reason } => reason.len(),
            ClientEvent::Reconnecting { error, .. } => error.len(),
            ClientEvent::Connected { .. } | ClientEvent::Fatal(_) => 0,
        };
        std::mem::size_of::<ClientEvent>() + strings
    }
}

/// Starts following `options.url` in the background; events arrive on the returned channel
/// (bounded in count and in bytes, [`QUEUED_BYTES`]). The client stops after a `Fatal` event
/// or when the receiver is dropped.
pub fn follow(options: ClientOptions) -> budget::Receiver<ClientEvent> {
    let (tx, rx) = budget::channel(QUEUED, QUEUED_BYTES);
    tokio::spawn(run(options, tx, None));
    rx
}

/// As [`follow`], and sends each frame of `deliveries` to the server while connected (frames
/// wait in the channel while it reconnects; one whose write fails is lost with the socket).
pub fn follow_publishing(
    options: ClientOptions,
    deliveries: tokio::sync::mpsc::Receiver<DeliveryFrame>,
) -> budget::Receiver<ClientEvent> {
    let (tx, rx) = budget::channel(QUEUED, QUEUED_BYTES);
    tokio::spawn(run(options, tx, Some(deliveries)));
    rx
}

/// `frame` as the text of a `delivery` frame of at most [`MAX_PUBLISHED`] bytes; `None` when
/// even trimmed it is longer.
pub fn publishable(frame: DeliveryFrame) -> Option<String> {
    let mut frame = frame.bounded();
    frame.seq = None;
    for keep in [usize::MAX, 1_000, 10] {
        frame.for_seqs.truncate(keep);
        frame.message_ids.truncate(keep);
        frame.events.truncate(keep);
        frame.users.truncate(keep);
        let text = Frame::Delivery(frame.clone()).to_json();
        if text.len() <= MAX_PUBLISHED {
            return Some(text);
        }
    }
    None
}

/// Where the client is in the stream, carried across reconnections.
#[derive(Default)]
struct Position {
    last_seq: Option<u64>,
    instance: Option<String>,
    plain_seq: u64,
    /// After a hello behind our position: the `gap` the server sends first (its seqs are the
    /// old instance's), which must not move the position past the frames that follow.
    restart_gap: Option<(u64, u64)>,
}

const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// How long to wait before reconnecting: doubling from [`FIRST_RETRY`] up to [`MAX_RETRY`]
/// while attempts fail, and back to the first step after a connection that delivered frames
/// (a hello counts), however short it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_RETRY }
    }
}

impl Backoff {
    /// The wait (before jitter) after a connection ended; `delivered`: it received frames.
    pub fn after(&mut self, delivered: bool) -> Duration {
        if delivered {
            self.next = FIRST_RETRY;
        }
        let wait = self.next;
        self.next = (self.next * 2).min(MAX_RETRY);
        wait
    }
}

type Outgoing = Option<tokio::sync::mpsc::Receiver<DeliveryFrame>>;

async fn run(options: ClientOptions, tx: budget::Sender<ClientEvent>, mut outgoing: Outgoing) {
    let base = match stream_url(&options.url) {
        Ok(base) => base,
        Err(e) => {
            let _ = tx.send(ClientEvent::Fatal(e)).await;
            return;
        }
    };
    let mut position = Position {
        last_seq: options.since,
        ..Position::default()
    };
    let mut backoff = Backoff::default();
    loop {
        let mut delivered = false;
        let ended = session(
            &base,
            &options,
            &mut position,
            &mut delivered,
            &tx,
            &mut outgoing,
        )
        .await;
        let error = match ended {
            Ok(()) => "the server closed the stream".to_string(),
            Err(SessionEnd::Fatal(e)) => {
                let _ = tx.send(ClientEvent::Fatal(e)).await;
                return;
            }
            Err(SessionEnd::ReceiverGone) => return,
            Err(SessionEnd::Failed(e)) => e,
        };
        let retry_in = jittered(backoff.after(delivered));
        let event = ClientEvent::Reconnecting { error, retry_in };
        if tx.send(event).await.is_err() {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

/// ±20 % so that many viewers of one server do not reconnect in lockstep.
fn jittered(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let factor = 0.8 + f64::from(nanos % 1000) / 1000.0 * 0.4;
    d.mul_f64(factor)
}

enum SessionEnd {
    Fatal(ClientError),
    Failed(String),
    ReceiverGone,
}

async fn session(
    base: &str,
    options: &ClientOptions,
    position: &mut Position,
    delivered: &mut bool,
    tx: &budget::Sender<ClientEvent>,
    outgoing: &mut Outgoing,
) -> Result<(), SessionEnd> {
    let mut query = Vec::new();
    if let Some(since) = position.last_seq {
        query.push(("since", since.to_string()));
    }
    if let Some(instance) = &position.instance {
        query.push(("instance", instance.clone()));
    }
    let url = with_query(base, &query);
    let mut request = url.as_str().into_client_request().map_err(|e| {
        SessionEnd::Fatal(ClientError::BadUrl {
            url: base.to_string(),
            reason: e.to_string(),
        })
    })?;
    if let Some(token) = &options.token {
        let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            SessionEnd::Fatal(ClientError::BadUrl {
                url: base.to_string(),
                reason: "the token has characters a header cannot carry".into(),
            })
        })?;
        request.headers_mut().insert("Authorization", value);
    }
    crate::install_tls_provider();
    let (socket, _) = match tokio_tungstenite::connect_async(request).await {
        Ok(connected) => connected,
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let message = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| response.status().to_string());
            let error = ClientError::Refused {
                url: base.to_string(),
                status,
                message,
            };
            return Err(if error.is_auth() {
                SessionEnd::Fatal(error)
            } else {
                SessionEnd::Failed(error.to_string())
            });
        }
        Err(tungstenite::Error::Url(e)) => {
            return Err(SessionEnd::Fatal(ClientError::BadUrl {
                url: base.to_string(),
                reason: e.to_string(),
            }));
        }
        Err(e) => return Err(SessionEnd::Failed(format!("{base}: {e}"))),
    };
    let (mut sink, mut stream) = socket.split();
    let mut announced = false;
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            Some(frame) = next_outgoing(outgoing) => {
                if let Some(text) = publishable(frame) {
                    sink.send(Message::Text(text.into()))
                        .await
                        .map_err(|e| SessionEnd::Failed(format!("{base}: {e}")))?;
                }
                continue;
            }
        };
        let Some(message) = message else { break };
        let text = match message {
            Ok(Message::Text(text)) => text.to_string(),
            Ok(Message::Binary(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(Message::Ping(payload)) => {
                let _ = sink.send(Message::Pong(payload)).await;
                continue;
            }
            Ok(Message::Close(_)) => return Ok(()),
            Ok(_) => continue,
            Err(e) => return Err(SessionEnd::Failed(format!("{base}: {e}"))),
        };
        *delivered = true;
        for event in position.accept(text, base, &mut announced) {
            tx.send(event).await.map_err(|_| SessionEnd::ReceiverGone)?;
        }
    }
    Ok(())
}

/// The next frame to publish; never, without a channel (or once it is closed).
async fn next_outgoing(outgoing: &mut Outgoing) -> Option<DeliveryFrame> {
    match outgoing {
        Some(rx) => match rx.recv().await {
            Some(frame) => Some(frame),
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

impl Position {
    /// Turns one received text into events, dropping frames already delivered.
    fn accept(&mut self, text: String, base: &str, announced: &mut bool) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        let incoming = match parse_frame_text(&text) {
            Ok(incoming) => incoming,
            Err(e) => {
                events.push(ClientEvent::Skipped {
                    reason: format!("{e}: {}", preview(&text)),
                });
                return events;
            }
        };
        match incoming {
            Incoming::Frame(Frame::Hello(hello)) => {
                let new_instance = self
                    .instance
                    .as_ref()
                    .is_some_and(|known| *known != hello.instance);
                // Behind where we were, without our knowing its instance (`tail --since N`
                // after a restart): the server sends a gap from its last seq + 1 to ours,
                // then everything it retains, from its first seq.
                let behind =
                    !new_instance && self.last_seq.is_some_and(|last| last > hello.last_seq);
                self.restart_gap = self
                    .last_seq
                    .filter(|_| behind)
                    .map(|last| (hello.last_seq + 1, last));
                let restarted = new_instance || behind;
                if restarted {
                    self.last_seq = None;
                }
                self.instance = Some(hello.instance.clone());
                *announced = true;
                events.push(ClientEvent::Connected {
                    hello: Some(hello),
                    restarted,
                });
            }
            Incoming::Frame(frame) => {
                if let Some(expected) = self.restart_gap.take()
                    && let Frame::Gap(gap) = &frame
                    && (gap.from, gap.to) == expected
                {
                    events.push(ClientEvent::Frame { text, frame });
                    return events;
                }
                let duplicate = match (&frame, self.last_seq) {
                    (Frame::Gap(gap), Some(last)) => gap.to <= last,
                    (frame, Some(last)) => frame.seq().is_some_and(|seq| seq <= last),
                    _ => false,
                };
                if !duplicate {
                    let reached = match &frame {
                        Frame::Gap(gap) => Some(gap.to),
                        frame => frame.seq(),
                    };
                    if let Some(reached) = reached {
                        self.last_seq = Some(self.last_seq.map_or(reached, |l| l.max(reached)));
                    }
                    events.push(ClientEvent::Frame { text, frame });
                }
            }
            Incoming::Messages(messages) => {
                if !*announced {
                    *announced = true;
                    events.push(ClientEvent::Connected {
                        hello: None,
                        restarted: false,
                    });
                }
                for message in messages {
                    self.plain_seq += 1;
                    let frame = Frame::Event(EventFrame::from_plain(self.plain_seq, message, base));
                    events.push(ClientEvent::Frame {
                        text: frame.to_json(),
                        frame,
                    });
                }
            }
        }
        events
    }
}

fn preview(text: &str) -> String {
    crate::model::cut_to(text, 120).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_stream_urls() {
        let ok = |u: &str| stream_url(u).unwrap();
        assert_eq!(ok("http://127.0.0.1:8707"), "ws://127.0.0.1:8707/v1/stream");
        assert_eq!(ok("ws://127.0.0.1:8707/"), "ws://127.0.0.1:8707/v1/stream");
        assert_eq!(ok("127.0.0.1:8707"), "ws://127.0.0.1:8707/v1/stream");
        assert_eq!(
            ok("https://es.example/v1/stream"),
            "wss://es.example/v1/stream"
        );
        assert_eq!(ok("ws://h:1/other?x=1"), "ws://h:1/other?x=1");
        assert!(stream_url("ftp://x").is_err());
        assert!(stream_url("ws:///v1").is_err());
        assert_eq!(
            with_query("ws://h/v1/stream?token=t", &[("since", "5".into())]),
            "ws://h/v1/stream?token=t&since=5"
        );
    }

    fn frames(events: &[ClientEvent]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Frame { frame, .. } => frame.seq(),
                _ => None,
            })
            .collect()
    }

    fn event_text(seq: u64) -> String {
        format!(
            r#"{{"type":"event","seq":{seq},"receivedAt":"t","source":{{"path":"/v1/t"}},"message":{{}}}}"#
        )
    }

    #[test]
    fn drops_duplicates_and_resets_on_a_new_instance() {
        let mut position = Position::default();
        let mut announced = false;
        let hello = |i: &str| {
            format!(
                r#"{{"type":"hello","version":1,"server":"s","instance":"{i}","lastSeq":0,"oldestSeq":1}}"#
            )
        };
        position.accept(hello("a"), "ws://x", &mut announced);
        let mut seen = Vec::new();
        for seq in [1, 2, 2, 1, 3] {
            seen.extend(frames(&position.accept(
                event_text(seq),
                "ws://x",
                &mut announced,
            )));
        }
        assert_eq!(seen, [1, 2, 3]);
        let events = position.accept(hello("b"), "ws://x", &mut announced);
        assert!(matches!(
            events[0],
            ClientEvent::Connected {
                restarted: true,
                ..
            }
        ));
        assert_eq!(
            frames(&position.accept(event_text(1), "ws://x", &mut announced)),
            [1]
        );
    }

    #[test]
    fn backoff_doubles_while_attempts_fail_and_resets_after_frames() {
        let mut backoff = Backoff::default();
        let waits: Vec<u128> = (0..7).map(|_| backoff.after(false).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
        // A connection that delivered frames, however short: the first step again …
        assert_eq!(backoff.after(true), FIRST_RETRY);
        // … and doubling again only if the next attempts fail.
        assert_eq!(backoff.after(false).as_millis(), 500);
        assert_eq!(backoff.after(true), FIRST_RETRY);
        assert_eq!(backoff.after(true), FIRST_RETRY);
        let jittered = jittered(FIRST_RETRY).as_millis();
        assert!((200..=300).contains(&jittered), "{jittered}");
    }

    #[test]
    fn a_server_behind_our_position_restarts_it_after_its_gap() {
        let mut position = Position {
            last_seq: Some(3000),
            ..Position::default()
        };
        let mut announced = false;
        let hello = r#"{"type":"hello","version":1,"server":"s","instance":"b","lastSeq":300,"oldestSeq":1}"#;
        let events = position.accept(hello.into(), "ws://x", &mut announced);
        assert!(matches!(
            events[0],
            ClientEvent::Connected {
                restarted: true,
                ..
            }
        ));
        let gap = r#"{"type":"gap","from":301,"to":3000,"reason":"the server restarted"}"#;
        let events = position.accept(gap.into(), "ws://x", &mut announced);
        assert!(
            matches!(&events[0], ClientEvent::Frame { frame: Frame::Gap(g), .. } if g.to == 3000)
        );
        let mut seen = Vec::new();
        for seq in [1, 2, 300, 301] {
            seen.extend(frames(&position.accept(
                event_text(seq),
                "ws://x",
                &mut announced,
            )));
        }
        assert_eq!(
            seen,
            [1, 2, 300, 301],
            "the retained frames are not duplicates"
        );
        assert_eq!(position.last_seq, Some(301));
    }

    #[test]
    fn plain_messages_get_local_seqs() {
        let mut position = Position::default();
        let mut announced = false;
        let events = position.accept(
            r#"{"batch":[{"type":"track"},{"type":"page"}]}"#.into(),
            "ws://x",
            &mut announced,
        );
        assert!(matches!(
            events[0],
            ClientEvent::Connected { hello: None, .. }
        ));
        assert_eq!(frames(&events), [1, 2]);
        let events = position.accept("not json".into(), "ws://x", &mut announced);
        assert!(matches!(events[0], ClientEvent::Skipped { .. }));
    }
}
