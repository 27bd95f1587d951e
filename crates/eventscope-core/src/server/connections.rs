//! The connections the server holds: how many at most, how long one may wait before sending a
//! request head, how long a keep-alive may sit idle, and room made for a real request by
//! closing the connection that has been idle the longest.
//!
//! Each accepted socket gets a [`Conn`] (its state, shared by the socket wrapper, the service
//! and the connection's task) and a [`Slot`] in the registry, held by the socket itself: a
//! websocket keeps its slot after the upgrade, for as long as the socket lives.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// "Not set" for the millisecond clocks below.
const UNSET: u64 = u64::MAX;

/// How long a connection may keep the server waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From accept to a complete first request head; on a keep-alive connection, from the
    /// first byte of the next request to its complete head.
    pub header: Duration,
    /// Between requests on a keep-alive connection, before the next one starts.
    pub idle: Duration,
}

/// What `/health` reports about connections.
#[derive(Debug, Default)]
pub struct ConnectionCounters {
    /// New connections closed at once: the cap was reached and none open was idle.
    pub refused: AtomicU64,
    /// Idle connections closed to make room for a new one.
    pub evicted: AtomicU64,
    /// Connections closed by a timeout (header, idle, or a stream viewer's silence).
    pub timed_out: Arc<AtomicU64>,
    /// Requests hyper refused before any handler saw them (bad framing, 414, 431…).
    pub malformed: AtomicU64,
    /// `accept` failures (out of file descriptors, mostly).
    pub accept_errors: AtomicU64,
}

/// Why a connection was closed by its watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// It did not send a complete request head in time.
    Header,
    /// It sat idle between requests for too long.
    Idle,
}

/// The registry of open connections.
pub struct Connections {
    epoch: Instant,
    cap: usize,
    timeouts: Timeouts,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    pub counters: ConnectionCounters,
}

