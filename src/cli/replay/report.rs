//! Counting and telling: what the reader passed over, the deliveries as they come back, the
//! progress line and the summary printed at the end.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::one_line;
use super::read::Reading;
use eventscope_core::forward::Destination;
use eventscope_core::model::{DeliveryFrame, thousands};
use eventscope_core::recording::describe_size;

/// Failed requests shown in the summary with their answer.
const FAILURE_EXAMPLES: usize = 5;

/// ` (seqs 1–100)` or ` (seq 7)`.
pub(super) fn seq_span(seqs: &[u64]) -> String {
    match (seqs.iter().min(), seqs.iter().max()) {
        (Some(a), Some(b)) if a == b => format!(" (seq {a})"),
        (Some(a), Some(b)) => format!(" (seqs {a}–{b})"),
        _ => String::new(),
    }
}

/// What the reader saw and did.
#[derive(Debug, Default)]
pub(super) struct ReadCounts {
    pub(super) destination: String,
    pub(super) kind: &'static str,
    /// Messages (event frames, bare messages, batch items) read.
    pub(super) messages: u64,
    /// … of which did not match `--filter`.
    pub(super) filtered_out: u64,
    /// Rejected-request frames: not messages, so not replayed.
    pub(super) rejected: u64,
    /// Lines that could not be read …
    pub(super) unreadable: u64,
    /// … and lines over `--max-line`, skipped unread (the cap, for the summary).
    pub(super) over_max_line: u64,
    pub(super) max_line: u64,
    /// The input could not be read to its end: why (reading stopped there).
    pub(super) read_failed: Option<String>,
    /// … and the first few of them, with their line numbers.
    pub(super) problems: Vec<String>,
    /// Messages the mapper left out, by reason (routing's drops are in `dropped`).
    pub(super) skipped: BTreeMap<String, u64>,
    /// Messages routing dropped (Segment would not deliver them): by routing's word
    /// (`consent`, `integrations`, `filter`), then by the whole reason.
    pub(super) dropped: BTreeMap<String, BTreeMap<String, u64>>,
    /// Messages sent without some fields a destination filter strips, and those fields.
    pub(super) stripped: u64,
    pub(super) stripped_fields: std::collections::BTreeSet<String>,
    /// `--ignore-routing`: everything was sent as it is.
    pub(super) ignore_routing: bool,
    pub(super) requests: u64,
    pub(super) messages_in_requests: u64,
    /// The transform did not compile: reading stopped there (a transform failing on one
    /// message skips it, in `skipped`).
    pub(super) map_error: Option<String>,
    /// `--retime` found no timestamp to anchor on.
    pub(super) no_timestamps: bool,
}

impl ReadCounts {
    pub(super) fn skip_lines(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if self.rejected > 0 {
            parts.push(format!(
                "{} (not {})",
                count(self.rejected, "rejected request"),
                if self.rejected == 1 {
                    "a message"
                } else {
                    "messages"
                }
            ));
        }
        if self.unreadable > 0 {
            parts.push(count(self.unreadable, "unreadable line"));
        }
        if self.over_max_line > 0 {
            parts.push(format!(
                "{} over --max-line {}",
                count(self.over_max_line, "line"),
                describe_size(self.max_line)
            ));
        }
        for (reason, n) in &self.skipped {
            parts.push(format!("{}: {reason}", thousands(*n)));
        }
        let mut lines = Vec::new();
        if !parts.is_empty() {
            lines.push(format!("skipped: {}", parts.join("; ")));
        }
        lines.extend(self.routing_lines());
        for problem in &self.problems {
            lines.push(format!("  {}", one_line(problem)));
        }
        if self.filtered_out > 0 {
            lines.push(format!(
                "not matching the filter: {} of {} messages",
                thousands(self.filtered_out),
                thousands(self.messages)
            ));
        }
        if self.no_timestamps {
            lines.push("--retime: no message had a timestamp; none moved".to_string());
        }
        lines
    }
}

