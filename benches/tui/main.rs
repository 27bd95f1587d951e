//! Viewer benchmark: frame time with a million retained events, key press → screen change
//! while the embedded collector takes 20,000 events/s, and idle CPU.
//!
//! ```text
//! cargo bench --bench tui
//! EVENTSCOPE_BENCH_SECONDS=3 EVENTSCOPE_BENCH_EVENTS=50000 cargo bench --bench tui   # smoke run
//! ```
//!
//! Knobs (environment): `EVENTSCOPE_BENCH_EVENTS` (events retained for the frame-time part,
//! default 1,000,000), `EVENTSCOPE_BENCH_SECONDS` (the load phase, default 30),
//! `EVENTSCOPE_BENCH_RATE` (events/s posted during the load phase, default 20,000),
//! `EVENTSCOPE_BENCH_IDLE_SECONDS` (the idle window, default 10), `EVENTSCOPE_BENCH_DRAWS`
//! (draws timed, default 500), `EVENTSCOPE_BENCH_MAX_LOAD` (if set, e.g. `1.5`: before each
//! part wait, up to 10 minutes, until the 1-minute load average is below it),
//! `EVENTSCOPE_BENCH_PARTS` (which parts run, e.g. `keys` or `frames,idle`; default all:
//! `frames,fold,keys,idle`),
//! `EVENTSCOPE_BENCH_VIEWER_ARGS` (more arguments for the viewer of part 2, e.g.
//! `--config benches/routing/eventscope.toml`), `EVENTSCOPE_BENCH_VIEWER_FILTER` (a filter
//! typed into that viewer before the load, e.g. `dropped:amplitude`), `EVENTSCOPE_BENCH_BIN`
//! (the viewer binary parts 2 and 3 drive, for before/after pairs; default the one built here).
//!
//! 1. In process, no terminal: an `App` holding the events, a `type:track` filter active, drawn
//!    into ratatui's `TestBackend` at 200×50 while the selection moves up and down.
//! 2. The real binary (`eventscope --listen 127.0.0.1:0`) in a 200×50 pseudo-terminal, its
//!    output parsed by `vt100`; a paced load generator posts `/v1/batch` bodies of 100 fixture
//!    messages while `2`/`1` (Raw/Pretty tab) are typed every 100 ms and the time from writing
//!    a key to the first screen state showing its effect is recorded. Frames are counted from
//!    the output (one hide-cursor sequence per draw); the machine's other CPU use and the UI
//!    thread's run-queue wait are sampled, to tell the viewer's own stalls from contention.
//! 3. The same binary with no traffic: CPU over a quiet window.
//!
//! Part 1 ends with the Pretty tree: an ~80-line order (a `products` array) selected among
//! the retained events, drawn while the cursor walks it and `H`/`L` fold beside it. Part
//! `fold` folds every container of a 10,000-line order one at a time, then unfolds them, and
//! reports the time of one fold (goal: under 5 ms).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::time::{Duration, Instant};

#[path = "../common/mod.rs"]
mod common;
mod cpu;
mod figures;
mod frame;
mod idle;
mod keys;
mod machine;
mod pty;
mod tree;

use common::{env_number, load_1min, load_average};
use cpu::clock_ticks;
use eventscope::model::thousands;
use figures::goal;
use frame::frame_time;
use idle::idle_cpu;
use keys::key_latency;

const COLS: u16 = 200;
const ROWS: u16 = 50;

// ---------------------------------------------------------------------------------------------
// Configuration and small helpers

struct Config {
    events: usize,
    load_seconds: f64,
    rate: u64,
    idle_seconds: f64,
    draws: usize,
    max_load: Option<f64>,
    parts: String,
    viewer_args: Vec<String>,
    viewer_filter: Option<String>,
}

impl Config {
    fn runs(&self, part: &str) -> bool {
        self.parts.split(',').any(|p| p.trim() == part)
    }
}

