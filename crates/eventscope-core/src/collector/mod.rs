//! The Segment HTTP tracking API: `/v1/{track,identify,page,screen,group,alias,batch,import}`
//! and the SDK short paths `/v1/{t,i,p,s,g,a,b}`; the same under `/beacon/v1/` (RudderStack's
//! beacon transport, write key in the `writeKey` query parameter); `/v1/m`, analytics.js's
//! telemetry, answered and counted only.
//!
//! Every accepted message becomes an `event` frame; every refused request is answered with a
//! JSON error *and* published as a `rejected` frame, so the viewer shows what the SDK did wrong.

mod auth;
mod body;
mod bus;
mod envelope;
mod error;
mod secrets;
pub mod upstream;

pub use envelope::{Endpoint, Limits};
pub use error::IngestError;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::bus::{Bus, Detached};
use crate::hub::{Hub, PendingFrame};
use crate::inspect::redact::Redactor;
use crate::model::{FrameKind, Source, format_timestamp, mask_secret};
use envelope::FinishedMessage;
use secrets::Secrets;

/// What a request's method and path ask the collector for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Messages to publish (`/v1/…`, `/beacon/v1/…`).
    Messages(Endpoint),
    /// SDK telemetry (`/v1/m`): answered `200 {"success":true}` and counted, never published.
    Metrics,
}

/// analytics.js (analytics-next) posts its own counters here every 30 s when `apiHost` is set.
const METRICS_PATH: &str = "/v1/m";
/// RudderStack's `sendBeacon` transport posts `/beacon/v1/batch?writeKey=K`.
const BEACON_PREFIX: &str = "/beacon/v1/";

/// The first bytes of a refused body kept in its `rejected` frame.
pub const PREVIEW_BYTES: usize = 4096;

#[derive(Clone, Default)]
pub struct CollectorConfig {
    /// With entries, only these write keys are accepted (`--write-key`).
    pub write_keys: Vec<String>,
    pub limits: Limits,
    /// Proxy mode (`--upstream`): where accepted requests are forwarded.
    pub upstream: Option<Arc<upstream::Upstream>>,
    /// `--redact`: masks secrets (or all PII) in messages before they are published.
    pub redactor: Option<Arc<Redactor>>,
    /// `--bus`: every frame is published there too; a request is answered 200 only once the
    /// bus has acknowledged its messages (`rejected` frames go through the detached queue,
    /// not waited for).
    pub bus: Option<(Arc<dyn Bus>, Arc<Detached>)>,
}

pub struct Collector {
    hub: Arc<Hub>,
    config: CollectorConfig,
    /// `--write-key`s in every form they take, built once: each request starts from these.
    known_keys: Secrets,
    requests: AtomicU64,
}

impl Collector {
    pub fn new(hub: Arc<Hub>, config: CollectorConfig) -> Arc<Collector> {
        Arc::new(Collector {
            hub,
            known_keys: Secrets::with_keys(&config.write_keys),
            config,
            requests: AtomicU64::new(0),
        })
    }

