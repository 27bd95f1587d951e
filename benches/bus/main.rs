//! Bus benchmark (issue 13's figures): ingest through NATS JetStream against a bare
//! `async-nats` publisher and the in-memory hub, POST → relay viewer latency, and a relay's
//! fan-out to 1, 16 and 64 viewers.
//!
//! ```text
//! cargo bench --bench bus                                          # every part
//! EVENTSCOPE_BENCH_SECONDS=2 cargo bench --bench bus               # quick smoke run
//! EVENTSCOPE_BENCH_PARTS=ingest cargo bench --bench bus            # one part (or several:
//! EVENTSCOPE_BENCH_PARTS=latency,fanout cargo bench --bench bus    #   comma-separated)
//! ```
//!
//! Each part starts its own `nats-server` (JetStream, R1, file storage, a temp store dir, free
//! ports: the integration tests' harness, `tests/common/nats.rs`); without `nats-server` the
//! bench says SKIPPED and exits 0.
//!
//! - `ingest`: the ingest bench's load generator (keep-alive connections, one request of 100
//!   fixture messages in flight each, every messageId unique so that the bus's duplicate window
//!   drops none) drives (a) our collector with `--bus` and one in-process relay viewer reading,
//!   and (c) the collector without `--bus` (the in-memory hub) with one stream viewer; (b) a
//!   bare `async-nats` publisher sends the frames the collector published (captured from the
//!   stream) to the same stream, with `Nats-Msg-Id` and at most 1024 acks in flight. For
//!   like-for-like ratios (a relay viewer costs nats-server a consumer to serve, and the
//!   machine a relay), the bare publisher also runs with the same relay viewer, and `serve
//!   --bus` with none. All five alternate in slices, each on a fresh collector/relay/publisher
//!   after a warm-up; each reports events/s, what its viewer got, and the cores used by
//!   nats-server (with its CPU and read/write syscalls per event), the collector, the relay,
//!   the load generator and the rest of the machine. Knobs: `EVENTSCOPE_BENCH_SECONDS` (window
//!   per target, default 10), `EVENTSCOPE_BENCH_SLICES` (default 2), `EVENTSCOPE_BENCH_CONNS`
//!   (connections, default 16).
//! - `latency`: POSTs of 10 messages every 2 ms (5,000 ev/s) over 2 connections; one relay
//!   viewer records when each messageId arrives; then the same through the in-memory hub's
//!   `/v1/stream` as the anchor. Window `EVENTSCOPE_BENCH_SECONDS`.
//! - `fanout`: the real `eventscope relay` as a child process; a bare publisher sends captured
//!   frames at `EVENTSCOPE_BENCH_FANOUT_RATE` frames/s (default 5,000) for
//!   `EVENTSCOPE_BENCH_SECONDS`/2 per case, to `EVENTSCOPE_BENCH_FANOUT_VIEWERS` viewers (default
//!   `1,16,64`), (i) all with no query and (ii) spread over 16 narrowings made of `?types=` and
//!   `?sample=`; then, unless `EVENTSCOPE_BENCH_FANOUT_MAX=0`, the same viewer counts with the
//!   publisher as fast as its acks allow (no query). Each case is on a fresh nats-server (a
//!   stopped relay's consumers stay on the server for 30 s) and reports frames/s delivered
//!   (sum over viewers), what each viewer should have got against what it got, the relay's CPU
//!   (`/proc/PID/stat`) and the consumers on the server (`/jsz?consumers=true`).
//!
//! Everything (nats-server, collector, relay, load generator) shares the machine's cores, and
//! each part says where the CPU went. Runtimes: `EVENTSCOPE_BENCH_SERVER_THREADS` (collector,
//! default 2), `EVENTSCOPE_BENCH_CLIENT_THREADS` (load generator and publisher, default 2),
//! `EVENTSCOPE_BENCH_RELAY_THREADS` (in-process relay and its viewer, default 2).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::time::{Duration, Instant};

#[path = "../common/client.rs"]
mod client;
#[path = "../common/mod.rs"]
mod common;
mod cpu;
mod fanout;
mod frames;
#[path = "../common/generator.rs"]
mod generator;
mod ingest;
mod latency;
#[path = "../common/paced.rs"]
mod paced;
#[path = "../common/stamp.rs"]
mod stamp;
#[path = "../common/subscriber.rs"]
mod subscriber;
mod targets;
/// The integration tests' helpers (their `nats-server` harness and child-process helpers).
#[path = "../../tests/common/mod.rs"]
mod testkit;

