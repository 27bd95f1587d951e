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

use std::time::{Duration, Instant};

#[path = "../common/client.rs"]
mod client;
#[path = "../common/mod.rs"]
mod common;
mod cpu;
#[path = "../common/generator.rs"]
mod generator;
mod latency;
mod load;
mod memory;
#[path = "../common/paced.rs"]
mod paced;
mod report;
#[path = "../common/stamp.rs"]
mod stamp;
#[path = "../common/subscriber.rs"]
mod subscriber;
mod target;

use client::throughput_bodies;
use common::{BATCH_MESSAGES, FIXTURE, env_list, env_number, fixture_messages, runtime};
use eventscope::model::thousands;
use latency::{LATENCY_BATCH, LATENCY_CONNS, LATENCY_RATE, run_latency};
use load::{LoadResult, run_load};
use memory::{MEMORY_CONNS, run_memory};
use report::{mb, ms, print_load};
use target::Kind;

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