impl Config {
    fn from_env() -> Config {
        Config {
            events: env_number("EVENTSCOPE_BENCH_EVENTS")
                .filter(|n| *n > 0)
                .unwrap_or(1_000_000),
            load_seconds: env_number("EVENTSCOPE_BENCH_SECONDS")
                .filter(|s: &f64| *s > 0.0)
                .unwrap_or(30.0),
            rate: env_number("EVENTSCOPE_BENCH_RATE")
                .filter(|r| *r > 0)
                .unwrap_or(20_000),
            idle_seconds: env_number("EVENTSCOPE_BENCH_IDLE_SECONDS")
                .filter(|s: &f64| *s > 0.0)
                .unwrap_or(10.0),
            draws: env_number("EVENTSCOPE_BENCH_DRAWS")
                .filter(|n| *n > 0)
                .unwrap_or(500),
            max_load: env_number("EVENTSCOPE_BENCH_MAX_LOAD").filter(|l: &f64| *l > 0.0),
            parts: std::env::var("EVENTSCOPE_BENCH_PARTS")
                .unwrap_or_else(|_| "frames,fold,keys,idle".to_string()),
            viewer_args: std::env::var("EVENTSCOPE_BENCH_VIEWER_ARGS")
                .map(|a| a.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            viewer_filter: std::env::var("EVENTSCOPE_BENCH_VIEWER_FILTER")
                .ok()
                .filter(|f| !f.trim().is_empty()),
        }
    }
}

/// Prints the load average before a part; with `EVENTSCOPE_BENCH_MAX_LOAD`, waits for it.
fn settle(config: &Config, part: &str) {
    if let Some(max) = config.max_load {
        let start = Instant::now();
        while load_1min().is_some_and(|l| l >= max) && start.elapsed() < Duration::from_secs(600) {
            std::thread::sleep(Duration::from_secs(5));
        }
        if start.elapsed() > Duration::from_secs(1) {
            println!(
                "  (waited {:.0} s for the 1-minute load to drop below {max})",
                start.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "\n== {part}\n  load average (1/5/15 min) at start: {}",
        load_average()
    );
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this binary without it, and a
    // test run should not spend minutes and both cores here.
    if !std::env::args().any(|a| a == "--bench") {
        println!("tui benchmark skipped: run it with `cargo bench --bench tui`");
        return Ok(());
    }
    let config = Config::from_env();
    println!(
        "eventscope TUI benchmark — {} cores, CLK_TCK {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        clock_ticks()
    );
    let frames = if config.runs("frames") {
        Some(frame_time(&config)?)
    } else {
        None
    };
    let fold = if config.runs("fold") {
        Some(tree::fold_time(&config)?)
    } else {
        None
    };
    let keys = if config.runs("keys") {
        Some(key_latency(&config)?)
    } else {
        None
    };
    let idle = if config.runs("idle") {
        Some(idle_cpu(&config)?)
    } else {
        None
    };
    println!("\n== Summary");
    if let Some(frames) = frames {
        println!(
            "  frame time at {} events, filter on: median {:.3} ms, p99 {:.3} ms (goal median < 2 ms: {})",
            thousands(config.events as u64),
            frames.draw_p50,
            frames.draw_p99,
            goal(frames.draw_p50 < 2.0)
        );
        println!(
            "  memory: {:.0} B/event for {:.0} B raw messages (goal ≤ raw + 300: {})",
            frames.rss_per_event,
            frames.raw_per_event,
            goal(frames.rss_per_event <= frames.raw_per_event + 300.0)
        );
        println!(
            "  frame time with the Pretty tree of an ~80-line order: median {:.3} ms (goal < 2 ms: {})",
            frames.tree_p50,
            goal(frames.tree_p50 < 2.0)
        );
    }
    if let Some((mean, max)) = fold {
        println!(
            "  one fold or unfold on a 10,000-line payload: mean {mean:.4} ms, max {max:.4} ms (goal < 5 ms: {})",
            goal(max < 5.0)
        );
    }
    if let Some(keys) = keys {
        println!(
            "  key → screen p99 under {} events/s: {:.1} ms (goal < 50 ms: {}); viewer CPU {:.1} % (goal < 50 %: {})",
            thousands(config.rate),
            keys.p99,
            goal(keys.p99 < 50.0),
            keys.cpu,
            goal(keys.cpu < 50.0)
        );
    }
    if let Some(idle) = idle {
        println!("  idle CPU: {idle:.2} % (goal < 1 %: {})", goal(idle < 1.0));
    }
    println!("  load average at the end: {}", load_average());
    Ok(())
}