impl ReadCounts {
    /// What routing did: the messages dropped, counted by reason, and the fields stripped; or
    /// that it was ignored.
    fn routing_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.ignore_routing {
            lines.push(
                "⚠ routing ignored (--ignore-routing): every message sent, unstripped, \
                 whatever Segment would have dropped"
                    .to_string(),
            );
            return lines;
        }
        let total: u64 = self.dropped.values().flat_map(|rules| rules.values()).sum();
        if total > 0 {
            let by_reason: Vec<String> = self
                .dropped
                .iter()
                .map(|(reason, rules)| {
                    format!("{} {reason}", thousands(rules.values().sum::<u64>()))
                })
                .collect();
            lines.push(format!(
                "dropped by routing: {} ({}), not sent — Segment would not deliver them \
                 (--ignore-routing sends them)",
                count(total, "message"),
                by_reason.join(", ")
            ));
            for (n, reason) in self
                .dropped
                .values()
                .flat_map(|rules| rules.iter().map(|(reason, n)| (n, reason)))
                .take(DROP_REASONS_SHOWN)
            {
                lines.push(format!("  {} {reason}", thousands(*n)));
            }
        }
        if self.stripped > 0 {
            let fields: Vec<&str> = self.stripped_fields.iter().map(String::as_str).collect();
            lines.push(format!(
                "fields stripped by filters: {} sent without {}",
                count(self.stripped, "message"),
                fields.join(", ")
            ));
        }
        lines
    }
}

/// Distinct drop reasons listed in the summary, at most.
const DROP_REASONS_SHOWN: usize = 20;

/// Results as they come back.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) requests: u64,
    pub(super) failed_requests: u64,
    pub(super) delivered: u64,
    pub(super) failed: u64,
    /// Requests that needed more than one attempt.
    pub(super) retried: u64,
    /// `503 Service Unavailable`, `timeout after 5s`… → (requests, messages).
    pub(super) failures: BTreeMap<String, (u64, u64)>,
    pub(super) examples: Vec<String>,
}

impl Tally {
    pub(super) fn add(&mut self, frame: DeliveryFrame) {
        let messages = frame.for_seqs.len().max(frame.message_ids.len()) as u64;
        self.requests += 1;
        if frame.attempts > 1 {
            self.retried += 1;
        }
        if frame.ok {
            self.delivered += messages;
            return;
        }
        self.failed_requests += 1;
        self.failed += messages;
        let label = failure_label(&frame);
        let entry = self.failures.entry(label.clone()).or_default();
        entry.0 += 1;
        entry.1 += messages;
        if self.examples.len() < FAILURE_EXAMPLES {
            // What the destination said: its notes when it gave any (they name the fields),
            // else the body.
            let said = if frame.notes.is_empty() {
                frame
                    .response
                    .as_ref()
                    .map(|r| one_line(&r.body))
                    .unwrap_or_default()
            } else {
                let mut notes: Vec<String> = frame
                    .notes
                    .iter()
                    .take(3)
                    .map(|n| match n.path.as_str() {
                        "" => n.message.clone(),
                        path => format!("{path}: {}", n.message),
                    })
                    .collect();
                if frame.notes.len() > 3 {
                    notes.push(format!("{} more", frame.notes.len() - 3));
                }
                notes.join("; ")
            };
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": {}", clip(&said, 200))
            };
            self.examples.push(format!(
                "{label} after {}{}{said}",
                count(u64::from(frame.attempts), "attempt"),
                seq_span(&frame.for_seqs),
            ));
        }
    }
}

/// `503 Service Unavailable`, `200 OK with 2 notes`, `timeout after 5s`.
fn failure_label(frame: &DeliveryFrame) -> String {
    match (frame.status, &frame.error) {
        (Some(status), error) => {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let mut label = format!("{status} {reason}").trim_end().to_string();
            // A 2xx that failed: the destination reported problems in the payload.
            if (200..300).contains(&status) && !frame.notes.is_empty() {
                let n = frame.notes.len() as u64;
                label.push_str(&format!(" with {}", count(n, "problem")));
            }
            if let Some(error) = error {
                label.push_str(&format!(" ({error})"));
            }
            label
        }
        (None, Some(error)) => error.clone(),
        (None, None) => "failed".to_string(),
    }
}

pub(super) use eventscope_core::model::count;

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

