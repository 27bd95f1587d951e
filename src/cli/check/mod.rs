//! `eventscope check FILE|-`: verdicts for CI over a recording or any NDJSON of messages.
//! Streams the input (memory stays bounded: besides the counts, only the identity graph grows,
//! up to `[identity] max_identifiers`, and the warehouse schema, up to its caps), feeds every
//! message to the identity graph and the warehouse schema for the verdicts that need other
//! messages, counts findings ([`tally`]) and prints them as a
//! text report ([`text`]), one JSON document or NDJSON lines ([`records`]), or JUnit XML
//! ([`junit`]); with `--routing`, also each destination's routing verdicts ([`routing`]).
//! Exits 0 when clean, 1 with findings at or above `--fail-on`, 2 on usage or I/O errors.

mod junit;
mod records;
mod routing;
mod tally;
mod text;

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;

use super::CheckArgs;
use eventscope_core::config::Config;
use eventscope_core::identity::{IdentityGraph, observed_at};
use eventscope_core::inspect::identity::across;
use eventscope_core::inspect::plan::UnplannedPolicy;
use eventscope_core::inspect::redact;
use eventscope_core::inspect::warehouse;
use eventscope_core::inspect::{Finding, Inspector, Severity};
use eventscope_core::model::Frame;
use eventscope_core::model::json::Json;
use eventscope_core::model::{count, thousands};
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader, Step, describe_size};
use eventscope_core::warehouse::{Schema, WarehouseSettings};

use records::Records;
use routing::Routes;
use tally::{Names, Tally};

