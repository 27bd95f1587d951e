//! Ingest benchmark: throughput against a bare axum handler, POST → frame latency, and the
//! memory of the real binary with a full ring.
//!
//! ```text
//! cargo bench --bench ingest
//! EVENTSCOPE_BENCH_SECONDS=2 cargo bench --bench ingest     # quick smoke run
//! EVENTSCOPE_BENCH_PRETTY=1 cargo bench --bench ingest      # pretty-printed bodies
//! ```
//!
//! Knobs (environment): `EVENTSCOPE_BENCH_SECONDS` (measurement window, default 10),
//! `EVENTSCOPE_BENCH_CONNS` (connection counts to sweep, default `2,4,8,16`; one value skips
//! the sweep), `EVENTSCOPE_BENCH_SERVER_THREADS` / `EVENTSCOPE_BENCH_CLIENT_THREADS` (tokio
//! workers of the server and the load-generator runtimes, default 2 and 2).
//!
//! The load generator is a minimal HTTP/1.1 client over keep-alive tokio `TcpStream`s, one
//! request in flight per connection, with every request's bytes prepared in advance, so that
//! it costs as little as possible of the two cores it shares with the server. Ours and the bare
//! handler are driven by the identical generator on identically configured runtimes, in
//! alternating slices. Each window also reports where the CPU went (server threads, load
//! generator, the rest of the machine, read from `/proc`), since the machine may be shared.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use eventscope::server::{RunningServer, ServeConfig, Server};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{
    FIXTURE, env_list, env_number, fixture_messages, proc_stat, runtime, status_kib,
    system_busy_ticks,
};
use eventscope::model::thousands;

const BATCH_MESSAGES: usize = 100;
const EVENT_PREFIX: &str = r#"{"type":"event","seq":"#;
const LATENCY_RATE: u64 = 5_000;
const LATENCY_BATCH: usize = 10;
const LATENCY_CONNS: usize = 2;
const LATENCY_ID_PREFIX: &str = "lat-";
const MEMORY_MESSAGES: usize = 100_000;
const MEMORY_CONNS: usize = 4;
/// The main throughput window is split in this many ours/bare alternations.
const MAIN_SLICES: u32 = 2;

// ---------------------------------------------------------------------------------------------
// Configuration

struct Config {
    window: Duration,
    warmup: Duration,
    sweep_window: Duration,
    sweep_warmup: Duration,
    conns: Vec<usize>,
    server_threads: usize,
    client_threads: usize,
}

impl Config {
    fn from_env() -> Config {
        let seconds: f64 = env_number("EVENTSCOPE_BENCH_SECONDS")
            .filter(|s: &f64| *s > 0.0)
            .unwrap_or(10.0);
        let conns = env_list("EVENTSCOPE_BENCH_CONNS", &[2, 4, 8, 16]);
        Config {
            window: Duration::from_secs_f64(seconds),
            warmup: Duration::from_secs_f64((seconds * 0.2).clamp(0.3, 2.0)),
            sweep_window: Duration::from_secs_f64((seconds * 0.3).clamp(0.5, 3.0)),
            sweep_warmup: Duration::from_secs_f64((seconds * 0.1).clamp(0.3, 1.0)),
            conns,
            server_threads: env_number("EVENTSCOPE_BENCH_SERVER_THREADS")
                .filter(|n| *n > 0)
                .unwrap_or(2),
            client_threads: env_number("EVENTSCOPE_BENCH_CLIENT_THREADS")
                .filter(|n| *n > 0)
                .unwrap_or(2),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request bodies

fn now_iso() -> String {
    eventscope::model::format_timestamp(chrono::Utc::now())
}

fn batch_body<S: AsRef<str>>(messages: &[S], sent_at: &str) -> Vec<u8> {
    let mut body = String::from(r#"{"batch":["#);
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(message.as_ref());
    }
    body.push_str(r#"],"sentAt":""#);
    body.push_str(sent_at);
    body.push_str("\"}");
    body.into_bytes()
}

/// The fixture as 6 bodies of 100 messages each; pretty-printed (as curl and Postman users
/// send them) with `EVENTSCOPE_BENCH_PRETTY=1`.
fn throughput_bodies() -> Vec<Vec<u8>> {
    let sent_at = now_iso();
    let pretty = std::env::var("EVENTSCOPE_BENCH_PRETTY").is_ok_and(|v| v == "1");
    let messages: Vec<String> = fixture_messages()
        .into_iter()
        .map(|m| match pretty {
            true => serde_json::from_str::<serde_json::Value>(m)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| m.to_string()),
            false => m.to_string(),
        })
        .collect();
    messages
        .chunks(BATCH_MESSAGES)
        .filter(|chunk| chunk.len() == BATCH_MESSAGES)
        .map(|chunk| batch_body(chunk, &sent_at))
        .collect()
}

fn post_request(addr: SocketAddr, path: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nuser-agent: eventscope-bench\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

fn get_request(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nuser-agent: eventscope-bench\r\n\r\n")
        .into_bytes()
}

/// A message with its `messageId` replaced by `lat-` and 8 zeros, and where those digits are.
fn id_template(message: &str) -> (String, usize) {
    const KEY: &str = r#""messageId":""#;
    let start = message.find(KEY).expect("fixture message has a messageId") + KEY.len();
    let end = start + message[start..].find('"').expect("closed messageId");
    let text = format!(
        "{}{LATENCY_ID_PREFIX}00000000{}",
        &message[..start],
        &message[end..]
    );
    (text, start + LATENCY_ID_PREFIX.len())
}

fn parse_latency_id(text: &str) -> Option<u32> {
    const KEY: &str = r#""messageId":"lat-"#;
    let at = text.find(KEY)? + KEY.len();
    text.get(at..at + 8)?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// A lean HTTP/1.1 keep-alive client

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    body: std::ops::Range<usize>,
}

fn find_header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_string())
}

impl Conn {
    async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
            body: 0..0,
        })
    }

    /// Sends one complete request and reads its response; the status code.
    async fn round_trip(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(end) = find_header_end(&self.buf) {
                break end;
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(invalid("connection closed before a response"));
            }
        };
        let head = std::str::from_utf8(&self.buf[..header_end])
            .map_err(|_| invalid("response head is not UTF-8"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("no status code"))?;
        let length: usize = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .ok_or_else(|| invalid("response without content-length"))?;
        let total = header_end + length;
        while self.buf.len() < total {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(invalid("connection closed in a response body"));
            }
        }
        self.body = header_end..total;
        Ok(status)
    }

    fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }
}