    /// HTTP requests received by the tracking API.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The tracking API routes, with CORS for browser SDKs. Every other path and method is
    /// refused here too, in JSON and on the stream (the router's fallback).
    pub fn routes(self: &Arc<Self>) -> Router {
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::mirror_request())
            .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
            .allow_headers(AllowHeaders::mirror_request())
            .max_age(std::time::Duration::from_secs(600));
        Router::new()
            .route("/v1/{endpoint}", any(ingest))
            .fallback(ingest)
            .layer(cors)
            .with_state(Arc::clone(self))
    }

    /// Handles one request to the tracking API: `route` is what its method and path ask for.
    pub async fn handle(
        &self,
        route: Result<Route, IngestError>,
        request: RequestInfo,
        headers: &HeaderMap,
        body: Body,
    ) -> Response {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let received_at = Utc::now();
        let query = request.query.clone();
        let mut source = request.into_source();
        // Every key this request or this collector knows is masked wherever it could appear.
        let mut secrets = self.known_keys.clone();
        // The Basic user name first; else `?writeKey=` (RudderStack's beacon, which cannot
        // set headers); the body's `writeKey` last, below.
        let header_key = match auth::basic_write_key(headers) {
            Some(key) => Some((key, "basic")),
            None => auth::query_write_key(query.as_deref()).map(|key| (key, "query")),
        };
        let header_key = header_key.map(|(key, from)| {
            source.write_key = Some(mask_secret(&key));
            source.key_from = Some(from.into());
            secrets.add_key(&key);
            key
        });

        let limit = self.config.limits.max_body_bytes;
        let refused = |f: body::BodyFailure| {
            let key = header_key.as_deref();
            self.reject(
                received_at,
                &source,
                key,
                f.error,
                &f.partial,
                f.size,
                &secrets,
            )
        };
        let raw = match body::read_limited(body, limit).await {
            Ok(raw) => raw,
            Err(f) => return refused(f),
        };
        let size = raw.len();
        // `raw` stays as received, for the upstream in proxy mode (a cheap shared clone).
        let decoded = match body::decode(headers, raw.clone(), limit) {
            Ok(decoded) => decoded,
            Err(f) => return refused(f),
        };
        let endpoint = match route {
            Ok(Route::Messages(endpoint)) => endpoint,
            Ok(Route::Metrics) => {
                // Telemetry is not judged: the SDK never reads the answer, and a rejected row
                // every 30 s would only hide the events (see the README's /v1/m note).
                self.hub.metrics().add();
                tracing::debug!(bytes = size, "sdk metrics");
                return success();
            }
            Err(error) => {
                let key = header_key.as_deref();
                return self.reject(received_at, &source, key, error, &decoded, size, &secrets);
            }
        };
        let parsed = match envelope::parse_body(&decoded, endpoint, &self.config.limits) {
            Ok(parsed) => parsed,
            Err(error) => {
                let key = header_key.as_deref();
                return self.reject(received_at, &source, key, error, &decoded, size, &secrets);
            }
        };
        if let Some(key) = &parsed.body_key {
            secrets.add_key(key);
        }
        let key = header_key.or_else(|| {
            let key = parsed.body_key.clone()?;
            source.write_key = Some(mask_secret(&key));
            source.key_from = Some("body".into());
            Some(key)
        });
        if let Err(error) = auth::check_write_key(&self.config.write_keys, key.as_deref()) {
            let key = key.as_deref();
            return self.reject(received_at, &source, key, error, &decoded, size, &secrets);
        }
        let count = parsed.message_count();
        // Keys to mask in the upstream's delivery frame: the Basic one and the body's (and
        // below, the values `--redact` masked).
        let mut upstream_secrets: Vec<String> = match &self.config.upstream {
            Some(_) => key
                .clone()
                .into_iter()
                .chain(parsed.body_key.clone())
                .collect(),
            None => Vec::new(),
        };
        let mut messages = parsed.finish(received_at);
        for message in &mut messages {
            // `writeKey` itself is masked by `finish`; a key copied elsewhere is caught here.
            message.json = secrets.mask_known(std::mem::take(&mut message.json));
        }
        let message_ids: Vec<Option<String>> = match &self.config.upstream {
            Some(_) => messages.iter().map(|m| m.message_id.clone()).collect(),
            None => Vec::new(),
        };
        let routes: Option<Vec<bus::BusRoute>> = self
            .config
            .bus
            .as_ref()
            .map(|_| messages.iter().map(bus::BusRoute::of).collect());
        let redactor = self.config.redactor.as_deref();
        let frames = event_frames(
            &source,
            received_at,
            messages,
            redactor,
            &mut upstream_secrets,
        );
        let bus_messages =
            routes.map(|routes| bus::event_messages(key.as_deref(), &frames, routes));
        let seqs = match self.hub.publish_recorded(frames) {
            Ok(seqs) => seqs,
            Err(e) => {
                let error = IngestError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "record_failed",
                    format!(
                        "the collector could not write its recording ({e}); nothing was stored, send again"
                    ),
                );
                let key = key.as_deref();
                return self.reject(received_at, &source, key, error, &decoded, size, &secrets);
            }
        };
        // The SDK hears 200 only once the bus has every message (the local hub already shows
        // them: the viewer shows what this collector received).
        if let (Some((bus, _)), Some(messages)) = (&self.config.bus, bus_messages)
            && let Err(e) = bus.publish(messages).await
        {
            let error = bus::unavailable(&e);
            let key = key.as_deref();
            return self.reject(received_at, &source, key, error, &decoded, size, &secrets);
        }
        if let Some(upstream) = &self.config.upstream {
            upstream.forward(upstream::Accepted {
                path_and_query: request_target(&source.path, query.as_deref()),
                headers: upstream::forwarded_headers(headers),
                body: raw,
                // Only the preview needs it: a queued request must not hold a 1 MiB copy.
                decoded: decoded.slice(..decoded.len().min(upstream::DECODED_KEPT)),
                secrets: upstream_secrets,
                carries: seqs
                    .into_iter()
                    .flatten()
                    .zip(message_ids)
                    .map(|(seq, message_id)| crate::forward::Carried {
                        seq: Some(seq),
                        message_id,
                    })
                    .collect(),
            });
        }
        tracing::debug!(path = %source.path, count, "accepted");
        success()
    }

    #[allow(clippy::too_many_arguments)]
    fn reject(
        &self,
        received_at: DateTime<Utc>,
        source: &Source,
        write_key: Option<&str>,
        error: IngestError,
        body: &[u8],
        body_bytes: usize,
        secrets: &Secrets,
    ) -> Response {
        tracing::warn!(
            "refused {} {} from {}: {} {}: {}",
            source.method.as_deref().unwrap_or("POST"),
            source.path,
            source.ip.as_deref().unwrap_or("?"),
            error.status.as_u16(),
            error.code,
            error.message
        );
        let frame = RejectedTail {
            received_at: format_timestamp(received_at),
            source,
            status: error.status.as_u16(),
            code: error.code,
            message: &error.message,
            body: secrets.preview(body, PREVIEW_BYTES),
            body_bytes,
        };
        let tail = serde_json::to_string(&frame).unwrap_or_else(|_| "{}".into());
        // The object's text minus its opening brace is the tail after `"seq":N,`.
        let frame = PendingFrame::new(FrameKind::Rejected, tail[1..].to_string());
        self.send_rejected_to_bus(write_key, &frame, error.code);
        self.hub.publish(vec![frame]);
        let mut response = (error.status, axum::Json(error.body())).into_response();
        let headers = response.headers_mut();
        if let Some(allow) = error.allow {
            headers.insert(axum::http::header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Some(seconds) = error.retry_after {
            headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }

    /// Queues a `rejected` frame for the bus without waiting (the answer is an error
    /// anyway); not when the bus is the reason.
    fn send_rejected_to_bus(&self, write_key: Option<&str>, frame: &PendingFrame, code: &str) {
        if let Some((_, detached)) = &self.config.bus
            && code != "bus_unavailable"
        {
            detached.send(bus::rejected_message(write_key, frame));
        }
    }
}

/// Segment's answer to an accepted request.
fn success() -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        r#"{"success":true}"#,
    )
        .into_response()
}

