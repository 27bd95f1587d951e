//! One listener serving the tracking API, the stream and `/health`.
//!
//! Connections are bounded by [`accept`]'s loop (a cap, a deadline for a request head, an idle
//! timeout); requests hyper refuses before any handler sees them become `rejected` frames.

mod accept;
mod connections;
mod fd_limit;

pub(crate) use accept::{Accepting, serve as serve_connections};
pub(crate) use connections::Connections;

pub use connections::Timeouts;
pub use fd_limit::{connection_cap, open_file_limit, raise_open_file_limit};

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::bus::{Bus, BusConfig, BusError, Detached, NatsBus};
use crate::collector::upstream::{Upstream, UpstreamError, UpstreamUrl};
use crate::collector::{Collector, CollectorConfig, Limits};
use crate::hub::{DEFAULT_BUFFER, DEFAULT_BUFFER_BYTES, Hub, PendingFrame};
use crate::model::{FrameKind, Source, format_timestamp};
use crate::recording::{Recorder, RecordingError};
use crate::stream::{self, Keepalive, StreamAccess, TokenError};

/// The default `--listen` address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8707";

/// `--header-timeout`'s default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// `--idle-timeout`'s default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// `--max-connections`' default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// How long a stopping server waits for requests still on their way to the upstream.
const UPSTREAM_DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub write_keys: Vec<String>,
    pub buffer: usize,
    /// Bytes of frames retained (`--buffer-bytes`), besides the count.
    pub buffer_bytes: u64,
    pub record: Option<PathBuf>,
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    /// Proxy mode: forward every accepted request to this Segment-compatible API
    /// (`--upstream`, e.g. `https://api.segment.io`).
    pub upstream: Option<String>,
    pub connections: ConnectionLimits,
    /// `--redact`: masks secrets (or all PII) in messages before they are published or
    /// recorded.
    pub redactor: Option<Arc<crate::inspect::redact::Redactor>>,
    /// `--bus`: publish every frame to NATS JetStream and answer the SDK after the ack.
    pub bus: Option<BusConfig>,
}

/// Bounds on the connections a server holds.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// `--header-timeout` and `--idle-timeout`.
    pub timeouts: Timeouts,
    /// `--max-connections`; lowered to what the open-file limit allows.
    pub max_connections: usize,
    /// Stream subscribers' pings and dead-peer timeout.
    pub stream: Keepalive,
}

impl ConnectionLimits {
    /// The registry these limits ask for (the cap lowered to what the open-file limit
    /// allows), and the stream keepalive counting its silent viewers as timed out.
    pub(crate) fn registry(&self) -> (Arc<Connections>, Keepalive) {
        let open_files = open_file_limit();
        let cap = connection_cap(self.max_connections, open_files);
        if cap < self.max_connections {
            tracing::info!(
                "holding at most {cap} connections (not {}): the process may open {} files",
                self.max_connections,
                open_files.unwrap_or_default()
            );
        }
        let connections = Connections::new(cap, self.timeouts);
        // Stream viewers that stop answering pings count as timed out, like other connections.
        let keepalive = Keepalive {
            closed: Arc::clone(&connections.counters.timed_out),
            ..self.stream.clone()
        };
        (connections, keepalive)
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            timeouts: Timeouts {
                header: DEFAULT_HEADER_TIMEOUT,
                idle: DEFAULT_IDLE_TIMEOUT,
            },
            max_connections: DEFAULT_MAX_CONNECTIONS,
            stream: Keepalive::default(),
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8707)),
            token: None,
            write_keys: Vec::new(),
            buffer: DEFAULT_BUFFER,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            record: None,
            allowed_origins: Vec::new(),
            limits: Limits::default(),
            upstream: None,
            connections: ConnectionLimits::default(),
            redactor: None,
            bus: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on {0} without --token: anyone who can reach it could read your \
         events; pass --token SECRET (or EVENTSCOPE_TOKEN), or listen on 127.0.0.1"
    )]
    TokenRequired(SocketAddr),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// A bad `--upstream`: a usage error, found before anything listens.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// A bad `--bus`: a usage error, found before anything listens.
    #[error("--bus: {0}")]
    Bus(#[from] BusError),
}

impl ServeError {
    /// A usage problem (exit code 2), found before anything listens.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ServeError::TokenRequired(_)
                | ServeError::Token(_)
                | ServeError::Upstream(_)
                | ServeError::Bus(_)
        )
    }
}

