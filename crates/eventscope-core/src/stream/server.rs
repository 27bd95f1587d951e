//! `GET /v1/stream`: a websocket of JSON frames — `hello`, then retained frames after `since`,
//! then live ones, with `gap` frames wherever frames will never arrive.
//!
//! A client may send `delivery` frames back on the same socket (a viewer's forwards and
//! replays): each is bounded and published to the hub like the proxy's, so every subscriber
//! and the recording get it. The socket's token and origin checks are its only gate; anything
//! else a client sends is ignored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::time::Instant;

use super::origin::is_allowed_origin;
use crate::hub::Hub;
use crate::model::{DeliveryFrame, Frame, Incoming, parse_frame_text};

/// Frames read from the hub per write (and at most `hub::READ_BYTES` of them); the socket is
/// flushed after each batch.
pub(crate) const BATCH: usize = 512;
/// A viewer sends pongs, a close and its `delivery` frames (bodies cut at 16 KiB each, the
/// carried ids trimmed to fit: `stream::client::MAX_PUBLISHED`): anything larger is refused,
/// not buffered.
pub(crate) const MAX_INCOMING: usize = 1024 * 1024;
/// How often a subscriber is pinged ([`Keepalive::default`]).
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// How long a pinged subscriber may stay silent before it is taken for dead.
pub const DEAD_AFTER: Duration = Duration::from_secs(30);

/// Pings that find subscribers whose peer went away without closing (a laptop lid, a dropped
/// network): such a socket would otherwise hold its slot until TCP gives up, many minutes later.
#[derive(Debug, Clone)]
pub struct Keepalive {
    /// A ping is sent this often.
    pub ping_every: Duration,
    /// A subscriber that sends nothing back (pong or any frame) for this long after a ping is
    /// due is closed, even while a write to it is stuck.
    pub dead_after: Duration,
    /// Counts the subscribers closed that way.
    pub closed: Arc<AtomicU64>,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            ping_every: PING_EVERY,
            dead_after: DEAD_AFTER,
            closed: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Why a stream token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "the stream token is empty (--token or EVENTSCOPE_TOKEN): an empty token would let \
         anyone read the stream; pass a secret, or unset EVENTSCOPE_TOKEN"
    )]
    Empty,
    #[error(
        "the stream token is only whitespace (--token or EVENTSCOPE_TOKEN); pass a real secret"
    )]
    Blank,
    #[error(
        "the stream token starts or ends with whitespace (--token or EVENTSCOPE_TOKEN), which \
         an Authorization header cannot carry; remove it"
    )]
    Padded,
}

/// Checks a stream token before anything listens or connects with it.
pub fn check_token(token: &str) -> Result<(), TokenError> {
    if token.is_empty() {
        Err(TokenError::Empty)
    } else if token.trim().is_empty() {
        Err(TokenError::Blank)
    } else if token.trim() != token {
        Err(TokenError::Padded)
    } else {
        Ok(())
    }
}

/// Who may open the stream.
#[derive(Debug, Clone, Default)]
pub struct StreamAccess {
    /// Required as `Authorization: Bearer T` or `?token=T` when set.
    pub token: Option<String>,
    /// Web origins allowed besides loopback pages.
    pub allowed_origins: Vec<String>,
}

#[derive(Clone)]
struct StreamState {
    hub: Arc<Hub>,
    access: Arc<StreamAccess>,
    keepalive: Keepalive,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    pub(crate) since: Option<u64>,
    token: Option<String>,
    /// The server instance the client last saw; if it changed, `since` refers to an old
    /// server's seqs and everything retained is sent instead. (Without it, a `since` ahead of
    /// the last seq is answered with a `gap` saying the server restarted, then everything
    /// retained: see `Hub::subscribe`.)
    pub(crate) instance: Option<String>,
}

pub fn routes(hub: Arc<Hub>, access: StreamAccess, keepalive: Keepalive) -> Router {
    Router::new()
        .route("/v1/stream", get(upgrade))
        .with_state(StreamState {
            hub,
            access: Arc::new(access),
            keepalive,
        })
}

