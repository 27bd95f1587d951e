//! Routing figure: verdicts per message for 7 destinations × 3 filters each, on one thread.
//! Goal ≤ 2 µs per message (all 7 destinations), so the viewer stays light at 20,000 ev/s.
//!
//! `cargo bench --bench routing` (one core: `taskset -c 0 target/release/deps/routing-* --bench`).
//!
//! The destinations are `benches/routing/eventscope.toml`'s, built as the viewer builds them
//! (`routing::Destination::from_config` with FQL conditions). Measured side by side, in
//! alternating rounds, on the fixture's 600 events (which carry an `integrations` object but no
//! consent) and on the same events with `context.consent.categoryPreferences` added:
//! - routing, the message already parsed (the viewer parses each message once for its verdicts);
//! - the anchor: parsing the message into that borrowed tree, the least work any message costs.
//!
//! Then `eventscope check` as a whole process over one file of `EVENTSCOPE_BENCH_CHECK_EVENTS`
//! (default 200,000) fixture events, without and with `--routing` to the same workspace: what
//! routing adds to a CI run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eventscope::config::Config;
use eventscope::model::json::Json;
use eventscope::routing::{Destination, fql, route_all};

mod common;
use common::{env_number, fixture_messages};

const WORKSPACE: &str = include_str!("routing/eventscope.toml");
const WORKSPACE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/routing/eventscope.toml"
);
const ROUNDS: usize = 3;
const ROUND: Duration = Duration::from_secs(1);

/// µs per message of `work` over `messages`, repeated for about [`ROUND`].
fn per_message(messages: usize, mut work: impl FnMut() -> usize) -> (f64, usize) {
    let start = Instant::now();
    let (mut done, mut kept) = (0usize, 0usize);
    while start.elapsed() < ROUND {
        kept += work();
        done += messages;
    }
    (start.elapsed().as_secs_f64() * 1e6 / done as f64, kept)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("routing bench: run with `cargo bench --bench routing`");
        return;
    }
    let config = Config::parse(WORKSPACE, "benches/routing/eventscope.toml").unwrap();
    let destinations: Vec<Destination> = config
        .destination
        .iter()
        .map(|d| Destination::from_config(d, &fql).unwrap())
        .collect();
    assert_eq!(destinations.len(), 7);
    assert!(destinations.iter().all(|d| d.filters.len() == 3));

    let fixture: Vec<String> = fixture_messages().iter().map(|m| m.to_string()).collect();
    let consented: Vec<String> = fixture
        .iter()
        .map(|m| {
            let mut value: serde_json::Value = serde_json::from_str(m).unwrap();
            value["context"]["consent"] = serde_json::json!({"categoryPreferences":
                {"Analytics": true, "Advertising": false, "Functional": true}});
            value.to_string()
        })
        .collect();

    println!(
        "routing: 7 destinations × 3 filters (benches/routing/eventscope.toml), {} messages, {ROUNDS} alternating rounds of ~{} s each",
        fixture.len(),
        ROUND.as_secs()
    );
    for (name, messages) in [("fixture", &fixture), ("fixture + consent", &consented)] {
        let parsed: Vec<Json<'_>> = messages.iter().map(|m| Json::parse(m).unwrap()).collect();
        let routed: usize = parsed
            .iter()
            .map(|m| {
                route_all(m, &destinations)
                    .iter()
                    .filter(|v| v.is_routed())
                    .count()
            })
            .sum();
        println!(
            "  {name}: {:.1} % of the {} verdicts are routed",
            routed as f64 * 100.0 / (parsed.len() * destinations.len()) as f64,
            parsed.len() * destinations.len()
        );
        for round in 1..=ROUNDS {
            let (route_us, _) = per_message(parsed.len(), || {
                parsed
                    .iter()
                    .map(|m| route_all(black_box(m), &destinations).len())
                    .sum()
            });
            let (parse_us, _) = per_message(messages.len(), || {
                messages
                    .iter()
                    .map(|m| usize::from(black_box(Json::parse(m)).is_ok()))
                    .sum()
            });
            println!(
                "    round {round}: routing {route_us:.3} µs/message ({:.0} messages/s)  |  anchor, parsing the message: {parse_us:.3} µs  |  routing = {:.2} × the parse",
                1e6 / route_us,
                route_us / parse_us
            );
        }
    }
    check_with_routing(&fixture);
}

/// `eventscope check --format json FILE` with the workspace, then the same with `--routing`:
/// the wall time of each.
fn check_with_routing(messages: &[String]) {
    let total = env_number("EVENTSCOPE_BENCH_CHECK_EVENTS").unwrap_or(200_000);
    let file = std::env::temp_dir().join(format!(
        "eventscope-routing-bench-{}.ndjson",
        std::process::id()
    ));
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("temp file"));
        for i in 0..total {
            writeln!(out, "{}", messages[i % messages.len()]).expect("write");
        }
    }
    let run = |routing: bool| -> f64 {
        let mut command = Command::new(env!("CARGO_BIN_EXE_eventscope"));
        command.args(["check", "--config", WORKSPACE_PATH, "--format", "json"]);
        if routing {
            command.arg("--routing");
        }
        let start = Instant::now();
        let output = command
            .arg(&file)
            .stdout(Stdio::null())
            .output()
            .expect("spawn check");
        let wall = start.elapsed().as_secs_f64();
        println!(
            "check{:<10} {total} events: {wall:.2} s, {:>9.0} events/s  ({})",
            if routing { " --routing" } else { "" },
            total as f64 / wall,
            String::from_utf8_lossy(&output.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or_default()
        );
        wall
    };
    let without = run(false);
    let with = run(true);
    println!(
        "check --routing to 7 destinations × 3 filters adds {:.2} µs/event ({:+.0} % of the run)",
        (with - without) * 1e6 / total as f64,
        (with - without) / without * 100.0
    );
    let _ = std::fs::remove_file(&file);
}
