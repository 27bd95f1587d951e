//! Mappers: messages in, the requests a destination gets out. Pure: no I/O, no clock (the
//! caller gives `now`).
//!
//! The pipeline, per [`Destination::requests`](super::Destination::requests) call:
//! 1. **transform** — the destination's jq program on each message; `null` or no output drops
//!    the message (reported in [`Mapped::skipped`]); a runtime error is a [`MapError`] naming
//!    the destination and the message.
//! 2. **redact** — with `redact_pii`, every value the PII matchers flag is replaced by
//!    `[redacted email]`, `[redacted]`…
//! 3. **map** — one file per kind turns each message into what the vendor takes, following
//!    Segment's default mappings (`reference/segment.md` §6). A message the kind cannot carry
//!    (an `alias` to GA4, an `identify` to Mixpanel's `/import`) is skipped with the reason.
//! 4. **batch** — up to the destination's `batch_size` per request and under the vendor's
//!    body-size cap; GA4 batches per `client_id`.
//!
//! Messages that pass through unchanged (webhook, segment, file without transform or
//! redaction) keep their bytes exactly as captured.

mod amplitude;
mod fields;
mod file;
mod ga4;
mod mixpanel;
mod posthog;
mod redact;
mod segment;
mod webhook;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::destination::{Credentials, Destination, DestinationKind};
use super::{Carried, Outgoing, Request};
use crate::model::DeliveryNote;

/// What a destination gets for a selection of messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mapped {
    /// In the order of the messages they carry (GA4: in the order each `client_id` first
    /// appears).
    pub requests: Vec<Request>,
    /// Messages no request carries, with the reason; in message order.
    pub skipped: Vec<Skipped>,
}

/// A message left out of every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub carried: Carried,
    /// For a person: `dropped by the transform`, `ga4 has no alias call`…
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The transform failed on a message: a bug in the jq program to fix, not a message to
    /// skip quietly.
    #[error("destination `{destination}`: transform failed on {at}: {message}")]
    Transform {
        destination: String,
        /// `seq 12 (messageId abc)`, `message 3`.
        at: String,
        message: String,
    },
}

/// A message on its way through the pipeline: its bytes as captured until something changes
/// it, then its value.
struct Prepared<'a> {
    /// Position in the caller's list, to report skips in order.
    index: usize,
    carried: Carried,
    raw: &'a RawValue,
    /// Set once the message was parsed (by the transform, redaction or a mapper).
    value: Option<Value>,
    /// The value differs from `raw`.
    changed: bool,
}

impl Prepared<'_> {
    /// The message as JSON text on one line: as captured when unchanged.
    fn text(&self) -> String {
        match (&self.value, self.changed) {
            (Some(value), true) => value.to_string(),
            _ => {
                let raw = self.raw.get();
                if raw.contains(['\n', '\r']) {
                    // Only whitespace between tokens can hold a newline in JSON: re-encode
                    // compactly so that NDJSON stays one line per message.
                    serde_json::from_str::<Value>(raw)
                        .map(|v| v.to_string())
                        .unwrap_or_else(|_| raw.replace(['\n', '\r'], " "))
                } else {
                    raw.to_string()
                }
            }
        }
    }

    /// The message as a value (parsed on first use).
    fn value(&mut self) -> &Value {
        self.value
            .get_or_insert_with(|| serde_json::from_str(self.raw.get()).unwrap_or(Value::Null))
    }
}

/// The built-in PII matchers, for `redact_pii` when the caller has no inspector.
static BUILT_IN_MATCHERS: std::sync::LazyLock<crate::inspect::pii::PiiMatchers> =
    std::sync::LazyLock::new(crate::inspect::pii::PiiMatchers::default);

/// What a mapper made of one message.
pub(crate) enum Mapping<T> {
    Item(T),
    Skip(String),
}

