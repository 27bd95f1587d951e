//! A viewer's rows, built from stream frames: each message's summary and its verdicts in brief,
//! a rejection's status and code, or a gap. Built off the UI task (the feed, `replay`), kept
//! by the viewer's store.

use std::sync::Arc;

use serde_json::value::RawValue;

use crate::filter::{Filterable, PII_RED, PII_YELLOW};
use crate::identity::{self, ProfileId, SharedGraph, observed_at};
use crate::inspect::identity::across;
use crate::inspect::redact::{RedactedField, add_redacted_findings, read_redacted};
use crate::inspect::{Finding, Inspector, Kind, PiiClass, Severity};
use crate::model::json::Json;
use crate::model::{
    Adjustments, EventFrame, Frame, Lateness, MessageType, Source, SourceLabels, Summary,
    TimestampAdjustment, parse_timestamp,
};
use crate::routing::{Named, Outcomes};
use crate::warehouse::{self, SharedSchema};

/// A row's id in a viewer's store: stable while it is retained.
pub type EntryId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub body_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Event,
    Rejected(Box<Rejection>),
    /// Seqs `from..=to` will never arrive (boxed: gaps are rare, rows are many).
    Gap(Box<Gap>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub from: u64,
    pub to: u64,
    pub reason: Box<str>,
}

/// A row's verdicts in brief: enough for the verdict column and the filter terms; the full
/// findings are computed again for the selected message only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The worst severity among the findings (`None`: no findings at all).
    pub worst: Option<Severity>,
    /// PII at warning or above: `filter::PII_YELLOW` / `PII_RED` bits.
    pub pii: u8,
    /// Codes of findings at warning or above, separated by spaces.
    pub rules: Option<Box<str>>,
    /// A spec or plan finding at info (a note, not PII in its expected place).
    pub notes: bool,
    /// The worst severity among the spec, plan, identity and warehouse findings at warning or
    /// above (PII aside), for the Summary's separate error and warning counts; `Some` is
    /// [`Verdict::violation`].
    pub violation_worst: Option<Severity>,
    /// Bit `i`: the `i`th code of `rules` had a finding at error (codes past 16 count as not).
    pub error_rules: u16,
    /// Would Segment deliver it to each configured destination, and if not, why not (for the
    /// `routed:`/`dropped:` terms and the Summary; none judged without destinations).
    pub routes: Outcomes,
    /// The message changed the warehouse schema (a new table or column, a type conflict, a
    /// table per id) when it was observed: `has:drift`.
    pub drift: bool,
    /// A bot sent it (a `traffic/bot` finding, at any severity): `has:bot`.
    pub bot: bool,
}

impl Verdict {
    /// A spec, plan, identity or warehouse finding at warning or above (`has:violation`).
    #[inline]
    pub fn violation(&self) -> bool {
        self.violation_worst.is_some()
    }

    pub fn of(findings: &[Finding]) -> Verdict {
        let mut verdict = Verdict {
            worst: findings.iter().map(|f| f.severity).max(),
            notes: findings
                .iter()
                .any(|f| f.severity == Severity::Info && f.kind != Kind::Pii),
            bot: findings.iter().any(|f| f.kind == Kind::Traffic),
            ..Verdict::default()
        };
        let mut rules: Vec<&str> = Vec::new();
        for finding in findings.iter().filter(|f| f.severity >= Severity::Warning) {
            match finding.kind {
                Kind::Pii => {
                    verdict.pii |= match finding.pii {
                        Some(PiiClass::Red) => PII_RED,
                        _ => PII_YELLOW,
                    }
                }
                Kind::Spec | Kind::Plan | Kind::Identity | Kind::Warehouse => {
                    verdict.violation_worst = verdict.violation_worst.max(Some(finding.severity));
                }
                // Not a fault of the message: a fact about where it goes, or who sent it.
                Kind::Routing | Kind::Traffic => {}
            }
            // A merged finding answers to each of its rules (`rule:spec/*` still finds it).
            for rule in finding.rules() {
                let index = match rules.iter().position(|r| *r == rule) {
                    Some(index) => index,
                    None => {
                        rules.push(rule);
                        rules.len() - 1
                    }
                };
                if finding.severity == Severity::Error && index < 16 {
                    verdict.error_rules |= 1 << index;
                }
            }
        }
        if !rules.is_empty() {
            verdict.rules = Some(rules.join(" ").into_boxed_str());
        }
        verdict
    }
}

