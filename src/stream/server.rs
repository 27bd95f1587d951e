//! `GET /v1/stream`: a websocket of JSON frames — `hello`, then retained frames after `since`,
//! then live ones, with `gap` frames wherever frames will never arrive.

use std::sync::Arc;
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

use super::origin::is_allowed_origin;
use crate::hub::Hub;
use crate::model::Frame;

/// Frames read from the hub per write (and at most `hub::READ_BYTES` of them); the socket is
/// flushed after each batch.
const BATCH: usize = 512;
/// A viewer only ever sends pongs and a close: anything larger is refused, not buffered.
const MAX_INCOMING: usize = 64 * 1024;
const PING_EVERY: Duration = Duration::from_secs(20);

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
}

#[derive(Debug, Deserialize)]
struct StreamQuery {
    since: Option<u64>,
    token: Option<String>,
    /// The server instance the client last saw; if it changed, `since` refers to an old
    /// server's seqs and everything retained is sent instead. (Without it, a `since` ahead of
    /// the last seq is answered with a `gap` saying the server restarted, then everything
    /// retained: see `Hub::subscribe`.)
    instance: Option<String>,
}

pub fn routes(hub: Arc<Hub>, access: StreamAccess) -> Router {
    Router::new()
        .route("/v1/stream", get(upgrade))
        .with_state(StreamState {
            hub,
            access: Arc::new(access),
        })
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({"success": false, "code": code, "message": message});
    (status, axum::Json(body)).into_response()
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn upgrade(
    State(state): State<StreamState>,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        if !is_allowed_origin(&origin, &state.access.allowed_origins) {
            tracing::warn!("refused a stream upgrade from origin {origin}");
            return refuse(
                StatusCode::FORBIDDEN,
                "origin_refused",
                format!(
                    "websocket upgrades from origin {origin} are refused: a web page must not read \
                     your events (allow one with --allow-origin)"
                ),
            );
        }
    }
    let Query(query) = match query {
        Ok(query) => query,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("{e}; use ?since=SEQ (a whole number)"),
            );
        }
    };
    if let Some(expected) = &state.access.token {
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let given = bearer.or(query.token.as_deref());
        match given {
            Some(given) if same_secret(given, expected) => {}
            Some(_) => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the stream token is wrong".into(),
                );
            }
            None => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "token_required",
                    "this stream needs a token: send Authorization: Bearer T or ?token=T".into(),
                );
            }
        }
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let hub = state.hub;
    let since = match query.instance {
        Some(instance) if instance != hub.instance() => Some(0),
        _ => query.since,
    };
    ws.max_message_size(MAX_INCOMING)
        .max_frame_size(MAX_INCOMING)
        .on_upgrade(move |socket| serve_subscriber(socket, hub, since))
}

async fn serve_subscriber(socket: WebSocket, hub: Arc<Hub>, since: Option<u64>) {
    let mut subscription = hub.subscribe(since);
    let (mut sink, mut incoming) = socket.split();
    let hello = Frame::Hello(subscription.hello().clone()).to_json();
    if sink.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    ping.tick().await;
    loop {
        let batch = subscription.read(BATCH);
        if !batch.is_empty() {
            let mut messages = Vec::with_capacity(batch.frames.len() + 1);
            if let Some(gap) = batch.gap {
                messages.push(Message::Text(Frame::Gap(gap).to_json().into()));
            }
            for frame in batch.frames {
                match Utf8Bytes::try_from(frame.json) {
                    Ok(text) => messages.push(Message::Text(text)),
                    Err(e) => tracing::error!(seq = frame.seq, "frame is not UTF-8: {e}"),
                }
            }
            let mut messages = futures_util::stream::iter(messages.into_iter().map(Ok));
            tokio::select! {
                sent = sink.send_all(&mut messages) => if sent.is_err() { return },
                _ = hub.shut_down() => return,
            }
            continue;
        }
        tokio::select! {
            alive = subscription.wait() => if !alive {
                let close = CloseFrame { code: 1001, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                return;
            },
            message = incoming.next() => match message {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => if sink.send(Message::Ping(Default::default())).await.is_err() {
                return;
            },
        }
    }
}
