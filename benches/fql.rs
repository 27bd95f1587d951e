//! FQL figure: evaluation rate of the reference's worked examples (issue 12) over the fixture
//! events, on one thread, side by side with their anchors in alternating rounds:
//! - **tree**: FQL on the message already parsed into the borrowed tree (routing's case: a
//!   destination filter's `if`);
//! - **fql:** the viewer's `fql:` filter term, from the message's text (parsed per message);
//! - **jq:** the same condition written as a `jq:` term (jaq, in process), from the text: what a
//!   user wrote before FQL could be pasted.
//!
//! `cargo bench --bench fql`; one core: `taskset -c 0 target/release/deps/fql-* --bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::hint::black_box;
use std::time::{Duration, Instant};

use eventscope::filter::{Query as Filter, Text, fql::Query};
use eventscope::model::json::Json;

mod common;
use common::fixture_messages;

/// The reference's worked examples (`identity-and-warehouse.md` §3) and their jq equivalents.
const EXAMPLES: [(&str, &str); 6] = [
    ("event = 'Button Clicked'", r#".event == "Button Clicked""#),
    (
        "type = 'identify' or type = 'track'",
        r#".type == "identify" or .type == "track""#,
    ),
    (
        "match( context.library.version, '1.*' )",
        r#".context.library.version | strings | startswith("1.")"#,
    ),
    (
        "!contains( context.library.name, 'js' )",
        r#".context.library.name | strings | contains("js") | not"#,
    ),
    (
        "'dark-mode' in properties.features",
        r#"any(.properties.features[]?; . == "dark-mode")"#,
    ),
    (
        "context.path.path = '/login'",
        r#".context.path.path == "/login""#,
    ),
];

const ROUNDS: usize = 3;
const ROUND: Duration = Duration::from_millis(700);

/// Events per second of `matches` over `count` messages for about [`ROUND`], and how many held.
fn rate(count: usize, mut matches: impl FnMut() -> usize) -> (f64, usize) {
    let start = Instant::now();
    let (mut events, mut held) = (0usize, 0usize);
    while start.elapsed() < ROUND {
        held = matches();
        events += count;
    }
    (events as f64 / start.elapsed().as_secs_f64(), held)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("fql bench: run with `cargo bench --bench fql`");
        return;
    }
    let messages = fixture_messages();
    let parsed: Vec<Json<'_>> = messages.iter().map(|m| Json::parse(m).unwrap()).collect();
    let texts: Vec<Text<'_>> = messages.iter().map(|m| Text(m)).collect();
    println!(
        "FQL over the {} fixture events, events/s (µs/event); {ROUNDS} alternating rounds",
        parsed.len()
    );
    for (fql, jq) in EXAMPLES {
        let tree = Query::parse(fql).unwrap();
        let term = Filter::parse(&format!("fql: {fql}")).unwrap();
        let jq_term = Filter::parse(&format!("jq: {jq}")).unwrap();
        println!("  {fql}   |   jq: {jq}");
        for round in 1..=ROUNDS {
            let (tree_rate, held) = rate(parsed.len(), || {
                parsed
                    .iter()
                    .filter(|m| tree.matches(black_box(m)).unwrap_or(false))
                    .count()
            });
            let (term_rate, term_held) = rate(texts.len(), || {
                texts.iter().filter(|t| term.matches(black_box(*t))).count()
            });
            let (jq_rate, jq_held) = rate(texts.len(), || {
                texts
                    .iter()
                    .filter(|t| jq_term.matches(black_box(*t)))
                    .count()
            });
            assert_eq!((held, held), (term_held, jq_held), "{fql} vs {jq}");
            println!(
                "    round {round}: tree {tree_rate:>10.0} ({:.3})   fql: {term_rate:>9.0} ({:.3})   jq: {jq_rate:>9.0} ({:.3})   held {held}",
                1e6 / tree_rate,
                1e6 / term_rate,
                1e6 / jq_rate
            );
        }
    }
    let all: Vec<Query> = EXAMPLES
        .iter()
        .map(|(q, _)| Query::parse(q).unwrap())
        .collect();
    for round in 1..=ROUNDS {
        let (all_rate, _) = rate(parsed.len(), || {
            parsed
                .iter()
                .map(|m| {
                    all.iter()
                        .filter(|q| q.matches(black_box(m)).unwrap_or(false))
                        .count()
                })
                .sum()
        });
        println!(
            "  all six on the tree, round {round}: {all_rate:.0} events/s ({:.3} µs/event)",
            1e6 / all_rate
        );
    }
}
