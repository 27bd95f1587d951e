//! The work behind the forward popup (`popups::forward`), kept apart from its state and
//! drawing.
//!
//! `f` picks the marked messages (or the selected one). Mapping them to a destination's
//! requests runs off the UI task ([`prepare`], which may run a jq transform over thousands of
//! messages); each mapping carries a generation so that a late answer for a destination the
//! user has already left is dropped. The request on screen is masked and pretty-printed when
//! it is shown ([`ShownRequest::of`]); its highlighting comes from a highlight worker like the
//! detail pane's. Enter sends exactly the requests previewed.
//!
//! `e` hands the messages (a JSON array, pretty-printed) to `$EDITOR`; [`parse_edit`] reads
//! them back. An edit that does not parse changes nothing and is kept, so the next `e` reopens
//! it where the user left off.

use std::sync::Arc;

use serde_json::value::RawValue;

use eventscope_core::forward::map::{Mapped, Skipped, Stripped};
use eventscope_core::forward::{Destination, Outgoing, Request};
use eventscope_core::inspect::Inspector;
use eventscope_core::model::count;
use eventscope_core::model::pretty::{PrettyDoc, pretty};

/// Bodies longer than this are shown cut (they are sent whole).
pub const SHOWN_BODY_BYTES: usize = 1024 * 1024;

/// Editing goes through a text file: beyond this many messages, mark fewer.
pub const MAX_EDIT_MESSAGES: usize = 1_000;

/// The requests mapped for one destination.
#[derive(Debug)]
pub struct Prepared {
    pub destination: Arc<Destination>,
    /// Exactly what Enter sends.
    pub requests: Vec<Request>,
    /// Messages no request carries, with the reason (routing's drops among them).
    pub skipped: Vec<Skipped>,
    /// Messages sent without fields a destination filter strips.
    pub stripped: Vec<Stripped>,
    /// What routing did, as the popup says it (built here once, not per frame).
    pub routing: RoutingNote,
    /// Each request as the popup shows it, built here, off the UI task: masking and
    /// pretty-printing a large body would stall a frame.
    pub shown: Vec<ShownRequest>,
}

/// Maps `messages` to `destination`'s requests. Pure but possibly slow: run it off the UI task.
pub fn prepare(
    destination: Arc<Destination>,
    messages: &[Outgoing],
    inspector: Option<&Inspector>,
) -> Result<Prepared, String> {
    let Mapped {
        requests,
        skipped,
        stripped,
    } = destination
        .requests(messages, inspector)
        .map_err(|e| e.to_string())?;
    let shown = requests
        .iter()
        .map(|request| ShownRequest::of(&destination, request))
        .collect();
    let routing = if destination.ignore_routing {
        // Nothing was dropped: say what is sent anyway.
        let would_drop = eventscope_core::forward::map::routing_drops(&destination, messages);
        RoutingNote {
            dropped: dropped_summary(&would_drop),
            each: dropped_messages(&would_drop),
            stripped: None,
        }
    } else {
        RoutingNote {
            dropped: dropped_summary(&skipped),
            each: dropped_messages(&skipped),
            stripped: stripped_summary(&stripped),
        }
    };
    Ok(Prepared {
        destination,
        requests,
        skipped,
        stripped,
        routing,
        shown,
    })
}

/// What routing did to a forward, in the popup's words (with routing ignored: what it would
/// have dropped, and is sent anyway).
#[derive(Debug, Clone, Default)]
pub struct RoutingNote {
    /// `2 dropped by routing: 1 consent (…), 1 filter (…)` ([`dropped_summary`]).
    pub dropped: Option<String>,
    /// `seq 3: consent: … · seq 5: filter: …` ([`dropped_messages`]).
    pub each: String,
    /// `fields stripped by filters: …` ([`stripped_summary`]).
    pub stripped: Option<String>,
}

/// Dropped messages named one by one in the popup, at most (the counts cover them all).
const DROPPED_NAMED: usize = 20;

/// How a skipped message is named: `seq 7`, its messageId, or `a message`.
pub fn skipped_at(skipped: &Skipped) -> String {
    match (&skipped.carried.seq, &skipped.carried.message_id) {
        (Some(seq), _) => format!("seq {seq}"),
        (None, Some(id)) => id.clone(),
        (None, None) => "a message".into(),
    }
}

/// The rule of a routing drop without its leading word: `consent Analytics not given` out of
/// `consent: consent Analytics not given`.
fn rule_of(skipped: &Skipped) -> &str {
    let reason = skipped.reason.as_str();
    skipped
        .dropped
        .and_then(|word| reason.strip_prefix(word.as_str()))
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(reason)
}