pub(crate) fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({"success": false, "code": code, "message": message});
    (status, axum::Json(body)).into_response()
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings. An empty
/// secret matches nothing.
fn same_secret(a: &str, b: &str) -> bool {
    !b.is_empty()
        && a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The stream's gate, shared by `serve` and `relay`: an `Origin` header must name a loopback
/// page or an allowed origin, the query must parse, and a configured token must come as
/// `Authorization: Bearer T` or `?token=T`. The parsed query, or the answer refusing it.
pub(crate) fn admitted(
    access: &StreamAccess,
    headers: &HeaderMap,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StreamQuery, Box<Response>> {
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        if !is_allowed_origin(&origin, &access.allowed_origins) {
            tracing::warn!("refused a stream upgrade from origin {origin}");
            return Err(Box::new(refuse(
                StatusCode::FORBIDDEN,
                "origin_refused",
                format!(
                    "websocket upgrades from origin {origin} are refused: a web page must not read \
                     your events (allow one with --allow-origin)"
                ),
            )));
        }
    }
    let Query(query) = match query {
        Ok(query) => query,
        Err(e) => {
            return Err(Box::new(refuse(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("{e}; use ?since=SEQ (a whole number)"),
            )));
        }
    };
    if let Some(expected) = &access.token {
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let given = bearer.or(query.token.as_deref());
        match given {
            Some(given) if same_secret(given, expected) => {}
            Some(_) => {
                return Err(Box::new(refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the stream token is wrong".into(),
                )));
            }
            None => {
                return Err(Box::new(refuse(
                    StatusCode::UNAUTHORIZED,
                    "token_required",
                    "this stream needs a token: send Authorization: Bearer T or ?token=T".into(),
                )));
            }
        }
    }
    Ok(query)
}

