//! `check --format junit`: one test case per event name (`Order Completed (track)`,
//! `(identify)`); a case fails when its messages have findings at or above `--fail-on`, an
//! unplanned event included, and lists its examples.

use std::io::{self, Write};

use super::tally::{Example, Tally};
use eventscope_core::model::count;

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

pub fn write(out: &mut impl Write, tally: &Tally) -> io::Result<()> {
    let fail_on = tally.fail_on;
    let failing = |all: &[u64; 3]| all[fail_on as usize..].iter().sum::<u64>();
    let mut events: Vec<_> = tally.events.iter().collect();
    events.sort_by(|a, b| a.0.cmp(b.0));
    let failures = events.iter().filter(|(_, e)| failing(&e.all) > 0).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    for tag in ["<testsuites", "  <testsuite"] {
        writeln!(
            out,
            r#"{tag} name="eventscope check" tests="{}" failures="{failures}">"#,
            events.len()
        )?;
    }
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
    writeln!(out, "</testsuites>")
}
