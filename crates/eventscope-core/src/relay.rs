//! A relay (`eventscope relay`): checks its exposure, connects to the bus, binds, and serves
//! `/v1/stream` from the bus and `/health` until shut down, with the same connection bounds
//! as `serve`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::bus::{Bus, BusConfig, BusError, Detached, NatsBus, NatsReader, StreamSettings};
use crate::server::{
    Accepting, ConnectionLimits, Connections, ServeError, check_exposure, connections_health,
    serve_connections,
};
use crate::stream::{Feeds, Keepalive, StreamAccess, relay_routes};

/// What a relay serves, and to whom.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub listen: SocketAddr,
    /// `nats://HOST:PORT` for each server (any one of them will do).
    pub servers: Vec<String>,
    /// The JetStream stream the collectors publish to.
    pub stream: String,
    pub access: StreamAccess,
    /// `--max-connections`, `--header-timeout`, `--idle-timeout`, as for `serve`.
    pub connections: ConnectionLimits,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Exposure(#[from] ServeError),
    #[error("--bus: {0}")]
    Bus(#[from] BusError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl RelayError {
    /// A usage or access problem (exit code 2), not a failure at run time.
    pub fn is_usage(&self) -> bool {
        matches!(self, RelayError::Exposure(_) | RelayError::Bus(_))
    }
}

/// A relay bound to its address, not serving yet.
pub struct Relay {
    listener: tokio::net::TcpListener,
    reader: Arc<NatsReader>,
    feeds: Arc<Feeds>,
    deliveries: Arc<Detached>,
    access: StreamAccess,
    connections: Arc<Connections>,
    keepalive: Keepalive,
}

impl Relay {
    /// Checks the config, connects to the bus (a bus that is down is retried in the
    /// background: viewers get 503 `bus_unavailable` until it answers) and binds.
    pub async fn bind(config: RelayConfig) -> Result<Relay, RelayError> {
        check_exposure(config.listen, config.access.token.as_deref())?;
        // Viewers' delivery frames go to the same stream; the relay never creates it.
        let publishing = BusConfig {
            servers: config.servers.clone(),
            stream: StreamSettings {
                name: config.stream.clone(),
                create_if_missing: false,
                ..StreamSettings::default()
            },
        };
        let (reader, publisher) = tokio::join!(
            NatsReader::connect(config.servers, config.stream),
            NatsBus::connect(publishing)
        );
        let reader = Arc::new(reader?);
        let deliveries = Detached::spawn(publisher? as Arc<dyn Bus>);
        let listen = |source| RelayError::Listen {
            addr: config.listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(listen)?;
        let (connections, keepalive) = config.connections.registry();
        Ok(Relay {
            listener,
            feeds: Arc::new(Feeds::new(Arc::clone(&reader))),
            reader,
            deliveries,
            access: config.access,
            connections,
            keepalive,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn reader(&self) -> &NatsReader {
        &self.reader
    }

    /// Serves until `shutdown` completes; viewers are then closed (1001).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let closing = CancellationToken::new();
        let health = HealthState {
            reader: Arc::clone(&self.reader),
            deliveries: Arc::clone(&self.deliveries),
            feeds: Arc::clone(&self.feeds),
            connections: Arc::clone(&self.connections),
            started: Instant::now(),
        };
        let router = Router::new()
            .route("/health", get(health_report).with_state(health))
            .merge(relay_routes(
                self.reader,
                self.feeds,
                self.deliveries,
                self.access,
                self.keepalive,
                closing.clone(),
            ));
        let accepting = Accepting {
            router,
            connections: self.connections,
            on_malformed: None,
        };
        serve_connections(self.listener, accepting, shutdown, || closing.cancel()).await;
        Ok(())
    }
}

#[derive(Clone)]
struct HealthState {
    reader: Arc<NatsReader>,
    deliveries: Arc<Detached>,
    feeds: Arc<Feeds>,
    connections: Arc<Connections>,
    started: Instant,
}

/// The relay's `/health`: its connections, the bus (connection state, the stream as the server
/// holds it) and its feeds (one consumer per narrowing) with their viewers.
async fn health_report(State(state): State<HealthState>) -> axum::Json<serde_json::Value> {
    let reader = &state.reader;
    let mut bus = serde_json::json!({
        "kind": "nats",
        "servers": reader.servers(),
        "stream": reader.stream_name(),
        "state": reader.connection_state(),
        // Viewers' delivery frames that never reached the bus.
        "dropped": state.deliveries.dropped(),
    });
    // Asked only of a connected bus: a request to one that is down would wait out its timeout.
    if reader.connection_state() == "connected" {
        match reader.stream_report().await {
            Ok(report) => bus["streamState"] = serde_json::to_value(report).unwrap_or_default(),
            Err(e) => bus["streamError"] = e.to_string().into(),
        }
    }
    let feeds = state.feeds.report().await;
    let viewers: usize = feeds.iter().map(|feed| feed.viewers).sum();
    let mut report = serde_json::json!({
        "ok": true,
        "role": "relay",
        "server": crate::model::server_name(),
        "uptimeSeconds": state.started.elapsed().as_secs(),
        "viewers": viewers,
        "feeds": feeds,
        "bus": bus,
    });
    if let Some(report) = report.as_object_mut() {
        report.extend(connections_health(&state.connections));
    }
    axum::Json(report)
}
