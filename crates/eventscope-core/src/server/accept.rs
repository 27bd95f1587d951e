//! The accept loop every listener of ours runs (`serve` and `relay`): hyper-util's auto builder
//! under it rather than `axum::serve`, so that every connection has bounds — a cap on how many
//! are open, a deadline for a request head, an idle timeout between keep-alive requests — and
//! requests hyper refuses before any handler sees them are counted.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::connections::{self, Conn, Connections, Expiry, Throttle, TrackedBody, TrackedStream};

/// How long a stopping server lets connections finish the request they are serving.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Log lines about refused connections, accept errors and malformed requests: at most one per
/// kind this often (with a count of the ones held back).
const LOG_EVERY: Duration = Duration::from_secs(5);
/// The first pause after an `accept` error; doubled while they go on, up to a second.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(5);

/// Told of each request hyper refused itself, with the status it answered.
pub(crate) type OnMalformed = Box<dyn Fn(SocketAddr, u16, &hyper::Error) + Send + Sync>;

/// What a listener serves, and how.
pub(crate) struct Accepting {
    pub router: Router,
    pub connections: Arc<Connections>,
    /// The collector publishes refused requests as `rejected` frames; a relay only counts them.
    pub on_malformed: Option<OnMalformed>,
}

/// Accepts connections until `shutdown` completes; then calls `closing` (the server ends its
/// streams), lets connections finish the request they are serving for a few seconds, closes
/// the rest and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    accepting: Accepting,
    shutdown: impl Future<Output = ()>,
    closing: impl FnOnce(),
) {
    let connections = Arc::clone(&accepting.connections);
    let context = Arc::new(ConnectionContext {
        builder: http_builder(),
        accepting,
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
    closing();
    context.draining.cancel();
    drop(task);
    if tokio::time::timeout(SHUTDOWN_GRACE, tasks.closed())
        .await
        .is_err()
    {
        context.stop.cancel();
        tasks.closed().await;
    }
}

/// What every connection task shares.
struct ConnectionContext {
    builder: auto::Builder<TokioExecutor>,
    accepting: Accepting,
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
    let router = context.accepting.router.clone();
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
    let connections = &context.accepting.connections;
    let timeouts = connections.timeouts();
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
                connections.counters.timed_out.fetch_add(1, Ordering::Relaxed);
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
    /// or 431 before any handler saw them) are counted, logged and handed on; the rest (a
    /// peer that went away mid-request) are routine.
    fn connection_failed(&self, peer: SocketAddr, error: &(dyn std::error::Error + 'static)) {
        let Some(refused) = error
            .downcast_ref::<hyper::Error>()
            .filter(|e| e.is_parse())
        else {
            tracing::debug!(%peer, "connection ended: {error}");
            return;
        };
        self.accepting
            .connections
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
        if let Some(on_malformed) = &self.accepting.on_malformed {
            on_malformed(peer, status, refused);
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
