//! The Summary's numbers over the messages the list shows (the active filter, cut at a pause):
//! per event name and type, per rule, and per configured destination (routed, dropped by
//! reason). Counted incrementally, a bounded number of rows per
//! call, and never per frame for rows already counted: each counted message is remembered by
//! its *signature* (name, type, verdict in brief) in a run-length queue, so a row evicted from
//! the store is taken off again without the row itself. A new filter starts the count over.

use std::collections::{BTreeMap, HashMap, VecDeque};

use eventscope_core::entry::{Entry, EntryId, EntryKind};
use eventscope_core::filter::{PII_RED, PII_YELLOW};
use eventscope_core::inspect::Severity;
use eventscope_core::routing::{MAX_OUTCOMES, Outcome, Outcomes, Reason};

use super::store::Store;

/// Distinct signatures kept; beyond that, new ones count under the name "(other)".
const MAX_SIGNATURES: usize = 20_000;
/// Bytes of a name kept: a name is as long as its sender makes it.
const MAX_NAME: usize = 256;
/// The name rows past [`MAX_SIGNATURES`] count under.
pub const OTHER: &str = "(other)";

/// What the Summary needs of one message: its row and its verdict in brief.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Signature {
    name: Box<str>,
    kind: Box<str>,
    /// The worst spec or plan finding (PII aside).
    violation: Option<Severity>,
    pii: u8,
    /// Codes at warning or above, space-separated (as `Verdict::rules`).
    rules: Box<str>,
    /// Bit `i`: rule `i` of `rules` reached error.
    error_rules: u16,
    /// Each destination's routing outcome.
    routes: Outcomes,
    /// A bot sent it.
    bot: bool,
}

impl Signature {
    fn of(entry: &Entry, other: bool) -> Signature {
        let kind = entry.summary.type_str(&entry.text);
        let name = match kind {
            _ if other => OTHER.to_string(),
            "track" | "page" | "screen" => entry.summary.display_name(&entry.text),
            _ => String::new(),
        };
        let verdict = &entry.verdict;
        Signature {
            name: eventscope_core::model::cut_to(&name, MAX_NAME).into(),
            kind: eventscope_core::model::cut_to(kind, MAX_NAME).into(),
            violation: verdict.violation_worst,
            pii: verdict.pii,
            rules: verdict.rules.as_deref().unwrap_or("").into(),
            error_rules: verdict.error_rules,
            routes: verdict.routes,
            bot: verdict.bot,
        }
    }

    /// Each rule code with the severity it reached.
    fn rules(&self) -> impl Iterator<Item = (&str, Severity)> {
        self.rules
            .split(' ')
            .filter(|r| !r.is_empty())
            .enumerate()
            .map(|(i, rule)| {
                let error = i < 16 && self.error_rules & (1 << i) != 0;
                let severity = if error {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                (rule, severity)
            })
    }
}

/// The count over the shown messages, kept in step by [`Tally::refresh`].
#[derive(Debug, Default)]
pub struct Tally {
    /// The store's filter generation counted; another one starts over.
    generation: u64,
    /// The last id counted (0: none).
    counted_to: EntryId,
    /// Counted messages still retained: signature index and how many in a row, oldest first.
    runs: VecDeque<(u32, u32)>,
    counted: u64,
    signatures: Vec<Signature>,
    index: HashMap<Signature, u32>,
    /// Messages per signature (parallel to `signatures`).
    counts: Vec<u64>,
    /// Bumped by every change of the counts.
    version: u64,
    /// Shown messages not counted yet, at the last refresh.
    pending: usize,
    /// Counted messages a bot sent.
    bots: u64,
}

impl Tally {
    /// Brings the count up to the first `shown` visible ids, counting at most `budget` new
    /// messages. True when the count is complete.
    pub fn refresh(&mut self, store: &Store, shown: usize, budget: usize) -> bool {
        if store.filter_generation() != self.generation {
            *self = Tally {
                generation: store.filter_generation(),
                version: self.version + 1,
                ..Tally::default()
            };
        }
        let visible = store.visible();
        let shown = shown.min(visible.len());
        // Counted rows the list no longer shows (evicted, cleared, or past a new pause).
        let kept = visible
            .partition_point(|id| *id <= self.counted_to)
            .min(shown) as u64;
        if kept < self.counted {
            self.forget_oldest(self.counted - kept);
        }
        let start = kept as usize;
        let end = shown.min(start.saturating_add(budget));
        if start < end {
            for id in visible.range(start..end) {
                if let Some(entry) = store.get(*id) {
                    self.count(entry);
                }
                self.counted_to = *id;
            }
            self.version += 1;
        }
        self.pending = shown - end;
        self.pending == 0
    }