// ---------------------------------------------------------------------------------------------
// Servers

enum Target {
    Ours(RunningServer),
    Bare {
        addr: SocketAddr,
        stop: oneshot::Sender<()>,
        task: JoinHandle<()>,
    },
}

impl Target {
    fn addr(&self) -> SocketAddr {
        match self {
            Target::Ours(running) => running.addr,
            Target::Bare { addr, .. } => *addr,
        }
    }

    async fn stop(self) {
        let wait = match self {
            Target::Ours(running) => tokio::spawn(async move {
                let _ = running.stop().await;
            }),
            Target::Bare { stop, task, .. } => {
                let _ = stop.send(());
                task
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .is_err()
        {
            eprintln!("warning: a server did not stop within 5 s");
        }
    }
}

async fn start_ours() -> Target {
    let server = Server::bind(ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServeConfig::default()
    })
    .await
    .expect("bind eventscope");
    Target::Ours(server.spawn())
}

/// The reference: parse the body into a `serde_json::Value` and answer like the collector.
async fn bare_batch(body: Bytes) -> Response {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(_) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json")],
            r#"{"success":true}"#,
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, r#"{"success":false}"#).into_response(),
    }
}

async fn start_bare() -> Target {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind bare");
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/v1/batch", post(bare_batch));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Target::Bare { addr, stop, task }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ours,
    Bare,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Ours => "eventscope",
            Kind::Bare => "bare axum",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The stream subscriber

#[derive(Default)]
struct SubStats {
    events: AtomicU64,
    last_seq: AtomicU64,
    gaps: AtomicU64,
    missed: AtomicU64,
    out_of_order: AtomicU64,
    other: AtomicU64,
}

/// Reads the stream until it closes, counting frames; with `record`, the arrival time of
/// every latency-stamped message.
async fn subscriber(
    url: String,
    stats: Arc<SubStats>,
    ready: oneshot::Sender<()>,
    record: bool,
) -> Vec<(u32, Instant)> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect to the stream");
    let mut ready = Some(ready);
    let mut arrivals = Vec::new();
    let mut expected = 0u64;
    while let Some(message) = socket.next().await {
        let now = Instant::now();
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let text = text.as_str();
        if let Some(rest) = text.strip_prefix(EVENT_PREFIX) {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let seq: u64 = rest[..digits].parse().unwrap_or(0);
            if expected != 0 && seq != expected {
                stats.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
            expected = seq + 1;
            if record && let Some(id) = parse_latency_id(text) {
                arrivals.push((id, now));
            }
            stats.events.fetch_add(1, Ordering::Relaxed);
            stats.last_seq.store(seq, Ordering::Relaxed);
        } else if text.starts_with(r#"{"type":"hello""#) {
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
        } else if text.starts_with(r#"{"type":"gap""#) {
            let gap: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let from = gap["from"].as_u64().unwrap_or(0);
            let to = gap["to"].as_u64().unwrap_or(0);
            stats.gaps.fetch_add(1, Ordering::Relaxed);
            stats
                .missed
                .fetch_add(to.saturating_sub(from) + 1, Ordering::Relaxed);
            expected = to + 1;
            stats.last_seq.store(to, Ordering::Relaxed);
        } else {
            stats.other.fetch_add(1, Ordering::Relaxed);
        }
    }
    arrivals
}

struct Subscribed {
    stats: Arc<SubStats>,
    task: JoinHandle<Vec<(u32, Instant)>>,
}

async fn subscribe(running: &RunningServer, record: bool) -> Subscribed {
    let stats = Arc::new(SubStats::default());
    let (ready, is_ready) = oneshot::channel();
    let task = tokio::spawn(subscriber(
        running.stream_url(),
        Arc::clone(&stats),
        ready,
        record,
    ));
    tokio::time::timeout(Duration::from_secs(5), is_ready)
        .await
        .expect("the stream said hello within 5 s")
        .expect("the stream said hello");
    Subscribed { stats, task }
}

/// Waits until the subscriber has seen `last_seq` (true), or `limit` passed (false).
async fn drain(stats: &SubStats, last_seq: u64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while stats.last_seq.load(Ordering::Relaxed) < last_seq {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: who used the two cores during a window (the machine may be shared)

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

#[derive(Clone, Copy)]
struct CpuSample {
    at: Instant,
    /// utime and stime ticks of the server runtime's threads.
    server_user: u64,
    server_sys: u64,
    client: u64,
    /// Minor page faults of the whole process.
    faults: u64,
    system_busy: u64,
}

fn cpu_sample() -> CpuSample {
    let (mut server_user, mut server_sys, mut client) = (0, 0, 0);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            match proc_stat(&stat) {
                Some(task) if task.name == "server" => {
                    server_user += task.utime;
                    server_sys += task.stime;
                }
                Some(task) if task.name == "client" => client += task.utime + task.stime,
                _ => {}
            }
        }
    }
    let faults = proc_stat(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
        .map_or(0, |own| own.minor_faults);
    let system_busy = system_busy_ticks();
    CpuSample {
        at: Instant::now(),
        server_user,
        server_sys,
        client,
        faults,
        system_busy,
    }
}

/// Cores used between two samples: server runtime (and the kernel share of it), load-generator
/// runtime, and everything else on the machine (other processes; the main thread only sleeps).
#[derive(Clone, Copy, Default)]
struct CpuUse {
    server: f64,
    server_sys: f64,
    client: f64,
    others: f64,
    faults_per_second: f64,
}

impl CpuUse {
    fn between(a: &CpuSample, b: &CpuSample) -> CpuUse {
        let seconds = (b.at - a.at).as_secs_f64().max(1e-9);
        let cores = |ticks: u64| ticks as f64 / TICKS / seconds;
        let server_sys = cores(b.server_sys.saturating_sub(a.server_sys));
        let server = cores(b.server_user.saturating_sub(a.server_user)) + server_sys;
        let client = cores(b.client.saturating_sub(a.client));
        let system = cores(b.system_busy.saturating_sub(a.system_busy));
        CpuUse {
            server,
            server_sys,
            client,
            others: (system - server - client).max(0.0),
            faults_per_second: b.faults.saturating_sub(a.faults) as f64 / seconds,
        }
    }

    fn describe(&self, rate: f64) -> String {
        let rate = rate.max(1.0);
        let mut text = format!(
            "cpu: server {:.2} cores ({:.2} in the kernel) + load gen/subscriber {:.2}, rest of machine {:.2}; server CPU {:.2} µs/event; {:.2} page faults/event",
            self.server,
            self.server_sys,
            self.client,
            self.others,
            self.server * 1e6 / rate,
            self.faults_per_second / rate,
        );
        if self.others > 0.15 {
            text.push_str("  (WARNING: other load on the machine disturbed this window)");
        }
        text
    }
}

// ---------------------------------------------------------------------------------------------
// Throughput

#[derive(Default)]
struct LoadCounters {
    stop: AtomicBool,
    accepted: AtomicU64,
    ok_requests: AtomicU64,
    bad_status: AtomicU64,
    io_errors: AtomicU64,
}

async fn load_worker(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    first: usize,
    counters: Arc<LoadCounters>,
) {
    let mut conn = match Conn::connect(addr).await {
        Ok(conn) => conn,
        Err(_) => {
            counters.io_errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let mut i = first;
    while !counters.stop.load(Ordering::Relaxed) {
        match conn.round_trip(&requests[i % requests.len()]).await {
            Ok(200) => {
                counters.ok_requests.fetch_add(1, Ordering::Relaxed);
                counters
                    .accepted
                    .fetch_add(BATCH_MESSAGES as u64, Ordering::Relaxed);
            }
            Ok(_) => {
                counters.bad_status.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                counters.io_errors.fetch_add(1, Ordering::Relaxed);
                match Conn::connect(addr).await {
                    Ok(fresh) => conn = fresh,
                    Err(_) => return,
                }
            }
        }
        i += 1;
    }
}

struct LoadResult {
    kind: Kind,
    conns: usize,
    window: Duration,
    rate: f64,
    /// Messages accepted within the measurement window (`accepted` counts warm-up too).
    window_accepted: u64,
    accepted: u64,
    ok_requests: u64,
    errors: u64,
    /// For ours: what the hub counted, and what the subscriber saw.
    hub_events: u64,
    sub_events: u64,
    sub_gaps: u64,
    sub_missed: u64,
    sub_out_of_order: u64,
    sub_other: u64,
    sub_drained: bool,
    cpu: CpuUse,
}

impl LoadResult {
    fn errors_total(&self) -> u64 {
        self.errors
    }

    /// Adds another slice of the same measurement: rates over the summed windows, counts summed,
    /// CPU use weighted by window length.
    fn merge(mut self, other: LoadResult) -> LoadResult {
        let (a, b) = (self.window.as_secs_f64(), other.window.as_secs_f64());
        let weigh = |x: f64, y: f64| (x * a + y * b) / (a + b).max(1e-9);
        self.cpu = CpuUse {
            server: weigh(self.cpu.server, other.cpu.server),
            server_sys: weigh(self.cpu.server_sys, other.cpu.server_sys),
            client: weigh(self.cpu.client, other.cpu.client),
            others: weigh(self.cpu.others, other.cpu.others),
            faults_per_second: weigh(self.cpu.faults_per_second, other.cpu.faults_per_second),
        };
        self.window += other.window;
        self.window_accepted += other.window_accepted;
        self.rate = self.window_accepted as f64 / self.window.as_secs_f64().max(1e-9);
        self.accepted += other.accepted;
        self.ok_requests += other.ok_requests;
        self.errors += other.errors;
        self.hub_events += other.hub_events;
        self.sub_events += other.sub_events;
        self.sub_gaps += other.sub_gaps;
        self.sub_missed += other.sub_missed;
        self.sub_out_of_order += other.sub_out_of_order;
        self.sub_other += other.sub_other;
        self.sub_drained &= other.sub_drained;
        self
    }
}

fn run_load(
    server_rt: &Runtime,
    client_rt: &Runtime,
    kind: Kind,
    bodies: &[Vec<u8>],
    conns: usize,
    warmup: Duration,
    window: Duration,
) -> LoadResult {
    let target = server_rt.block_on(async {
        match kind {
            Kind::Ours => start_ours().await,
            Kind::Bare => start_bare().await,
        }
    });
    let addr = target.addr();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        bodies
            .iter()
            .map(|body| post_request(addr, "/v1/batch", body))
            .collect(),
    );
    let mut result = client_rt.block_on(async {
        let sub = match &target {
            Target::Ours(running) => Some(subscribe(running, false).await),
            Target::Bare { .. } => None,
        };
        let counters = Arc::new(LoadCounters::default());
        let workers: Vec<_> = (0..conns)
            .map(|c| {
                tokio::spawn(load_worker(
                    addr,
                    Arc::clone(&requests),
                    c,
                    Arc::clone(&counters),
                ))
            })
            .collect();
        tokio::time::sleep(warmup).await;
        let (c0, t0) = (counters.accepted.load(Ordering::Relaxed), Instant::now());
        let cpu0 = cpu_sample();
        tokio::time::sleep(window).await;
        let (c1, t1) = (counters.accepted.load(Ordering::Relaxed), Instant::now());
        let cpu = CpuUse::between(&cpu0, &cpu_sample());
        counters.stop.store(true, Ordering::Relaxed);
        for worker in workers {
            let _ = worker.await;
        }
        let elapsed = t1 - t0;
        let mut result = LoadResult {
            kind,
            conns,
            window: elapsed,
            rate: (c1 - c0) as f64 / elapsed.as_secs_f64(),
            window_accepted: c1 - c0,
            accepted: counters.accepted.load(Ordering::Relaxed),
            ok_requests: counters.ok_requests.load(Ordering::Relaxed),
            errors: counters.bad_status.load(Ordering::Relaxed)
                + counters.io_errors.load(Ordering::Relaxed),
            hub_events: 0,
            sub_events: 0,
            sub_gaps: 0,
            sub_missed: 0,
            sub_out_of_order: 0,
            sub_other: 0,
            sub_drained: true,
            cpu,
        };
        if let (Some(sub), Target::Ours(running)) = (&sub, &target) {
            let status = running.hub.status();
            result.hub_events = status.events;
            result.sub_drained = drain(&sub.stats, status.last_seq, Duration::from_secs(15)).await;
        }
        (result, sub)
    });
    client_rt.block_on(target.stop());
    if let Some(sub) = result.1 {
        let _ = client_rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), sub.task).await });
        let stats = &sub.stats;
        result.0.sub_events = stats.events.load(Ordering::Relaxed);
        result.0.sub_gaps = stats.gaps.load(Ordering::Relaxed);
        result.0.sub_missed = stats.missed.load(Ordering::Relaxed);
        result.0.sub_out_of_order = stats.out_of_order.load(Ordering::Relaxed);
        result.0.sub_other = stats.other.load(Ordering::Relaxed);
    }
    result.0
}