/// A `rejected` frame's fields after its seq, in the order the contract shows them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RejectedTail<'a> {
    received_at: String,
    source: &'a Source,
    status: u16,
    code: &'a str,
    message: &'a str,
    body: String,
    body_bytes: usize,
}

/// What a handler knows about a request besides its body.
pub struct RequestInfo {
    pub path: String,
    /// The query string without `?`, forwarded to the upstream as is.
    pub query: Option<String>,
    pub peer: Option<SocketAddr>,
    pub user_agent: Option<String>,
    /// Set for methods other than POST, which are refused.
    pub method: Option<String>,
}

impl RequestInfo {
    pub fn new(uri: &Uri, peer: Option<SocketAddr>, headers: &HeaderMap) -> Self {
        RequestInfo {
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            peer,
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            method: None,
        }
    }

    fn into_source(self) -> Source {
        Source {
            path: self.path,
            method: self.method,
            ip: self.peer.map(|p| p.ip().to_string()),
            user_agent: self.user_agent,
            ..Source::default()
        }
    }
}

/// The event frames of accepted messages. With a redactor, a message with something to mask
/// is published masked, with a `redacted` list after it, and the masked values are added to
/// `masked_values` (to mask in the proxy's delivery frame too).
fn event_frames(
    source: &Source,
    received_at: DateTime<Utc>,
    messages: Vec<FinishedMessage>,
    redactor: Option<&Redactor>,
    masked_values: &mut Vec<String>,
) -> Vec<PendingFrame> {
    let received = format_timestamp(received_at);
    let source_json = serde_json::to_string(source).unwrap_or_else(|_| "{}".into());
    messages
        .into_iter()
        .map(|message| {
            let mut tail = String::with_capacity(message.json.len() + source_json.len() + 128);
            tail.push_str("\"receivedAt\":\"");
            tail.push_str(&received);
            tail.push_str("\",\"source\":");
            tail.push_str(&source_json);
            tail.push_str(",\"message\":");
            let start = tail.len();
            let redacted = redactor.and_then(|r| r.redact(&message.json));
            tail.push_str(redacted.as_ref().map_or(&message.json, |r| &r.json));
            let message_range = start..tail.len();
            if let Some(redacted) = redacted {
                tail.push_str(",\"redacted\":");
                tail.push_str(&serde_json::to_string(&redacted.masked).unwrap_or_default());
                masked_values.extend(redacted.raw_values);
            }
            if !message.adjusted.is_empty() {
                tail.push_str(",\"adjusted\":");
                tail.push_str(&serde_json::to_string(&message.adjusted).unwrap_or_default());
            }
            tail.push('}');
            PendingFrame::event(tail, message_range)
        })
        .collect()
}