/// One row of the viewer.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: EntryId,
    pub seq: Option<u64>,
    /// When the collector received it, in Unix milliseconds (0 when unknown).
    pub received_ms: i64,
    /// The message JSON for events; the body preview for rejected requests.
    pub text: Box<str>,
    pub summary: Summary,
    pub source: Arc<Source>,
    pub kind: EntryKind,
    pub adjusted: Option<Box<Adjustments>>,
    /// What few rows carry (a thin box: rows are many, these rare).
    pub extras: Option<Box<Extras>>,
    pub verdict: Verdict,
    /// The identity graph's profile the message joined, when a graph observed it.
    pub profile: Option<ProfileId>,
    /// How late it arrived and how far its device clock was off (unknown but for events).
    pub lateness: Lateness,
}

/// What a row carries only sometimes.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// What the collector masked in the message (`--redact`): its verdicts count these too.
    pub redacted: Vec<RedactedField>,
    /// What the identity graph said of the message given the ones before it (a refused
    /// merge, an alias Unify would not follow): not computable from its text alone, so kept.
    pub identity: Vec<Finding>,
    /// What the warehouse schema said of the message given the ones before it (a type
    /// conflict names the earlier seq): kept for the same reason.
    pub warehouse: Vec<Finding>,
}

impl Extras {
    /// `None` when there is nothing to carry.
    fn boxed(
        redacted: Vec<RedactedField>,
        identity: Vec<Finding>,
        warehouse: Vec<Finding>,
    ) -> Option<Box<Extras>> {
        (!redacted.is_empty() || !identity.is_empty() || !warehouse.is_empty()).then(|| {
            Box::new(Extras {
                redacted,
                identity,
                warehouse,
            })
        })
    }
}

// Small accessors are `#[inline]`: the viewer calls them per row per frame, across crates.
impl Entry {
    #[inline]
    pub fn is_gap(&self) -> bool {
        matches!(self.kind, EntryKind::Gap(_))
    }

    /// What the collector masked in the message; empty without `--redact`.
    #[inline]
    pub fn redacted(&self) -> &[RedactedField] {
        self.extras
            .as_deref()
            .map_or(&[], |e| e.redacted.as_slice())
    }

    /// The identity graph's findings about the message (see [`Extras::identity`]).
    #[inline]
    pub fn identity_findings(&self) -> &[Finding] {
        self.extras
            .as_deref()
            .map_or(&[], |e| e.identity.as_slice())
    }

    /// The warehouse schema's findings about the message (see [`Extras::warehouse`]).
    #[inline]
    pub fn warehouse_findings(&self) -> &[Finding] {
        self.extras
            .as_deref()
            .map_or(&[], |e| e.warehouse.as_slice())
    }

    /// The message's findings: the verdicts over its text, plus what the collector masked and
    /// what the identity graph and the warehouse schema said when they observed it.
    pub fn findings(&self, inspector: &Inspector) -> Vec<Finding> {
        match self.kind {
            EntryKind::Event => {
                let mut findings = judge(inspector, &self.text, self.received_ms, self.redacted());
                findings.extend_from_slice(self.identity_findings());
                findings.extend_from_slice(self.warehouse_findings());
                findings
            }
            _ => Vec::new(),
        }
    }

