//! Verdicts: a message in, findings out — the Segment spec, a tracking plan (JSON Schema),
//! privacy matchers, what one message tells about identity, and (fed the schema tracker's
//! decisions) what would not land in a warehouse as sent, and whether a bot sent it. Pure: no I/O besides loading a plan file, no terminal.

pub mod identity;
pub mod late;
mod merge;
pub mod pii;
pub mod plan;
pub mod redact;
mod schema_json;
pub mod spec;
pub mod traffic;
pub mod warehouse;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::json::Json;

/// Which family of rules produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Spec,
    Plan,
    Pii,
    /// Identity resolution (`identity/…`): what Unify would do with the message's ids.
    Identity,
    /// Whether Segment would deliver the message to a destination (`check --routing`).
    Routing,
    /// Where the message lands in a warehouse (`warehouse/…`): values that would not load as
    /// sent, tables and columns that drift.
    Warehouse,
    /// Who sent it (`traffic/bot`): a crawler, a monitor, a headless browser, an HTTP library.
    Traffic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The Privacy Portal's classes: Red (must not be collected), Yellow (personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PiiClass {
    Yellow,
    Red,
}

/// One problem (or, at `info`, one noteworthy fact) about a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// Stable, e.g. `spec/missing-identity`, `plan/required`, `pii/email`.
    pub rule: Cow<'static, str>,
    /// Where in the message, as the detail pane's paths: `properties.products[0].price`
    /// (`""` for the message itself).
    pub path: String,
    pub severity: Severity,
    /// A sentence for a person.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// For PII findings: the class of data found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pii: Option<PiiClass>,
    /// Other rules that found the same problem at the same path (a spec rule beside the plan's,
    /// merged into this one finding); empty for most findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Cow<'static, str>>,
    /// Other messages involved (stream seqs, ascending), for a person to jump to: the messages
    /// that put a conflicting id in a profile, for instance. Empty for one-message verdicts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seqs: Vec<u64>,
}

impl Finding {
    pub fn new(
        kind: Kind,
        rule: impl Into<Cow<'static, str>>,
        path: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            kind,
            rule: rule.into(),
            path: path.into(),
            severity,
            message: message.into(),
            expected: None,
            actual: None,
            pii: None,
            also: Vec::new(),
            seqs: Vec::new(),
        }
    }

    /// This finding's rule, then the rules merged into it.
    pub fn rules(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.rule.as_ref()).chain(self.also.iter().map(AsRef::as_ref))
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Finding {
        self.expected = Some(expected.into());
        self
    }

    pub fn actual(mut self, actual: impl Into<String>) -> Finding {
        self.actual = Some(actual.into());
        self
    }

    /// Names the other messages involved (sorted, each once).
    pub fn seqs(mut self, seqs: impl IntoIterator<Item = u64>) -> Finding {
        self.seqs = seqs.into_iter().collect();
        self.seqs.sort_unstable();
        self.seqs.dedup();
        self
    }
}

/// A short description of a JSON value for `actual`: its type and, for scalars, the value.
pub fn describe(value: &Json<'_>) -> String {
    const MAX: usize = 60;
    let text = match value {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(_) => format!("string {value}"),
        Json::Array(a) => format!("array of {}", a.len()),
        Json::Object(_) => "object".to_string(),
    };
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// [`describe`] for a `serde_json::Value` (plans and schema errors hold those).
pub fn describe_value(value: &Value) -> String {
    describe(&Json::from_value(value))
}

/// All the rules, configured once and applied to many messages.
#[derive(Default)]
pub struct Inspector {
    pub spec: spec::SpecRules,
    pub plan: Option<plan::TrackingPlan>,
    pub pii: pii::PiiMatchers,
    pub identity: identity::IdentityRules,
    /// `[warehouse]`: the `warehouse/…` verdicts' severities and the column limit, for those
    /// who feed messages to a [`crate::warehouse::Schema`] (`check`, the viewer's feeds).
    pub warehouse: crate::warehouse::WarehouseSettings,
    /// `[traffic]`: the `traffic/bot` finding's severity.
    pub traffic: traffic::TrafficRules,
    /// `[late]`: when a message counts as late on arrival (`spec/late`).
    pub late: late::LateRule,
}

impl Inspector {
    /// Findings for a message given as JSON text, most severe first, then in path order.
    pub fn inspect_text(&self, text: &str) -> Vec<Finding> {
        self.inspect_text_at(text, 0)
    }

    /// [`Inspector::inspect_text`] for a message received at `received_ms` (Unix ms; 0
    /// unknown), which stands in for a missing `receivedAt`.
    pub fn inspect_text_at(&self, text: &str, received_ms: i64) -> Vec<Finding> {
        match Json::parse(text) {
            Ok(message) => self.inspect_json_at(&message, text.len(), received_ms),
            Err(e) => vec![Finding::new(
                Kind::Spec,
                "spec/invalid-json",
                "",
                Severity::Error,
                format!("not JSON: {e}"),
            )],
        }
    }

    /// Findings for a parsed message; `size` is its size in bytes as sent. One finding per
    /// problem: a spec finding and a plan finding on the same path for the same cause are one.
    pub fn inspect_json(&self, message: &Json<'_>, size: usize) -> Vec<Finding> {
        self.inspect_json_at(message, size, 0)
    }

    /// [`Inspector::inspect_json`] for a message received at `received_ms` (Unix ms; 0
    /// unknown), which stands in for a missing `receivedAt` (`spec/late`).
    pub fn inspect_json_at(
        &self,
        message: &Json<'_>,
        size: usize,
        received_ms: i64,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        self.spec.check(message, size, &mut findings);
        self.late.check(message, received_ms, &mut findings);
        if let Some(plan) = &self.plan {
            plan.check(message, &mut findings);
        }
        merge::same_cause(&mut findings);
        self.pii.scan(message, &mut findings);
        self.identity.check(message, &mut findings);
        self.traffic.check(message, &mut findings);
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.path.cmp(&b.path))
        });
        findings
    }
}
