//! Mappers: messages in, the requests a destination gets out. Pure: no I/O, no clock (the
//! caller gives `now`).
//!
//! The pipeline, per [`Destination::requests`](super::Destination::requests) call:
//! 0. **route** — as Segment would (`crate::routing`): a message dropped by consent, the
//!    integrations object, a destination filter or the kind is skipped with the reason
//!    ([`Skipped::dropped`]); fields the filters strip are removed. `ignore_routing` skips
//!    this step (`--ignore-routing`, the forward popup's toggle).
//! 1. **transform** — the destination's jq program on each message; `null` or no output drops
//!    the message, and a runtime error (or an output that is not one object) skips it, both
//!    reported in [`Mapped::skipped`] with the reason; the other messages go on.
//! 2. **redact** — with `redact_pii`, every value the PII matchers flag is replaced by
//!    `[redacted email]`, `[redacted]`…
//! 3. **map** — one file per kind declares its [`Mapper`] (requests, URL, authentication,
//!    answer notes), which turns each message into what the vendor takes, following
//!    Segment's default mappings (`reference/segment.md` §6). A message the kind cannot carry
//!    (an `alias` to GA4, an `identify` to Mixpanel's `/import`) is skipped with the reason.
//! 4. **batch** — up to the destination's `batch_size` per request and under the vendor's
//!    body-size cap; GA4 batches per `client_id`.
//!
//! Messages that pass through unchanged (webhook, segment, file without transform or
//! redaction) keep their bytes exactly as captured.

// Each kind's file declares its `MAPPER`, which the kind's `KindSpec` points to.
pub(super) mod amplitude;
mod fields;
pub(super) mod file;
pub(super) mod ga4;
pub(super) mod mixpanel;
pub(super) mod posthog;
mod redact;
mod request;
pub(super) mod segment;
pub(super) mod webhook;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::destination::{Credentials, Destination};
use super::{Carried, Outgoing, Request};
use crate::model::DeliveryNote;
use crate::routing::Verdict;

/// What a destination gets for a selection of messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mapped {
    /// In the order of the messages they carry (GA4: in the order each `client_id` first
    /// appears).
    pub requests: Vec<Request>,
    /// Messages no request carries, with the reason; in message order.
    pub skipped: Vec<Skipped>,
    /// Messages sent without some of their fields, because a destination filter strips them
    /// (`block_fields`, `allow_fields`); in message order.
    pub stripped: Vec<Stripped>,
}

/// A message a destination filter took fields out of before it was mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stripped {
    pub carried: Carried,
    /// The paths removed, as routing lists them (`properties.email`, `properties.products.sku`).
    pub fields: Vec<String>,
}

/// A message left out of every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub carried: Carried,
    /// For a person: `dropped by the transform`, `ga4 has no alias call`,
    /// `integrations: integrations.Amplitude = false`…
    pub reason: String,
    /// Set when routing dropped it (Segment would not deliver it): why, in a word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<crate::routing::Reason>,
}

impl Skipped {
    /// Skipped by the pipeline (transform, mapper), not by routing.
    pub fn new(carried: Carried, reason: String) -> Skipped {
        Skipped {
            carried,
            reason,
            dropped: None,
        }
    }