    #[inline]
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.kind {
            EntryKind::Rejected(r) => Some(r),
            _ => None,
        }
    }

    /// The frame this row came from, as a recording holds it (`open` of a file of these shows
    /// the same rows): events with their source, adjustments and what was masked, rejected
    /// requests with their answer; `None` for a gap (not a frame the collector published).
    /// `receivedAt` is rebuilt from the row's milliseconds (empty when unknown).
    pub fn to_frame(&self) -> Option<Frame> {
        // 0 is "unknown", which an empty `receivedAt` reads back as.
        let received_at = match self.received_ms {
            0 => String::new(),
            ms => chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default(),
        };
        let source = Source::clone(&self.source);
        match &self.kind {
            EntryKind::Event => {
                let message = RawValue::from_string(self.text.to_string()).ok()?;
                let redacted = match self.redacted() {
                    [] => None,
                    fields => serde_json::to_string(fields)
                        .ok()
                        .and_then(|text| RawValue::from_string(text).ok()),
                };
                Some(Frame::Event(EventFrame {
                    seq: self.seq.unwrap_or(0),
                    received_at,
                    source,
                    message,
                    redacted,
                    adjusted: self.adjusted.as_deref().cloned(),
                }))
            }
            EntryKind::Rejected(rejection) => Some(Frame::Rejected(crate::model::RejectedFrame {
                seq: self.seq.unwrap_or(0),
                received_at,
                source,
                status: rejection.status,
                code: rejection.code.clone(),
                message: rejection.message.clone(),
                body: self.text.to_string(),
                body_bytes: rejection.body_bytes,
            })),
            EntryKind::Gap(_) => None,
        }
    }

    /// Roughly what the row costs in memory, in bytes: itself, its text and the parts it owns
    /// (its source, usually shared, aside).
    pub fn weight(&self) -> usize {
        let mut bytes = std::mem::size_of::<Entry>()
            + self.text.len()
            + self.verdict.rules.as_deref().map_or(0, str::len);
        match &self.kind {
            EntryKind::Event => {}
            EntryKind::Rejected(r) => {
                bytes += std::mem::size_of::<Rejection>() + r.code.len() + r.message.len();
            }
            EntryKind::Gap(gap) => bytes += std::mem::size_of::<Gap>() + gap.reason.len(),
        }
        for finding in self
            .identity_findings()
            .iter()
            .chain(self.warehouse_findings())
        {
            bytes += std::mem::size_of::<Finding>()
                + finding.message.len()
                + finding.path.len()
                + finding.expected.as_ref().map_or(0, String::len)
                + finding.actual.as_ref().map_or(0, String::len);
        }
        if let Some(adjusted) = &self.adjusted {
            bytes += std::mem::size_of::<Adjustments>()
                + adjusted.type_from_path.as_deref().map_or(0, str::len)
                + adjusted
                    .merged_from_batch
                    .iter()
                    .map(|f| std::mem::size_of::<String>() + f.len())
                    .sum::<usize>();
        }
        bytes
    }
}

impl Filterable for Entry {
    fn text(&self) -> &str {
        &self.text
    }
    fn message_type(&self) -> Option<&str> {
        match self.kind {
            EntryKind::Event => Some(self.summary.type_str(&self.text)).filter(|t| !t.is_empty()),
            _ => None,
        }
    }
    fn event_name(&self) -> Option<&str> {
        match self.summary.message_type {
            Some(MessageType::Track | MessageType::Page | MessageType::Screen) | None => {
                self.summary.name.as_ref().map(|n| n.get(&self.text))
            }
            _ => None,
        }
    }
    fn user_id(&self) -> Option<&str> {
        self.summary.user_id.as_ref().map(|r| r.get(&self.text))
    }
    fn anonymous_id(&self) -> Option<&str> {
        self.summary
            .anonymous_id
            .as_ref()
            .map(|r| r.get(&self.text))
    }
    fn message_id(&self) -> Option<&str> {
        self.summary.message_id.as_ref().map(|r| r.get(&self.text))
    }
    fn write_key(&self) -> Option<&str> {
        self.source.write_key.as_deref()
    }
    fn is_rejected(&self) -> bool {
        matches!(self.kind, EntryKind::Rejected(_))
    }
    fn rules(&self) -> &str {
        self.verdict.rules.as_deref().unwrap_or("")
    }
    fn has_violation(&self) -> bool {
        self.verdict.violation()
    }
    fn has_drift(&self) -> bool {
        self.verdict.drift
    }
    fn is_bot(&self) -> bool {
        self.verdict.bot
    }
    fn pii_classes(&self) -> u8 {
        self.verdict.pii
    }
    fn routes(&self) -> Outcomes {
        self.verdict.routes
    }
    fn profile(&self) -> Option<ProfileId> {
        self.profile
    }
    fn late_ms(&self) -> Option<i64> {
        self.lateness.late_ms()
    }
    fn skew_ms(&self) -> Option<i64> {
        self.lateness.skew_ms()
    }
    fn source_label(&self) -> Option<&str> {
        self.source.label.as_deref()
    }
}