// ---------------------------------------------------------------------------------------------
// Latency

/// A latency sender's (body index, send time) of every accepted request, and its errors.
type SenderLog = (Vec<(usize, Instant)>, u64);

struct LatencyResult {
    sent: usize,
    measured: usize,
    missing: usize,
    errors: u64,
    offered_rate: f64,
    percentiles: [Duration; 4],
    mean: Duration,
    cpu: CpuUse,
}

fn run_latency(server_rt: &Runtime, client_rt: &Runtime, cfg: &Config) -> LatencyResult {
    let interval = Duration::from_nanos(1_000_000_000 * LATENCY_BATCH as u64 / LATENCY_RATE);
    let warmup_bodies = (cfg.warmup.as_secs_f64() / interval.as_secs_f64()) as usize;
    let window_bodies = (cfg.window.as_secs_f64() / interval.as_secs_f64()) as usize;
    let total_bodies = warmup_bodies + window_bodies;

    let target = server_rt.block_on(start_ours());
    let Target::Ours(running) = &target else {
        unreachable!()
    };
    let addr = running.addr;

    let templates: Vec<(String, usize)> = fixture_messages().into_iter().map(id_template).collect();
    let sent_at = now_iso();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..total_bodies)
            .map(|b| {
                let messages: Vec<String> = (0..LATENCY_BATCH)
                    .map(|j| {
                        let id = b * LATENCY_BATCH + j;
                        let (template, at) = &templates[id % templates.len()];
                        let mut text = template.clone();
                        text.replace_range(*at..*at + 8, &format!("{id:08}"));
                        text
                    })
                    .collect();
                post_request(addr, "/v1/batch", &batch_body(&messages, &sent_at))
            })
            .collect(),
    );

    let (sends, errors, sub, cpu) = client_rt.block_on(async {
        let sub = subscribe(running, true).await;
        let start = tokio::time::Instant::now() + Duration::from_millis(50);
        let workers: Vec<JoinHandle<SenderLog>> = (0..LATENCY_CONNS)
            .map(|k| {
                let requests = Arc::clone(&requests);
                tokio::spawn(async move {
                    let mut conn = Conn::connect(addr).await.expect("connect");
                    let mut ticker = tokio::time::interval_at(
                        start + interval * k as u32,
                        interval * LATENCY_CONNS as u32,
                    );
                    let mut sends = Vec::with_capacity(total_bodies / LATENCY_CONNS + 1);
                    let mut errors = 0;
                    for b in (k..total_bodies).step_by(LATENCY_CONNS) {
                        ticker.tick().await;
                        let sent = Instant::now();
                        match conn.round_trip(&requests[b]).await {
                            Ok(200) => sends.push((b, sent)),
                            _ => errors += 1,
                        }
                    }
                    (sends, errors)
                })
            })
            .collect();
        let cpu0 = cpu_sample();
        let mut sends = Vec::new();
        let mut errors = 0;
        for worker in workers {
            let (s, e) = worker.await.expect("latency worker");
            sends.extend(s);
            errors += e;
        }
        let cpu = CpuUse::between(&cpu0, &cpu_sample());
        let last = running.hub.status().last_seq;
        drain(&sub.stats, last, Duration::from_secs(10)).await;
        (sends, errors, sub, cpu)
    });
    client_rt.block_on(target.stop());
    let arrivals = client_rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), sub.task).await })
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();

    let mut sent_at: Vec<Option<Instant>> = vec![None; total_bodies];
    for (b, t) in &sends {
        sent_at[*b] = Some(*t);
    }
    let mut arrived: Vec<Option<Instant>> = vec![None; total_bodies * LATENCY_BATCH];
    for (id, t) in arrivals {
        if let Some(slot) = arrived.get_mut(id as usize) {
            slot.get_or_insert(t);
        }
    }
    let mut latencies = Vec::with_capacity(window_bodies * LATENCY_BATCH);
    let mut missing = 0;
    for (id, arrival) in arrived
        .iter()
        .enumerate()
        .skip(warmup_bodies * LATENCY_BATCH)
    {
        let Some(sent) = sent_at[id / LATENCY_BATCH] else {
            continue;
        };
        match arrival {
            Some(arrival) => latencies.push(arrival.saturating_duration_since(sent)),
            None => missing += 1,
        }
    }
    latencies.sort();
    let pick = |q: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index]
    };
    let mean = if latencies.is_empty() {
        Duration::ZERO
    } else {
        latencies.iter().sum::<Duration>() / latencies.len() as u32
    };
    let measured_sends: Vec<Instant> = sends
        .iter()
        .filter(|(b, _)| *b >= warmup_bodies)
        .map(|(_, t)| *t)
        .collect();
    let offered_rate = match (measured_sends.iter().min(), measured_sends.iter().max()) {
        (Some(first), Some(last)) if last > first => {
            ((measured_sends.len() - 1) * LATENCY_BATCH) as f64 / (*last - *first).as_secs_f64()
        }
        _ => 0.0,
    };
    LatencyResult {
        sent: sends.len() * LATENCY_BATCH,
        measured: latencies.len(),
        missing,
        errors,
        offered_rate,
        percentiles: [pick(0.5), pick(0.9), pick(0.99), pick(1.0)],
        mean,
        cpu,
    }
}