use common::{env_list, env_number, runtime};
use tokio::runtime::Runtime;

const PARTS: [&str; 3] = ["ingest", "latency", "fanout"];

pub struct Config {
    pub parts: Vec<String>,
    pub window: Duration,
    pub warmup: Duration,
    pub slices: u32,
    pub conns: usize,
    pub fanout_rate: u64,
    pub fanout_window: Duration,
    pub fanout_viewers: Vec<usize>,
    pub fanout_max: bool,
    pub server_threads: usize,
    pub client_threads: usize,
    pub relay_threads: usize,
}

impl Config {
    fn from_env() -> Config {
        let seconds: f64 = env_number("EVENTSCOPE_BENCH_SECONDS")
            .filter(|s: &f64| *s > 0.0)
            .unwrap_or(10.0);
        let parts = std::env::var("EVENTSCOPE_BENCH_PARTS")
            .ok()
            .map(|list| {
                list.split(',')
                    .map(|p| p.trim().to_ascii_lowercase())
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|list| !list.is_empty())
            .unwrap_or_else(|| PARTS.iter().map(|p| p.to_string()).collect());
        let threads = |name: &str| env_number(name).filter(|n| *n > 0).unwrap_or(2);
        Config {
            parts,
            window: Duration::from_secs_f64(seconds),
            warmup: Duration::from_secs_f64((seconds * 0.2).clamp(0.3, 2.0)),
            slices: env_number("EVENTSCOPE_BENCH_SLICES")
                .filter(|n| *n > 0)
                .unwrap_or(2),
            conns: env_list("EVENTSCOPE_BENCH_CONNS", &[16])[0],
            fanout_rate: env_number("EVENTSCOPE_BENCH_FANOUT_RATE")
                .filter(|n| *n > 0)
                .unwrap_or(5_000),
            fanout_window: Duration::from_secs_f64((seconds / 2.0).max(1.0)),
            fanout_viewers: env_list("EVENTSCOPE_BENCH_FANOUT_VIEWERS", &[1, 16, 64]),
            fanout_max: std::env::var("EVENTSCOPE_BENCH_FANOUT_MAX").map_or(true, |v| v != "0"),
            server_threads: threads("EVENTSCOPE_BENCH_SERVER_THREADS"),
            client_threads: threads("EVENTSCOPE_BENCH_CLIENT_THREADS"),
            relay_threads: threads("EVENTSCOPE_BENCH_RELAY_THREADS"),
        }
    }
}

/// The runtimes whose threads `/proc` tells apart: the collector (`server`), the load
/// generator and publishers (`client`), the in-process relay and viewers (`relay`).
pub struct Runtimes {
    pub server: Runtime,
    pub client: Runtime,
    pub relay: Runtime,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("bus benchmark skipped: run it with `cargo bench --bench bus`");
        return;
    }
    let cfg = Config::from_env();
    if let Some(unknown) = cfg.parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
        eprintln!(
            "EVENTSCOPE_BENCH_PARTS: {unknown:?} is not a part; use any of {}",
            PARTS.join(",")
        );
        std::process::exit(2);
    }
    // Said once here, so that each part can simply start its server.
    match testkit::nats::NatsServer::start("bus benchmark") {
        Some(probe) => drop(probe),
        None => {
            println!("SKIPPED: bus benchmark: nats-server is not installed");
            return;
        }
    }
    let rts = Runtimes {
        server: runtime("server", cfg.server_threads),
        client: runtime("client", cfg.client_threads),
        relay: runtime("relay", cfg.relay_threads),
    };
    let begun = Instant::now();
    println!(
        "eventscope bus benchmark: {} cores shared by nats-server, the collector, the relay and the load generator; runtimes: collector {} worker(s), load generator/publisher {}, in-process relay/viewers {}; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.server_threads,
        cfg.client_threads,
        cfg.relay_threads,
        common::load_average(),
    );
    println!("parts: {}", cfg.parts.join(","));
    for part in &cfg.parts {
        match part.as_str() {
            "ingest" => ingest::run(&rts, &cfg),
            "latency" => latency::run(&rts, &cfg),
            _ => fanout::run(&rts, &cfg),
        }
    }
    println!("\ntotal wall time {:.1} s", begun.elapsed().as_secs_f64());
}