/// Turns frames into rows: parses each message's summary once. Runs in the feed, off the UI
/// task. Sources repeat for every message of a batch and every batch of an SDK: it shares them.
#[derive(Default)]
pub struct EntryBuilder {
    last_source: Arc<Source>,
    /// Judges each message as its row is built, when set.
    inspector: Option<Arc<Inspector>>,
    /// Routes each message to these destinations as its row is built.
    routing: Arc<[Named]>,
    /// Feeds each message to this identity graph as its row is built.
    identity: Option<SharedGraph>,
    /// Feeds each message's warehouse rows to this schema as its row is built.
    schema: Option<SharedSchema>,
    /// Labels each row's source by its write key (`[[source]]`).
    sources: Arc<SourceLabels>,
}

impl EntryBuilder {
    /// A builder that judges each message with `inspector`.
    pub fn judging(inspector: Arc<Inspector>) -> EntryBuilder {
        EntryBuilder {
            inspector: Some(inspector),
            ..EntryBuilder::default()
        }
    }

    /// Judges the next rows with `inspector` (after a plan reload).
    pub fn set_inspector(&mut self, inspector: Arc<Inspector>) {
        self.inspector = Some(inspector);
    }

    /// Routes the next rows to `destinations` (their outcomes go to [`Verdict::routes`]).
    pub fn set_routing(&mut self, destinations: Arc<[Named]>) {
        self.routing = destinations;
    }

    /// Feeds the next messages to `graph` (rows get their profile and the graph's verdicts).
    pub fn set_identity(&mut self, graph: SharedGraph) {
        self.identity = Some(graph);
    }

    /// Feeds the next messages' warehouse rows to `schema` (rows get the `warehouse/…`
    /// verdicts, with the inspector's `[warehouse]` severities, and their drift mark).
    pub fn set_schema(&mut self, schema: SharedSchema) {
        self.schema = Some(schema);
    }

    /// Labels the next rows' sources with `labels` (the rows' `source.label`).
    pub fn set_sources(&mut self, labels: Arc<SourceLabels>) {
        self.sources = labels;
    }

    fn intern(&mut self, mut source: Source) -> Arc<Source> {
        if source.label.is_none() {
            // Most rows come from the last row's key: its label, without a lookup.
            source.label = if source.write_key == self.last_source.write_key {
                self.last_source.label.clone()
            } else {
                self.sources.label(source.write_key.as_deref())
            };
        }
        if *self.last_source != source {
            self.last_source = Arc::new(source);
        }
        Arc::clone(&self.last_source)
    }