    /// The delivery that never was, for the Deliveries view and the recording: `destination`
    /// did not get the message, and why; `at` is when that was decided (RFC 3339).
    pub fn frame(&self, destination: &Destination, at: String) -> crate::model::DeliveryFrame {
        crate::model::DeliveryFrame {
            at,
            destination: destination.name.clone(),
            kind: destination.kind.as_str().to_string(),
            for_seqs: self.carried.seq.into_iter().collect(),
            message_ids: self.carried.message_id.iter().cloned().collect(),
            skipped: Some(self.reason.clone()),
            dropped: self.dropped.map(|reason| reason.as_str().to_string()),
            ..crate::model::DeliveryFrame::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The transform does not compile (checked when the configuration loads, too). A
    /// transform failing on one message skips that message instead ([`Skipped`]).
    #[error("destination `{destination}`: transform failed on {at}: {message}")]
    Transform {
        destination: String,
        /// `compile`.
        at: String,
        message: String,
    },
}

/// One kind's mapper, declared as `MAPPER` in `map/<kind>.rs` and reached through the kind's
/// table (`destination.kind.spec().mapper`): everything about a kind's requests and answers.
pub(crate) struct Mapper {
    /// Steps 3 and 4: the staged messages into requests; a message the kind cannot carry goes
    /// to `skipped` (with its index) instead. `now` is the time of mapping.
    requests: RequestsFn,
    /// The URL requests go to, from the base (`endpoint` or the region's host), the
    /// credentials and `debug`.
    url: fn(&str, &Credentials, bool) -> String,
    /// The Basic-auth user name, for kinds that authenticate that way.
    basic_user: fn(&Credentials) -> Option<String>,
    /// What an answer's JSON body says about the payload, one note per problem.
    notes: fn(&Value) -> Vec<DeliveryNote>,
}

/// A kind's steps 3 and 4: `(destination, staged messages, skips with their index, now)`.
type RequestsFn = fn(
    &Destination,
    &mut [Staged<'_>],
    &mut Vec<(usize, Skipped)>,
    chrono::DateTime<chrono::Utc>,
) -> Vec<Request>;

impl Mapper {
    /// The URL requests go to: the base (endpoint or the region's host) with the kind's path
    /// and query. A base that already ends with the path is used as is.
    pub(crate) fn url(&self, base: &str, credentials: &Credentials, debug: bool) -> String {
        (self.url)(base, credentials, debug)
    }
}

/// A message on its way through the pipeline: its bytes as captured until something changes
/// it, then its value.
struct Staged<'a> {
    /// Position in the caller's list, to report skips in order.
    index: usize,
    carried: Carried,
    raw: &'a RawValue,
    /// Set once the message was parsed (by the transform, redaction or a mapper).
    value: Option<Value>,
    /// The value differs from `raw`.
    changed: bool,
}

impl Staged<'_> {
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

/// Routing's verdict on a message's text (one that does not parse was already skipped as not
/// an object, so `Err` cannot reach here; it routes as an empty object would).
fn route_raw(text: &str, routing: &crate::routing::Destination) -> Verdict {
    match crate::model::json::Json::parse(text) {
        Ok(message) => crate::routing::route(&message, routing),
        Err(_) => crate::routing::route(
            &crate::model::json::Json::Object(Default::default()),
            routing,
        ),
    }
}

/// The messages routing alone would skip (step 0), whatever `ignore_routing` says: what a
/// forward with routing ignored sends that Segment would not deliver. Calls the kind cannot
/// carry are left to the mapper, as in the pipeline.
pub fn routing_drops(destination: &Destination, messages: &[Outgoing]) -> Vec<Skipped> {
    let mut drops = Vec::new();
    for outgoing in messages {
        let ids = fields::light_ids(outgoing.message.get());
        if !ids.is_object {
            continue;
        }
        if let Verdict::Dropped { reason, rule } =
            route_raw(outgoing.message.get(), &destination.routing)
            && reason != crate::routing::Reason::Unsupported
        {
            drops.push(Skipped {
                carried: Carried {
                    seq: outgoing.seq,
                    message_id: ids.message_id,
                },
                reason: format!("{reason}: {rule}"),
                dropped: Some(reason),
            });
        }
    }
    drops
}

/// Runs the pipeline for `destination`.
pub(crate) fn map(
    destination: &Destination,
    messages: &[Outgoing],
    inspector: Option<&crate::inspect::Inspector>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Mapped, MapError> {
    let mut skipped = Vec::new();
    let mut stripped_fields = Vec::new();
    let mut staged: Vec<Staged<'_>> = Vec::with_capacity(messages.len());
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
                Skipped::new(carried, "not a JSON object".to_string()),
            ));
            continue;
        }
        let mut item = Staged {
            index,
            carried,
            raw: &outgoing.message,
            value: None,
            changed: false,
        };
        if !destination.ignore_routing {
            match route_raw(outgoing.message.get(), &destination.routing) {
                // The mapper says more precisely why it cannot carry a call (step 3).
                Verdict::Dropped {
                    reason: crate::routing::Reason::Unsupported,
                    ..
                } => {}
                Verdict::Dropped { reason, rule } => {
                    skipped.push((
                        index,
                        Skipped {
                            carried: item.carried,
                            reason: format!("{reason}: {rule}"),
                            dropped: Some(reason),
                        },
                    ));
                    continue;
                }
                Verdict::Routed { stripped } if !stripped.is_empty() => {
                    item.value();
                    if let Some(value) = item.value.as_mut() {
                        crate::routing::strip(value, &stripped);
                        item.changed = true;
                    }
                    stripped_fields.push(Stripped {
                        carried: item.carried.clone(),
                        fields: stripped,
                    });
                }
                Verdict::Routed { .. } => {}
            }
        }
        if let Some(filter) = &transform {
            // A runtime error is about this message (a field it lacks, a type it has): it is
            // skipped with the reason, and the others go on.
            let failed = match filter.transform(outgoing.message.get()) {
                Ok(None) => Some("dropped by the transform".to_string()),
                Ok(Some(value)) if !value.is_object() => Some(format!(
                    "transform failed: yields {}; a transform must yield a message object (or null to drop it)",
                    crate::inspect::describe_value(&value)
                )),
                Ok(Some(value)) => {
                    item.value = Some(value);
                    item.changed = true;
                    None
                }
                Err(message) => Some(format!("transform failed: {message}")),
            };
            if let Some(reason) = failed {
                skipped.push((index, Skipped::new(item.carried, reason)));
                continue;
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
        staged.push(item);
    }

    let mapper = destination.kind.spec().mapper;
    let mut requests = (mapper.requests)(destination, &mut staged, &mut skipped, now);
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
        stripped: stripped_fields,
    })
}

/// The Basic-auth user name `destination`'s requests carry, if its kind authenticates that
/// way (also a form of secret to mask).
pub(crate) fn basic_user(destination: &Destination) -> Option<String> {
    (destination.kind.spec().mapper.basic_user)(&destination.credentials)
}

/// Delivered or not, and the destination's remarks about the payload.
pub(crate) fn read_answer(
    destination: &Destination,
    status: u16,
    body: &[u8],
) -> (bool, Vec<DeliveryNote>) {
    let success = (200..300).contains(&status);
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let mut notes = match &json {
        Some(json) => (destination.kind.spec().mapper.notes)(json),
        None => Vec::new(),
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
