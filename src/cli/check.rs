//! `eventscope check FILE|-`: verdicts for CI over a recording or any NDJSON of messages.
//! Streams the input (memory stays flat), prints findings as text, JSON lines or JUnit XML,
//! and exits 0 when clean, 1 with findings at or above `--fail-on`, 2 on usage or I/O errors.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::Value;

use super::CheckArgs;
use eventscope_core::config::Config;
use eventscope_core::inspect::redact;
use eventscope_core::inspect::{Finding, Inspector, Severity};
use eventscope_core::model::json::Json;
use eventscope_core::model::{Frame, thousands};
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader, describe_size};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    fn severity(self) -> Severity {
        match self {
            Level::Info => Severity::Info,
            Level::Warning => Severity::Warning,
            Level::Error => Severity::Error,
        }
    }
}

/// Examples kept per event name for text and JUnit output.
const EXAMPLES: usize = 20;

/// Findings of one event name (track event, page/screen name, or the call type).
#[derive(Default)]
struct Group {
    messages: u64,
    with_findings: u64,
    by_severity: [u64; 3],
    examples: Vec<(u64, Option<String>, Finding)>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("eventscope check: {}", super::one_line(&message));
        ExitCode::from(2)
    };
    let config = match Config::load(args.config.as_deref()) {
        Ok((config, _)) => config,
        Err(e) => return fail(e.to_string()),
    };
    let inspector = match inspector(&config, args.plan.as_deref()) {
        Ok(inspector) => inspector,
        Err(e) => return fail(e),
    };
    let reader = match RecordingReader::open(&args.file) {
        Ok(reader) => reader.with_max_line(args.max_line),
        Err(e) => return fail(e.to_string()),
    };
    let show = args.show.severity();
    let fail_on = args.fail_on.severity();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let (mut messages, mut failing, mut skipped) = (0u64, 0u64, 0u64);
    // Lines over `--max-line` (also in `skipped`), and why reading stopped early.
    let mut over_max_line = 0u64;
    let mut read_failed = None;
    let mut totals = [0u64; 3];
    for item in reader {
        let (line, frame) = match item {
            ReadItem::Frame { line, frame } => (line, frame),
            // Said after the summary: nothing follows it.
            ReadItem::Problem {
                message,
                kind: ProblemKind::ReadFailed,
                ..
            } => {
                read_failed = Some(message);
                continue;
            }
            ReadItem::Problem { message, kind, .. } => {
                eprintln!("eventscope check: {message}");
                skipped += 1;
                over_max_line += u64::from(matches!(kind, ProblemKind::OverMaxLine { .. }));
                continue;
            }
        };
        // Parse once: the verdicts and the fields printed with them share the tree.
        let (message, findings): (Option<Json<'_>>, Vec<Finding>) = match &frame {
            Frame::Event(event) => {
                let text = event.message.get();
                let (tree, mut findings) = match Json::parse(text) {
                    Ok(tree) => {
                        let findings = inspector.inspect_json(&tree, text.len());
                        (Some(tree), findings)
                    }
                    Err(_) => (None, inspector.inspect_text(text)),
                };
                // What the collector masked (`--redact`) still counts.
                let redacted = redact::read_redacted(event.redacted.as_deref());
                redact::add_redacted_findings(&mut findings, &redacted);
                (tree, findings)
            }
            Frame::Rejected(rejected) => {
                let finding = Finding::new(
                    eventscope_core::inspect::Kind::Spec,
                    format!("collector/{}", rejected.code),
                    "",
                    Severity::Error,
                    format!(
                        "the collector refused a request: {} {}",
                        rejected.status, rejected.message
                    ),
                );
                (Json::parse(&rejected.body).ok(), vec![finding])
            }
            _ => continue,
        };
        messages += 1;
        let field = |key: &str| {
            message
                .as_ref()
                .and_then(|m| m.get(key))
                .and_then(Json::as_str)
                .map(str::to_string)
        };
        let kind = field("type").unwrap_or_else(|| match frame {
            Frame::Rejected(_) => "rejected".into(),
            _ => "?".into(),
        });
        let name = field("event")
            .or_else(|| field("name").filter(|_| kind == "page" || kind == "screen"))
            .unwrap_or_default();
        let message_id = field("messageId");
        let group_name = if name.is_empty() {
            format!("({kind})")
        } else {
            format!("{name} ({kind})")
        };
        let group = groups.entry(group_name).or_default();
        group.messages += 1;
        let mut counted = false;
        let mut fails = false;
        for finding in findings {
            totals[finding.severity as usize] += 1;
            group.by_severity[finding.severity as usize] += 1;
            fails |= finding.severity >= fail_on;
            if finding.severity < show {
                continue;
            }
            if !counted {
                group.with_findings += 1;
                counted = true;
            }
            match args.format {
                Format::Json => {
                    let mut object = serde_json::to_value(&finding).unwrap_or(Value::Null);
                    if let Value::Object(map) = &mut object {
                        map.insert("line".into(), line.into());
                        map.insert("messageId".into(), message_id.clone().into());
                        map.insert("type".into(), kind.clone().into());
                        map.insert("event".into(), name.clone().into());
                        if let Some(seq) = frame.seq() {
                            map.insert("seq".into(), seq.into());
                        }
                    }
                    if writeln!(out, "{object}").is_err() {
                        return ExitCode::from(2);
                    }
                }
                Format::Text | Format::Junit => {
                    if group.examples.len() < EXAMPLES {
                        group.examples.push((line, message_id.clone(), finding));
                    }
                }
            }
        }
        failing += u64::from(fails);
    }
    let written = match args.format {
        Format::Json => Ok(()),
        Format::Text => write_text(&mut out, &groups),
        Format::Junit => write_junit(&mut out, &groups, fail_on),
    };
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    eprintln!(
        "eventscope check: {} messages, {} errors, {} warnings, {} info; {} messages at or above {}{}",
        thousands(messages),
        thousands(totals[Severity::Error as usize]),
        thousands(totals[Severity::Warning as usize]),
        thousands(totals[Severity::Info as usize]),
        thousands(failing),
        fail_on.as_str(),
        skipped_note(skipped, over_max_line, args.max_line)
    );
    // What was read is judged and printed above; an input cut short is still an I/O error.
    if let Some(message) = read_failed {
        eprintln!(
            "eventscope check: stopped early: {}",
            super::one_line(&message)
        );
        return ExitCode::from(2);
    }
    if failing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `; 3 lines skipped (1 over --max-line 64 MiB)`, or nothing.