/// `/v1/batch?x=1`: the request's path and query as the SDK sent them.
fn request_target(path: &str, query: Option<&str>) -> String {
    match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    }
}

/// What a request's method and path ask for, or why they are refused.
fn route(method: &Method, path: &str) -> Result<Route, IngestError> {
    // The server's other routes, reached here only with a method they don't take.
    if matches!(path, "/health" | "/v1/stream") {
        return Err(IngestError::method_not_allowed(
            "GET",
            format!("{method} {path}: this path takes GET"),
        ));
    }
    if path == METRICS_PATH {
        return match *method == Method::POST {
            true => Ok(Route::Metrics),
            false => Err(IngestError::method_not_allowed(
                "POST, OPTIONS",
                format!("{method} {path}: SDK metrics are posted"),
            )),
        };
    }
    let segment = path
        .strip_prefix("/v1/")
        .or_else(|| path.strip_prefix(BEACON_PREFIX));
    let endpoint = match segment {
        Some(segment) if !segment.contains('/') => {
            let segment = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .map_err(|_| {
                    IngestError::bad_request(
                        "bad_path",
                        format!("the path {path} does not decode to UTF-8 text"),
                    )
                })?;
            Endpoint::from_path_segment(&segment)
        }
        _ => None,
    };
    match (endpoint, *method == Method::POST) {
        (Some(endpoint), true) => Ok(Route::Messages(endpoint)),
        (Some(_), false) => Err(IngestError::method_not_allowed(
            "POST, OPTIONS",
            format!("{method} {path}: the tracking API takes POST"),
        )),
        (None, true) => Err(unknown_endpoint_error(path)),
        (None, false) => Err(IngestError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route {method} {path}; see GET /health, POST /v1/…, GET /v1/stream"),
        )),
    }
}

fn unknown_endpoint_error(path: &str) -> IngestError {
    let mut message = format!(
        "no endpoint POST {path}; the collector serves /v1/{{track,identify,page,screen,group,alias,batch,import}}, /v1/{{t,i,p,s,g,a,b}}, the same under /beacon/v1/, and /v1/m"
    );
    if path.starts_with("/v1/v1/") {
        message.push_str(
            "; the SDK's host seems to include /v1: set it to the collector's address alone",
        );
    }
    IngestError::new(StatusCode::NOT_FOUND, "unknown_endpoint", message)
}

/// Every request the tracking API's routes and the server's fallbacks receive. The path is
/// read from the URI, not extracted, so that a bad one is refused in JSON like the rest.
async fn ingest(
    State(collector): State<Arc<Collector>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    collector.request(peer, method, uri, headers, body).await
}

impl Collector {
    /// Answers any request by its method and path: the tracking API, or a refusal in JSON that
    /// is also published. The server routes other paths' wrong methods here too.
    pub async fn request(
        &self,
        peer: SocketAddr,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Body,
    ) -> Response {
        let route = route(&method, uri.path());
        let mut request = RequestInfo::new(&uri, Some(peer), &headers);
        if method != Method::POST {
            request.method = Some(method.to_string());
        }
        self.handle(route, request, &headers, body).await
    }
}
