//! Proxy benchmark: the latency eventscope adds between an SDK and its upstream.
//!
//! ```text
//! cargo bench --bench proxy
//! EVENTSCOPE_BENCH_REQUESTS=500 cargo bench --bench proxy     # quick smoke run
//! ```
//!
//! For each request we measure the time from the client starting to send until a local
//! upstream has *received the whole body* (the upstream runs in this process and stamps the
//! arrival with the same monotonic clock): once posting straight to the upstream ("direct"),
//! once through `eventscope serve --upstream` ("proxied"). The difference is what putting
//! eventscope in the middle costs the data on its way to Segment. The SDK itself is answered
//! by eventscope without waiting for the upstream; that answer's latency is shown as well.
//!
//! Direct and proxied requests alternate in rounds, so a drift in the (possibly shared)
//! machine's speed affects both alike. Knobs (environment): `EVENTSCOPE_BENCH_REQUESTS`
//! (measured requests per mode and concurrency, default 4,000), `EVENTSCOPE_BENCH_CONCURRENCY`
//! (comma-separated client concurrencies, default `1,8`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use eventscope::server::{RunningServer, ServeConfig, Server};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

mod common;
use common::{FIXTURE, env_list, env_number, runtime};

/// analytics-node's `flushAt`: a typical SDK batch (the other benches post 100).
const PROXY_BATCH_MESSAGES: usize = 15;
const WRITE_KEY: &str = "wk_bench_0123456789abcdef";
const ROUNDS: usize = 4;
const WARMUP: usize = 200;
const ARRIVAL_DEADLINE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// The upstream: stamps each request's arrival (body complete) and hands it to the waiting
// client task by the request's `X-Bench-Id`.

type Waiters = Arc<Mutex<HashMap<u64, oneshot::Sender<Instant>>>>;

async fn arrive(State(waiters): State<Waiters>, headers: HeaderMap, body: Bytes) -> &'static str {
    // Axum has read the whole body before calling us: this is "received".
    let at = Instant::now();
    let id = headers
        .get("x-bench-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(id) = id
        && let Some(waiter) = waiters.lock().expect("waiters").remove(&id)
    {
        let _ = waiter.send(at);
    }
    std::hint::black_box(body.len());
    r#"{"success":true}"#
}

async fn start_upstream(waiters: Waiters) -> SocketAddr {
    let app = Router::new().fallback(arrive).with_state(waiters);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn start_eventscope(upstream: SocketAddr) -> RunningServer {
    Server::bind(ServeConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("http://{upstream}")),
        ..ServeConfig::default()
    })
    .await
    .expect("eventscope binds")
    .spawn()
}

// ---------------------------------------------------------------------------------------------
// The client: reqwest, as an SDK would post.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Direct,
    Proxied,
}

#[derive(Default)]
struct Samples {
    /// Send → upstream has the body.
    arrival: Vec<Duration>,
    /// Send → the client has its answer (the upstream's, or eventscope's).
    answer: Vec<Duration>,
    lost: usize,
    errors: usize,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.arrival.extend(other.arrival);
        self.answer.extend(other.answer);
        self.lost += other.lost;
        self.errors += other.errors;
    }
}

struct Target {
    url: String,
    client: reqwest::Client,
    body: Bytes,
    auth: String,
    waiters: Waiters,
}

/// One client task: `count` requests one after the other, each waiting for its arrival.
async fn client_loop(target: Arc<Target>, ids: std::ops::Range<u64>) -> Samples {
    let mut samples = Samples::default();
    for id in ids {
        let (tx, rx) = oneshot::channel();
        target.waiters.lock().expect("waiters").insert(id, tx);
        let started = Instant::now();
        let sent = target
            .client
            .post(&target.url)
            .header("authorization", &target.auth)
            .header("content-type", "application/json")
            .header("user-agent", "analytics-node-next/latest")
            .header("x-bench-id", id.to_string())
            .body(target.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                let _ = response.bytes().await;
                samples.answer.push(started.elapsed());
            }
            _ => samples.errors += 1,
        }
        match tokio::time::timeout(ARRIVAL_DEADLINE, rx).await {
            Ok(Ok(at)) => samples.arrival.push(at.duration_since(started)),
            _ => {
                samples.lost += 1;
                target.waiters.lock().expect("waiters").remove(&id);
            }
        }
    }
    samples
}

async fn run(target: Arc<Target>, first_id: u64, count: usize, concurrency: usize) -> Samples {
    let per_task = count.div_ceil(concurrency) as u64;
    let tasks: Vec<_> = (0..concurrency as u64)
        .map(|t| {
            let start = first_id + t * per_task;
            tokio::spawn(client_loop(Arc::clone(&target), start..start + per_task))
        })
        .collect();
    let mut samples = Samples::default();
    for task in tasks {
        if let Ok(s) = task.await {
            samples.merge(s);
        }
    }
    samples
}

