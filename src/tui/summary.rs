//! The Summary view's numbers: per event name and type, messages, findings by rule and PII by
//! class — Segment's Protocols violations report, kept up to date as rows arrive.

use std::collections::{BTreeMap, HashMap};

use eventscope_core::entry::{Entry, EntryKind};
use eventscope_core::filter::{PII_RED, PII_YELLOW};
use eventscope_core::inspect::Severity;

/// Distinct (name, type) rows kept; beyond that, messages count under "(other)".
const MAX_ROWS: usize = 10_000;
/// Bytes of a name kept as a row's key: a name is as long as its sender makes it.
const MAX_NAME: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryRow {
    pub messages: u64,
    pub errors: u64,
    pub warnings: u64,
    pub pii_yellow: u64,
    pub pii_red: u64,
    /// Messages with a finding of each rule (at warning or above).
    pub rules: BTreeMap<Box<str>, u64>,
}

/// The Summary view's rows by (event name, type); `model::Summary` is one message's fields.
#[derive(Debug, Default)]
pub struct SummaryTable {
    rows: HashMap<(String, String), SummaryRow>,
}

impl SummaryTable {
    pub fn record(&mut self, entry: &Entry) {
        if !matches!(entry.kind, EntryKind::Event) {
            return;
        }
        let kind = entry.summary.type_str(&entry.text).to_string();
        let mut name = match kind.as_str() {
            "track" | "page" | "screen" => entry.summary.display_name(&entry.text),
            _ => String::new(),
        };
        if name.len() > MAX_NAME {
            name = eventscope_core::model::cut_to(&name, MAX_NAME).to_string();
        }
        let kind = eventscope_core::model::cut_to(&kind, MAX_NAME).to_string();
        let key = if self.rows.len() >= MAX_ROWS
            && !self.rows.contains_key(&(name.clone(), kind.clone()))
        {
            ("(other)".to_string(), String::new())
        } else {
            (name, kind)
        };
        let row = self.rows.entry(key).or_default();
        row.messages += 1;
        match entry.verdict.worst {
            Some(Severity::Error) => row.errors += 1,
            Some(Severity::Warning) => row.warnings += 1,
            _ => {}
        }
        if entry.verdict.pii & PII_RED != 0 {
            row.pii_red += 1;
        }
        if entry.verdict.pii & PII_YELLOW != 0 {
            row.pii_yellow += 1;
        }
        for rule in entry.verdict.rules.as_deref().unwrap_or("").split(' ') {
            if !rule.is_empty() {
                *row.rules.entry(rule.into()).or_default() += 1;
            }
        }
    }

    /// Rows with the most problems first, then the busiest.
    pub fn sorted(&self) -> Vec<(&(String, String), &SummaryRow)> {
        let mut rows: Vec<_> = self.rows.iter().collect();
        rows.sort_by(|(ka, a), (kb, b)| {
            (b.errors + b.warnings)
                .cmp(&(a.errors + a.warnings))
                .then(b.messages.cmp(&a.messages))
                .then(ka.cmp(kb))
        });
        rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}
