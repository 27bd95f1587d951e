//! Proxy mode (`--upstream URL`): every request the collector accepts is sent on, unchanged, to
//! a Segment-compatible API, and the upstream's answer is published as a `delivery` frame.
//!
//! What "unchanged" means here: the same method and path with its query, the body bytes exactly
//! as received (still gzip when the SDK sent gzip), and the headers that carry meaning —
//! `Authorization`, `Content-Type`, `Content-Encoding`, `User-Agent` and every `X-*` header.
//! `Host`, `Content-Length` and hop-by-hop headers belong to a connection, not to the request,
//! so the HTTP client sets its own. Refused requests are never forwarded: the upstream would
//! refuse them too, and the viewer already shows them as `rejected` frames.
//!
//! The SDK's answer never waits for the upstream: the collector answers as it always does and
//! forwarding runs on a task. A slow or dead upstream therefore cannot slow ingestion; it only
//! grows a bounded queue, and a request that does not fit is reported as a delivery with an
//! error rather than dropped silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use bytes::Bytes;
use chrono::Utc;
use tokio::sync::Semaphore;

use crate::forward::destination::DestinationConfig;
use crate::forward::engine::Engine;
use crate::forward::{Carried, Destination, Request};
use crate::hub::Hub;
use crate::model::{
    DeliveryFrame, PREVIEW_BYTES, RequestPreview, format_timestamp, mask_in_text, mask_secret,
    thousands,
};

/// How much the proxy sends at once and keeps waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamOptions {
    /// Per attempt: Segment's own SDKs give up after 10–15 s.
    pub timeout: Duration,
    /// Requests sent to the upstream at once; more wait their turn in arrival order.
    pub max_in_flight: usize,
    /// Requests that may wait for a free slot before new ones are refused (each with a
    /// delivery frame saying so).
    pub max_waiting: usize,
    /// Body bytes that may wait, in all, before new requests are refused: a dead upstream
    /// must not let SDKs fill the memory.
    pub max_waiting_bytes: usize,
}

impl Default for UpstreamOptions {
    fn default() -> Self {
        UpstreamOptions {
            timeout: Duration::from_secs(10),
            max_in_flight: 64,
            max_waiting: 4096,
            max_waiting_bytes: 64 * 1024 * 1024,
        }
    }
}

/// `destination` and `kind` of the proxy's delivery frames.
pub const UPSTREAM: &str = "upstream";

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("--upstream {url:?}: {message}")]
    BadUrl { url: String, message: String },
    #[error("--upstream: cannot start forwarding: {0}")]
    Client(String),
}

/// A validated upstream base URL: `http(s)://host[:port][/prefix]`, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl(String);