pub(super) fn summary(
    destination: &Destination,
    tally: &Tally,
    counts: Option<&ReadCounts>,
    elapsed: Duration,
    interrupted: bool,
) -> Vec<String> {
    let sent = tally.delivered + tally.failed;
    let rate = sent as f64 / elapsed.as_secs_f64().max(0.001);
    let mut lines = vec![format!(
        "eventscope replay{}: {} to `{}` ({}) in {}: {} delivered, {} failed · {:.1}s, {} messages/s",
        if interrupted { " (interrupted)" } else { "" },
        count(sent, "message"),
        destination.name,
        destination.kind.as_str(),
        count(tally.requests, "request"),
        thousands(tally.delivered),
        thousands(tally.failed),
        elapsed.as_secs_f64(),
        thousands(rate.round() as u64),
    )];
    if !tally.failures.is_empty() {
        let parts: Vec<String> = tally
            .failures
            .iter()
            .map(|(label, (requests, messages))| {
                format!(
                    "{label}: {} ({})",
                    count(*requests, "request"),
                    count(*messages, "message")
                )
            })
            .collect();
        lines.push(format!("  failed: {}", parts.join("; ")));
        for example in &tally.examples {
            lines.push(format!("    ✗ {example}"));
        }
    }
    if tally.retried > 0 {
        lines.push(format!(
            "  retried: {} needed more than one attempt",
            count(tally.retried, "request")
        ));
    }
    if let Some(counts) = counts {
        for line in counts.skip_lines() {
            lines.push(format!("  {line}"));
        }
        if let Some(error) = &counts.map_error {
            lines.push(format!("  stopped: {}", one_line(error)));
        }
        if let Some(error) = &counts.read_failed {
            lines.push(format!("  stopped early: {}", one_line(error)));
        }
        if counts.messages_in_requests == 0 && counts.map_error.is_none() {
            lines.push("  nothing to replay".to_string());
        }
    }
    lines
}

/// The live line on a terminal; a plain line every few seconds otherwise.
pub(super) struct Progress {
    terminal: bool,
    name: String,
    total_bytes: Option<u64>,
    pub(super) every: Duration,
    shown: bool,
}

impl Progress {
    pub(super) fn new(name: &str, total_bytes: Option<u64>) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        Progress {
            terminal,
            name: name.to_string(),
            total_bytes: total_bytes.filter(|t| *t > 0),
            every: if terminal {
                Duration::from_millis(100)
            } else {
                Duration::from_secs(5)
            },
            shown: false,
        }
    }

    pub(super) fn show(&mut self, tally: &Tally, reading: &Reading, started: Instant) {
        let elapsed = started.elapsed();
        // The first tick fires at once: nothing to say yet.
        if elapsed < self.every {
            return;
        }
        let done = tally.delivered + tally.failed;
        let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
        let fraction = reading.fraction(done, self.total_bytes);
        let counts = format!(
            "{} delivered · {} failed · {} messages/s",
            thousands(tally.delivered),
            thousands(tally.failed),
            thousands(rate.round() as u64)
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let bar = match fraction {
                Some(f) => {
                    let width = 24;
                    let filled = (f * width as f64).round() as usize;
                    format!(
                        "[{}{}] {:>3.0}% · ",
                        "█".repeat(filled),
                        "░".repeat(width - filled.min(width)),
                        f * 100.0
                    )
                }
                None => String::new(),
            };
            let _ = write!(err, "\r\x1b[2Kreplay → {} {bar}{counts}", self.name);
            let _ = err.flush();
        } else {
            let read = fraction
                .map(|f| format!(" ({:.0}% of the file read)", f * 100.0))
                .unwrap_or_default();
            let _ = writeln!(err, "eventscope replay: {counts}{read}");
        }
        self.shown = true;
    }

    pub(super) fn clear(&mut self) {
        if self.terminal && self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_status_or_the_error() {
        let frame = DeliveryFrame {
            status: Some(503),
            ..DeliveryFrame::default()
        };
        assert_eq!(failure_label(&frame), "503 Service Unavailable");
        let frame = DeliveryFrame {
            status: Some(200),
            notes: vec![eventscope_core::model::DeliveryNote::default(); 2],
            ..DeliveryFrame::default()
        };
        assert_eq!(failure_label(&frame), "200 OK with 2 problems");
        let frame = DeliveryFrame {
            error: Some("timeout after 5s".into()),
            ..DeliveryFrame::default()
        };
        assert_eq!(failure_label(&frame), "timeout after 5s");
        assert_eq!(count(1, "request"), "1 request");
        assert_eq!(count(1200, "request"), "1,200 requests");
    }
}