impl Connections {
    pub fn new(cap: usize, timeouts: Timeouts) -> Arc<Connections> {
        Arc::new(Connections {
            epoch: Instant::now(),
            cap: cap.max(1),
            timeouts,
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            counters: ConnectionCounters::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // Every change under the lock is one insert or remove: a poisoned map is still whole.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most connections held at once.
    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Connections open now (websockets included).
    pub fn open(&self) -> usize {
        self.lock().len()
    }

    /// Takes a slot for a new connection from `peer`. At the cap, the connection idle the
    /// longest is closed to make room; with none idle, `None`: the caller closes the new one.
    pub fn admit(self: &Arc<Self>, peer: SocketAddr) -> Option<(Arc<Conn>, Slot)> {
        let mut open = self.lock();
        if open.len() >= self.cap && !self.evict_idlest(&mut open) {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let now = millis_since(self.epoch);
        let conn = Arc::new(Conn {
            peer,
            epoch: self.epoch,
            accepted_ms: now,
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            upgraded: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(now),
            head_started_ms: AtomicU64::new(UNSET),
            changed: Notify::new(),
            close: CancellationToken::new(),
        });
        open.insert(id, Arc::clone(&conn));
        let slot = Slot {
            id,
            registry: Arc::clone(self),
        };
        Some((conn, slot))
    }

    /// Closes the connection idle the longest, if any is idle; true if one was.
    pub fn evict_one(&self) -> bool {
        self.evict_idlest(&mut self.lock())
    }

    fn evict_idlest(&self, open: &mut HashMap<u64, Arc<Conn>>) -> bool {
        let victim = open
            .iter()
            .filter(|(_, conn)| conn.is_idle())
            .min_by_key(|(id, conn)| (conn.idle_since_ms.load(Ordering::Relaxed), **id))
            .map(|(id, _)| *id);
        let Some(conn) = victim.and_then(|id| open.remove(&id)) else {
            return false;
        };
        conn.close.cancel();
        self.counters.evicted.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(peer = %conn.peer, "closed an idle connection to make room");
        true
    }
}

/// A connection's place in the registry, given back when the socket is dropped.
pub struct Slot {
    id: u64,
    registry: Arc<Connections>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// One connection's state, shared by its socket, its service and its task.
pub struct Conn {
    pub peer: SocketAddr,
    epoch: Instant,
    accepted_ms: u64,
    /// Requests whose response body has not been dropped yet.
    in_flight: AtomicUsize,
    /// Requests started on this connection.
    served: AtomicU64,
    /// Handed over to a websocket: not idle, not timed out here.
    upgraded: AtomicBool,
    idle_since_ms: AtomicU64,
    /// When the first byte of the next request arrived on an idle keep-alive connection.
    head_started_ms: AtomicU64,
    /// Woken on every change that moves the watchdog's deadline.
    changed: Notify,
    /// Cancelled when the connection is evicted.
    close: CancellationToken,
}

impl Conn {
    /// Idle: no request in flight (waiting for a head, slowly receiving one, or a keep-alive
    /// between requests) and not a websocket.
    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && !self.upgraded.load(Ordering::Acquire)
    }

    /// A request head was read: the request is in flight until its response body is dropped.
    pub fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.served.fetch_add(1, Ordering::Relaxed);
        self.head_started_ms.store(UNSET, Ordering::Release);
        self.changed.notify_waiters();
        InFlight {
            conn: Arc::clone(self),
        }
    }

    /// Bytes came in: on an idle keep-alive connection, the next request's head has started.
    fn bytes_arrived(&self) {
        if self.served.load(Ordering::Relaxed) > 0
            && self.is_idle()
            && self
                .head_started_ms
                .compare_exchange(
                    UNSET,
                    millis_since(self.epoch),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            self.changed.notify_waiters();
        }
    }

    /// When the connection must be closed if nothing changes, and why; `None` while a request
    /// is in flight or the connection is a websocket.
    fn deadline(&self, timeouts: Timeouts) -> Option<(Instant, Expiry)> {
        if !self.is_idle() {
            return None;
        }
        let at = |ms: u64, after: Duration| self.epoch + Duration::from_millis(ms) + after;
        if self.served.load(Ordering::Relaxed) == 0 {
            return Some((at(self.accepted_ms, timeouts.header), Expiry::Header));
        }
        match self.head_started_ms.load(Ordering::Acquire) {
            UNSET => Some((
                at(self.idle_since_ms.load(Ordering::Acquire), timeouts.idle),
                Expiry::Idle,
            )),
            started => Some((at(started, timeouts.header), Expiry::Header)),
        }
    }

    /// Completes when the connection has overstayed a timeout.
    pub async fn expired(&self, timeouts: Timeouts) -> Expiry {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the state is read, so no change can slip between the two.
            changed.as_mut().enable();
            match self.deadline(timeouts) {
                None => changed.await,
                Some((deadline, expiry)) => {
                    tokio::select! {
                        _ = changed => {}
                        _ = tokio::time::sleep_until(deadline) => {
                            if self.deadline(timeouts) == Some((deadline, expiry)) {
                                return expiry;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Completes when the registry closed this connection to make room.
    pub async fn evicted(&self) {
        self.close.cancelled().await
    }
}

/// A request in flight; dropped with its response body.
pub struct InFlight {
    conn: Arc<Conn>,
}

impl InFlight {
    /// The response switches protocols: from now on the socket belongs to a websocket.
    pub fn upgraded(&self) {
        self.conn.upgraded.store(true, Ordering::Release);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.conn.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.conn
                .idle_since_ms
                .store(millis_since(self.conn.epoch), Ordering::Release);
            self.conn.changed.notify_waiters();
        }
    }
}

/// A response body that keeps its request in flight until hyper is done with it.
pub struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl TrackedBody {
    pub fn new(body: Body, in_flight: InFlight) -> Self {
        TrackedBody {
            body,
            _in_flight: in_flight,
        }
    }
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The accepted socket: notes arriving bytes, and holds the connection's slot.
pub struct TrackedStream {
    stream: TcpStream,
    conn: Arc<Conn>,
    _slot: Slot,
}

impl TrackedStream {
    pub fn new(stream: TcpStream, conn: Arc<Conn>, slot: Slot) -> Self {
        TrackedStream {
            stream,
            conn,
            _slot: slot,
        }
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Lets a log line through at most once per interval, counting the ones held back.
pub struct Throttle {
    epoch: Instant,
    every: Duration,
    next_ms: AtomicU64,
    held_back: AtomicU64,
}

impl Throttle {
    pub fn new(every: Duration) -> Self {
        Throttle {
            epoch: Instant::now(),
            every,
            next_ms: AtomicU64::new(0),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a line may be logged now, `n` being how many were held back since the
    /// last one; `None` when this one is held back.
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(millis_since(self.epoch))
    }

    fn allow_at(&self, now_ms: u64) -> Option<u64> {
        let next = self.next_ms.load(Ordering::Acquire);
        let every = u64::try_from(self.every.as_millis()).unwrap_or(u64::MAX);
        if now_ms >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now_ms.saturating_add(every),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            Some(self.held_back.swap(0, Ordering::AcqRel))
        } else {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// " (N more since the last report)" or nothing.
pub fn held_back_note(held_back: u64) -> String {
    if held_back == 0 {
        String::new()
    } else {
        format!(" ({held_back} more since the last report)")
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let connections = Connections::new(2, TIMEOUTS);
        let (first, first_slot) = connections.admit(peer(1)).unwrap();
        let (second, _second_slot) = connections.admit(peer(2)).unwrap();
        let busy = second.request_started();
        let (_third, _third_slot) = connections.admit(peer(3)).unwrap();
        assert!(first.close.is_cancelled(), "the idle one was closed");
        assert!(!second.close.is_cancelled(), "a request in flight is kept");
        assert_eq!(connections.open(), 2);
        assert_eq!(connections.counters.evicted.load(Ordering::Relaxed), 1);
        // Its slot, dropped later with the socket, frees nothing twice.
        drop(first_slot);
        assert_eq!(connections.open(), 2);
        drop(busy);
    }

    #[tokio::test]
    async fn with_nothing_idle_a_new_connection_is_refused() {
        let connections = Connections::new(1, TIMEOUTS);
        let (conn, slot) = connections.admit(peer(1)).unwrap();
        let in_flight = conn.request_started();
        assert!(connections.admit(peer(2)).is_none());
        assert_eq!(connections.counters.refused.load(Ordering::Relaxed), 1);
        // A websocket is never idle either.
        in_flight.upgraded();
        drop(in_flight);
        assert!(connections.admit(peer(3)).is_none());
        drop(slot);
        assert!(connections.admit(peer(4)).is_some());
    }

    #[tokio::test]
    async fn deadlines_follow_the_request_cycle() {
        let connections = Connections::new(4, TIMEOUTS);
        let (conn, _slot) = connections.admit(peer(1)).unwrap();
        let start = conn.epoch + Duration::from_millis(conn.accepted_ms);
        assert_eq!(
            conn.deadline(TIMEOUTS),
            Some((start + TIMEOUTS.header, Expiry::Header))
        );
        // Bytes before the first request change nothing: the first head is timed from accept.
        conn.bytes_arrived();
        assert_eq!(
            conn.deadline(TIMEOUTS),
            Some((start + TIMEOUTS.header, Expiry::Header))
        );
        let in_flight = conn.request_started();
        assert_eq!(conn.deadline(TIMEOUTS), None);
        let before_idle = Instant::now();
        drop(in_flight);
        let (deadline, expiry) = conn.deadline(TIMEOUTS).unwrap();
        assert_eq!(expiry, Expiry::Idle);
        assert!(deadline + Duration::from_millis(1) >= before_idle + TIMEOUTS.idle);
        conn.bytes_arrived();
        let (deadline, expiry) = conn.deadline(TIMEOUTS).unwrap();
        assert_eq!(expiry, Expiry::Header);
        assert!(deadline + Duration::from_millis(1) >= before_idle + TIMEOUTS.header);
    }

    #[tokio::test]
    async fn an_idle_connection_expires_and_a_busy_one_does_not() {
        let short = Timeouts {
            header: Duration::from_millis(20),
            idle: Duration::from_millis(20),
        };
        let connections = Connections::new(4, short);
        let (conn, _slot) = connections.admit(peer(1)).unwrap();
        assert_eq!(conn.expired(short).await, Expiry::Header);
        let in_flight = conn.request_started();
        // Busy: not even ten timeouts end it.
        let waited = tokio::time::timeout(Duration::from_millis(200), conn.expired(short)).await;
        assert!(waited.is_err());
        drop(in_flight);
        assert_eq!(conn.expired(short).await, Expiry::Idle);
    }

    #[test]
    fn the_throttle_lets_one_line_through_per_interval() {
        let throttle = Throttle::new(Duration::from_secs(5));
        assert_eq!(throttle.allow_at(0), Some(0));
        assert_eq!(throttle.allow_at(10), None);
        assert_eq!(throttle.allow_at(4_999), None);
        assert_eq!(throttle.allow_at(5_000), Some(2));
        assert_eq!(throttle.allow_at(5_001), None);
    }
}