impl UpstreamUrl {
    /// Checks `--upstream` at startup, so that a typo fails at once instead of per request.
    pub fn parse(value: &str) -> Result<UpstreamUrl, UpstreamError> {
        let bad = |message: &str| UpstreamError::BadUrl {
            url: value.to_string(),
            message: message.to_string(),
        };
        let trimmed = value.trim();
        let url = reqwest::Url::parse(trimmed).map_err(|e| {
            bad(&format!(
                "not a URL ({e}); use e.g. https://api.segment.io or http://127.0.0.1:9000"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials in the URL are not supported; the SDK's own Authorization header is forwarded",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad(
                "the URL must not have a query or fragment; each request's own path and query are appended",
            ));
        }
        let base = url.as_str().trim_end_matches('/').to_string();
        if base.ends_with("/v1") {
            return Err(bad(
                "drop the trailing /v1: the request's path (e.g. /v1/batch) is appended as is",
            ));
        }
        Ok(UpstreamUrl(base))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UpstreamUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An accepted request, as the collector hands it over for forwarding.
pub struct Accepted {
    /// `/v1/batch?x=1`: appended to the upstream URL.
    pub path_and_query: String,
    /// The headers to send, from [`forwarded_headers`].
    pub headers: Vec<(String, String)>,
    /// The body exactly as received (still encoded).
    pub body: Bytes,
    /// The start of the body decoded, for the preview only (at most [`DECODED_KEPT`] bytes).
    pub decoded: Bytes,
    /// The write key, to mask in the preview.
    pub secrets: Vec<String>,
    /// The event frames this request produced: seq and `messageId` of each.
    pub carries: Vec<Carried>,
}

/// Picks the request headers worth forwarding, in the order received.
pub fn forwarded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| is_forwarded(name.as_str()))
        .map(|(name, value)| {
            let value = match value.to_str() {
                Ok(text) => text.to_string(),
                // Not ASCII: rare, and only kept as close as text allows.
                Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

/// `name` is lowercase (as `http` stores it).
fn is_forwarded(name: &str) -> bool {
    matches!(
        name,
        "authorization" | "content-type" | "content-encoding" | "user-agent"
    ) || name.starts_with("x-")
}

/// Forwards accepted requests to one upstream and publishes what it answered.
pub struct Upstream {
    url: UpstreamUrl,
    hub: Arc<Hub>,
    /// The forwarding engine gives the proxy its timeouts and retries (5xx, 429 with
    /// `Retry-After`, timeouts, refused connections): the SDK was told "delivered" by us, so
    /// retrying is now eventscope's job.
    engine: Engine,
    destination: Destination,
    options: UpstreamOptions,
    slots: Arc<Semaphore>,
    /// Requests queued or in flight, and their body bytes.
    pending: AtomicUsize,
    pending_bytes: AtomicUsize,
    /// Requests not forwarded because the queue was full (each has its delivery frame).
    refused: AtomicUsize,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("url", &self.url)
            .field("pending", &self.pending.load(Ordering::Relaxed))
            .finish()
    }
}

impl Upstream {
    pub fn new(url: UpstreamUrl, hub: Arc<Hub>) -> Result<Arc<Upstream>, UpstreamError> {
        Self::with_options(url, hub, UpstreamOptions::default())
    }

    pub fn with_options(
        url: UpstreamUrl,
        hub: Arc<Hub>,
        options: UpstreamOptions,
    ) -> Result<Arc<Upstream>, UpstreamError> {
        let engine = Engine::new().map_err(|e| UpstreamError::Client(e.to_string()))?;
        let destination = destination(&url, options.timeout)?;
        let options = UpstreamOptions {
            max_in_flight: options.max_in_flight.clamp(1, 65_536),
            ..options
        };
        Ok(Arc::new(Upstream {
            url,
            hub,
            engine,
            destination,
            options,
            slots: Arc::new(Semaphore::new(options.max_in_flight)),
            pending: AtomicUsize::new(0),
            pending_bytes: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        }))
    }

    pub fn url(&self) -> &UpstreamUrl {
        &self.url
    }

    /// Requests queued or in flight.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Queues `accepted` for the upstream and returns at once. Must run inside a tokio runtime.
    pub fn forward(self: &Arc<Self>, accepted: Accepted) {
        let size = accepted.body.len();
        let waiting = self.pending.fetch_add(1, Ordering::AcqRel);
        let waiting_bytes = self.pending_bytes.fetch_add(size, Ordering::AcqRel);
        let limits = &self.options;
        if waiting >= limits.max_in_flight + limits.max_waiting
            || (waiting > 0 && waiting_bytes + size > limits.max_waiting_bytes)
        {
            self.release(size);
            let error = format!(
                "not forwarded: {} requests ({} bytes) were already queued or in flight to the upstream, the most eventscope holds; the upstream is slower than the SDKs",
                thousands(waiting as u64),
                thousands(waiting_bytes as u64)
            );
            // Each refusal has its frame; the log says so at 1, 2, 4, 8… so that a dead
            // upstream under heavy traffic does not flood it.
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if refused.is_power_of_two() {
                tracing::warn!("{error} ({refused} refused so far)");
            }
            let mut frame = self.frame_for(&accepted);
            frame.error = Some(error);
            frame.at = format_timestamp(Utc::now());
            self.hub.publish_delivery(frame);
            return;
        }
        let upstream = Arc::clone(self);
        tokio::spawn(async move {
            // The semaphore is fair, so requests leave in the order they arrived; with many
            // in flight (or retries) the upstream may still receive them in another order.
            let permit = Arc::clone(&upstream.slots).acquire_owned().await;
            let frame = upstream.send(accepted).await;
            drop(permit);
            upstream.hub.publish_delivery(frame);
            upstream.release(size);
        });
    }

    fn release(&self, size: usize) {
        self.pending.fetch_sub(1, Ordering::AcqRel);
        self.pending_bytes.fetch_sub(size, Ordering::AcqRel);
    }

    /// Waits (up to `deadline`) for queued and in-flight requests to finish, at shutdown.
    pub async fn drain(&self, deadline: Duration) -> bool {
        let drained = async {
            while self.pending() > 0 {
                // Fair semaphore: taking every slot waits for everyone queued before us.
                let all = u32::try_from(self.options.max_in_flight).unwrap_or(u32::MAX);
                if let Ok(all) = self.slots.acquire_many(all).await {
                    drop(all);
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(deadline, drained).await.is_ok()
    }

    fn target(&self, accepted: &Accepted) -> String {
        format!("{}{}", self.url, accepted.path_and_query)
    }

    /// A delivery frame for `accepted` with the request preview filled in, no outcome yet.
    fn frame_for(&self, accepted: &Accepted) -> DeliveryFrame {
        DeliveryFrame {
            destination: UPSTREAM.to_string(),
            kind: UPSTREAM.to_string(),
            for_seqs: accepted.carries.iter().filter_map(|c| c.seq).collect(),
            message_ids: accepted
                .carries
                .iter()
                .filter_map(|c| c.message_id.clone())
                .collect(),
            request: preview(&self.target(accepted), accepted),
            ..DeliveryFrame::default()
        }
    }

    async fn send(&self, accepted: Accepted) -> DeliveryFrame {
        let request = Request {
            method: "POST".to_string(),
            url: self.target(&accepted),
            headers: accepted.headers.clone(),
            body: accepted.body.to_vec(),
            carries: accepted.carries.clone(),
        };
        let mut frame = self.engine.deliver(&self.destination, request).await;
        // The engine's preview would show a gzip body as bytes and knows none of the SDK's
        // keys: show the decoded body with the keys masked instead.
        let shown = self.frame_for(&accepted);
        frame.destination = shown.destination;
        frame.kind = shown.kind;
        frame.request = shown.request;
        // An upstream may echo what it got: its answer is masked with the SDK's keys too.
        frame.error = frame.error.map(|e| mask_all(&e, &accepted.secrets));
        if let Some(response) = &mut frame.response {
            response.body = mask_all(&response.body, &accepted.secrets);
        }
        for note in &mut frame.notes {
            note.message = mask_all(&note.message, &accepted.secrets);
        }
        frame
    }
}

/// The engine's view of the upstream: a plain endpoint (the request carries its own URL,
/// headers and body), with the proxy's timeout and the engine's default attempts.
fn destination(url: &UpstreamUrl, timeout: Duration) -> Result<Destination, UpstreamError> {
    // Built through the config's own validation, as a `[[destination]]` table would be.
    let table = serde_json::json!({
        "name": UPSTREAM,
        "kind": "webhook",
        "endpoint": url.as_str(),
        "timeout": timeout.as_secs_f64(),
    });
    let config: DestinationConfig =
        serde_json::from_value(table).map_err(|e| UpstreamError::Client(e.to_string()))?;
    Destination::from_config(&config).map_err(|e| UpstreamError::BadUrl {
        url: url.to_string(),
        message: e.to_string(),
    })
}

/// How much of the decoded body a queued request keeps: the preview plus room for a key that
/// straddles the preview's end, so it is masked before the cut, never shown in part.
pub const DECODED_KEPT: usize = 2 * PREVIEW_BYTES;

fn mask_all(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |text, secret| mask_in_text(&text, secret))
}

/// The request as a person may see it: the write key masked everywhere it appears.
fn preview(url: &str, accepted: &Accepted) -> RequestPreview {
    let mask = |text: &str| mask_all(text, &accepted.secrets);
    let headers = accepted
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), mask_header(name, value, &mask)))
        .collect();
    // Mask first, then cut: a key across the cut is masked whole.
    let masked = mask(&String::from_utf8_lossy(&accepted.decoded));
    RequestPreview {
        method: "POST".to_string(),
        url: mask(url),
        headers,
        body: crate::model::cut_to(&masked, PREVIEW_BYTES).to_string(),
        body_bytes: accepted.body.len() as u64,
    }
}

/// `Authorization: Basic d2tf…Ojo=`: the scheme stays readable, the credentials are masked
/// (base64 of a write key is the write key). Headers whose names suggest a secret are masked
/// whole.
fn mask_header(name: &str, value: &str, mask: &impl Fn(&str) -> String) -> String {
    let name = name.to_ascii_lowercase();
    if name == "authorization" || name == "proxy-authorization" {
        return match value.trim().split_once(' ') {
            Some((scheme, credentials)) => format!("{scheme} {}", mask_secret(credentials.trim())),
            None => mask_secret(value),
        };
    }
    if ["token", "key", "secret", "signature", "cookie", "auth"]
        .iter()
        .any(|word| name.contains(word))
    {
        return mask_secret(value);
    }
    mask(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_the_upstream_url() {
        let ok = UpstreamUrl::parse("https://api.segment.io/").unwrap();
        assert_eq!(ok.as_str(), "https://api.segment.io");
        assert_eq!(
            UpstreamUrl::parse("http://127.0.0.1:9000/proxy")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9000/proxy"
        );
        for bad in [
            "api.segment.io",
            "ftp://example.com",
            "https://api.segment.io/v1",
            "https://user:pw@example.com",
            "https://example.com/?a=1",
            "",
        ] {
            let error = UpstreamUrl::parse(bad).unwrap_err().to_string();
            assert!(error.starts_with("--upstream"), "{error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn forwards_only_meaningful_headers() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", "localhost"),
            ("content-length", "12"),
            ("connection", "keep-alive"),
            ("authorization", "Basic abc="),
            ("content-type", "text/plain"),
            ("content-encoding", "gzip"),
            ("user-agent", "analytics-node/1"),
            ("x-retry-count", "2"),
            ("accept-encoding", "gzip"),
        ] {
            headers.append(
                axum::http::HeaderName::from_static(name),
                value.parse().unwrap(),
            );
        }
        let names: Vec<String> = forwarded_headers(&headers)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "authorization",
                "content-type",
                "content-encoding",
                "user-agent",
                "x-retry-count"
            ]
        );
    }

    fn accepted(body: &str, seq: u64) -> Accepted {
        Accepted {
            path_and_query: "/v1/track".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
            decoded: Bytes::from(body.to_string()),
            secrets: vec![],
            carries: vec![Carried {
                seq: Some(seq),
                message_id: None,
            }],
        }
    }

    #[tokio::test]
    async fn a_full_queue_refuses_with_a_delivery_frame_instead_of_dropping_silently() {
        // An upstream that takes requests and never answers.
        let app = axum::Router::new().fallback(std::future::pending::<()>);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let hub = Hub::new(100, None);
        let options = UpstreamOptions {
            timeout: Duration::from_secs(60),
            max_in_flight: 1,
            max_waiting: 1,
            ..UpstreamOptions::default()
        };
        let upstream =
            Upstream::with_options(UpstreamUrl::parse(&url).unwrap(), Arc::clone(&hub), options)
                .unwrap();
        for seq in 1..=3 {
            upstream.forward(accepted(r#"{"event":"E"}"#, seq));
        }
        // One in flight, one waiting, the third refused at once.
        assert_eq!(upstream.pending(), 2);
        let frames = hub.subscribe(Some(0)).read(10).frames;
        assert_eq!(frames.len(), 1);
        let frame: serde_json::Value = serde_json::from_slice(&frames[0].json).unwrap();
        assert_eq!(frame["type"], "delivery");
        assert_eq!(frame["forSeqs"], serde_json::json!([3]));
        assert!(
            frame["error"]
                .as_str()
                .unwrap()
                .starts_with("not forwarded"),
            "{frame}"
        );

        // The byte cap refuses too, but never the only request.
        let options = UpstreamOptions {
            max_waiting_bytes: 10,
            ..options
        };
        let hub = Hub::new(100, None);
        let upstream =
            Upstream::with_options(UpstreamUrl::parse(&url).unwrap(), Arc::clone(&hub), options)
                .unwrap();
        upstream.forward(accepted(&"x".repeat(100), 1));
        upstream.forward(accepted(&"x".repeat(100), 2));
        assert_eq!(upstream.pending(), 1);
        assert_eq!(hub.status().deliveries, 1);
    }

    #[test]
    fn previews_mask_the_key_everywhere() {
        let key = "wk_live_0123456789abcdef";
        let credentials = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{key}:"),
        );
        let body = format!(r#"{{"writeKey":"{key}","batch":[]}}"#);
        let accepted = Accepted {
            path_and_query: "/v1/batch".into(),
            headers: vec![
                ("authorization".into(), format!("Basic {credentials}")),
                ("x-api-key".into(), "sekrit-value-1234".into()),
                ("x-retry-count".into(), "1".into()),
            ],
            body: Bytes::from(body.clone()),
            decoded: Bytes::from(body),
            secrets: vec![key.into()],
            carries: vec![],
        };
        let preview = preview("https://api.segment.io/v1/batch", &accepted);
        let text = serde_json::to_string(&preview).unwrap();
        assert!(!text.contains(key), "{text}");
        assert!(!text.contains(&credentials), "{text}");
        assert!(!text.contains("sekrit-value-1234"), "{text}");
        assert_eq!(
            preview.headers[0].1,
            format!("Basic {}", mask_secret(&credentials))
        );
        assert_eq!(preview.headers[2].1, "1");
        assert!(preview.body.contains(&mask_secret(key)));
    }
}