// ---------------------------------------------------------------------------------------------
// Memory of the real binary

/// Kills the child when dropped, so a panic cannot leave it running.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy, Default)]
struct ProcMemory {
    rss_kb: u64,
    hwm_kb: u64,
}

fn proc_memory(pid: u32) -> ProcMemory {
    let pid = pid.to_string();
    ProcMemory {
        rss_kb: status_kib(&pid, "VmRSS:"),
        hwm_kb: status_kib(&pid, "VmHWM:"),
    }
}

struct MemoryResult {
    baseline: ProcMemory,
    loaded: ProcMemory,
    posted: u64,
    errors: u64,
    health: serde_json::Value,
}

fn run_memory(client_rt: &Runtime) -> MemoryResult {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("EVENTSCOPE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the eventscope binary");
    let stdout = child.stdout.take().expect("child stdout");
    let child = ChildGuard(child);
    let pid = child.0.id();
    let mut first_line = String::new();
    let mut reader = BufReader::new(stdout);
    reader
        .read_line(&mut first_line)
        .expect("read the first line");
    let addr: SocketAddr = first_line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"));
    std::thread::sleep(Duration::from_millis(300));
    let baseline = proc_memory(pid);

    let bodies = throughput_bodies();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        bodies
            .iter()
            .map(|body| post_request(addr, "/v1/batch", body))
            .collect(),
    );
    let total_requests = MEMORY_MESSAGES / BATCH_MESSAGES;
    let (posted, errors, health) = client_rt.block_on(async {
        let workers: Vec<JoinHandle<(u64, u64)>> = (0..MEMORY_CONNS)
            .map(|k| {
                let requests = Arc::clone(&requests);
                tokio::spawn(async move {
                    let mut conn = Conn::connect(addr).await.expect("connect");
                    let (mut posted, mut errors) = (0, 0);
                    for i in (k..total_requests).step_by(MEMORY_CONNS) {
                        match conn.round_trip(&requests[i % requests.len()]).await {
                            Ok(200) => posted += BATCH_MESSAGES as u64,
                            _ => errors += 1,
                        }
                    }
                    (posted, errors)
                })
            })
            .collect();
        let (mut posted, mut errors) = (0, 0);
        for worker in workers {
            let (p, e) = worker.await.expect("memory worker");
            posted += p;
            errors += e;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut conn = Conn::connect(addr).await.expect("connect");
        let status = conn
            .round_trip(&get_request(addr, "/health"))
            .await
            .expect("GET /health");
        let health = if status == 200 {
            serde_json::from_slice(conn.body()).unwrap_or_default()
        } else {
            serde_json::Value::Null
        };
        (posted, errors, health)
    });
    let loaded = proc_memory(pid);
    drop(reader);
    drop(child);
    MemoryResult {
        baseline,
        loaded,
        posted,
        errors,
        health,
    }
}