/// `2 dropped by routing, 1 skipped`: what became of the messages no request carries.
pub fn skipped_counts(skipped: &[Skipped]) -> String {
    let dropped = skipped.iter().filter(|s| s.dropped.is_some()).count() as u64;
    let other = skipped.len() as u64 - dropped;
    match (dropped, other) {
        (0, other) => format!("{} skipped", count(other, "message")),
        (dropped, 0) => format!("{dropped} dropped by routing"),
        (dropped, other) => format!("{dropped} dropped by routing, {other} skipped"),
    }
}

/// Routing's drops counted by reason, each with its rules: `2 dropped by routing: 1 consent
/// (consent Analytics not given), 1 filter (filter 1 drops: event = 'Test Event')`; `None`
/// when routing dropped nothing.
pub fn dropped_summary(skipped: &[Skipped]) -> Option<String> {
    let mut by_reason: Vec<(&str, usize, Vec<&str>)> = Vec::new();
    for dropped in skipped.iter().filter(|s| s.dropped.is_some()) {
        let word = dropped.dropped.map_or("", |r| r.as_str());
        let rule = rule_of(dropped);
        match by_reason.iter_mut().find(|(w, _, _)| *w == word) {
            Some((_, n, rules)) => {
                *n += 1;
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
            None => by_reason.push((word, 1, vec![rule])),
        }
    }
    if by_reason.is_empty() {
        return None;
    }
    let total: usize = by_reason.iter().map(|(_, n, _)| n).sum();
    let parts: Vec<String> = by_reason
        .iter()
        .map(|(word, n, rules)| format!("{n} {word} ({})", rules.join("; ")))
        .collect();
    Some(format!("{total} dropped by routing: {}", parts.join(", ")))
}

/// Each dropped message with its reason (the first [`DROPPED_NAMED`], then how many more):
/// `seq 3: consent: consent Analytics not given · seq 5: filter: filter 1 drops: …`.
pub fn dropped_messages(skipped: &[Skipped]) -> String {
    let dropped: Vec<&Skipped> = skipped.iter().filter(|s| s.dropped.is_some()).collect();
    let mut named: Vec<String> = dropped
        .iter()
        .take(DROPPED_NAMED)
        .map(|s| format!("{}: {}", skipped_at(s), s.reason))
        .collect();
    if dropped.len() > DROPPED_NAMED {
        named.push(format!("{} more", dropped.len() - DROPPED_NAMED));
    }
    named.join(" · ")
}

/// `fields stripped by filters: properties.email, properties.products.sku (2 messages)`;
/// `None` when no filter stripped anything.
pub fn stripped_summary(stripped: &[Stripped]) -> Option<String> {
    if stripped.is_empty() {
        return None;
    }
    let mut fields: Vec<&str> = Vec::new();
    for path in stripped.iter().flat_map(|s| &s.fields) {
        if !fields.contains(&path.as_str()) {
            fields.push(path);
        }
    }
    Some(format!(
        "fields stripped by filters: {} ({})",
        fields.join(", "),
        count(stripped.len() as u64, "message")
    ))
}

/// One request as the popup shows it: secrets masked, the body pretty-printed.
#[derive(Debug, Clone)]
pub struct ShownRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The masked body (cut at [`SHOWN_BODY_BYTES`]), for the highlighter.
    pub body: Arc<str>,
    pub doc: Arc<PrettyDoc>,
    pub body_bytes: usize,
    /// Messages it carries.
    pub messages: usize,
}

impl ShownRequest {
    pub fn of(destination: &Destination, request: &Request) -> ShownRequest {
        // The head as deliveries keep it; the body longer than a delivery's preview.
        let preview = destination.preview(request);
        let text = request.body_text();
        // Mask a little past the cut, then cut: a secret across the cut is masked whole.
        let masked = destination.mask(eventscope_core::model::cut_to(
            &text,
            SHOWN_BODY_BYTES + 64 * 1024,
        ));
        let body: Arc<str> = Arc::from(eventscope_core::model::cut_to(&masked, SHOWN_BODY_BYTES));
        ShownRequest {
            method: preview.method,
            url: preview.url,
            headers: preview.headers,
            doc: Arc::new(pretty(&body)),
            body,
            body_bytes: request.body.len(),
            messages: request.carries.len(),
        }
    }

    /// Lines above the body: the request line, the headers and a blank line.
    pub fn head_lines(&self) -> usize {
        self.headers.len() + 2
    }

    pub fn total_lines(&self) -> usize {
        self.head_lines() + self.doc.lines.len()
    }
}

