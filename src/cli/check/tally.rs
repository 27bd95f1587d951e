//! What `check` counts while it reads: totals by severity, rule and event for the findings it
//! shows, what it does not show, per-event message counts, and a few examples per
//! (severity, rule, event) for text and JUnit. Memory grows with distinct names, not messages.

use std::collections::HashMap;
use std::fmt::Write as _;

use eventscope_core::inspect::{Finding, Severity};

/// Examples kept per (severity, rule, event) for text output.
pub const TEXT_EXAMPLES: usize = 3;
/// Examples kept per event for JUnit output.
pub const JUNIT_EXAMPLES: usize = 20;

/// How a message is named in the report: `event` is the track event, the page/screen name, or
/// else the message type (`identify`); `kind` is the type (`rejected` for refused requests).
pub struct Names<'a> {
    pub kind: &'a str,
    pub event: &'a str,
    pub message_id: Option<&'a str>,
}

impl Names<'_> {
    /// `Order Completed (track)`, or `(identify)` when the event is the type: the JUnit case.
    pub fn label(&self, into: &mut String) {
        into.clear();
        if self.event != self.kind {
            into.push_str(self.event);
            into.push(' ');
        }
        let _ = write!(into, "({})", self.kind);
    }
}

/// A finding kept to print: where it was and a line for a person.
pub struct Example {
    pub line: u64,
    pub message_id: Option<String>,
    pub severity: Severity,
    pub rules: String,
    pub path: String,
    pub text: String,
}

impl Example {
    pub fn of(finding: &Finding, line: u64, message_id: Option<&str>) -> Example {
        let mut text = finding.message.clone();
        // Plan messages already say what came; say it once.
        let said = finding
            .actual
            .as_deref()
            .is_some_and(|actual| text.contains(actual));
        if let Some(expected) = finding.expected.as_ref().filter(|_| !said) {
            let _ = write!(text, " (expected {expected}");
            match &finding.actual {
                Some(actual) => {
                    let _ = write!(text, ", got {actual})");
                }
                None => text.push(')'),
            }
        }
        // The other messages involved (identity verdicts), by stream seq.
        if !finding.seqs.is_empty() {
            let seqs: Vec<String> = finding.seqs.iter().map(u64::to_string).collect();
            let noun = if seqs.len() == 1 { "seq" } else { "seqs" };
            let _ = write!(text, " (see {noun} {})", seqs.join(", "));
        }
        Example {
            line,
            message_id: message_id.map(str::to_string),
            severity: finding.severity,
            rules: finding.rules().collect::<Vec<_>>().join(" + "),
            path: if finding.path.is_empty() {
                "(message)".to_string()
            } else {
                finding.path.clone()
            },
            text,
        }
    }

    /// `[line 12, msg-1]`
    pub fn place(&self) -> String {
        match &self.message_id {
            Some(id) => format!("[line {}, {id}]", self.line),
            None => format!("[line {}]", self.line),
        }
    }
}

/// One event (by its JUnit label).
#[derive(Default)]
pub struct EventTally {
    /// The `event` field the JSON output names it by.
    pub event: String,
    pub messages: u64,
    /// Messages with a finding at or above `--show`.
    pub with_findings: u64,
    /// Every finding by severity, shown or not (JUnit fails on these).
    pub all: [u64; 3],
    /// Findings at or above `--show`, by severity.
    pub shown: [u64; 3],
    pub examples: Vec<Example>,
}

/// The findings of one rule on one event at one severity, for the text report.
#[derive(Default)]
pub struct Group {
    pub count: u64,
    pub examples: Vec<Example>,
}

pub struct Tally {
    pub show: Severity,
    pub fail_on: Severity,
    pub messages: u64,
    pub with_findings: u64,
    pub failing: u64,
    /// Messages a bot sent (a `traffic/bot` finding, shown or not).
    pub bots: u64,
    /// Findings at or above `--show`, and below it, by severity.
    pub shown: [u64; 3],
    pub hidden: [u64; 3],
    /// Shown findings by rule (the finding's first rule), by severity.
    pub by_rule: HashMap<String, [u64; 3]>,
    /// By JUnit label.
    pub events: HashMap<String, EventTally>,
    /// severity → rule → event label → findings.
    pub groups: [HashMap<String, HashMap<String, Group>>; 3],
    label: String,
    /// Per message: shown anything yet, failed yet.
    counted: bool,
    fails: bool,
}

/// The entry for `key`, allocating the key only the first time it is seen.
fn entry<'m, V: Default>(map: &'m mut HashMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key)
        .unwrap_or_else(|| unreachable!("inserted above"))
}

impl Tally {
    pub fn new(show: Severity, fail_on: Severity) -> Tally {
        Tally {
            show,
            fail_on,
            messages: 0,
            with_findings: 0,
            failing: 0,
            bots: 0,
            shown: [0; 3],
            hidden: [0; 3],
            by_rule: HashMap::new(),
            events: HashMap::new(),
            groups: Default::default(),
            label: String::new(),
            counted: false,
            fails: false,
        }
    }

    /// Starts a message; its findings follow through [`Tally::finding`].
    pub fn message(&mut self, names: &Names<'_>) {
        self.finish();
        self.messages += 1;
        names.label(&mut self.label);
        let event = entry(&mut self.events, &self.label);
        if event.messages == 0 {
            event.event = names.event.to_string();
        }
        event.messages += 1;
    }

    /// Counts one finding of the current message; whether it is shown.
    pub fn finding(&mut self, finding: &Finding, names: &Names<'_>, line: u64) -> bool {
        let s = finding.severity as usize;
        self.fails |= finding.severity >= self.fail_on;
        // One per message: the classifier names one user agent.
        if finding.rule == eventscope_core::inspect::traffic::RULE {
            self.bots += 1;
        }
        let event = entry(&mut self.events, &self.label);
        event.all[s] += 1;
        if finding.severity < self.show {
            self.hidden[s] += 1;
            return false;
        }
        self.shown[s] += 1;
        event.shown[s] += 1;
        if !self.counted {
            self.counted = true;
            self.with_findings += 1;
            event.with_findings += 1;
        }
        if event.examples.len() < JUNIT_EXAMPLES {
            event
                .examples
                .push(Example::of(finding, line, names.message_id));
        }
        entry(&mut self.by_rule, &finding.rule)[s] += 1;
        let group = entry(entry(&mut self.groups[s], &finding.rule), &self.label);
        group.count += 1;
        if group.examples.len() < TEXT_EXAMPLES {
            group
                .examples
                .push(Example::of(finding, line, names.message_id));
        }
        true
    }

    /// Ends the last message.
    pub fn finish(&mut self) {
        self.failing += u64::from(self.fails);
        self.counted = false;
        self.fails = false;
    }

    /// Shown findings by the `event` field (what JSON records name), by severity.
    pub fn by_event(&self) -> HashMap<&str, [u64; 3]> {
        let mut out: HashMap<&str, [u64; 3]> = HashMap::new();
        for e in self
            .events
            .values()
            .filter(|e| e.shown.iter().sum::<u64>() > 0)
        {
            let slot = out.entry(e.event.as_str()).or_default();
            for (a, b) in slot.iter_mut().zip(e.shown) {
                *a += b;
            }
        }
        out
    }
}

/// `[errors, warnings, info]` sorted most severe first: the key to sort rows by.
pub fn severity_key(counts: &[u64; 3]) -> [u64; 3] {
    [counts[2], counts[1], counts[0]]
}
