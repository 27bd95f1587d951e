//! One listener serving the tracking API, the stream and `/health`.
//!
//! The accept loop is ours (hyper-util's auto builder under it) rather than `axum::serve`, so
//! that every connection has bounds: a cap on how many are open, a deadline for a request
//! head, an idle timeout between keep-alive requests, and a count and a `rejected` frame for
//! requests hyper refuses before any handler sees them.

mod connections;
mod fd_limit;

pub use connections::Timeouts;
pub use fd_limit::{connection_cap, open_file_limit, raise_open_file_limit};

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::bus::{Bus, BusConfig, BusError, Detached, NatsBus};
use crate::collector::upstream::{Upstream, UpstreamError, UpstreamUrl};
use crate::collector::{Collector, CollectorConfig, Limits};
use crate::hub::{DEFAULT_BUFFER, DEFAULT_BUFFER_BYTES, Hub, PendingFrame};
use crate::model::{FrameKind, Source, format_timestamp};
use crate::recording::{Recorder, RecordingError};
use crate::stream::{self, Keepalive, StreamAccess, TokenError};
use connections::{Conn, Connections, Expiry, Throttle, TrackedBody, TrackedStream};

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
/// How long a stopping server lets connections finish the request they are serving.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Log lines about refused connections, accept errors and malformed requests: at most one per
/// kind this often (with a count of the ones held back).
const LOG_EVERY: Duration = Duration::from_secs(5);
/// The first pause after an `accept` error; doubled while they go on, up to a second.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(5);

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
        let limits = config.connections;
        let open_files = open_file_limit();
        let cap = connection_cap(limits.max_connections, open_files);
        if cap < limits.max_connections {
            tracing::info!(
                "holding at most {cap} connections (not {}): the process may open {} files",
                limits.max_connections,
                open_files.unwrap_or_default()
            );
        }
        let connections = Connections::new(cap, limits.timeouts);
        // Stream viewers that stop answering pings count as timed out, like other connections.
        let keepalive = Keepalive {
            closed: Arc::clone(&connections.counters.timed_out),
            ..limits.stream
        };
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
        let context = Arc::new(ConnectionContext {
            builder: http_builder(),
            router,
            hub: Arc::clone(&hub),
            connections: Arc::clone(&connections),
            draining: CancellationToken::new(),
            stop: CancellationToken::new(),
            malformed_log: Throttle::new(LOG_EVERY),
        });
        // Each connection task holds a receiver; the sender sees them all gone.
        let (tasks, task) = watch::channel(());
        let refused_log = Throttle::new(LOG_EVERY);
        let accept_log = Throttle::new(LOG_EVERY);
        let mut backoff = ACCEPT_BACKOFF;
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = &mut shutdown => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => {
                    backoff = ACCEPT_BACKOFF;
                    accepted
                }
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    connections
                        .counters
                        .accept_errors
                        .fetch_add(1, Ordering::Relaxed);
                    // Out of file descriptors: an idle connection gives one back.
                    let evicted = is_out_of_files(&e) && connections.evict_one();
                    if let Some(held_back) = accept_log.allow() {
                        tracing::error!(
                            "accept error: {e}{}; {}retrying in {backoff:?}{}",
                            if evicted {
                                " (closed an idle connection)"
                            } else {
                                ""
                            },
                            if evicted { "" } else { "still serving, " },
                            connections::held_back_note(held_back)
                        );
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = &mut shutdown => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let Some((conn, slot)) = connections.admit(peer) else {
                drop(stream);
                if let Some(held_back) = refused_log.allow() {
                    tracing::warn!(
                        "refused a connection from {peer}: {} connections are open, none idle \
                         (--max-connections){}",
                        connections.cap(),
                        connections::held_back_note(held_back)
                    );
                }
                continue;
            };
            let io = TokioIo::new(TrackedStream::new(stream, Arc::clone(&conn), slot));
            tokio::spawn(serve_connection(
                Arc::clone(&context),
                io,
                conn,
                task.clone(),
            ));
        }
        drop(listener);
        // Streams end first; connections then finish what they are serving, within reason.
        hub.shutdown();
        context.draining.cancel();
        drop(task);
        if tokio::time::timeout(SHUTDOWN_GRACE, tasks.closed())
            .await
            .is_err()
        {
            context.stop.cancel();
            tasks.closed().await;
        }
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

/// What every connection task shares.
struct ConnectionContext {
    builder: auto::Builder<TokioExecutor>,
    router: Router,
    hub: Arc<Hub>,
    connections: Arc<Connections>,
    /// Cancelled when the server stops: connections finish their request, then close.
    draining: CancellationToken,
    /// Cancelled when the shutdown grace is over: connections close at once.
    stop: CancellationToken,
    malformed_log: Throttle,
}