async fn upgrade(
    State(state): State<StreamState>,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let query = match admitted(&state.access, &headers, query) {
        Ok(query) => query,
        Err(refused) => return *refused,
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let hub = state.hub;
    let since = match query.instance {
        Some(instance) if instance != hub.instance() => Some(0),
        _ => query.since,
    };
    let keepalive = state.keepalive;
    ws.max_message_size(MAX_INCOMING)
        .max_frame_size(MAX_INCOMING)
        .on_upgrade(move |socket| serve_subscriber(socket, hub, since, keepalive))
}

async fn serve_subscriber(
    socket: WebSocket,
    hub: Arc<Hub>,
    since: Option<u64>,
    keepalive: Keepalive,
) {
    let mut subscription = hub.subscribe(since);
    let (mut sink, mut incoming) = socket.split();
    let mut liveness = Liveness::new(&keepalive);
    let hello = Frame::Hello(subscription.hello().clone()).to_json();
    let mut outgoing = vec![Message::Text(hello.into())];
    loop {
        if liveness.ping_unsent {
            outgoing.push(Message::Ping(Default::default()));
            liveness.ping_unsent = false;
        }
        if !outgoing.is_empty() {
            // While the write is stuck (a peer that stopped reading, or vanished), pings fall
            // due and the peer's silence is still timed.
            let mut messages = futures_util::stream::iter(outgoing.drain(..).map(Ok));
            let send = sink.send_all(&mut messages);
            tokio::pin!(send);
            loop {
                let deadline = liveness.deadline();
                tokio::select! {
                    sent = &mut send => if sent.is_err() { return } else { break },
                    _ = hub.shut_down() => return,
                    _ = liveness.ping.tick() => liveness.ping_due(),
                    _ = until(deadline) => return liveness.close(),
                    message = incoming.next() => if !liveness.heard(published(&hub, message)) { return },
                }
            }
            continue;
        }
        let batch = subscription.read(BATCH);
        if !batch.is_empty() {
            if let Some(gap) = batch.gap {
                outgoing.push(Message::Text(Frame::Gap(gap).to_json().into()));
            }
            for frame in batch.frames {
                match Utf8Bytes::try_from(frame.json) {
                    Ok(text) => outgoing.push(Message::Text(text)),
                    Err(e) => tracing::error!(seq = frame.seq, "frame is not UTF-8: {e}"),
                }
            }
            continue;
        }
        let deadline = liveness.deadline();
        tokio::select! {
            alive = subscription.wait() => if !alive {
                let close = CloseFrame { code: 1001, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                return;
            },
            message = incoming.next() => if !liveness.heard(published(&hub, message)) { return },
            _ = liveness.ping.tick() => liveness.ping_due(),
            _ = until(deadline) => return liveness.close(),
        }
    }
}

/// Publishes a `delivery` frame the client sent; passes every message on to [`Liveness`].
fn published(
    hub: &Hub,
    message: Option<Result<Message, axum::Error>>,
) -> Option<Result<Message, axum::Error>> {
    if let Some(delivery) = sent_delivery(&message) {
        hub.publish_delivery(delivery);
    }
    message
}

/// The `delivery` frame (its forwards' results, bodies bounded) a viewer sent in `message`,
/// if it is one; other text is ignored.
pub(crate) fn sent_delivery(
    message: &Option<Result<Message, axum::Error>>,
) -> Option<DeliveryFrame> {
    let Some(Ok(Message::Text(text))) = message else {
        return None;
    };
    match parse_frame_text(text.as_str()) {
        Ok(Incoming::Frame(Frame::Delivery(delivery))) => Some(delivery.bounded()),
        _ => {
            tracing::debug!("ignored a text frame from a stream client");
            None
        }
    }
}

/// One subscriber's pings and the peer's silence.
pub(crate) struct Liveness {
    pub(crate) ping: tokio::time::Interval,
    dead_after: Duration,
    /// Since when the peer owes a sign of life: a ping fell due and nothing came back yet.
    owed_since: Option<Instant>,
    /// A ping fell due while a write was in progress; it goes out with the next write.
    pub(crate) ping_unsent: bool,
    closed: Arc<AtomicU64>,
}

impl Liveness {
    pub(crate) fn new(keepalive: &Keepalive) -> Self {
        let every = keepalive.ping_every.max(Duration::from_millis(1));
        let mut ping = tokio::time::interval_at(Instant::now() + every, every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        Liveness {
            ping,
            dead_after: keepalive.dead_after,
            owed_since: None,
            ping_unsent: false,
            closed: Arc::clone(&keepalive.closed),
        }
    }

    pub(crate) fn ping_due(&mut self) {
        self.owed_since.get_or_insert_with(Instant::now);
        self.ping_unsent = true;
    }

    /// Something arrived from the peer; false when the stream is over.
    pub(crate) fn heard(&mut self, message: Option<Result<Message, axum::Error>>) -> bool {
        match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => false,
            Some(Ok(_)) => {
                self.owed_since = None;
                true
            }
        }
    }

    /// When the peer counts as dead if it stays silent: only while a ping is owed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.owed_since.map(|since| since + self.dead_after)
    }

    pub(crate) fn close(&self) {
        self.closed.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            "closed a stream subscriber that answered no ping for {:?}",
            self.dead_after
        );
    }
}

/// Completes at `deadline`; never without one.
pub(crate) async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_or_padded_tokens_are_refused() {
        assert_eq!(check_token(""), Err(TokenError::Empty));
        assert_eq!(check_token(" \t"), Err(TokenError::Blank));
        assert_eq!(check_token(" s3cret"), Err(TokenError::Padded));
        assert_eq!(check_token("s3cret"), Ok(()));
    }

    #[test]
    fn secrets_compare_whole_and_an_empty_one_matches_nothing() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cre", "s3cret"));
        assert!(!same_secret("s3creT", "s3cret"));
        assert!(!same_secret("", ""));
    }
}
