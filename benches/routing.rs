//! Routing figure: verdicts per message for 7 destinations × 3 filters each, on one core.
//! Goal ≤ 2 µs per message (all 7 destinations), so the viewer stays light at 20,000 ev/s.
//!
//! `cargo bench --bench routing`. Conditions here are hand-written (an event name and a
//! property test) until FQL conditions are wired in; the message is parsed once, outside the
//! timed loop, as the viewer parses it once for its verdicts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::time::{Duration, Instant};

use eventscope::model::json::Json;
use eventscope::routing::{
    Condition, Destination, FieldPath, Filter, FilterAction, route_all, supports_all,
};

mod common;
use common::FIXTURES;

struct EventIs(&'static str);

impl Condition for EventIs {
    fn matches(&self, message: &Json<'_>) -> Result<bool, String> {
        Ok(message.get("event").and_then(Json::as_str) == Some(self.0))
    }
}

fn destination(name: &str, consent: &[&str]) -> Destination {
    let paths = |texts: &[&str]| texts.iter().map(|t| FieldPath::parse(t).unwrap()).collect();
    Destination {
        segment_name: name.to_string(),
        consent: consent.iter().map(|c| c.to_string()).collect(),
        filters: vec![
            Filter {
                condition: Box::new(EventIs("Test Event")),
                text: "event = 'Test Event'".into(),
                action: FilterAction::Drop,
            },
            Filter {
                condition: Box::new(EventIs("Page Scrolled")),
                text: "event = 'Page Scrolled'".into(),
                action: FilterAction::Sample { percent: 10.0 },
            },
            Filter {
                condition: Box::new(EventIs("Order Completed")),
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
    let messages: Vec<String> = std::fs::read_to_string(format!("{FIXTURES}/events.ndjson"))
        .expect("fixtures")
        .lines()
        .map(str::to_string)
        .collect();
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