fn http_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // The connection's watchdog times request heads and keep-alive waits itself: hyper's
        // own header timeout also runs between keep-alive requests, so it would end every
        // keep-alive at the header timeout.
        .header_read_timeout(None);
    builder
        .http2()
        .timer(TokioTimer::new())
        // Websockets over HTTP/2 (RFC 8441), as axum::serve allows.
        .enable_connect_protocol();
    builder
}

/// Serves one connection until it ends, times out, is evicted or the server stops.
async fn serve_connection(
    context: Arc<ConnectionContext>,
    io: TokioIo<TrackedStream>,
    conn: Arc<Conn>,
    _task: watch::Receiver<()>,
) {
    let peer = conn.peer;
    let router = context.router.clone();
    let requests = Arc::clone(&conn);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let in_flight = requests.request_started();
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                in_flight.upgraded();
            }
            Ok::<_, Infallible>(response.map(|body| Body::new(TrackedBody::new(body, in_flight))))
        }
    });
    let serving = context.builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(serving);
    let timeouts = context.connections.timeouts();
    let mut draining = false;
    loop {
        tokio::select! {
            served = serving.as_mut() => {
                if let Err(e) = served {
                    context.connection_failed(peer, e.as_ref());
                }
                return;
            }
            expiry = conn.expired(timeouts) => {
                context.connections.counters.timed_out.fetch_add(1, Ordering::Relaxed);
                match expiry {
                    Expiry::Header => tracing::debug!(
                        %peer, "closed a connection that sent no complete request head within {:?}",
                        timeouts.header
                    ),
                    Expiry::Idle => tracing::debug!(
                        %peer, "closed a keep-alive connection idle for {:?}", timeouts.idle
                    ),
                }
                return;
            }
            _ = conn.evicted() => return,
            _ = context.draining.cancelled(), if !draining => {
                draining = true;
                serving.as_mut().graceful_shutdown();
            }
            _ = context.stop.cancelled() => return,
        }
    }
}

impl ConnectionContext {
    /// A connection ended with an error. Requests hyper refused itself (it answered 400, 414
    /// or 431 before any handler saw them) are counted, logged and published; the rest (a
    /// peer that went away mid-request) are routine.
    fn connection_failed(&self, peer: SocketAddr, error: &(dyn std::error::Error + 'static)) {
        let Some(refused) = error
            .downcast_ref::<hyper::Error>()
            .filter(|e| e.is_parse())
        else {
            tracing::debug!(%peer, "connection ended: {error}");
            return;
        };
        self.connections
            .counters
            .malformed
            .fetch_add(1, Ordering::Relaxed);
        let status = malformed_status(refused);
        if let Some(held_back) = self.malformed_log.allow() {
            tracing::warn!(
                "malformed HTTP from {peer}: {refused}; answered {status}{}",
                connections::held_back_note(held_back)
            );
        }
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
            self.hub
                .publish_mirrored(PendingFrame::new(FrameKind::Rejected, tail.to_string()));
        }
    }
}

/// The status hyper answered a request it could not parse with (its `on_error`).
fn malformed_status(error: &hyper::Error) -> u16 {
    if error.is_parse_too_large() {
        // Both kinds count as "too large"; only the text tells the URI apart.
        if error.to_string().contains("URI") {
            414
        } else {
            431
        }
    } else {
        400
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

/// Errors about one incoming connection, not the listener: accept the next one at once.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// EMFILE or ENFILE: the process or the system ran out of file descriptors.
fn is_out_of_files(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

async fn health_report(State(state): State<HealthState>) -> axum::Json<serde_json::Value> {
    let status = state.hub.status();
    let connections = &state.connections;
    let counters = &connections.counters;
    let mut report = serde_json::json!({
        "ok": true,
        "server": crate::model::server_name(),
        "uptimeSeconds": state.started.elapsed().as_secs(),
        "requests": state.collector.requests(),
        "connections": connections.open(),
        "maxConnections": connections.cap(),
        "refusedConnections": counters.refused.load(Ordering::Relaxed),
        "evictedConnections": counters.evicted.load(Ordering::Relaxed),
        "timedOutConnections": counters.timed_out.load(Ordering::Relaxed),
        "malformedHttp": counters.malformed.load(Ordering::Relaxed),
        "acceptErrors": counters.accept_errors.load(Ordering::Relaxed),
    });

    if let (Some(report), Ok(serde_json::Value::Object(status))) =
        (report.as_object_mut(), serde_json::to_value(status))
    {
        report.extend(status);
    }
    if let (Some(report), Some((bus, detached))) = (report.as_object_mut(), &state.bus)
        && let Ok(mut bus) = serde_json::to_value(bus.status())
    {
        // Rejected and delivery frames that never reached the bus (not waited for).
        bus["dropped"] = detached.dropped().into();
        report.insert("bus".into(), bus);
    }
    axum::Json(report)
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