    /// The row for `frame`; `None` for frames that are not rows (`hello`, `delivery`).
    pub fn build(&mut self, frame: Frame) -> Option<Entry> {
        Some(match frame {
            Frame::Event(event) => {
                let EventFrame {
                    seq,
                    received_at,
                    source,
                    message,
                    redacted,
                    adjusted,
                } = event;
                self.event(
                    seq,
                    &received_at,
                    source,
                    adjusted,
                    redacted.as_deref(),
                    message.into(),
                )
            }
            Frame::Rejected(rejected) => Entry {
                id: 0,
                seq: Some(rejected.seq),
                received_ms: millis(&rejected.received_at),
                text: rejected.body.into_boxed_str(),
                summary: Summary::default(),
                source: self.intern(rejected.source),
                kind: EntryKind::Rejected(Box::new(Rejection {
                    status: rejected.status,
                    code: rejected.code,
                    message: rejected.message,
                    body_bytes: rejected.body_bytes,
                })),
                adjusted: None,
                extras: None,
                verdict: Verdict::default(),
                profile: None,
                lateness: Lateness::UNKNOWN,
            },
            Frame::Gap(gap) => Entry {
                id: 0,
                seq: None,
                received_ms: 0,
                text: Box::from(""),
                summary: Summary::default(),
                source: Arc::clone(&self.last_source),
                kind: EntryKind::Gap(Box::new(Gap {
                    from: gap.from,
                    to: gap.to,
                    reason: gap.reason.into_boxed_str(),
                })),
                adjusted: None,
                extras: None,
                verdict: Verdict::default(),
                profile: None,
                lateness: Lateness::UNKNOWN,
            },
            Frame::Hello(_) | Frame::Delivery(_) => return None,
        })
    }

    /// The row for an event frame's parts; `text` is its message's JSON, `redacted` the
    /// frame's `redacted` field.
    pub fn event(
        &mut self,
        seq: u64,
        received_at: &str,
        source: Source,
        adjusted: Option<Adjustments>,
        redacted: Option<&RawValue>,
        text: Box<str>,
    ) -> Entry {
        let redacted = read_redacted(redacted);
        let received_ms = millis(received_at);
        // Parsed once for the verdicts, the routing, the identity graph and the schema.
        let routing = !self.routing.is_empty();
        let json = (routing
            || self.inspector.is_some()
            || self.identity.is_some()
            || self.schema.is_some())
        .then(|| Json::parse(&text));
        let (profile, identity) = match (&self.identity, &json) {
            (Some(graph), Some(Ok(message))) => {
                let mut graph = identity::lock(graph);
                let observed = graph.observe(seq, observed_at(message, received_at), message);
                (observed.profile, across(&observed, &graph))
            }
            _ => (None, Vec::new()),
        };
        let (drift, warehouse) = match (&self.schema, &json) {
            (Some(schema), Some(Ok(message))) => self.observe_rows(schema, seq, message),
            _ => (false, Vec::new()),
        };
        let mut verdict = match (&self.inspector, &json) {
            (Some(inspector), Some(Ok(message))) => {
                let mut findings = inspector.inspect_json_at(message, text.len(), received_ms);
                add_redacted_findings(&mut findings, &redacted);
                findings.extend_from_slice(&identity);
                findings.extend_from_slice(&warehouse);
                Verdict::of(&findings)
            }
            (Some(inspector), _) => Verdict::of(&judge(inspector, &text, received_ms, &redacted)),
            (None, _) => Verdict::default(),
        };
        if let (true, Some(Ok(message))) = (routing, &json) {
            verdict.routes = Outcomes::of(message, &self.routing);
        }
        verdict.drift = drift;
        let (summary, stamps) = Summary::with_stamps(&text);
        // Server time stands in for a missing `timestamp`: no device time, no lateness.
        let server_time = adjusted
            .as_ref()
            .is_some_and(|a| a.timestamp == Some(TimestampAdjustment::ServerTime));
        let lateness = if server_time {
            Lateness::UNKNOWN
        } else {
            Lateness::of(stamps, received_ms)
        };
        Entry {
            id: 0,
            seq: Some(seq),
            received_ms,
            verdict,
            summary,
            lateness,
            text,
            source: self.intern(source),
            kind: EntryKind::Event,
            adjusted: adjusted.filter(|a| !a.is_empty()).map(Box::new),
            extras: Extras::boxed(redacted, identity, warehouse),
            profile,
        }
    }

