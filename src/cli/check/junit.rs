//! `check --format junit`: one test case per event name (`Order Completed (track)`,
//! `(identify)`); a case fails when its messages have findings at or above `--fail-on`, an
//! unplanned event included, and lists its examples. With `--routing`, a second suite has one
//! case per destination: its counts as properties, failing with routing findings at or above
//! `--fail-on` (a `--require-delivery` drop).

use std::io::{self, Write};

use super::routing::{REASONS, Route, Routes};
use super::tally::{Example, Tally};
use eventscope_core::model::{count, thousands};

/// `error plan/type properties.total: should be a number … [line 12, msg-1]`
fn example_line(e: &Example) -> String {
    format!(
        "{} {} {}: {} {}",
        e.severity.as_str(),
        e.rules,
        e.path,
        e.text,
        e.place()
    )
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

pub fn write(out: &mut impl Write, tally: &Tally, routes: Option<&Routes>) -> io::Result<()> {
    let fail_on = tally.fail_on;
    let failing = |all: &[u64; 3]| all[fail_on as usize..].iter().sum::<u64>();
    let mut events: Vec<_> = tally.events.iter().collect();
    events.sort_by(|a, b| a.0.cmp(b.0));
    let failures = events.iter().filter(|(_, e)| failing(&e.all) > 0).count();
    let destinations = routes.map_or(&[][..], |r| &r.routes[..]);
    let routing_failures = destinations.iter().filter(|r| r.failing > 0).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="eventscope check" tests="{}" failures="{}">"#,
        events.len() + destinations.len(),
        failures + routing_failures
    )?;
    writeln!(
        out,
        r#"  <testsuite name="eventscope check" tests="{}" failures="{failures}">"#,
        events.len()
    )?;
    for (name, event) in events {
        writeln!(
            out,
            r#"    <testcase classname="eventscope.check" name="{}">"#,
            xml(name)
        )?;
        let count_failing = failing(&event.all);
        if count_failing > 0 {
            writeln!(
                out,
                r#"      <failure message="{} at or above {} in {}">"#,
                count(count_failing, "finding"),
                fail_on.as_str(),
                count(event.messages, "message")
            )?;
            for e in event.examples.iter().filter(|e| e.severity >= fail_on) {
                writeln!(out, "{}", xml(&example_line(e)))?;
            }
            writeln!(out, "      </failure>")?;
        }
        // What is shown but below --fail-on, so a passing case still says what was seen.
        let below: Vec<_> = event
            .examples
            .iter()
            .filter(|e| e.severity < fail_on)
            .collect();
        if !below.is_empty() {
            writeln!(out, "      <system-out>")?;
            for e in below {
                writeln!(out, "{}", xml(&example_line(e)))?;
            }
            writeln!(out, "      </system-out>")?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    if let Some(routes) = routes {
        routing_suite(out, routes, fail_on.as_str(), routing_failures)?;
    }
    writeln!(out, "</testsuites>")
}

/// `<testsuite name="eventscope check --routing">`: one case per destination, in config order.
fn routing_suite(
    out: &mut impl Write,
    routes: &Routes,
    fail_on: &str,
    failures: usize,
) -> io::Result<()> {
    writeln!(
        out,
        r#"  <testsuite name="eventscope check --routing" tests="{}" failures="{failures}">"#,
        routes.routes.len()
    )?;
    for route in &routes.routes {
        writeln!(
            out,
            r#"    <testcase classname="eventscope.check.routing" name="{}">"#,
            xml(&route.name)
        )?;
        writeln!(out, "      <properties>")?;
        for (name, value) in properties(route) {
            writeln!(out, r#"        <property name="{name}" value="{value}"/>"#)?;
        }
        writeln!(out, "      </properties>")?;
        if route.failing > 0 {
            writeln!(
                out,
                r#"      <failure message="{} at or above {fail_on}">"#,
                count(route.failing, "routing finding"),
            )?;
            for e in &route.examples {
                writeln!(out, "{}", xml(&example_line(e)))?;
            }
            writeln!(out, "      </failure>")?;
        }
        writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml(&sentence(route))
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")
}

/// `delivered`, `dropped`, `dropped.consent`, … `stripped`, `segment_name`.
fn properties(route: &Route) -> Vec<(String, String)> {
    let c = &route.counts;
    let mut out = vec![
        ("segment_name".to_string(), xml(&route.segment_name)),
        ("delivered".to_string(), c.delivered.to_string()),
        ("dropped".to_string(), c.dropped_total().to_string()),
    ];
    for (reason, n) in REASONS.iter().zip(c.dropped) {
        out.push((format!("dropped.{}", reason.as_str()), n.to_string()));
    }
    out.push(("stripped".to_string(), c.stripped.to_string()));
    out
}

/// `3 delivered (1 stripped), 2 dropped: consent 1, filter 1`
fn sentence(route: &Route) -> String {
    let c = &route.counts;
    let mut text = format!("{} delivered", thousands(c.delivered));
    if c.stripped > 0 {
        text.push_str(&format!(" ({} stripped)", thousands(c.stripped)));
    }
    text.push_str(&format!(", {} dropped", thousands(c.dropped_total())));
    let reasons: Vec<String> = REASONS
        .iter()
        .zip(c.dropped)
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{} {}", reason.as_str(), thousands(n)))
        .collect();
    if !reasons.is_empty() {
        text.push_str(": ");
        text.push_str(&reasons.join(", "));
    }
    text
}