fn skipped_note(skipped: u64, over_max_line: u64, max_line: u64) -> String {
    if skipped == 0 {
        return String::new();
    }
    let mut note = format!(
        "; {} line{} skipped",
        thousands(skipped),
        if skipped == 1 { "" } else { "s" }
    );
    if over_max_line > 0 {
        note.push_str(&format!(
            " ({} over --max-line {})",
            thousands(over_max_line),
            describe_size(max_line)
        ));
    }
    note
}

/// The rules from the config and flags: naming convention, tracking plan, PII matchers.
pub fn inspector(config: &Config, plan: Option<&std::path::Path>) -> Result<Inspector, String> {
    let mut inspector = Inspector::default();
    inspector.spec.naming = config.naming.unwrap_or_default();
    inspector.pii = eventscope_core::inspect::pii::PiiMatchers::from_config(&config.pii)
        .map_err(|e| format!("[pii]: {e}"))?;
    if let Some(path) = plan.or(config.plan.as_deref()) {
        inspector.plan = Some(super::plan::load(path)?);
    }
    Ok(inspector)
}

fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "✗",
        Severity::Warning => "!",
        Severity::Info => "·",
    }
}

fn write_text(out: &mut impl Write, groups: &BTreeMap<String, Group>) -> std::io::Result<()> {
    for (name, group) in groups.iter().filter(|(_, g)| !g.examples.is_empty()) {
        writeln!(
            out,
            "{name}: {} of {} messages with findings",
            thousands(group.with_findings),
            thousands(group.messages)
        )?;
        for (line, message_id, finding) in &group.examples {
            let path = if finding.path.is_empty() {
                "(message)"
            } else {
                &finding.path
            };
            write!(
                out,
                "  {} {:<7} {:<24} {:<32} {}",
                mark(finding.severity),
                finding.severity.as_str(),
                finding.rule,
                path,
                finding.message
            )?;
            if let Some(expected) = &finding.expected {
                write!(out, " (expected {expected}")?;
                match &finding.actual {
                    Some(actual) => write!(out, ", got {actual})")?,
                    None => write!(out, ")")?,
                }
            }
            writeln!(
                out,
                "  [line {line}{}]",
                message_id
                    .as_ref()
                    .map(|id| format!(", {id}"))
                    .unwrap_or_default()
            )?;
        }
        let shown = group.examples.len() as u64;
        let total: u64 = group.by_severity.iter().sum();
        if total > shown {
            writeln!(out, "  … and {} more", thousands(total - shown))?;
        }
        writeln!(out)?;
    }
    Ok(())
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

/// One test case per event name; it fails when the name has findings at or above `fail_on`.
fn write_junit(
    out: &mut impl Write,
    groups: &BTreeMap<String, Group>,
    fail_on: Severity,
) -> std::io::Result<()> {
    let failures = groups
        .values()
        .filter(|g| g.by_severity[fail_on as usize..].iter().sum::<u64>() > 0)
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="eventscope check" tests="{}" failures="{failures}">"#,
        groups.len()
    )?;
    writeln!(
        out,
        r#"  <testsuite name="eventscope check" tests="{}" failures="{failures}">"#,
        groups.len()
    )?;
    for (name, group) in groups {
        writeln!(
            out,
            r#"    <testcase classname="eventscope.check" name="{}">"#,
            xml(name)
        )?;
        let failing: Vec<_> = group
            .examples
            .iter()
            .filter(|(_, _, f)| f.severity >= fail_on)
            .collect();
        if !failing.is_empty() || group.by_severity[fail_on as usize..].iter().sum::<u64>() > 0 {
            let count: u64 = group.by_severity[fail_on as usize..].iter().sum();
            writeln!(
                out,
                r#"      <failure message="{} findings at or above {} in {} messages">"#,
                count,
                fail_on.as_str(),
                group.messages
            )?;
            for (line, message_id, f) in failing {
                writeln!(
                    out,
                    "{}",
                    xml(&format!(
                        "{} {} {}: {} [line {line}{}]",
                        f.severity.as_str(),
                        f.rule,
                        if f.path.is_empty() {
                            "(message)"
                        } else {
                            &f.path
                        },
                        f.message,
                        message_id
                            .as_ref()
                            .map(|id| format!(", {id}"))
                            .unwrap_or_default()
                    ))
                )?;
            }
            writeln!(out, "      </failure>")?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}