/// Parses `--listen`: `IP:PORT`, `localhost:PORT`, `:PORT` or `PORT` (the last two on 127.0.0.1).
pub fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    let value = value.trim();
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = value
        .strip_prefix("localhost:")
        .or_else(|| value.strip_prefix(':'))
        .unwrap_or(value);
    port.parse::<u16>()
        .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
        .map_err(|_| format!("{value:?} is not an address; use IP:PORT, e.g. 127.0.0.1:8707"))
}

/// A bound, not yet serving, server.
pub struct Server {
    pub hub: Arc<Hub>,
    pub collector: Arc<Collector>,
    /// Proxy mode's forwarder, drained (briefly) when the server stops.
    pub upstream: Option<Arc<Upstream>>,
    /// `--bus`'s publisher.
    pub bus: Option<Arc<dyn Bus>>,
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    connections: Arc<Connections>,
}

#[derive(Clone)]
struct HealthState {
    hub: Arc<Hub>,
    collector: Arc<Collector>,
    connections: Arc<Connections>,
    bus: Option<(Arc<dyn Bus>, Arc<Detached>)>,
    started: Instant,
}

/// The stream's exposure rule, for `serve` and `relay` alike: a token, if any, must be usable,
/// and listening beyond loopback needs one.
pub fn check_exposure(listen: SocketAddr, token: Option<&str>) -> Result<(), ServeError> {
    if let Some(token) = token {
        stream::check_token(token)?;
    }
    if !listen.ip().is_loopback() && token.is_none() {
        return Err(ServeError::TokenRequired(listen));
    }
    Ok(())
}

impl Server {
    /// Checks the config, opens the recording and binds the listener.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServeError> {
        check_exposure(config.listen, config.token.as_deref())?;
        let upstream_url = config
            .upstream
            .as_deref()
            .map(UpstreamUrl::parse)
            .transpose()?;
        let recorder = match &config.record {
            Some(path) => Some(Recorder::open(path)?),
            None => None,
        };
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
        // Connects in the background: a bus that is down now is retried, requests get 503.
        let bus: Option<Arc<dyn Bus>> = match config.bus.clone() {
            Some(bus) => Some(NatsBus::connect(bus).await?),
            None => None,
        };
        let hub = Hub::bounded(config.buffer, config.buffer_bytes, recorder);
        let detached = bus.as_ref().map(|bus| Detached::spawn(Arc::clone(bus)));
        if let Some(detached) = &detached {
            hub.set_mirror(Arc::clone(detached) as Arc<dyn crate::hub::Mirror>);
        }
        let upstream = match upstream_url {
            Some(url) => Some(Upstream::new(url, Arc::clone(&hub))?),
            None => None,
        };
        let collector = Collector::new(
            Arc::clone(&hub),
            CollectorConfig {
                write_keys: config.write_keys.clone(),
                limits: config.limits,
                upstream: upstream.clone(),
                redactor: config.redactor.clone(),
                bus: bus.clone().zip(detached.clone()),
            },
        );
        let access = StreamAccess {
            token: config.token.clone(),
            allowed_origins: config.allowed_origins.clone(),
        };
        let (connections, keepalive) = config.connections.registry();
        let health = HealthState {
            hub: Arc::clone(&hub),
            collector: Arc::clone(&collector),
            connections: Arc::clone(&connections),
            bus: bus.clone().zip(detached),
            started: Instant::now(),
        };
        let router = Router::new()
            .route("/health", get(health_report).with_state(health))
            .merge(stream::routes(Arc::clone(&hub), access, keepalive))
            .merge(collector.routes())
            .method_not_allowed_fallback({
                let collector = Arc::clone(&collector);
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      method: Method,
                      uri: Uri,
                      headers: HeaderMap,
                      body: Body| {
                    let collector = Arc::clone(&collector);
                    async move { collector.request(peer, method, uri, headers, body).await }
                }
            });
        Ok(Server {
            hub,
            collector,
            upstream,
            bus,
            listener,
            router,
            addr,
            connections,
        })
    }

    /// The address actually bound (the chosen port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then closes streams and flushes the recording.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server {
            hub,
            upstream,
            listener,
            router,
            connections,
            ..
        } = self;
        let malformed = {
            let hub = Arc::clone(&hub);
            Box::new(
                move |peer: SocketAddr, status: u16, refused: &hyper::Error| {
                    publish_malformed(&hub, peer, status, refused)
                },
            )
        };
        let accepting = Accepting {
            router,
            connections,
            on_malformed: Some(malformed),
        };
        // Streams end first; connections then finish what they are serving, within reason.
        accept::serve(listener, accepting, shutdown, || hub.shutdown()).await;
        // Requests already accepted still reach the upstream, within reason.
        if let Some(upstream) = &upstream
            && !upstream.drain(UPSTREAM_DRAIN).await
        {
            tracing::warn!(
                "stopped with {} request(s) not yet delivered to the upstream",
                upstream.pending()
            );
        }
        hub.shutdown();
        Ok(())
    }

    /// Serves in a background task; for embedding (the TUI, tests, benchmarks).
    pub fn spawn(self) -> RunningServer {
        let stop = CancellationToken::new();
        let addr = self.addr;
        let hub = Arc::clone(&self.hub);
        let signal = stop.clone();
        let task = tokio::spawn(self.run(async move { signal.cancelled().await }));
        RunningServer {
            addr,
            hub,
            stop,
            task,
        }
    }
}

