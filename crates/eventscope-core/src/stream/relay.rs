//! `GET /v1/stream` served from the bus (`eventscope relay`): the same contract as `serve`'s
//! (`hello`, then frames after `since`, then live ones, `gap` where frames will never
//! arrive), with `seq` the JetStream stream sequence and `instance` the stream's identity.
//!
//! Live viewers share one consumer per distinct narrowing (the [`Feeds`]'s ring, read at
//! each viewer's pace: a slow viewer gets a gap, never holds back the others); a viewer
//! resuming with `since` reads through a short-lived ordered consumer of its own until it has
//! caught up, then the feed. `?types=`, `?sample=` and `?source=` narrow it on the server (one
//! `filter_subject`: [`Narrowing`]). What the stream no longer holds (its limits dropped it)
//! shows as a `gap` whose reason starts with `retention`.

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use tokio_util::sync::CancellationToken;

use super::feed::{Feed, Feeds};
use super::server::{
    BATCH, Keepalive, Liveness, MAX_INCOMING, StreamAccess, StreamQuery, admitted, refuse,
    sent_delivery, until,
};
use super::source::{Next, Source, retention};
use crate::bus::{BusError, Detached, Narrowing, NarrowingQuery, NatsReader, StreamState};
use crate::hub::{Mirror, PendingFrame};
use crate::model::{Frame, GapFrame, Hello, RelayOrigin, STREAM_VERSION, server_name};

#[derive(Clone)]
struct RelayState {
    reader: Arc<NatsReader>,
    feeds: Arc<Feeds>,
    /// Viewers' `delivery` frames on their way to the bus.
    deliveries: Arc<Detached>,
    access: Arc<StreamAccess>,
    keepalive: Keepalive,
    shutdown: CancellationToken,
}

/// The relay's `/v1/stream`, its live viewers sharing `feeds`, their `delivery` frames put on
/// the bus through `deliveries`; they are closed (1001) when `shutdown` is cancelled.
pub(crate) fn relay_routes(
    reader: Arc<NatsReader>,
    feeds: Arc<Feeds>,
    deliveries: Arc<Detached>,
    access: StreamAccess,
    keepalive: Keepalive,
    shutdown: CancellationToken,
) -> Router {
    Router::new()
        .route("/v1/stream", get(upgrade))
        .with_state(RelayState {
            feeds,
            deliveries,
            reader,
            access: Arc::new(access),
            keepalive,
            shutdown,
        })
}

async fn upgrade(
    State(state): State<RelayState>,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    narrowing: Result<Query<NarrowingQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let query = match admitted(&state.access, &headers, query) {
        Ok(query) => query,
        Err(refused) => return *refused,
    };
    let narrowing = match narrowing
        .map_err(|e| e.to_string())
        .and_then(|Query(narrowing)| Narrowing::parse(&narrowing))
    {
        Ok(narrowing) => narrowing,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "bad_query", e),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    // Every viewer joins its narrowing's feed before the stream's state is read: the feed
    // then holds every frame after the hello's lastSeq (a live viewer reads it from there; one
    // resuming reads its own consumer until it catches up, then the feed).
    let feed = match state.feeds.join(&narrowing).await {
        Ok(feed) => feed,
        Err(e) => return unavailable(&e),
    };
    let live = query.since.is_none() && query.instance.is_none();
    // Asked before the upgrade: a viewer of a bus that is down (or of a stream no collector
    // created yet) gets a 503 and retries, as clients do.
    let stream = match state.reader.state().await {
        Ok(stream) => stream,
        Err(e) => return unavailable(&e),
    };
    let since = match &query.instance {
        Some(instance) if *instance != stream.instance => Some(0),
        _ => query.since,
    };
    let plan = Plan::new(&stream, since);
    let hello = Hello {
        version: STREAM_VERSION,
        server: server_name(),
        instance: stream.instance,
        last_seq: stream.last_seq,
        oldest_seq: stream.oldest_seq,
        relay: Some(RelayOrigin {
            bus: "nats".into(),
            stream: state.reader.stream_name().to_string(),
        }),
    };
    ws.max_message_size(MAX_INCOMING)
        .max_frame_size(MAX_INCOMING)
        .on_upgrade(move |socket| serve_viewer(socket, state, hello, plan, narrowing, feed, live))
}

fn unavailable(error: &BusError) -> Response {
    tracing::warn!("relay: refused a viewer: {error}");
    let mut response = refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "bus_unavailable",
        format!("the relay cannot read the bus: {error}"),
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("2"),
    );
    response
}

/// Where a viewer starts reading, and the gap it is told about first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    start: u64,
    gap: Option<GapFrame>,
}

impl Plan {
    /// `None`: live frames only; `Some(n)`: every frame after `n` still held. A `since` ahead
    /// of the stream's last seq counts another stream's seqs: a gap, then everything held
    /// (as `serve` answers a client of a restarted server).
    fn new(stream: &StreamState, since: Option<u64>) -> Plan {
        let start = match since {
            None => {
                return Plan {
                    start: stream.last_seq + 1,
                    gap: None,
                };
            }
            Some(since) if since > stream.last_seq => {
                return Plan {
                    start: stream.oldest_seq,
                    gap: Some(GapFrame {
                        from: stream.last_seq + 1,
                        to: since,
                        reason: format!(
                            "resume point {since} is ahead of the stream's last seq {}: the \
                             stream was recreated; sending everything it holds",
                            stream.last_seq
                        ),
                    }),
                };
            }
            Some(since) => since + 1,
        };
        // The stream starts where it still holds frames; what it dropped is said first.
        Plan {
            start: start.max(stream.oldest_seq),
            gap: (start < stream.oldest_seq).then(|| retention(start, stream.oldest_seq - 1)),
        }
    }
}