    /// Feeds `message`'s warehouse rows to `schema`: whether they drifted it, and the
    /// `warehouse/…` findings (none without an inspector: its `[warehouse]` says which count).
    /// The rows are mapped before the lock is taken: it is held to observe and judge them.
    fn observe_rows(
        &self,
        schema: &SharedSchema,
        seq: u64,
        message: &Json<'_>,
    ) -> (bool, Vec<Finding>) {
        let rows = warehouse::rows(message);
        if rows.is_empty() {
            return (false, Vec::new());
        }
        let mut schema = warehouse::lock(schema);
        let observed = schema.observe(seq, &rows);
        let findings = match &self.inspector {
            Some(inspector) => {
                crate::inspect::warehouse::verdicts(&rows, &observed, &schema, &inspector.warehouse)
            }
            None => Vec::new(),
        };
        (observed.is_drift(), findings)
    }

    /// Rows for a batch of frames.
    pub fn build_all(&mut self, frames: Vec<Frame>) -> Vec<Entry> {
        frames.into_iter().filter_map(|f| self.build(f)).collect()
    }
}

/// A message's findings: over its text (received at `received_ms`), plus one per value the
/// collector masked.
fn judge(
    inspector: &Inspector,
    text: &str,
    received_ms: i64,
    redacted: &[RedactedField],
) -> Vec<Finding> {
    let mut findings = inspector.inspect_text_at(text, received_ms);
    add_redacted_findings(&mut findings, redacted);
    findings
}

fn millis(timestamp: &str) -> i64 {
    parse_timestamp(timestamp).map_or(0, |t| t.timestamp_millis())
}

#[cfg(test)]
mod empty_ids {
    use super::*;
    use crate::filter::Query;

    /// RudderStack's page() before identify sends `userId: ""`: the row's user is its
    /// anonymousId, and `user:` finds it by that alone.
    #[test]
    fn an_empty_user_id_counts_as_absent_in_the_row_and_the_user_filter() {
        let text = r#"{"type":"page","name":"Home","userId":"","anonymousId":"anon-1"}"#;
        let row = |text: &str| {
            EntryBuilder::default().event(
                1,
                "2026-11-22T12:00:00.000Z",
                Source::default(),
                None,
                None,
                Box::from(text),
            )
        };
        let entry = row(text);
        assert_eq!(entry.summary.user(&entry.text), "anon-1");
        assert_eq!(entry.user_id(), None);
        let matches = |filter: &str, entry: &Entry| Query::parse(filter).unwrap().matches(entry);
        assert!(matches("user:anon-1", &entry));
        assert!(matches("user:anon-*", &entry));
        // With no other id, a blank userId matches no `user:` at all, not even `*`.
        let blank = row(r#"{"type":"track","event":"A B","userId":"  "}"#);
        assert_eq!(blank.summary.user(&blank.text), "");
        assert!(!matches("user:*", &blank));
        assert!(matches("user:*", &entry));
    }
}

#[cfg(test)]
mod size {
    /// Memory per retained event must stay within raw size + 300 bytes (issue 3's goal); the
    /// row itself is most of that overhead (8 of its bytes: each destination's routing outcome;
    /// 8 more: the person it belongs to; 8 more: its lateness and clock skew).
    #[test]
    fn a_row_stays_small() {
        let size = std::mem::size_of::<super::Entry>();
        assert!(size <= 216, "Entry is {size} bytes");
    }
}

#[cfg(test)]
mod verdict {
    use crate::inspect::{Finding, Kind, Severity};