    fn count(&mut self, entry: &Entry) {
        if !matches!(entry.kind, EntryKind::Event) {
            // Rejected requests and gaps are rows of the list, not messages of the report:
            // remembered (so that eviction stays in step) under no signature.
            self.push_run(u32::MAX);
            return;
        }
        let full = self.signatures.len() >= MAX_SIGNATURES;
        let mut signature = Signature::of(entry, false);
        let index = match self.index.get(&signature) {
            Some(i) => *i,
            None => {
                if full {
                    signature = Signature::of(entry, true);
                }
                match self.index.get(&signature) {
                    Some(i) => *i,
                    None => {
                        let i = self.signatures.len() as u32;
                        self.signatures.push(signature.clone());
                        self.index.insert(signature, i);
                        self.counts.push(0);
                        i
                    }
                }
            }
        };
        if let Some(count) = self.counts.get_mut(index as usize) {
            *count += 1;
        }
        if entry.verdict.bot {
            self.bots += 1;
        }
        self.push_run(index);
    }

    fn push_run(&mut self, index: u32) {
        self.counted += 1;
        match self.runs.back_mut() {
            Some((last, n)) if *last == index && *n < u32::MAX => *n += 1,
            _ => self.runs.push_back((index, 1)),
        }
    }

    fn forget_oldest(&mut self, mut n: u64) {
        self.version += 1;
        while n > 0 {
            let Some((index, run)) = self.runs.front_mut() else {
                break;
            };
            let take = u64::from(*run).min(n);
            if let Some(count) = self.counts.get_mut(*index as usize) {
                *count -= take;
            }
            if self.signatures.get(*index as usize).is_some_and(|s| s.bot) {
                self.bots -= take;
            }
            *run -= take as u32;
            n -= take;
            self.counted -= take;
            if *run == 0 {
                self.runs.pop_front();
            }
        }
    }

    /// Bumped by every change of the counts (for caching what is built from them).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Shown messages not counted yet.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Messages counted (the list's rejections and gaps aside).
    pub fn messages(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Counted messages a bot sent (`has:bot`).
    pub fn bots(&self) -> u64 {
        self.bots
    }

    fn live(&self) -> impl Iterator<Item = (&Signature, u64)> {
        self.signatures
            .iter()
            .zip(self.counts.iter().copied())
            .filter(|(_, n)| *n > 0)
    }

    /// One row per (event name, type).
    pub fn by_event(&self) -> Vec<EventRow> {
        let mut rows: HashMap<(&str, &str), EventRow> = HashMap::new();
        for (sig, n) in self.live() {
            let row = rows
                .entry((&sig.name, &sig.kind))
                .or_insert_with(|| EventRow {
                    name: sig.name.to_string(),
                    kind: sig.kind.to_string(),
                    ..EventRow::default()
                });
            row.messages += n;
            match sig.violation {
                Some(Severity::Error) => row.errors += n,
                Some(Severity::Warning) => row.warnings += n,
                _ => {}
            }
            if sig.pii & PII_RED != 0 {
                row.pii_red += n;
            }
            if sig.pii & PII_YELLOW != 0 {
                row.pii_yellow += n;
            }
            for (rule, _) in sig.rules() {
                *row.rules.entry(rule.to_string()).or_default() += n;
            }
        }
        rows.into_values().collect()
    }

    /// Per destination (the first `destinations`, in the config's order): messages routed
    /// and dropped by each reason.
    pub fn by_destination(&self, destinations: usize) -> Vec<RouteCounts> {
        let mut rows = vec![RouteCounts::default(); destinations.min(MAX_OUTCOMES)];
        for (sig, n) in self.live() {
            for (index, row) in rows.iter_mut().enumerate() {
                match sig.routes.get(index) {
                    Some(Outcome::Routed) => row.routed += n,
                    Some(Outcome::Dropped(reason)) => row.dropped[reason_index(reason)] += n,
                    None => {}
                }
            }
        }
        rows
    }

    /// One row per rule code.
    pub fn by_rule(&self) -> Vec<RuleRow> {
        let mut rows: BTreeMap<&str, (Severity, u64, EventCounts)> = BTreeMap::new();
        for (sig, n) in self.live() {
            for (rule, severity) in sig.rules() {
                let row = rows
                    .entry(rule)
                    .or_insert((Severity::Warning, 0, HashMap::new()));
                row.0 = row.0.max(severity);
                row.1 += n;
                *row.2.entry((&sig.name, &sig.kind)).or_default() += n;
            }
        }
        rows.into_iter()
            .map(|(rule, (severity, messages, events))| {
                let mut events: Vec<EventCount> = events
                    .into_iter()
                    .map(|((name, kind), messages)| EventCount {
                        name: name.to_string(),
                        kind: kind.to_string(),
                        messages,
                    })
                    .collect();
                events.sort_by(|a, b| {
                    b.messages
                        .cmp(&a.messages)
                        .then_with(|| a.name.cmp(&b.name))
                });
                RuleRow {
                    rule: rule.to_string(),
                    severity,
                    messages,
                    events,
                }
            })
            .collect()
    }
}

/// The reasons a message is dropped, in the order of [`RouteCounts::dropped`].
pub const REASONS: [Reason; 4] = [
    Reason::Consent,
    Reason::Integrations,
    Reason::Filter,
    Reason::Unsupported,
];

fn reason_index(reason: Reason) -> usize {
    REASONS.iter().position(|r| *r == reason).unwrap_or(0)
}

/// The Summary's numbers for one destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteCounts {
    /// Messages Segment would deliver to it.
    pub routed: u64,
    /// Messages it would drop, per reason (in [`REASONS`]' order).
    pub dropped: [u64; 4],
}

impl RouteCounts {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// Messages per (event name, type).
type EventCounts<'a> = HashMap<(&'a str, &'a str), u64>;

/// The Summary's row for one event name and type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRow {
    /// The event (track) or page/screen name; empty for the other types.
    pub name: String,
    pub kind: String,
    pub messages: u64,
    /// Messages whose worst spec or plan finding is an error.
    pub errors: u64,
    /// Messages whose worst spec or plan finding is a warning.
    pub warnings: u64,
    /// Messages with Red PII (secrets) at warning or above.
    pub pii_red: u64,
    /// Messages with Yellow PII (personal data) at warning or above.
    pub pii_yellow: u64,
    /// Messages with a finding of each rule (at warning or above).
    pub rules: BTreeMap<String, u64>,
}

/// An event name and type with a count of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCount {
    pub name: String,
    pub kind: String,
    pub messages: u64,
}

