//! The Segment HTTP tracking API: `/v1/{track,identify,page,screen,group,alias,batch,import}`
//! and the SDK short paths `/v1/{t,i,p,s,g,a,b}`.
//!
//! Every accepted message becomes an `event` frame; every refused request is answered with a
//! JSON error *and* published as a `rejected` frame, so the viewer shows what the SDK did wrong.

mod auth;
mod body;
mod envelope;
mod error;
pub mod upstream;

pub use envelope::{Endpoint, Limits};
pub use error::IngestError;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::hub::{Hub, PendingFrame};
use crate::inspect::redact::Redactor;
use crate::model::{FrameKind, Source, format_timestamp, mask_in_text, mask_secret};
use envelope::FinishedMessage;

/// The first bytes of a refused body kept in its `rejected` frame.
pub const PREVIEW_BYTES: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct CollectorConfig {
    /// With entries, only these write keys are accepted (`--write-key`).
    pub write_keys: Vec<String>,
    pub limits: Limits,
    /// Proxy mode (`--upstream`): where accepted requests are forwarded.
    pub upstream: Option<Arc<upstream::Upstream>>,
    /// `--redact`: masks secrets (or all PII) in messages before they are published.
    pub redactor: Option<Arc<Redactor>>,
}

pub struct Collector {
    hub: Arc<Hub>,
    config: CollectorConfig,
    requests: AtomicU64,
}

impl Collector {
    pub fn new(hub: Arc<Hub>, config: CollectorConfig) -> Arc<Collector> {
        Arc::new(Collector {
            hub,
            config,
            requests: AtomicU64::new(0),
        })
    }

    /// HTTP requests received by the tracking API.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The tracking API routes, with CORS for browser SDKs.
    pub fn routes(self: &Arc<Self>) -> Router {
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::mirror_request())
            .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
            .allow_headers(AllowHeaders::mirror_request())
            .max_age(std::time::Duration::from_secs(600));
        Router::new()
            .route("/v1/{endpoint}", post(ingest))
            .fallback(unknown_endpoint)
            .layer(cors)
            .with_state(Arc::clone(self))
    }

    /// Handles one request to the tracking API.
    pub async fn handle(
        &self,
        endpoint: Option<Endpoint>,
        request: RequestInfo,
        headers: &HeaderMap,
        body: Body,
    ) -> Response {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let received_at = Utc::now();
        let basic_key = auth::basic_write_key(headers);
        let query = request.query.clone();
        let mut source = request.into_source();
        if let Some(key) = &basic_key {
            source.write_key = Some(mask_secret(key));
            source.key_from = Some("basic".into());
        }
        let secrets: Vec<String> = basic_key.iter().cloned().collect();
        let rejected = |error: IngestError, body: &[u8], size: usize, secrets: &[String]| {
            self.reject(received_at, &source, error, body, size, secrets)
        };

        let limit = self.config.limits.max_body_bytes;
        let raw = match body::read_limited(body, limit).await {
            Ok(raw) => raw,
            Err(f) => return rejected(f.error, &f.partial, f.size, &secrets),
        };
        let size = raw.len();
        // `raw` stays as received, for the upstream in proxy mode (a cheap shared clone).
        let decoded = match body::decode(headers, raw.clone(), limit) {
            Ok(decoded) => decoded,
            Err(f) => return rejected(f.error, &f.partial, f.size, &secrets),
        };
        let Some(endpoint) = endpoint else {
            let error = unknown_endpoint_error(&source.path);
            return rejected(error, &decoded, size, &secrets);
        };
        let parsed = match envelope::parse_body(&decoded, endpoint, &self.config.limits) {
            Ok(parsed) => parsed,
            Err(error) => return rejected(error, &decoded, size, &secrets),
        };
        let key = basic_key.or_else(|| {
            let key = parsed.body_key.clone()?;
            source.write_key = Some(mask_secret(&key));
            source.key_from = Some("body".into());
            Some(key)
        });
        if let Err(error) = auth::check_write_key(&self.config.write_keys, key.as_deref()) {
            let secrets: Vec<String> = key.into_iter().collect();
            return self.reject(received_at, &source, error, &decoded, size, &secrets);
        }
        let count = parsed.message_count();
        // Keys to mask in the upstream's delivery frame: the Basic one and the body's (and
        // below, the values `--redact` masked).
        let mut upstream_secrets: Vec<String> = match &self.config.upstream {
            Some(_) => key.into_iter().chain(parsed.body_key.clone()).collect(),
            None => Vec::new(),
        };
        let messages = parsed.finish(received_at);
        let message_ids: Vec<Option<String>> = match &self.config.upstream {
            Some(_) => messages.iter().map(|m| m.message_id.clone()).collect(),
            None => Vec::new(),
        };
        let redactor = self.config.redactor.as_deref();
        let frames = event_frames(
            &source,
            received_at,
            messages,
            redactor,
            &mut upstream_secrets,
        );
        let seqs = self.hub.publish(frames);
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
        (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json")],
            r#"{"success":true}"#,
        )
            .into_response()
    }

    fn reject(
        &self,
        received_at: DateTime<Utc>,
        source: &Source,
        error: IngestError,
        body: &[u8],
        body_bytes: usize,
        secrets: &[String],
    ) -> Response {
        let mut preview =
            String::from_utf8_lossy(&body[..body.len().min(PREVIEW_BYTES)]).into_owned();
        for secret in secrets {
            preview = mask_in_text(&preview, secret);
        }
        tracing::warn!(
            "rejected POST {} from {}: {} {}: {}",
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
            body: preview,
            body_bytes,
        };
        let tail = serde_json::to_string(&frame).unwrap_or_else(|_| "{}".into());
        // The object's text minus its opening brace is the tail after `"seq":N,`.
        self.hub.publish(vec![PendingFrame::new(
            FrameKind::Rejected,
            tail[1..].to_string(),
        )]);
        (error.status, axum::Json(error.body())).into_response()
    }
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
        }
    }

    fn into_source(self) -> Source {
        Source {
            path: self.path,
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

fn unknown_endpoint_error(path: &str) -> IngestError {
    let mut message = format!(
        "no endpoint POST {path}; the collector serves /v1/{{track,identify,page,screen,group,alias,batch,import}} and /v1/{{t,i,p,s,g,a,b}}"
    );
    if path.starts_with("/v1/v1/") {
        message.push_str(
            "; the SDK's host seems to include /v1: set it to the collector's address alone",
        );
    }
    IngestError::new(StatusCode::NOT_FOUND, "unknown_endpoint", message)
}

async fn ingest(
    State(collector): State<Arc<Collector>>,
    Path(segment): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let endpoint = Endpoint::from_path_segment(&segment);
    let request = RequestInfo::new(&uri, Some(peer), &headers);
    collector.handle(endpoint, request, &headers, body).await
}

/// POSTs to unknown paths are SDK misconfigurations worth seeing in the stream; other
/// methods get a plain JSON 404.
async fn unknown_endpoint(
    State(collector): State<Arc<Collector>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method == Method::POST {
        let request = RequestInfo::new(&uri, Some(peer), &headers);
        return collector.handle(None, request, &headers, body).await;
    }
    let error = IngestError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no route {method} {}; see GET /health, POST /v1/…, GET /v1/stream",
            uri.path()
        ),
    );
    (error.status, axum::Json(error.body())).into_response()
}