/// `check --help`: the formats and exit codes (kept in step with the README's `check` section).
pub const HELP: &str = "\
Formats (--format):
  text    totals by rule and by event first, then the findings grouped by severity,
          rule and event, a few examples each (\"… and N more\" counts what that group hides)
  json    one JSON document: {\"findings\":[…],\"summary\":{…}}; the summary's findings,
          by_severity, by_rule and by_event add up to the findings listed (those at or
          above --show); not_shown counts the rest
  ndjson  one finding per line, then one {\"summary\":{…}} line
  junit   JUnit XML, one test case per event name; a case fails with findings at or
          above --fail-on (an unplanned event too)
Each finding names its rule (and `also`, other rules that found the same problem), path,
severity, message, expected/actual, and its line, messageId, type and event (the track
event, the page/screen name, else the type); identity and warehouse verdicts across
messages name the other messages involved (`seqs`).

Unplanned events, properties and traits are warnings unless --unplanned-event,
--unplanned-property, --unplanned-trait or [plan] in eventscope.toml say error or allow.

Routing (--routing): for each [[destination]] in the config, how many messages Segment
would deliver, drop by consent, integrations, filter or unsupported call, and deliver with
fields stripped — a table after the first line (text), summary.routing (json, ndjson), a
second JUnit suite with a case per destination. Each drop is a finding
routing/dropped/<reason> (and routing/stripped), info, naming its `destination`. No
credential is read, so it runs without the secrets forwarding needs.
  --require-delivery NAME[:EVENT]  a message (of EVENT) that NAME would not get is an
                                   error: the run fails (repeatable; implies --routing)

Exit codes:
  0  no finding at or above --fail-on (default error)
  1  findings at or above --fail-on
  2  usage or I/O error: bad flag, config or plan, unreadable input (what was read is
     still reported)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Totals by rule and event, then findings by severity → rule → event, with examples.
    Text,
    /// One JSON document: `{"findings":[…],"summary":{…}}`.
    Json,
    /// One finding per line, then a `{"summary":{…}}` line.
    Ndjson,
    /// JUnit XML: one test case per event name.
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

pub fn run(args: CheckArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("eventscope check: {}", super::one_line(&message));
        ExitCode::from(2)
    };
    let (config, config_path) = match Config::load(args.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    let mut routes = if args.routing || !args.require_delivery.is_empty() {
        match Routes::from_config(
            &config,
            config_path.as_deref(),
            &args.require_delivery,
            args.fail_on.severity(),
        ) {
            Ok(routes) => Some(routes),
            Err(e) => return fail(e),
        }
    } else {
        None
    };
    let mut inspector = match inspector(&config, args.plan.as_deref()) {
        Ok(inspector) => inspector,
        Err(e) => return fail(e),
    };
    if let Some(plan) = inspector.plan.as_mut() {
        let from_config = plan.unplanned();
        plan.set_unplanned(UnplannedPolicy {
            event: args.unplanned_event.unwrap_or(from_config.event),
            property: args.unplanned_property.unwrap_or(from_config.property),
            traits: args.unplanned_trait.unwrap_or(from_config.traits),
        });
    }
    let reader = match RecordingReader::open(&args.file) {
        Ok(reader) => reader.with_max_line(args.max_line),
        Err(e) => return fail(e.to_string()),
    };
    let mut tally = Tally::new(args.show.severity(), args.fail_on.severity());
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut records = match args.format {
        Format::Json | Format::Ndjson => {
            match Records::start(&mut out, args.format == Format::Json) {
                Ok(records) => Some(records),
                Err(_) => return ExitCode::from(2),
            }
        }
        Format::Text | Format::Junit => None,
    };
    // The identity verdicts need no message list nor traits: memory stays bounded by the
    // graph's cap on identifiers (each profile holds at least one; merges and redirects are
    // fewer than profiles made; refusals, aliases and shared ids keep the newest or a bound).
    let mut graph = IdentityGraph::new(inspector.identity.settings.clone())
        .with_recent_messages(1)
        .without_traits();
    // The warehouse verdicts need the schema so far: bounded by its caps on tables, columns
    // and name bytes.
    let mut schema = Schema::new();
    let mut judge = Judge {
        inspector: &inspector,
        graph: &mut graph,
        schema: &mut schema,
        warehouse: &config.warehouse,
        tally: &mut tally,
        records: records.as_mut(),
        routes: routes.as_mut(),
        out: &mut out,
        skipped: 0,
        over_max_line: 0,
        read_failed: None,
    };
    let mut reader = reader;
    loop {
        let item = match reader.step() {
            Step::End => break,
            Step::Skip => continue,
            Step::Item(item) => item,
            Step::Line { line, complete } => {
                // A bare message (the common case) is parsed once, here, and judged on that
                // tree; frames and batches go the reader's way.
                let seq = reader.next_seq();
                let text = reader.text();
                let judged = match Json::parse(text) {
                    Ok(tree) if is_message(&tree) => {
                        let mut findings = inspector.inspect_json(&tree, text.len());
                        let received_at = tree.get("receivedAt").and_then(Json::as_str);
                        judge.identity(seq, &tree, received_at, &mut findings);
                        judge.warehouse(seq, &tree, &mut findings);
                        Some(judge.message(line, Some(seq), Some(&tree), &findings, false))
                    }
                    _ => None,
                };
                match judged {
                    Some(Ok(())) => {
                        reader.take_seq();
                        continue;
                    }
                    Some(Err(_)) => return ExitCode::from(2),
                    None => match reader.interpret(line, complete) {
                        Some(item) => item,
                        None => continue,
                    },
                }
            }
        };
        if judge.item(item).is_err() {
            return ExitCode::from(2);
        }
    }
    let (skipped, over_max_line, read_failed) =
        (judge.skipped, judge.over_max_line, judge.read_failed.take());
    tally.finish();
    let written = match (args.format, records) {
        (Format::Text, _) => text::write(&mut out, &tally, routes.as_ref()),
        (Format::Junit, _) => junit::write(&mut out, &tally, routes.as_ref()),
        (_, Some(records)) => records.finish(
            &mut out,
            &records::summary(&tally, skipped, routes.as_ref()),
        ),
        (_, None) => Ok(()),
    };
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    eprintln!(
        "eventscope check: {}, {}, {}, {} info; {} at or above {}{}",
        count(tally.messages, "message"),
        count(
            tally.shown[Severity::Error as usize] + tally.hidden[Severity::Error as usize],
            "error"
        ),
        count(
            tally.shown[Severity::Warning as usize] + tally.hidden[Severity::Warning as usize],
            "warning"
        ),
        thousands(tally.shown[Severity::Info as usize] + tally.hidden[Severity::Info as usize]),
        count(tally.failing, "message"),
        tally.fail_on.as_str(),
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
    if tally.failing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What one run judges with and writes to.
struct Judge<'r, W: Write> {
    inspector: &'r Inspector,
    /// Every event message observed in order, for the identity verdicts across messages.
    graph: &'r mut IdentityGraph,
    /// Every event message's rows observed in order, for the warehouse verdicts.
    schema: &'r mut Schema,
    warehouse: &'r WarehouseSettings,
    tally: &'r mut Tally,
    records: Option<&'r mut Records>,
    /// With `--routing`: every destination's verdicts.
    routes: Option<&'r mut Routes>,
    out: &'r mut W,
    skipped: u64,
    /// Lines over `--max-line` (also in `skipped`), and why reading stopped early.
    over_max_line: u64,
    read_failed: Option<String>,
}

impl<W: Write> Judge<'_, W> {
    /// A frame or a problem from the reader.
    fn item(&mut self, item: ReadItem) -> std::io::Result<()> {
        let (line, frame) = match item {
            ReadItem::Frame { line, frame } => (line, frame),
            // Said after the summary: nothing follows it.
            ReadItem::Problem {
                message,
                kind: ProblemKind::ReadFailed,
                ..
            } => {
                self.read_failed = Some(message);
                return Ok(());
            }
            ReadItem::Problem { message, kind, .. } => {
                eprintln!("eventscope check: {message}");
                self.skipped += 1;
                self.over_max_line += u64::from(matches!(kind, ProblemKind::OverMaxLine { .. }));
                return Ok(());
            }
        };
        match &frame {
            Frame::Event(event) => {
                let text = event.message.get();
                let tree = Json::parse(text).ok();
                let mut findings = match &tree {
                    Some(tree) => self.inspector.inspect_json(tree, text.len()),
                    None => self.inspector.inspect_text(text),
                };
                if let Some(tree) = &tree {
                    self.identity(event.seq, tree, Some(&event.received_at), &mut findings);
                    self.warehouse(event.seq, tree, &mut findings);
                }
                // What the collector masked (`--redact`) still counts.
                if event.redacted.is_some() {
                    let redacted = redact::read_redacted(event.redacted.as_deref());
                    redact::add_redacted_findings(&mut findings, &redacted);
                }
                self.message(line, frame.seq(), tree.as_ref(), &findings, false)
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
                let tree = Json::parse(&rejected.body).ok();
                self.message(line, frame.seq(), tree.as_ref(), &[finding], true)
            }
            _ => Ok(()),
        }
    }

    /// Feeds the message to the identity graph and adds the verdicts that need other messages
    /// (a refused merge, a shared identifier, an alias Unify would not follow).
    fn identity(
        &mut self,
        seq: u64,
        tree: &Json<'_>,
        received_at: Option<&str>,
        findings: &mut Vec<Finding>,
    ) {
        let at = observed_at(tree, received_at.unwrap_or(""));
        let observed = self.graph.observe(seq, at, tree);
        findings.extend(across(&observed, self.graph));
    }

    /// Feeds the message's warehouse rows to the schema and adds the warehouse verdicts (a type
    /// conflict, a dropped or collapsed property, a cut string, a table per id, a table past
    /// the column limit).
    fn warehouse(&mut self, seq: u64, tree: &Json<'_>, findings: &mut Vec<Finding>) {
        let rows = eventscope_core::warehouse::rows(tree);
        let observed = self.schema.observe(seq, &rows);
        findings.extend(warehouse::verdicts(
            &rows,
            &observed,
            self.schema,
            self.warehouse,
        ));
    }

    /// Counts a message's findings and writes the shown ones (JSON and NDJSON); with
    /// `--routing`, routes it (a refused request is not routed) and does the same with the
    /// routing findings, which name their destination.
    fn message(
        &mut self,
        line: u64,
        seq: Option<u64>,
        tree: Option<&Json<'_>>,
        findings: &[Finding],
        rejected: bool,
    ) -> std::io::Result<()> {
        let names = names(tree, rejected);
        self.tally.message(&names);
        for finding in findings {
            if self.tally.finding(finding, &names, line)
                && let Some(records) = self.records.as_deref_mut()
            {
                records.write(self.out, finding, &names, line, seq, None)?;
            }
        }
        let (Some(routes), Some(tree), false) = (self.routes.as_deref_mut(), tree, rejected) else {
            return Ok(());
        };
        routes.judge(tree, names.event);
        let found = routes.take_found();
        let mut written = Ok(());
        for (index, finding) in &found {
            routes.failing(*index, finding, &names, line);
            if self.tally.finding(finding, &names, line)
                && let Some(records) = self.records.as_deref_mut()
            {
                written = records.write(self.out, finding, &names, line, seq, routes.name(*index));
                if written.is_err() {
                    break;
                }
            }
        }
        routes.give_back(found);
        written
    }
}

/// A bare Segment message (not a stream frame or a batch): judged straight from its tree.
fn is_message(tree: &Json<'_>) -> bool {
    matches!(
        tree.get("type").and_then(Json::as_str),
        Some("track" | "identify" | "page" | "screen" | "group" | "alias")
    )
}

/// The message's type, event (the track event, the page/screen name, else the type) and id.
fn names<'a>(message: Option<&'a Json<'_>>, rejected: bool) -> Names<'a> {
    let field = |key: &str| {
        message
            .and_then(|m| m.get(key))
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    };
    let kind = match field("type") {
        Some(kind) => kind,
        None if rejected => "rejected",
        None => "?",
    };
    let event = match kind {
        "track" => field("event"),
        "page" | "screen" => field("name"),
        _ => None,
    };
    Names {
        kind,
        event: event.unwrap_or(kind),
        message_id: field("messageId"),
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

/// The rules from the config and flags: naming convention, tracking plan, PII matchers,
/// `[identity]`.
pub fn inspector(config: &Config, plan: Option<&std::path::Path>) -> Result<Inspector, String> {
    let mut inspector = Inspector::default();
    inspector.spec.naming = config.naming.unwrap_or_default();
    inspector.pii = eventscope_core::inspect::pii::PiiMatchers::from_config(&config.pii)
        .map_err(|e| format!("[pii]: {e}"))?;
    inspector.identity.settings = config.identity.clone();
    inspector.warehouse = config.warehouse.clone();
    inspector.traffic = config.traffic;
    inspector.late = config.late;
    if let Some(path) = plan.or(config.plan.file()) {
        let mut plan = super::plan::load(path)?;
        plan.set_unplanned(config.plan.unplanned());
        inspector.plan = Some(plan);
    }
    Ok(inspector)
}

#[cfg(test)]
mod inspector_tests {
    use super::*;

    /// The viewer judges its rows with this inspector (and rebuilds it when the plan changes):
    /// `[warehouse]`'s severities ride in it, as `check` reads them.
    #[test]
    fn the_inspector_carries_the_warehouse_severities() {
        let text =
            "[warehouse]\nseverity = { type-conflict = \"error\", value-truncated = \"off\" }\n";
        let config = Config::parse(text, "eventscope.toml").unwrap();
        let inspector = inspector(&config, None).unwrap();
        assert_eq!(
            inspector.warehouse.severity("type-conflict"),
            Some(Severity::Error)
        );
        assert_eq!(inspector.warehouse.severity("value-truncated"), None);
    }
}
