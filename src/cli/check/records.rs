//! `check --format json` (one document: `{"findings":[…],"summary":{…}}`) and
//! `--format ndjson` (one finding per line, then `{"summary":{…}}`). Findings are written as
//! they are found, straight from the finding (no copy into a JSON tree), so memory stays flat.
//! With `--routing`, routing findings name their `destination` and the summary has `routing`.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value, json};

use eventscope_core::inspect::{Finding, Severity};

use super::routing::{REASONS, Routes};
use super::tally::{Names, Tally};

/// A finding with where it was: its line, the message's id, type and event (the type when the
/// message has no event or name), the stream sequence number for stream frames, and for a
/// routing finding the destination it is about.
#[derive(Serialize)]
struct Record<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    line: u64,
    #[serde(rename = "messageId")]
    message_id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<&'a str>,
}

/// One JSON document or a line stream.
pub struct Records {
    document: bool,
    written: u64,
}

impl Records {
    pub fn start(out: &mut impl Write, document: bool) -> io::Result<Records> {
        if document {
            out.write_all(b"{\"findings\":[")?;
        }
        Ok(Records {
            document,
            written: 0,
        })
    }

    pub fn write(
        &mut self,
        out: &mut impl Write,
        finding: &Finding,
        names: &Names<'_>,
        line: u64,
        seq: Option<u64>,
        destination: Option<&str>,
    ) -> io::Result<()> {
        if self.document {
            out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        }
        let record = Record {
            finding,
            line,
            message_id: names.message_id,
            kind: names.kind,
            event: names.event,
            seq,
            destination,
        };
        serde_json::to_writer(&mut *out, &record)?;
        if !self.document {
            out.write_all(b"\n")?;
        }
        self.written += 1;
        Ok(())
    }

    /// The summary: in the document after the findings, or as the stream's last line.
    pub fn finish(self, out: &mut impl Write, summary: &Value) -> io::Result<()> {
        if self.document {
            writeln!(out, "\n],\n\"summary\":{summary}}}")
        } else {
            writeln!(out, "{}", json!({ "summary": summary }))
        }
    }
}

fn by_severity(counts: &[u64; 3]) -> Value {
    json!({
        "error": counts[Severity::Error as usize],
        "warning": counts[Severity::Warning as usize],
        "info": counts[Severity::Info as usize],
    })
}

/// Totals of the findings listed (those at or above `--show`): `findings`, `by_severity`,
/// `by_rule` and `by_event` each add up to the number of findings in the output; `not_shown`
/// counts those below `--show`; with `--routing`, `routing` (see [`routing`]).
pub fn summary(tally: &Tally, skipped_lines: u64, routes: Option<&Routes>) -> Value {
    let total = |counts: &[u64; 3]| counts.iter().sum::<u64>();
    let mut rules: Vec<_> = tally.by_rule.iter().collect();
    rules.sort_by(|a, b| total(b.1).cmp(&total(a.1)).then_with(|| a.0.cmp(b.0)));
    let by_rule: Map<String, Value> = rules
        .into_iter()
        .map(|(rule, counts)| (rule.clone(), total(counts).into()))
        .collect();
    let mut events: Vec<_> = tally.by_event().into_iter().collect();
    events.sort_by(|a, b| total(&b.1).cmp(&total(&a.1)).then_with(|| a.0.cmp(b.0)));
    let by_event: Map<String, Value> = events
        .into_iter()
        .map(|(event, counts)| (event.to_string(), total(&counts).into()))
        .collect();
    let mut summary = json!({
        "messages": tally.messages,
        "messages_with_findings": tally.with_findings,
        "failing_messages": tally.failing,
        "bots": tally.bots,
        "fail_on": tally.fail_on.as_str(),
        "show": tally.show.as_str(),
        "findings": total(&tally.shown),
        "by_severity": by_severity(&tally.shown),
        "by_rule": by_rule,
        "by_event": by_event,
        "not_shown": by_severity(&tally.hidden),
        "skipped_lines": skipped_lines,
    });
    if let (Some(routes), Some(object)) = (routes, summary.as_object_mut()) {
        object.insert("routing".into(), routing(routes));
    }
    summary
}

/// `{"messages":N,"destinations":{"amp":{"segment_name":"Amplitude","delivered":N,
/// "dropped":{"total":N,"consent":N,"integrations":N,"filter":N,"unsupported":N},
/// "stripped":N,"failing":N}}}`: every count of every configured destination, zeros included,
/// so `jq '.summary.routing.destinations.amp.dropped.consent'` always answers a number.
fn routing(routes: &Routes) -> Value {
    let destinations: Map<String, Value> = routes
        .routes
        .iter()
        .map(|route| {
            let counts = &route.counts;
            let mut dropped = Map::new();
            dropped.insert("total".into(), counts.dropped_total().into());
            for (reason, n) in REASONS.iter().zip(counts.dropped) {
                dropped.insert(reason.as_str().into(), n.into());
            }
            let value = json!({
                "segment_name": route.segment_name,
                "delivered": counts.delivered,
                "dropped": dropped,
                "stripped": counts.stripped,
                "failing": route.failing,
            });
            (route.name.clone(), value)
        })
        .collect();
    json!({ "messages": routes.messages, "destinations": destinations })
}
