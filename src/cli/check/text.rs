//! `check --format text`: totals first (by rule, then by event), then the findings grouped by
//! severity → rule → event, a few examples each, "… and N more" counting only what that group
//! hides. Rules and events are in order of severity, then count. With `--routing`, a table of
//! what each destination would get follows the first line.

use std::io::{self, Write};

use eventscope_core::inspect::Severity;
use eventscope_core::model::{count, thousands};

use super::routing::{REASONS, Routes};
use super::tally::{Tally, severity_key};

const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

pub fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "✗",
        Severity::Warning => "!",
        Severity::Info => "·",
    }
}

fn heading(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "Errors",
        Severity::Warning => "Warnings",
        Severity::Info => "Info",
    }
}

/// `12`, or blank for 0, right-aligned in `width`.
fn cell(n: u64, width: usize) -> String {
    if n == 0 {
        format!("{:>width$}", "·")
    } else {
        format!("{:>width$}", thousands(n))
    }
}

pub fn write(out: &mut impl Write, tally: &Tally, routes: Option<&Routes>) -> io::Result<()> {
    let shown: u64 = tally.shown.iter().sum();
    writeln!(
        out,
        "{}, {} with findings; {}, {}, {} info shown{}",
        count(tally.messages, "message"),
        thousands(tally.with_findings),
        count(tally.shown[Severity::Error as usize], "error"),
        count(tally.shown[Severity::Warning as usize], "warning"),
        thousands(tally.shown[Severity::Info as usize]),
        hidden_note(tally),
    )?;
    if tally.bots > 0 {
        writeln!(
            out,
            "{} sent by bots (traffic/bot: crawlers, monitors, headless browsers, HTTP libraries)",
            count(tally.bots, "message")
        )?;
    }
    if let Some(routes) = routes {
        routing_table(out, routes)?;
    }
    if shown == 0 {
        return Ok(());
    }
    // Only the severity columns that can hold anything.
    let columns: Vec<Severity> = SEVERITIES
        .into_iter()
        .filter(|s| *s >= tally.show)
        .collect();
    let header: String = columns
        .iter()
        .map(|s| format!("{:>9}", heading(*s).to_lowercase()))
        .collect();

    let mut rules: Vec<(&String, &[u64; 3])> = tally.by_rule.iter().collect();
    rules.sort_by(|a, b| {
        severity_key(b.1)
            .cmp(&severity_key(a.1))
            .then_with(|| a.0.cmp(b.0))
    });
    let width = rules.iter().map(|(r, _)| r.len()).max().unwrap_or(0).max(7);
    writeln!(out, "\nBy rule{:w$}{header}", "", w = width + 2 - 7)?;
    for (rule, counts) in rules {
        let cells: String = columns
            .iter()
            .map(|s| cell(counts[*s as usize], 9))
            .collect();
        writeln!(out, "  {rule:<width$}{cells}")?;
    }

    let mut events: Vec<(&String, &super::tally::EventTally)> = tally
        .events
        .iter()
        .filter(|(_, e)| e.shown.iter().sum::<u64>() > 0)
        .collect();
    events.sort_by(|a, b| {
        severity_key(&b.1.shown)
            .cmp(&severity_key(&a.1.shown))
            .then_with(|| a.0.cmp(b.0))
    });
    let width = events
        .iter()
        .map(|(e, _)| e.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 48);
    writeln!(
        out,
        "\nBy event{:w$}{header}  messages with findings",
        "",
        w = width + 2 - 8
    )?;
    for (label, event) in &events {
        let cells: String = columns
            .iter()
            .map(|s| cell(event.shown[*s as usize], 9))
            .collect();
        writeln!(
            out,
            "  {:<width$}{cells}  {} of {}",
            clip(label, width),
            thousands(event.with_findings),
            thousands(event.messages)
        )?;
    }

    for severity in columns {
        let by_rule = &tally.groups[severity as usize];
        if by_rule.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{} ({})",
            heading(severity),
            thousands(tally.shown[severity as usize])
        )?;
        let mut rules: Vec<_> = by_rule
            .iter()
            .map(|(rule, events)| (rule, events.values().map(|g| g.count).sum::<u64>(), events))
            .collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (rule, count, events) in rules {
            writeln!(out, "  {rule} ({})", thousands(count))?;
            let mut events: Vec<_> = events.iter().collect();
            events.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
            for (label, group) in events {
                writeln!(out, "    {label} ({})", thousands(group.count))?;
                for e in &group.examples {
                    let also = if e.rules.contains(" + ") {
                        format!(" ({})", e.rules)
                    } else {
                        String::new()
                    };
                    // Most messages name their path; name it once. A routing finding names its
                    // destination and rule, which say more than a path.
                    let path =
                        if e.text.contains(e.path.as_str()) || e.rules.starts_with("routing/") {
                            String::new()
                        } else {
                            format!("{}: ", e.path)
                        };
                    writeln!(
                        out,
                        "      {} {path}{}{also}  {}",
                        mark(e.severity),
                        e.text,
                        e.place()
                    )?;
                }
                let hidden = group.count - group.examples.len() as u64;
                if hidden > 0 {
                    writeln!(out, "      … and {} more", thousands(hidden))?;
                }
            }
        }
    }
    Ok(())
}

/// One row per destination, in config order: delivered, dropped and dropped by each reason,
/// delivered with fields stripped.
fn routing_table(out: &mut impl Write, routes: &Routes) -> io::Result<()> {
    let labels: Vec<String> = routes
        .routes
        .iter()
        .map(|r| {
            if r.segment_name == r.name {
                r.name.clone()
            } else {
                format!("{} ({})", r.name, r.segment_name)
            }
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(11, 48);
    let mut headers = vec!["delivered", "dropped"];
    headers.extend(REASONS.iter().map(|r| r.as_str()));
    headers.push("stripped");
    writeln!(
        out,
        "\nRouting of {} (stripped: delivered without some fields)",
        count(routes.messages, "message"),
    )?;
    let header: String = headers.iter().map(|h| format!("  {h}")).collect();
    writeln!(out, "  {:<width$}{header}", "destination")?;
    for (route, label) in routes.routes.iter().zip(&labels) {
        let c = &route.counts;
        let mut values = vec![c.delivered, c.dropped_total()];
        values.extend(c.dropped);
        values.push(c.stripped);
        let cells: String = headers
            .iter()
            .zip(values)
            .map(|(h, n)| cell(n, h.len() + 2))
            .collect();
        writeln!(out, "  {:<width$}{cells}", clip(label, width))?;
    }
    Ok(())
}

/// `; 1,376 info not shown (--show info)`, or nothing.
fn hidden_note(tally: &Tally) -> String {
    let parts: Vec<String> = SEVERITIES
        .into_iter()
        .filter(|s| tally.hidden[*s as usize] > 0)
        .map(|s| format!("{} {}", thousands(tally.hidden[s as usize]), s.as_str()))
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "; {} not shown (--show {} lists them)",
        parts.join(", "),
        Severity::Info.as_str()
    )
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}
