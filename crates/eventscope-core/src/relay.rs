//! A relay (`eventscope relay`): checks its exposure, connects to the bus, binds, and serves
//! `/v1/stream` from the bus until shut down.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::bus::{BusError, NatsReader};
use crate::server::{ServeError, check_exposure};
use crate::stream::{Keepalive, StreamAccess, relay_routes};

/// What a relay serves, and to whom.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub listen: SocketAddr,
    /// `nats://HOST:PORT` for each server (any one of them will do).
    pub servers: Vec<String>,
    /// The JetStream stream the collectors publish to.
    pub stream: String,
    pub access: StreamAccess,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Exposure(#[from] ServeError),
    #[error("cannot reach the bus: {0}")]
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
        matches!(self, RelayError::Exposure(_))
    }
}

/// A relay bound to its address, not serving yet.
pub struct Relay {
    listener: tokio::net::TcpListener,
    reader: Arc<NatsReader>,
    access: StreamAccess,
}

impl Relay {
    pub async fn bind(config: RelayConfig) -> Result<Relay, RelayError> {
        check_exposure(config.listen, config.access.token.as_deref())?;
        let reader = NatsReader::connect(config.servers, config.stream).await?;
        let listen = |source| RelayError::Listen {
            addr: config.listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(listen)?;
        Ok(Relay {
            listener,
            reader: Arc::new(reader),
            access: config.access,
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
        let app = relay_routes(
            self.reader,
            self.access,
            Keepalive::default(),
            closing.clone(),
        );
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                closing.cancel();
            })
            .await
    }
}