/// A server serving in the background.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub hub: Arc<Hub>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stream_url(&self) -> String {
        format!("ws://{}/v1/stream", self.addr)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(self) -> std::io::Result<()> {
        self.stop.cancel();
        self.task.await.unwrap_or(Ok(()))
    }
}

/// Publishes a request hyper refused before any handler saw it as a `rejected` frame, as the
/// collector writes them.
fn publish_malformed(hub: &Hub, peer: SocketAddr, status: u16, refused: &hyper::Error) {
    let source = Source {
        ip: Some(peer.ip().to_string()),
        ..Source::default()
    };
    let frame = MalformedTail {
        received_at: format_timestamp(chrono::Utc::now()),
        source: &source,
        status,
        code: "malformed_http",
        message: format!("{refused} (refused by the HTTP layer; no handler saw it)"),
        body: "",
        body_bytes: 0,
    };
    if let Ok(json) = serde_json::to_string(&frame)
        && let Some(tail) = json.strip_prefix('{')
    {
        hub.publish_mirrored(PendingFrame::new(FrameKind::Rejected, tail.to_string()));
    }
}

/// A `rejected` frame's fields after its seq, as the collector writes them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MalformedTail<'a> {
    received_at: String,
    source: &'a Source,
    status: u16,
    code: &'a str,
    message: String,
    body: &'a str,
    body_bytes: u64,
}

async fn health_report(State(state): State<HealthState>) -> axum::Json<serde_json::Value> {
    let status = state.hub.status();
    let mut report = serde_json::json!({
        "ok": true,
        "server": crate::model::server_name(),
        "uptimeSeconds": state.started.elapsed().as_secs(),
        "requests": state.collector.requests(),
    });
    if let Some(report) = report.as_object_mut() {
        report.extend(connections_health(&state.connections));
    }
    if let (Some(report), Ok(serde_json::Value::Object(status))) =
        (report.as_object_mut(), serde_json::to_value(status))
    {
        report.extend(status);
    }
    if let (Some(report), Some((bus, detached))) = (report.as_object_mut(), &state.bus)
        && let Ok(mut status) = serde_json::to_value(bus.status())
    {
        // Rejected and delivery frames that never reached the bus (not waited for).
        status["dropped"] = detached.dropped().into();
        // Asked only of a connected bus: a request to one that is down would wait out its
        // timeout.
        if status["state"] == "connected" {
            match bus.stream_report().await {
                Ok(stream) => {
                    status["streamState"] = serde_json::to_value(stream).unwrap_or_default()
                }
                Err(e) => status["streamError"] = e.to_string().into(),
            }
        }
        report.insert("bus".into(), status);
    }
    axum::Json(report)
}

/// The `/health` fields about connections, for `serve` and `relay` alike.
pub(crate) fn connections_health(
    connections: &Connections,
) -> serde_json::Map<String, serde_json::Value> {
    let counters = &connections.counters;
    let count = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let report = serde_json::json!({
        "connections": connections.open(),
        "maxConnections": connections.cap(),
        "refusedConnections": count(&counters.refused),
        "evictedConnections": count(&counters.evicted),
        "timedOutConnections": count(&counters.timed_out),
        "malformedHttp": count(&counters.malformed),
        "acceptErrors": count(&counters.accept_errors),
    });
    match report {
        serde_json::Value::Object(fields) => fields,
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listen_forms() {
        assert_eq!(parse_listen("127.0.0.1:0").unwrap().port(), 0);
        assert_eq!(
            parse_listen("localhost:9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert_eq!(
            parse_listen(":9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert_eq!(
            parse_listen("[::1]:9000").unwrap(),
            "[::1]:9000".parse().unwrap()
        );
        assert!(parse_listen("example.com:80").is_err());
    }
}