/// The Summary's row for one rule code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub rule: String,
    /// The worst severity its findings reached (warning or error).
    pub severity: Severity,
    /// Messages with a finding of the rule.
    pub messages: u64,
    /// The events those messages are, most messages first.
    pub events: Vec<EventCount>,
}

impl RuleRow {
    /// A PII rule (`pii/…`) rather than a spec or plan one.
    pub fn is_pii(&self) -> bool {
        self.rule.starts_with("pii/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventscope_core::filter::Query;
    use eventscope_core::model::{EventFrame, Frame, Source};

    fn track(seq: u64, name: &str) -> Frame {
        let message = format!(r#"{{"type":"track","event":"{name}","userId":"u{seq}"}}"#);
        Frame::Event(EventFrame {
            seq,
            received_at: "2026-11-22T10:00:00.123Z".into(),
            source: Source::default(),
            message: serde_json::value::RawValue::from_string(message).unwrap(),
            redacted: None,
            adjusted: None,
        })
    }

    fn counts(tally: &Tally) -> Vec<(String, u64)> {
        let mut rows: Vec<_> = tally
            .by_event()
            .into_iter()
            .map(|r| (r.name, r.messages))
            .collect();
        rows.sort();
        rows
    }

    fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
        list.iter().map(|(n, c)| (n.to_string(), *c)).collect()
    }

    #[test]
    fn counts_in_slices_follow_the_filter_and_take_evicted_rows_off() {
        let mut store = Store::new(6);
        for (seq, name) in [(1, "A"), (2, "B"), (3, "A"), (4, "A")] {
            store.push(track(seq, name));
        }
        let mut tally = Tally::default();
        // A budget of 3: one more call finishes the count.
        assert!(!tally.refresh(&store, store.visible().len(), 3));
        assert_eq!(tally.pending(), 1);
        assert!(tally.refresh(&store, store.visible().len(), 3));
        assert_eq!(counts(&tally), pairs(&[("A", 3), ("B", 1)]));

        // Only what the list shows: cut at a pause after the first two rows.
        let mut paused = Tally::default();
        paused.refresh(&store, 2, 100);
        assert_eq!(counts(&paused), pairs(&[("A", 1), ("B", 1)]));

        // New rows push the oldest out of the store (capacity 6): they leave the count.
        for (seq, name) in [(5, "B"), (6, "C"), (7, "C"), (8, "C")] {
            store.push(track(seq, name));
        }
        assert!(tally.refresh(&store, store.visible().len(), 100));
        assert_eq!(counts(&tally), pairs(&[("A", 2), ("B", 1), ("C", 3)]));

        // A new filter starts the count over, on what it shows.
        store.set_filter(Query::parse("event:C").unwrap());
        while !store.rescan_step(100) {}
        tally.refresh(&store, store.visible().len(), 100);
        assert_eq!(counts(&tally), pairs(&[("C", 3)]));

        store.clear();
        tally.refresh(&store, store.visible().len(), 100);
        assert!(counts(&tally).is_empty());
        assert_eq!(tally.messages(), 0);
    }
}
