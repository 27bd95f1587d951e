//! FQL figure: evaluation rate of the reference's worked examples (issue 12) over the fixture
//! events, pre-parsed into the borrowed JSON tree the verdicts use, on one thread.
//!
//! `cargo bench --bench fql`; `EVENTSCOPE_BENCH_PASSES=N` for a fixed number of passes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::time::{Duration, Instant};

use eventscope::filter::fql::Query;
use eventscope::model::json::Json;

mod common;
use common::fixture_messages;

/// The reference's worked examples (`identity-and-warehouse.md` §3).
const EXAMPLES: [&str; 6] = [
    "event = 'Button Clicked'",
    "type = 'identify' or type = 'track'",
    "match( context.library.version, '1.*' )",
    "!contains( context.library.name, 'js' )",
    "'dark-mode' in properties.features",
    "context.path.path = '/login'",
];

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("fql bench: run with `cargo bench --bench fql`");
        return;
    }
    let messages = fixture_messages();
    let parsed: Vec<Json<'_>> = messages.iter().map(|m| Json::parse(m).unwrap()).collect();
    let passes: Option<usize> = std::env::var("EVENTSCOPE_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok());
    let rate = |name: &str, queries: &[Query]| {
        let start = Instant::now();
        let (mut events, mut held) = (0usize, 0usize);
        while match passes {
            Some(n) => events < n * parsed.len(),
            None => start.elapsed() < Duration::from_secs(3),
        } {
            for message in &parsed {
                for query in queries {
                    held += usize::from(query.matches(message).unwrap_or(false));
                }
            }
            events += parsed.len();
        }
        let per_second = events as f64 / start.elapsed().as_secs_f64();
        println!(
            "{name:<44} {per_second:>12.0} events/s  {:>7.3} µs/event  (held {held})",
            1e6 / per_second
        );
    };
    println!("fixtures: {} messages", parsed.len());
    let all: Vec<Query> = EXAMPLES.iter().map(|q| Query::parse(q).unwrap()).collect();
    for (text, query) in EXAMPLES.iter().zip(&all) {
        rate(text, std::slice::from_ref(query));
    }
    rate("all six, per event", &all);
}