// ---------------------------------------------------------------------------------------------
// Report

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn signed_ms(a: Duration, b: Duration) -> String {
    let diff = a.as_secs_f64() - b.as_secs_f64();
    format!("{:+.3} ms", diff * 1000.0)
}

struct Stats {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

fn stats(samples: &mut [Duration]) -> Stats {
    samples.sort_unstable();
    Stats {
        p50: percentile(samples, 50.0),
        p90: percentile(samples, 90.0),
        p99: percentile(samples, 99.0),
        max: samples.last().copied().unwrap_or_default(),
    }
}

fn batch_body() -> Bytes {
    let messages: Vec<&str> = FIXTURE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(PROXY_BATCH_MESSAGES)
        .collect();
    Bytes::from(format!(
        r#"{{"batch":[{}],"sentAt":"2024-05-01T12:00:00.000Z"}}"#,
        messages.join(",")
    ))
}

fn basic(key: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("proxy benchmark skipped: run it with `cargo bench --bench proxy`");
        return;
    }
    let requests: usize = env_number("EVENTSCOPE_BENCH_REQUESTS")
        .filter(|n| *n > 0)
        .unwrap_or(4_000);
    let concurrencies = env_list("EVENTSCOPE_BENCH_CONCURRENCY", &[1, 8]);

    let server_rt = runtime("server", 2);
    let client_rt = runtime("client", 1);
    let waiters: Waiters = Arc::default();
    let upstream = server_rt.block_on(start_upstream(Arc::clone(&waiters)));
    let eventscope = server_rt.block_on(start_eventscope(upstream));
    let client = eventscope::forward::http_client_builder()
        .build()
        .expect("client");
    let body = batch_body();
    let target = |mode: Mode| {
        let url = match mode {
            Mode::Direct => format!("http://{upstream}/v1/batch"),
            Mode::Proxied => format!("{}/v1/batch", eventscope.http_url()),
        };
        Arc::new(Target {
            url,
            client: client.clone(),
            body: body.clone(),
            auth: basic(WRITE_KEY),
            waiters: Arc::clone(&waiters),
        })
    };

    println!(
        "eventscope proxy benchmark: {} cores; upstream and eventscope on one runtime (2 workers), client on another (1 worker)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "body: POST /v1/batch of {PROXY_BATCH_MESSAGES} messages ({} B), Basic auth, keep-alive; latency = client send → upstream has the whole body",
        body.len()
    );
    let begun = Instant::now();
    let mut next_id = 0u64;
    for &concurrency in &concurrencies {
        let mut direct = Samples::default();
        let mut proxied = Samples::default();
        for mode in [Mode::Direct, Mode::Proxied] {
            let warm = client_rt.block_on(run(target(mode), next_id, WARMUP, concurrency));
            next_id += WARMUP as u64 + concurrency as u64;
            std::hint::black_box(warm.arrival.len());
        }
        let per_round = requests.div_ceil(ROUNDS);
        for _ in 0..ROUNDS {
            for mode in [Mode::Direct, Mode::Proxied] {
                let samples =
                    client_rt.block_on(run(target(mode), next_id, per_round, concurrency));
                next_id += per_round as u64 + concurrency as u64;
                match mode {
                    Mode::Direct => direct.merge(samples),
                    Mode::Proxied => proxied.merge(samples),
                }
            }
        }
        let d = stats(&mut direct.arrival);
        let p = stats(&mut proxied.arrival);
        let a = stats(&mut proxied.answer);
        println!(
            "\n{concurrency} concurrent client(s), {} requests per mode in {ROUNDS} alternating rounds (after {WARMUP} warm-up each)",
            direct.arrival.len()
        );
        println!(
            "  direct    → upstream   p50 {}  p90 {}  p99 {}  max {}",
            ms(d.p50),
            ms(d.p90),
            ms(d.p99),
            ms(d.max)
        );
        println!(
            "  proxied   → upstream   p50 {}  p90 {}  p99 {}  max {}",
            ms(p.p50),
            ms(p.p90),
            ms(p.p99),
            ms(p.max)
        );
        println!(
            "  added by eventscope    p50 {}  p99 {}   (goal p50 < 1 ms: {})",
            signed_ms(p.p50, d.p50),
            signed_ms(p.p99, d.p99),
            if p.p50.saturating_sub(d.p50) < Duration::from_millis(1) {
                "met"
            } else {
                "NOT met"
            }
        );
        println!(
            "  SDK answered by eventscope   p50 {}  p99 {}   (it does not wait for the upstream)",
            ms(a.p50),
            ms(a.p99)
        );
        println!(
            "  errors {} / {}, lost (never reached the upstream) {} / {}",
            direct.errors, proxied.errors, direct.lost, proxied.lost
        );
    }
    let health = eventscope.hub.status();
    println!(
        "\neventscope published {} events and {} delivery frames",
        health.events, health.deliveries
    );
    server_rt.block_on(async {
        let _ = eventscope.stop().await;
    });
    println!("total wall time {:.1} s", begun.elapsed().as_secs_f64());
}
