//! One listener serving the tracking API, the stream and `/health`.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::collector::upstream::{Upstream, UpstreamError, UpstreamUrl};
use crate::collector::{Collector, CollectorConfig, Limits};
use crate::hub::{DEFAULT_BUFFER, Hub};
use crate::recording::{Recorder, RecordingError};
use crate::stream::{self, StreamAccess};

/// The default `--listen` address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8707";

/// How long a stopping server waits for requests still on their way to the upstream.
const UPSTREAM_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub write_keys: Vec<String>,
    pub buffer: usize,
    pub record: Option<PathBuf>,
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    /// Proxy mode: forward every accepted request to this Segment-compatible API
    /// (`--upstream`, e.g. `https://api.segment.io`).
    pub upstream: Option<String>,
    /// `--redact`: masks secrets (or all PII) in messages before they are published or
    /// recorded.
    pub redactor: Option<Arc<crate::inspect::redact::Redactor>>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8707)),
            token: None,
            write_keys: Vec::new(),
            buffer: DEFAULT_BUFFER,
            record: None,
            allowed_origins: Vec::new(),
            limits: Limits::default(),
            upstream: None,
            redactor: None,
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
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
}

#[derive(Clone)]
struct HealthState {
    hub: Arc<Hub>,
    collector: Arc<Collector>,
    started: Instant,
}

impl Server {
    /// Checks the config, opens the recording and binds the listener.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServeError> {
        if !config.listen.ip().is_loopback() && config.token.is_none() {
            return Err(ServeError::TokenRequired(config.listen));
        }
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
        let hub = Hub::new(config.buffer, recorder);
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
            },
        );
        let access = StreamAccess {
            token: config.token.clone(),
            allowed_origins: config.allowed_origins.clone(),
        };
        let health = HealthState {
            hub: Arc::clone(&hub),
            collector: Arc::clone(&collector),
            started: Instant::now(),
        };
        let router = Router::new()
            .route("/health", get(health_report).with_state(health))
            .merge(stream::routes(Arc::clone(&hub), access))
            .merge(collector.routes());
        Ok(Server {
            hub,
            collector,
            upstream,
            listener,
            router,
            addr,
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
        let hub = Arc::clone(&self.hub);
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                shutdown.await;
                hub.shutdown();
            })
            .await;
        // Requests already accepted still reach the upstream, within reason.
        if let Some(upstream) = &self.upstream
            && !upstream.drain(UPSTREAM_DRAIN).await
        {
            tracing::warn!(
                "stopped with {} request(s) not yet delivered to the upstream",
                upstream.pending()
            );
        }
        self.hub.shutdown();
        result
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

async fn health_report(State(state): State<HealthState>) -> axum::Json<serde_json::Value> {
    let status = state.hub.status();
    let mut report = serde_json::json!({
        "ok": true,
        "server": crate::model::server_name(),
        "uptimeSeconds": state.started.elapsed().as_secs(),
        "requests": state.collector.requests(),
    });
    if let (Some(report), Ok(serde_json::Value::Object(status))) =
        (report.as_object_mut(), serde_json::to_value(status))
    {
        report.extend(status);
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
