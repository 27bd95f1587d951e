//! Routing figure: verdicts per message for 7 destinations × 3 filters each, on one core.
//! Goal ≤ 2 µs per message (all 7 destinations), so the viewer stays light at 20,000 ev/s.
//!
//! `cargo bench --bench routing`. The filters' conditions are FQL (`routing::fql`), as a
//! destination table's `if` compiles; the message is parsed once, outside the timed loop, as the
//! viewer parses it once for its verdicts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::time::{Duration, Instant};

use eventscope::model::json::Json;
use eventscope::routing::{
    Destination, FieldPath, Filter, FilterAction, fql, route_all, supports_all,
};

mod common;
use common::fixture_messages;

fn destination(name: &str, consent: &[&str]) -> Destination {
    let paths = |texts: &[&str]| texts.iter().map(|t| FieldPath::parse(t).unwrap()).collect();
    Destination {
        segment_name: name.to_string(),
        consent: consent.iter().map(|c| c.to_string()).collect(),
        filters: vec![
            Filter {
                condition: fql("event = 'Test Event'").unwrap(),
                text: "event = 'Test Event'".into(),
                action: FilterAction::Drop,
            },
            Filter {
                condition: fql("event = 'Page Scrolled'").unwrap(),
                text: "event = 'Page Scrolled'".into(),
                action: FilterAction::Sample { percent: 10.0 },
            },
            Filter {
                condition: fql("event = 'Order Completed'").unwrap(),
                text: "event = 'Order Completed'".into(),
                action: FilterAction::BlockFields(paths(&[
                    "properties.email",
                    "properties.products.price",
                    "context.ip",
                ])),
            },
        ],
        supports: supports_all,
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("routing bench: run with `cargo bench --bench routing`");
        return;
    }
    let messages = fixture_messages();
    let parsed: Vec<Json<'_>> = messages.iter().map(|m| Json::parse(m).unwrap()).collect();
    let destinations = [
        destination("Amplitude", &["Analytics"]),
        destination("Mixpanel", &["Analytics"]),
        destination("Google Analytics 4", &["Analytics", "Advertising"]),
        destination("PostHog", &[]),
        destination("Webhooks", &[]),
        destination("Segment", &[]),
        destination("My Function (Workspace)", &["Functional"]),
    ];
    let start = Instant::now();
    let mut events = 0usize;
    let mut routed = 0usize;
    while start.elapsed() < Duration::from_secs(3) {
        for message in &parsed {
            routed += route_all(message, &destinations)
                .iter()
                .filter(|v| v.is_routed())
                .count();
        }
        events += parsed.len();
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "routing, 7 destinations × 3 filters: {:>10.0} messages/s  {:>6.3} µs/message  ({routed} routed)",
        events as f64 / seconds,
        seconds * 1e6 / events as f64
    );
}