async fn serve_viewer(
    socket: WebSocket,
    state: RelayState,
    hello: Hello,
    plan: Plan,
    narrowing: Narrowing,
    feed: Arc<Feed>,
    live: bool,
) {
    let (mut sink, mut incoming) = socket.split();
    let mut liveness = Liveness::new(&state.keepalive);
    let mut outgoing = vec![Message::Text(Frame::Hello(hello).to_json().into())];
    if let Some(gap) = plan.gap {
        outgoing.push(Message::Text(Frame::Gap(gap).to_json().into()));
    }
    let mut source = match live {
        true => Source::shared(feed, plan.start - 1),
        false => match state
            .reader
            .follow(plan.start, narrowing.filter_subject())
            .await
        {
            // Nothing to catch up on: straight to the feed.
            Ok((0, _)) => Source::shared(feed, plan.start - 1),
            Ok((_, frames)) => Source::Own {
                frames: Box::pin(frames),
                narrowing,
                expected: plan.start,
                feed,
            },
            Err(e) => {
                tracing::warn!("relay: cannot follow the stream: {e}");
                let close = CloseFrame {
                    code: 1011,
                    reason: "the relay cannot read the bus".into(),
                };
                outgoing.push(Message::Close(Some(close)));
                let _ = sink
                    .send_all(&mut futures_util::stream::iter(
                        outgoing.into_iter().map(Ok),
                    ))
                    .await;
                return;
            }
        },
    };
    loop {
        if liveness.ping_unsent {
            outgoing.push(Message::Ping(Default::default()));
            liveness.ping_unsent = false;
        }
        if !outgoing.is_empty() {
            let mut messages = futures_util::stream::iter(outgoing.drain(..).map(Ok));
            let send = sink.send_all(&mut messages);
            tokio::pin!(send);
            loop {
                let deadline = liveness.deadline();
                tokio::select! {
                    sent = &mut send => if sent.is_err() { return } else { break },
                    _ = state.shutdown.cancelled() => return,
                    _ = liveness.ping.tick() => liveness.ping_due(),
                    _ = until(deadline) => return liveness.close(),
                    message = incoming.next() => if !liveness.heard(published(&state.deliveries, message)) { return },
                }
            }
            continue;
        }
        let deadline = liveness.deadline();
        tokio::select! {
            next = source.next(BATCH) => match next {
                Next::Texts(texts) => outgoing.extend(texts.into_iter().map(Message::Text)),
                Next::Lost(e) => {
                    tracing::warn!("relay: reading the bus: {e}");
                    let close = CloseFrame { code: 1011, reason: "the relay lost the bus".into() };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            _ = state.shutdown.cancelled() => {
                let close = CloseFrame { code: 1001, reason: "relay shutting down".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                return;
            },
            message = incoming.next() => if !liveness.heard(published(&state.deliveries, message)) { return },
            _ = liveness.ping.tick() => liveness.ping_due(),
            _ = until(deadline) => return liveness.close(),
        }
    }
}

/// Puts a `delivery` frame a viewer sent (its forwards) on the bus, for every viewer of every
/// relay; passes every message on to [`Liveness`].
fn published(
    deliveries: &Detached,
    message: Option<Result<Message, axum::Error>>,
) -> Option<Result<Message, axum::Error>> {
    if let Some(frame) = sent_delivery(&message).and_then(PendingFrame::delivery) {
        deliveries.mirror(&frame);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(oldest_seq: u64, last_seq: u64) -> StreamState {
        StreamState {
            oldest_seq,
            last_seq,
            instance: "S-1".into(),
        }
    }

    #[test]
    fn viewers_start_after_since_or_live() {
        assert_eq!(
            Plan::new(&stream(1, 10), None),
            Plan {
                start: 11,
                gap: None
            }
        );
        assert_eq!(
            Plan::new(&stream(1, 10), Some(0)),
            Plan {
                start: 1,
                gap: None
            }
        );
        assert_eq!(
            Plan::new(&stream(1, 10), Some(7)),
            Plan {
                start: 8,
                gap: None
            }
        );
        assert_eq!(
            Plan::new(&stream(1, 10), Some(10)),
            Plan {
                start: 11,
                gap: None
            }
        );
        // Nothing stored yet.
        assert_eq!(
            Plan::new(&stream(1, 0), Some(0)),
            Plan {
                start: 1,
                gap: None
            }
        );
    }

    #[test]
    fn what_the_stream_dropped_is_a_retention_gap() {
        let plan = Plan::new(&stream(501, 1500), Some(99));
        assert_eq!(plan.start, 501);
        let gap = plan.gap.unwrap();
        assert_eq!((gap.from, gap.to), (100, 500));
        assert!(gap.reason.starts_with("retention"));
        // Everything dropped.
        let gap = Plan::new(&stream(11, 10), Some(0)).gap.unwrap();
        assert_eq!((gap.from, gap.to), (1, 10));
    }

    #[test]
    fn a_since_past_the_stream_is_a_gap_then_everything_held() {
        let plan = Plan::new(&stream(3, 10), Some(50));
        assert_eq!(plan.start, 3);
        let gap = plan.gap.unwrap();
        assert_eq!((gap.from, gap.to), (11, 50));
    }
}