/// The messages as the editor gets them: one pretty-printed JSON array, keys in their order.
pub fn edit_text(messages: &[Outgoing]) -> String {
    let mut array = String::from("[");
    for (i, picked) in messages.iter().enumerate() {
        if i > 0 {
            array.push(',');
        }
        array.push_str(picked.text());
    }
    array.push(']');
    let mut text: String = pretty(&array)
        .lines
        .iter()
        .map(|line| line.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    text
}

/// Reads the edited messages back: a JSON array of objects (or one object). Seqs stay with
/// their messages when the count did not change; otherwise they are dropped (the messages
/// are no longer the captured ones). Each message is compacted, its key order kept.
pub fn parse_edit(text: &str, before: &[Outgoing]) -> Result<Vec<Outgoing>, String> {
    let trimmed = text.trim_start();
    let values: Vec<Box<RawValue>> = if trimmed.starts_with('[') {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        vec![serde_json::from_str(text).map_err(|e| e.to_string())?]
    };
    if values.is_empty() {
        return Err("the edit has no messages (an empty array)".into());
    }
    if let Some(at) = values.iter().position(|v| !v.get().starts_with('{')) {
        return Err(format!("message {} is not a JSON object", at + 1));
    }
    let keep_seqs = values.len() == before.len();
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let seq = if keep_seqs { before[i].seq } else { None };
            Outgoing::from_text(seq, &compact(value.get()))
                .map_err(|e| format!("message {} after compacting: {e}", i + 1))
        })
        .collect()
}

/// Valid JSON without the whitespace between tokens; strings untouched.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(seq: u64, text: &str) -> Outgoing {
        Outgoing::from_text(Some(seq), text).unwrap()
    }

    #[test]
    fn an_edit_round_trips_and_keeps_seqs_and_key_order() {
        let before = vec![
            picked(1, r#"{"type":"track","event":"A b","userId":"u"}"#),
            picked(
                2,
                r#"{"type":"identify","userId":"u","traits":{"x":[1,2]}}"#,
            ),
        ];
        let text = edit_text(&before);
        assert!(
            text.starts_with("[\n  {\n    \"type\": \"track\","),
            "{text}"
        );
        assert_eq!(parse_edit(&text, &before).unwrap(), before);
        let edited = text.replace("\"A b\"", "\"A c\"");
        let after = parse_edit(&edited, &before).unwrap();
        assert_eq!(
            after[0].text(),
            r#"{"type":"track","event":"A c","userId":"u"}"#
        );
        assert_eq!(after[1].seq, Some(2));
    }

    fn skip(seq: u64, reason: &str, dropped: Option<eventscope_core::routing::Reason>) -> Skipped {
        Skipped {
            carried: eventscope_core::forward::Carried {
                seq: Some(seq),
                message_id: None,
            },
            reason: reason.to_string(),
            dropped,
        }
    }

    #[test]
    fn routing_drops_are_counted_by_reason_with_their_rules_and_named_one_by_one() {
        use eventscope_core::routing::Reason;
        let skipped = vec![
            skip(
                1,
                "consent: consent Analytics not given",
                Some(Reason::Consent),
            ),
            skip(2, "dropped by the transform", None),
            skip(
                3,
                "filter: filter 1 drops: event = 'Test Event'",
                Some(Reason::Filter),
            ),
            skip(
                4,
                "consent: consent Advertising not given",
                Some(Reason::Consent),
            ),
            skip(
                5,
                "consent: consent Analytics not given",
                Some(Reason::Consent),
            ),
        ];
        assert_eq!(
            dropped_summary(&skipped).unwrap(),
            "4 dropped by routing: 3 consent (consent Analytics not given; consent Advertising \
             not given), 1 filter (filter 1 drops: event = 'Test Event')"
        );
        assert_eq!(skipped_counts(&skipped), "4 dropped by routing, 1 skipped");
        assert!(
            dropped_messages(&skipped).starts_with(
                "seq 1: consent: consent Analytics not given · seq 3: filter: filter 1 drops"
            ),
            "{}",
            dropped_messages(&skipped)
        );
        assert_eq!(dropped_summary(&skipped[1..2]), None);
        let many: Vec<Skipped> = (0..25)
            .map(|seq| {
                skip(
                    seq,
                    "integrations: integrations.All = false",
                    Some(Reason::Integrations),
                )
            })
            .collect();
        let named = dropped_messages(&many);
        assert_eq!(named.matches("integrations.All").count(), DROPPED_NAMED);
        assert!(named.ends_with("5 more"), "{named}");
    }

    #[test]
    fn a_bad_edit_says_where_and_a_changed_count_drops_seqs() {
        let before = vec![picked(1, r#"{"a":1}"#)];
        let error = parse_edit("[\n  {\"a\": 1,}\n]", &before).unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        assert!(
            parse_edit("[1]", &before)
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(parse_edit("[]", &before).is_err());
        let two = parse_edit(r#"[{"a":1},{"b":"x y"}]"#, &before).unwrap();
        assert_eq!(two.len(), 2);
        assert!(two.iter().all(|p| p.seq.is_none()));
        assert_eq!(two[1].text(), r#"{"b":"x y"}"#);
        let one = parse_edit(r#" {"c": "\" } "} "#, &before).unwrap();
        assert_eq!(one[0].text(), r#"{"c":"\" } "}"#);
        assert_eq!(one[0].seq, Some(1));
    }
}
