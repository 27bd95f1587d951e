//! Replay: what a message becomes when it is sent again — by `eventscope replay` to a
//! destination, or by the viewer's `R` into a collector — and the collector as a destination
//! the engine can send to.
//!
//! One rule for both ([`Rewrite`]):
//! - `messageId`: a fresh `es-replay-<uuid v4>` (added when missing), or kept.
//! - `timestamp` and `originalTimestamp`: kept, or all moved by one amount so that the newest
//!   lands on now ([`shift_to_now`]); the spacing between messages (a funnel, a session) stays.
//! - `sentAt` and `receivedAt` are dropped. A receiver corrects `timestamp` for the device's
//!   clock as `receivedAt − (sentAt − timestamp)`: a message replayed with its old `sentAt`
//!   would land at about the time of the replay, whatever its `timestamp` says. Without one,
//!   the receiver uses the batch's `sentAt` (the segment mapper sets it to the time of sending)
//!   or takes `timestamp` as it is. `receivedAt` is the receiver's to set.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::value::RawValue;

use super::destination::{DestinationConfig, DestinationError, DestinationKind};
use super::map::MapError;
use super::{Destination, Outgoing, Request};
use crate::model::{FieldValue, ObjectFields, format_timestamp, parse_timestamp};

/// The fields a replay moves by the shift.
pub const RETIMED_FIELDS: [&str; 2] = ["timestamp", "originalTimestamp"];

/// The fields a replay leaves out: the receiver sets them (see the module docs).
pub const DROPPED_FIELDS: [&str; 2] = ["sentAt", "receivedAt"];

/// Fresh `messageId`s start with this, then a v4 UUID.
pub const REPLAY_ID_PREFIX: &str = "es-replay-";

/// What a replay changes in each message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    /// A fresh `messageId` per message (true) or the captured one.
    pub new_ids: bool,
    /// Added to every [`RETIMED_FIELDS`] value; `None` keeps them.
    pub shift: Option<TimeDelta>,
}

impl Rewrite {
    pub fn new(new_ids: bool, shift: Option<TimeDelta>) -> Rewrite {
        Rewrite { new_ids, shift }
    }

    /// The message as it is sent again; the same bytes when there is nothing to change. A
    /// message that is not a JSON object goes as it is (the mapper decides what to do with it).
    pub fn apply(&self, message: Box<RawValue>) -> Box<RawValue> {
        let text = message.get();
        let Ok(mut fields) = ObjectFields::parse(text) else {
            return message;
        };
        let mut changed = false;
        for key in DROPPED_FIELDS {
            changed |= fields.remove(key);
        }
        if self.new_ids {
            let id = format!("{REPLAY_ID_PREFIX}{}", uuid::Uuid::new_v4());
            fields.set("messageId", FieldValue::string(&id));
            changed = true;
        }
        if let Some(shift) = self.shift {
            for key in RETIMED_FIELDS {
                if let Some(moved) = fields
                    .get_string(key)
                    .and_then(|t| parse_timestamp(&t))
                    // A timestamp near chrono's limits stays as recorded instead of panicking.
                    .and_then(|t| t.checked_add_signed(shift))
                    .map(format_timestamp)
                {
                    fields.set(key, FieldValue::string(&moved));
                    changed = true;
                }
            }
        }
        if !changed {
            return message;
        }
        let json = fields.to_json();
        drop(fields);
        RawValue::from_string(json).unwrap_or(message)
    }
}

/// The time a message happened: its `timestamp`, else its `originalTimestamp`.
pub fn message_time(message: &RawValue) -> Option<DateTime<Utc>> {
    let fields = ObjectFields::parse(message.get()).ok()?;
    RETIMED_FIELDS
        .iter()
        .find_map(|key| fields.get_string(key).and_then(|t| parse_timestamp(&t)))
}

/// The shift that moves the newest of the messages' times to `now` (`None` when no message
/// has a time: nothing moves).
pub fn shift_to_now(
    times: impl IntoIterator<Item = DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<TimeDelta> {
    times.into_iter().max().map(|newest| now - newest)
}

/// A collector replayed messages are posted into: the embedded one, or the one behind a
/// remote stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorTarget {
    /// `http://127.0.0.1:8707/v1/batch`.
    pub batch_url: String,
    /// Sent as Basic auth when the collector only accepts some keys.
    pub write_key: Option<String>,
}

/// How deliveries name the collector.
pub const COLLECTOR_NAME: &str = "collector";

/// A segment destination needs a write key to build; this stands in when the collector takes
/// any (its `Authorization` header is then removed, see [`CollectorTarget::requests`]).
const NO_WRITE_KEY: &str = "eventscope-replay-without-a-key";

impl CollectorTarget {
    /// The collector behind a stream URL: `ws://host:port/v1/stream` → `http://host:port/v1/batch`.
    pub fn behind_stream(url: &str) -> Option<CollectorTarget> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => "http",
            "wss" | "https" => "https",
            _ => return None,
        };
        let authority = rest
            .split(['/', '?', '#'])
            .next()
            .filter(|a| !a.is_empty())?;
        Some(CollectorTarget {
            batch_url: format!("{scheme}://{authority}/v1/batch"),
            write_key: None,
        })
    }

    /// The collector as a destination the engine sends to: segment-kind (`{"batch":[…]}`
    /// with Basic auth) at [`CollectorTarget::batch_url`], named [`COLLECTOR_NAME`], one
    /// request at a time so the messages arrive in order.
    pub fn destination(&self) -> Result<Destination, DestinationError> {
        let config = DestinationConfig {
            name: COLLECTOR_NAME.to_string(),
            kind: DestinationKind::Segment,
            endpoint: Some(self.batch_url.clone()),
            region: None,
            write_key: Some(
                self.write_key
                    .clone()
                    .unwrap_or_else(|| NO_WRITE_KEY.to_string()),
            ),
            api_key: None,
            token: None,
            measurement_id: None,
            api_secret: None,
            shared_secret: None,
            headers: Default::default(),
            transform: None,
            redact_pii: false,
            batch_size: Some(500),
            timeout: None,
            concurrency: Some(1),
            max_attempts: None,
            debug: false,
            method: None,
            path: None,
            segment_name: None,
            consent: Vec::new(),
            filter: Vec::new(),
        };
        // The environment is not read: nothing here is `env:VAR`.
        let mut destination = Destination::from_config_with(&config, &|_| None)?;
        // With a batch `sentAt`, the collector would correct each `timestamp` by the time
        // between mapping and arrival (the request's milliseconds, and every retry's wait):
        // timestamps "kept" would not be. Without it, `timestamp` is taken as sent.
        destination.stamp_sent_at = false;
        // The collector is where messages come in, before Segment routes them: what is replayed
        // into it arrives whole, whatever its `integrations` object or consent says.
        destination.ignore_routing = true;
        Ok(destination)
    }

    /// The requests that post `messages` into the collector through `destination` (built by
    /// [`CollectorTarget::destination`]); without a write key, without `Authorization`.
    pub fn requests(
        &self,
        destination: &Destination,
        messages: &[Outgoing],
    ) -> Result<Vec<Request>, MapError> {
        let mut requests = destination.requests(messages, None)?.requests;
        if self.write_key.is_none() {
            for request in &mut requests {
                request
                    .headers
                    .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
            }
        }
        Ok(requests)
    }
}

#[cfg(test)]
mod tests;