/// Runs the pipeline for `destination`.
pub(crate) fn map(
    destination: &Destination,
    messages: &[Outgoing],
    inspector: Option<&crate::inspect::Inspector>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Mapped, MapError> {
    let mut skipped = Vec::new();
    let mut prepared: Vec<Prepared<'_>> = Vec::with_capacity(messages.len());
    let transform =
        match &destination.transform {
            Some(code) => Some(crate::filter::jq::JqFilter::compile(code).map_err(|e| {
                MapError::Transform {
                    destination: destination.name.clone(),
                    at: "compile".to_string(),
                    message: e.message,
                }
            })?),
            None => None,
        };
    let matchers = match inspector {
        Some(inspector) => &inspector.pii,
        None => &*BUILT_IN_MATCHERS,
    };

    for (index, outgoing) in messages.iter().enumerate() {
        let ids = fields::light_ids(outgoing.message.get());
        let carried = Carried {
            seq: outgoing.seq,
            message_id: ids.message_id,
        };
        if !ids.is_object {
            skipped.push((
                index,
                Skipped {
                    carried,
                    reason: "not a JSON object".to_string(),
                },
            ));
            continue;
        }
        let mut item = Prepared {
            index,
            carried,
            raw: &outgoing.message,
            value: None,
            changed: false,
        };
        if let Some(filter) = &transform {
            let at = || describe_at(index, &item.carried);
            match filter.transform(outgoing.message.get()) {
                Ok(None) => {
                    skipped.push((
                        index,
                        Skipped {
                            carried: item.carried,
                            reason: "dropped by the transform".to_string(),
                        },
                    ));
                    continue;
                }
                Ok(Some(value)) => {
                    if !value.is_object() {
                        return Err(MapError::Transform {
                            destination: destination.name.clone(),
                            at: at(),
                            message: format!(
                                "yields {}; a transform must yield a message object (or null to drop it)",
                                crate::inspect::describe_value(&value)
                            ),
                        });
                    }
                    item.value = Some(value);
                    item.changed = true;
                }
                Err(message) => {
                    return Err(MapError::Transform {
                        destination: destination.name.clone(),
                        at: at(),
                        message,
                    });
                }
            }
        }
        if destination.redact_pii {
            item.value();
            if let Some(value) = item.value.as_mut()
                && redact::redact(value, matchers)
            {
                item.changed = true;
            }
        }
        prepared.push(item);
    }

    let mut requests = match destination.kind {
        DestinationKind::Webhook => webhook::requests(destination, &prepared),
        DestinationKind::Segment => segment::requests(destination, &prepared, now),
        DestinationKind::File => file::requests(destination, &prepared),
        DestinationKind::Amplitude => vendor_requests(
            destination,
            &mut prepared,
            &mut skipped,
            amplitude::event,
            amplitude::body,
            amplitude::MAX_BODY_BYTES,
        ),
        DestinationKind::Mixpanel => vendor_requests(
            destination,
            &mut prepared,
            &mut skipped,
            mixpanel::event,
            mixpanel::body,
            mixpanel::MAX_BODY_BYTES,
        ),
        DestinationKind::Posthog => vendor_requests(
            destination,
            &mut prepared,
            &mut skipped,
            posthog::event,
            posthog::body,
            posthog::MAX_BODY_BYTES,
        ),
        DestinationKind::Ga4 => ga4::requests(destination, &mut prepared, &mut skipped),
    };
    // Custom headers replace a default of the same name, then come in name order (a TOML
    // table has no order worth keeping).
    for request in &mut requests {
        for (name, value) in &destination.headers {
            request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            request.headers.push((name.clone(), value.clone()));
        }
    }
    // Skips come back in message order, whichever stage made them.
    skipped.sort_by_key(|(index, _)| *index);
    Ok(Mapped {
        requests,
        skipped: skipped.into_iter().map(|(_, s)| s).collect(),
    })
}

/// `seq 12 (messageId abc)` or `message 3 (messageId abc)`: which message, for errors.
fn describe_at(index: usize, carried: &Carried) -> String {
    let mut at = match carried.seq {
        Some(seq) => format!("seq {seq}"),
        None => format!("message {}", index + 1),
    };
    if let Some(id) = &carried.message_id {
        at.push_str(&format!(" (messageId {id})"));
    }
    at
}

/// Vendors whose request is a list of events: map each message, then cut the list into
/// requests of at most `batch_size` events and `max_bytes` bytes.
fn vendor_requests(
    destination: &Destination,
    prepared: &mut [Prepared<'_>],
    skipped: &mut Vec<(usize, Skipped)>,
    event: fn(&Destination, &Value) -> Mapping<Value>,
    body: fn(&Destination, &[String]) -> Vec<u8>,
    max_bytes: usize,
) -> Vec<Request> {
    let mut events: Vec<(Carried, String)> = Vec::with_capacity(prepared.len());
    for item in prepared.iter_mut() {
        match event(destination, item.value()) {
            Mapping::Item(value) => events.push((item.carried.clone(), value.to_string())),
            Mapping::Skip(reason) => skipped.push((
                item.index,
                Skipped {
                    carried: item.carried.clone(),
                    reason,
                },
            )),
        }
    }
    chunks(&events, destination.batch_size, max_bytes)
        .into_iter()
        .map(|chunk| {
            let texts: Vec<String> = chunk.iter().map(|(_, t)| t.clone()).collect();
            Request {
                method: "POST".to_string(),
                url: destination.url.clone(),
                headers: json_headers(destination),
                body: body(destination, &texts),
                carries: chunk.iter().map(|(c, _)| c.clone()).collect(),
            }
        })
        .collect()
}

/// Consecutive runs of at most `max_count` items whose texts (plus a comma each) stay
/// within `max_bytes`; an item over the cap alone still gets a request of its own (the
/// vendor's answer then says why it is refused).
pub(crate) fn chunks<T>(
    items: &[(Carried, T)],
    max_count: usize,
    max_bytes: usize,
) -> Vec<&[(Carried, T)]>
where
    T: AsRef<str>,
{
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (_, text)) in items.iter().enumerate() {
        let len = text.as_ref().len() + 1;
        let count = i - start;
        if count > 0 && (count >= max_count.max(1) || bytes + len > max_bytes) {
            out.push(&items[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += len;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// `[a,b,c]` from JSON texts.
pub(crate) fn json_array(texts: &[String]) -> String {
    let len = texts.iter().map(|t| t.len() + 1).sum::<usize>() + 2;
    let mut out = String::with_capacity(len);
    out.push('[');
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(text);
    }
    out.push(']');
    out
}

/// A JSON string literal.
pub(crate) fn json_string(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// `eventscope/0.1.0`.
pub(crate) fn user_agent() -> String {
    format!("eventscope/{}", env!("CARGO_PKG_VERSION"))
}

/// `Content-Type: application/json` and our `User-Agent`, plus Basic auth where the kind
/// uses it.
fn json_headers(destination: &Destination) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".to_string(), user_agent()),
    ];
    if let Some(user) = basic_user(destination) {
        headers.push(("Authorization".to_string(), basic_auth(&user)));
    }
    headers
}

/// `Basic base64(user:)`.
pub(crate) fn basic_auth(user: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:"))
    )
}

/// The Basic-auth user name, for kinds that authenticate that way: Segment's write key;
/// Mixpanel's API secret, else its project token.
pub(crate) fn basic_user(destination: &Destination) -> Option<String> {
    let c = &destination.credentials;
    match destination.kind {
        DestinationKind::Segment => c.write_key.clone(),
        DestinationKind::Mixpanel => c.api_secret.clone().or_else(|| c.token.clone()),
        _ => None,
    }
}

/// The URL requests go to: the base (endpoint or the region's host) and the kind's path.
/// A base that already ends with the path is used as is.
pub(crate) fn request_url(
    kind: DestinationKind,
    base: &str,
    credentials: &Credentials,
    debug: bool,
) -> String {
    let path = match kind {
        DestinationKind::Webhook | DestinationKind::File => return base.to_string(),
        DestinationKind::Segment => "/v1/batch",
        DestinationKind::Amplitude => "/2/httpapi",
        DestinationKind::Mixpanel => "/import",
        DestinationKind::Posthog => "/batch/",
        DestinationKind::Ga4 if debug => "/debug/mp/collect",
        DestinationKind::Ga4 => "/mp/collect",
    };
    let trimmed = base.trim_end_matches('/');
    let mut url = if trimmed.ends_with(path.trim_end_matches('/')) || base.contains('?') {
        base.to_string()
    } else {
        format!("{trimmed}{path}")
    };
    let query: Vec<(&str, &str)> = match kind {
        DestinationKind::Mixpanel => vec![("strict", "1")],
        DestinationKind::Ga4 => vec![
            (
                "measurement_id",
                credentials.measurement_id.as_deref().unwrap_or_default(),
            ),
            (
                "api_secret",
                credentials.api_secret.as_deref().unwrap_or_default(),
            ),
        ],
        _ => Vec::new(),
    };
    if !query.is_empty()
        && let Ok(mut parsed) = reqwest::Url::parse(&url)
    {
        {
            let mut pairs = parsed.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url = parsed.to_string();
    }
    url
}

/// Delivered or not, and the destination's remarks about the payload.
pub(crate) fn read_answer(
    destination: &Destination,
    status: u16,
    body: &[u8],
) -> (bool, Vec<DeliveryNote>) {
    let success = (200..300).contains(&status);
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let mut notes = match (&json, destination.kind) {
        (Some(json), DestinationKind::Ga4) => ga4::notes(json),
        (Some(json), DestinationKind::Mixpanel) => mixpanel::notes(json),
        (Some(json), DestinationKind::Amplitude) => amplitude::notes(json),
        (Some(json), DestinationKind::Posthog) => posthog::notes(json),
        (Some(json), DestinationKind::Segment) => segment::notes(json),
        _ => Vec::new(),
    };
    if !success && notes.is_empty() {
        // Whatever error text the answer has, as one note.
        if let Some(message) = json.as_ref().and_then(fields::error_text) {
            notes.push(DeliveryNote {
                path: String::new(),
                code: status.to_string(),
                message,
            });
        }
    }
    notes.truncate(MAX_NOTES);
    (success && notes.is_empty(), notes)
}

/// Enough notes to see the pattern; a 2000-event batch failing on one field does not need
/// 2000 lines.
const MAX_NOTES: usize = 100;

#[cfg(test)]
mod tests;