// ---------------------------------------------------------------------------------------------
// Report

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn print_load(result: &LoadResult) {
    let mut line = format!(
        "ingest  {:<11} {:>9} events/s  ({} conns, {:.1} s window, {} requests ok, {} errors",
        result.kind.label(),
        thousands(result.rate as u64),
        result.conns,
        result.window.as_secs_f64(),
        thousands(result.ok_requests),
        result.errors_total(),
    );
    if result.kind == Kind::Ours {
        line.push_str(&format!(
            "; accepted {} / hub {} / subscriber got {} event frames, {} gaps ({} missed), {} out of order{}{}",
            thousands(result.accepted),
            thousands(result.hub_events),
            thousands(result.sub_events),
            result.sub_gaps,
            thousands(result.sub_missed),
            result.sub_out_of_order,
            if result.sub_other > 0 {
                format!(", {} other frames", result.sub_other)
            } else {
                String::new()
            },
            if result.sub_drained {
                ""
            } else {
                ", NOT drained within 15 s"
            },
        ));
    }
    line.push(')');
    println!("{line}");
    println!("                     {}", result.cpu.describe(result.rate));
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and a test run should not spend a minute and both cores here.
    if !std::env::args().any(|a| a == "--bench") {
        println!("ingest benchmark skipped: run it with `cargo bench --bench ingest`");
        return;
    }
    let cfg = Config::from_env();
    let server_rt = runtime("server", cfg.server_threads);
    let client_rt = runtime("client", cfg.client_threads);
    let bodies = throughput_bodies();
    let avg_message = FIXTURE.len() / fixture_messages().len().max(1);
    let begun = Instant::now();
    println!(
        "eventscope ingest benchmark: {} cores; server runtime {} worker(s), load-generator runtime {} worker(s)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.server_threads,
        cfg.client_threads
    );
    println!(
        "bodies: {} × {} messages (avg {} B/message, {}–{} B/body), POST /v1/batch over keep-alive, 1 request in flight per connection",
        bodies.len(),
        BATCH_MESSAGES,
        avg_message,
        bodies.iter().map(Vec::len).min().unwrap_or(0),
        bodies.iter().map(Vec::len).max().unwrap_or(0),
    );

    // 1. Throughput: sweep connection counts, then measure both at our best count.
    let best = if cfg.conns.len() > 1 {
        println!(
            "\nconnection sweep ({:.1} s warm-up, {:.1} s window each)",
            cfg.sweep_warmup.as_secs_f64(),
            cfg.sweep_window.as_secs_f64()
        );
        let mut best = (0.0, cfg.conns[0]);
        for &conns in &cfg.conns {
            let ours = run_load(
                &server_rt,
                &client_rt,
                Kind::Ours,
                &bodies,
                conns,
                cfg.sweep_warmup,
                cfg.sweep_window,
            );
            let bare = run_load(
                &server_rt,
                &client_rt,
                Kind::Bare,
                &bodies,
                conns,
                cfg.sweep_warmup,
                cfg.sweep_window,
            );
            println!(
                "  {conns:>3} conns   eventscope {:>9} events/s   bare {:>9} events/s   ratio {:.2}   errors {}/{}   gaps {}   server cores {:.2}/{:.2}, load gen {:.2}/{:.2}, rest {:.2}/{:.2}",
                thousands(ours.rate as u64),
                thousands(bare.rate as u64),
                ours.rate / bare.rate.max(1.0),
                ours.errors_total(),
                bare.errors_total(),
                ours.sub_gaps,
                ours.cpu.server,
                bare.cpu.server,
                ours.cpu.client,
                bare.cpu.client,
                ours.cpu.others,
                bare.cpu.others,
            );
            if ours.rate > best.0 {
                best = (ours.rate, conns);
            }
        }
        best.1
    } else {
        cfg.conns[0]
    };
    // Ours and bare alternate in slices, so that a drift in the machine's speed (it may be
    // shared) affects both alike; each slice is a fresh server with its own warm-up.
    let slices = MAIN_SLICES;
    let slice = cfg.window / slices;
    println!(
        "\nthroughput at {best} conns: {slices} alternating slices of {:.1} s per server (each after a {:.1} s warm-up on a fresh server), {:.1} s window per server in all; 1 stream subscriber on ours",
        slice.as_secs_f64(),
        cfg.warmup.as_secs_f64(),
        (slice * slices).as_secs_f64(),
    );
    let mut ours: Option<LoadResult> = None;
    let mut bare: Option<LoadResult> = None;
    for _ in 0..slices {
        for kind in [Kind::Ours, Kind::Bare] {
            let result = run_load(
                &server_rt, &client_rt, kind, &bodies, best, cfg.warmup, slice,
            );
            let total = match kind {
                Kind::Ours => &mut ours,
                Kind::Bare => &mut bare,
            };
            *total = Some(match total.take() {
                Some(sum) => sum.merge(result),
                None => result,
            });
        }
    }
    let (ours, bare) = (ours.expect("ours ran"), bare.expect("bare ran"));
    print_load(&ours);
    print_load(&bare);
    let ratio = ours.rate / bare.rate.max(1.0);
    println!(
        "ratio                {ratio:.2}   (goal ≥ 0.60: {}; ≥ 150,000 events/s: {})",
        if ratio >= 0.6 { "met" } else { "NOT met" },
        if ours.rate >= 150_000.0 {
            "met"
        } else {
            "NOT met"
        },
    );
    let delivered = ours.sub_events + ours.sub_missed;
    println!(
        "delivery check       {}",
        if ours.errors == 0
            && ours.accepted == ours.hub_events
            && ours.sub_events == ours.accepted
            && ours.sub_gaps == 0
            && ours.sub_out_of_order == 0
        {
            format!(
                "ok: every request got 200 and the subscriber received all {} accepted messages in seq order",
                thousands(ours.accepted)
            )
        } else {
            format!(
                "MISMATCH: {} errors, accepted {}, hub {}, subscriber {} + {} missed in gaps = {}, {} out of order",
                ours.errors,
                thousands(ours.accepted),
                thousands(ours.hub_events),
                thousands(ours.sub_events),
                thousands(ours.sub_missed),
                thousands(delivered),
                ours.sub_out_of_order
            )
        }
    );

    // 2. Latency at a steady 5,000 events/s.
    let latency = run_latency(&server_rt, &client_rt, &cfg);
    let [p50, p90, p99, max] = latency.percentiles;
    println!(
        "\nlatency @{}/s       p50 {}  p90 {}  p99 {}  max {}  mean {}   (goal p99 < 5 ms: {})",
        thousands(LATENCY_RATE),
        ms(p50),
        ms(p90),
        ms(p99),
        ms(max),
        ms(latency.mean),
        if p99 < Duration::from_millis(5) {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "                     POST /v1/batch of {LATENCY_BATCH} every {} ms over {LATENCY_CONNS} conns (alternating); offered {} events/s; {} messages measured after {:.1} s warm-up, {} sent in all, {} missing, {} errors",
        1000 * LATENCY_BATCH as u64 / LATENCY_RATE,
        thousands(latency.offered_rate as u64),
        thousands(latency.measured as u64),
        cfg.warmup.as_secs_f64(),
        thousands(latency.sent as u64),
        latency.missing,
        latency.errors,
    );

    println!(
        "                     {}",
        latency.cpu.describe(latency.offered_rate)
    );

    // 3. Memory of the release binary with a full ring.
    let memory = run_memory(&client_rt);
    let retained = memory.health["retained"].as_u64().unwrap_or(0);
    let retained_bytes = memory.health["retainedBytes"].as_u64().unwrap_or(0);
    let per_frame = |kb: u64| {
        if retained == 0 {
            0.0
        } else {
            kb as f64 * 1024.0 / retained as f64 / 1024.0
        }
    };
    let growth = memory.loaded.rss_kb.saturating_sub(memory.baseline.rss_kb);
    println!(
        "\nmemory               RSS {} (peak {}) with {} retained frames ({} of frame text); baseline {}; +{} over baseline; {:.2} KB/frame total, {:.2} KB/frame over baseline   (goal < 300 MB: {})",
        mb(memory.loaded.rss_kb),
        mb(memory.loaded.hwm_kb),
        thousands(retained),
        mb(retained_bytes / 1024),
        mb(memory.baseline.rss_kb),
        mb(growth),
        per_frame(memory.loaded.rss_kb),
        per_frame(growth),
        if memory.loaded.rss_kb < 300 * 1024 {
            "met"
        } else {
            "NOT met"
        },
    );
    println!(
        "                     eventscope serve --listen 127.0.0.1:0 (release binary); {} messages posted with {MEMORY_CONNS} conns, {} errors",
        thousands(memory.posted),
        memory.errors,
    );
    println!("\ntotal wall time {:.1} s", begun.elapsed().as_secs_f64());
}