    #[test]
    fn a_merged_finding_answers_to_each_of_its_rules() {
        let mut finding = Finding::new(
            Kind::Plan,
            "plan/type",
            "properties.revenue",
            Severity::Error,
            "",
        );
        finding.also.push("spec/reserved-type".into());
        let verdict = super::Verdict::of(&[finding]);
        assert_eq!(
            verdict.rules.as_deref(),
            Some("plan/type spec/reserved-type")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_keeps_the_worst_violation_apart_from_pii_and_which_rules_reached_error() {
        let findings = [
            Finding::new(
                Kind::Pii,
                "pii/card",
                "properties.note",
                Severity::Error,
                "card",
            ),
            Finding::new(
                Kind::Plan,
                "plan/type",
                "properties.total",
                Severity::Warning,
                "type",
            ),
            Finding::new(Kind::Spec, "spec/x", "", Severity::Info, "info only"),
            Finding::new(
                Kind::Plan,
                "plan/type",
                "properties.price",
                Severity::Error,
                "type",
            ),
        ];
        let verdict = Verdict::of(&findings);
        assert_eq!(verdict.worst, Some(Severity::Error));
        assert_eq!(verdict.violation_worst, Some(Severity::Error));
        assert_eq!(verdict.rules.as_deref(), Some("pii/card plan/type"));
        assert_eq!(verdict.error_rules, 0b11);
        // A PII error alone is no violation error.
        let verdict = Verdict::of(&findings[..2]);
        assert_eq!(verdict.violation_worst, Some(Severity::Warning));
        assert_eq!(verdict.error_rules, 0b01);
        assert_eq!(Verdict::of(&[]).violation_worst, None);
    }

    #[test]
    fn a_warehouse_warning_is_a_violation_and_an_info_a_note() {
        let finding = |severity| {
            Finding::new(
                Kind::Warehouse,
                "warehouse/type-conflict",
                "properties.price",
                severity,
                "conflict",
            )
        };
        let verdict = Verdict::of(&[finding(Severity::Warning)]);
        assert!(verdict.violation());
        assert_eq!(verdict.rules.as_deref(), Some("warehouse/type-conflict"));
        let verdict = Verdict::of(&[finding(Severity::Info)]);
        assert!(!verdict.violation() && verdict.notes);
    }

    #[test]
    fn a_builder_with_a_schema_marks_drift_and_keeps_the_warehouse_findings() {
        let schema: SharedSchema = Arc::default();
        let mut builder = EntryBuilder::judging(Arc::new(Inspector::default()));
        builder.set_schema(Arc::clone(&schema));
        let mut row = |seq: u64, shelf: &str| {
            let text = format!(
                r#"{{"type":"track","event":"Order Completed","userId":"u1","messageId":"m-{seq}","properties":{{"shelf":{shelf}}}}}"#
            );
            builder.event(
                seq,
                "2026-11-22T12:00:00.000Z",
                Source::default(),
                None,
                None,
                text.into(),
            )
        };
        let first = row(12, "42");
        assert!(first.verdict.drift, "new tables and columns are drift");
        assert!(first.warehouse_findings().is_empty());
        assert!(first.extras.is_none(), "no findings, nothing carried");
        let same = row(13, "7");
        assert!(!same.verdict.drift, "the same shape again is none");
        let conflict = row(14, "42.5");
        assert!(conflict.verdict.drift);
        assert_eq!(
            conflict.verdict.rules.as_deref(),
            Some("warehouse/type-conflict")
        );
        let findings = conflict.findings(&Inspector::default());
        let found = findings
            .iter()
            .find(|f| f.rule == "warehouse/type-conflict")
            .expect("the conflict is among the row's findings");
        assert!(found.message.contains("at seq 12"), "{}", found.message);
        assert_eq!(warehouse::lock(&schema).messages(), 3);
        // `[warehouse]` severities apply: off, the conflict is drift but no finding.
        let mut inspector = Inspector::default();
        inspector.warehouse.set_severity("type-conflict", None);
        let mut quiet = EntryBuilder::judging(Arc::new(inspector));
        quiet.set_schema(schema);
        let text = r#"{"type":"track","event":"Order Completed","userId":"u1","messageId":"m-15","properties":{"shelf":"x"}}"#;
        let entry = quiet.event(15, "", Source::default(), None, None, text.into());
        assert!(entry.verdict.drift, "{:?}", entry.verdict);
        assert_eq!(entry.verdict.rules, None);
    }

    #[test]
    fn an_identity_warning_is_a_violation_that_rule_terms_find() {
        let verdict = Verdict::of(&[Finding::new(
            Kind::Identity,
            "identity/blocked-id",
            "userId",
            Severity::Warning,
            "blocked",
        )]);
        assert!(verdict.violation());
        assert_eq!(verdict.violation_worst, Some(Severity::Warning));
        assert_eq!(verdict.rules.as_deref(), Some("identity/blocked-id"));
    }
}
