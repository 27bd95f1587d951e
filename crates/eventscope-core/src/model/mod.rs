//! A captured message and the stream frames that carry it.
//!
//! The frame shapes here are a public contract (`design.md`): viewers, `tail` and recordings
//! all speak them. Field names are camelCase on the wire.

pub mod call;
pub mod compact;
mod fields;
pub mod json;
mod lateness;
mod mask;
pub mod path;
pub mod pretty;
mod source_labels;
mod summary;
mod timestamps;
mod wire;

pub use fields::{FieldValue, ObjectFields};
pub use lateness::{Lateness, SKEW_MARK_MS, Stamps, format_duration_ms, parse_duration_ms};
pub use mask::{mask_in_text, mask_secret};
pub use source_labels::SourceLabels;
pub use summary::{Summary, TextRef};
pub use timestamps::{format_timestamp, parse_timestamp};
pub use wire::{Incoming, WireError, parse_frame_text};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// `1,234,567`: counts as people read them, in messages and on screen.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun, in the singular for one: `1 event`, `2 events`, `1,204 deliveries`,
/// `3 matches`. Every count a person reads goes through it (`noun` is the singular).
pub fn count(n: u64, noun: &str) -> String {
    format!("{} {}", thousands(n), plural(n, noun))
}

/// `noun` for `n` of it: as is for one, else its plural (`delivery` → `deliveries`, `match`
/// → `matches`, `event` → `events`).
pub fn plural(n: u64, noun: &str) -> std::borrow::Cow<'_, str> {
    if n == 1 {
        return noun.into();
    }
    let consonant_y = noun.strip_suffix('y').filter(|stem| {
        stem.chars()
            .last()
            .is_some_and(|c| !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u'))
    });
    if let Some(stem) = consonant_y {
        format!("{stem}ies").into()
    } else if ["s", "x", "ch", "sh"].iter().any(|end| noun.ends_with(end)) {
        format!("{noun}es").into()
    } else {
        format!("{noun}s").into()
    }
}

#[cfg(test)]
#[test]
fn counts_say_one_noun_and_many_nouns() {
    assert_eq!(count(1, "event"), "1 event");
    assert_eq!(count(0, "event"), "0 events");
    assert_eq!(count(1_204, "delivery"), "1,204 deliveries");
    assert_eq!(count(1, "delivery"), "1 delivery");
    assert_eq!(count(2, "match"), "2 matches");
    assert_eq!(count(2, "key"), "2 keys");
    assert_eq!(count(3, "rejected request"), "3 rejected requests");
    assert_eq!(plural(1, "line"), "line");
}

/// At most `max` bytes of `text`, cut on a character boundary: previews of bodies and values.
pub fn cut_to(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// Version of the stream protocol announced in `hello`.
pub const STREAM_VERSION: u32 = 1;

/// The server string announced in `hello`, e.g. `eventscope/0.1.0`.
pub fn server_name() -> String {
    format!("eventscope/{}", env!("CARGO_PKG_VERSION"))
}

/// Where a frame came from: the HTTP request that carried it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The write key, masked (`abcd…wxyz`); never the full key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_key: Option<String>,
    /// Where the key was found: `basic` (Authorization header), `query` (`?writeKey=`, the
    /// beacon transport) or `body` (`writeKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_from: Option<String>,
    /// The HTTP method when it was not POST (a refused request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Request path, e.g. `/v1/batch`; for a file or plain source, its name.
    #[serde(default)]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The source's label from the config (`[[source]]`), set as a viewer builds its rows
    /// ([`crate::entry::EntryBuilder::set_sources`]); never on the wire.
    #[serde(skip)]
    pub label: Option<std::sync::Arc<str>>,
}

/// What eventscope changed in a message on arrival, so the original stays visible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjustments {
    /// The message had no `messageId`; the one it carries was generated here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub message_id_generated: bool,
    /// The message had no `type`; it was taken from the endpoint path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_from_path: Option<String>,
    /// How `timestamp` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampAdjustment>,
    /// Batch-level fields merged into the message (`context`, `integrations`, `sentAt`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from_batch: Vec<String>,
}

impl Adjustments {
    pub fn is_empty(&self) -> bool {
        *self == Adjustments::default()
    }
}

/// `timestamp = receivedAt − (sentAt − originalTimestamp)`, or server time when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase", tag = "how")]
pub enum TimestampAdjustment {
    /// Corrected for the device clock: `original` as sent, `skewMs` = device clock − server clock.
    #[serde(rename = "corrected")]
    Corrected {
        original: String,
        sent_at: String,
        skew_ms: i64,
    },
    /// The message had no timestamp; the server time was used.
    #[serde(rename = "serverTime")]
    ServerTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello {
    pub version: u32,
    pub server: String,
    /// Changes when the server restarts (its sequence numbers start again).
    #[serde(default)]
    pub instance: String,
    pub last_seq: u64,
    pub oldest_seq: u64,
    /// Sent by a relay: the bus stream its frames come from (absent from `serve`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<RelayOrigin>,
}

/// Where a relay reads its frames: `{"bus":"nats","stream":"EVENTSCOPE"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayOrigin {
    pub bus: String,
    pub stream: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventFrame {
    pub seq: u64,
    pub received_at: String,
    pub source: Source,
    pub message: Box<RawValue>,
    /// Under `--redact`: the values the collector masked in `message`, as a JSON list of
    /// `{"path","rule","class","severity"}` (read with `inspect::redact::read_redacted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted: Option<Adjustments>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedFrame {
    pub seq: u64,
    pub received_at: String,
    pub source: Source,
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The first 4 KiB of the body (decompressed when possible), write keys masked.
    pub body: String,
    /// The body's full size in bytes.
    #[serde(default)]
    pub body_bytes: u64,
}

/// Sequence numbers `from..=to` will never arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapFrame {
    pub from: u64,
    pub to: u64,
    pub reason: String,
}

impl GapFrame {
    pub fn missed(&self) -> u64 {
        self.to.saturating_sub(self.from) + 1
    }
}

/// The outcome of one HTTP request to a destination: the proxy's upstream or a forward.
/// Secrets in the request (keys in the URL, headers or body) are masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFrame {
    /// The stream's seq when published through the hub (proxy deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// When the last attempt ended (RFC 3339 UTC, milliseconds).
    #[serde(default)]
    pub at: String,
    /// The destination's name from the config; `upstream` for the proxy.
    #[serde(default)]
    pub destination: String,
    /// `upstream`, `webhook`, `segment`, `amplitude`, `mixpanel`, `ga4`, `posthog` or `file`.
    #[serde(default)]
    pub kind: String,
    /// The event frames this request carried, by seq (when known) …
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub for_seqs: Vec<u64>,
    /// … and by `messageId`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<String>,
    /// The carried messages' event names (`track`) or types, distinct, in order (at most
    /// [`DeliveryFrame::NAMES`]): what the Deliveries view shows and filters by, also for a
    /// viewer that never saw the messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// … and their users (`userId`, else `anonymousId`), the same way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(default)]
    pub request: RequestPreview,
    /// The last answer's HTTP status; absent when none came (timeout, refused connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Delivered: a 2xx answer (and, for validating destinations, no validation errors).
    #[serde(default)]
    pub ok: bool,
    /// Why there was no usable answer: `timeout after 5s`, `connection refused`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The last attempt's latency, request sent to answer read.
    #[serde(default)]
    pub latency_ms: f64,
    /// Wall time over all attempts, backoff included.
    #[serde(default)]
    pub total_ms: f64,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponsePreview>,
    /// What the destination said about the payload (GA4's `validationMessages`, Mixpanel's
    /// `failed_records`), one note per problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<DeliveryNote>,
    /// No request carried the message: why (`dropped by the transform`, `consent: consent
    /// Analytics not given`). Nothing was sent, so no status, answer or attempts; a forward
    /// records one such frame per message its destination skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// … and routing's word for it when Segment would not deliver it either: `consent`,
    /// `integrations` or `filter` (the message was dropped, not merely skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
    /// Sent with routing ignored (`--ignore-routing`, the forward popup's toggle): Segment
    /// might not have delivered it, or not all of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignored_routing: bool,
}

impl DeliveryFrame {
    /// Distinct event names and users a frame keeps.
    pub const NAMES: usize = 100;

    /// The frame within the sizes eventscope itself writes (bodies cut at [`PREVIEW_BYTES`],
    /// at most 10,000 carried messages and 100 notes): a frame read from a remote stream or a
    /// file may have been written by anyone.
    pub fn bounded(mut self) -> DeliveryFrame {
        const CARRIED: usize = 10_000;
        const NOTES: usize = 100;
        self.events.truncate(Self::NAMES);
        self.users.truncate(Self::NAMES);
        if self.request.body.len() > PREVIEW_BYTES {
            self.request.body = cut_to(&self.request.body, PREVIEW_BYTES).to_string();
        }
        if let Some(response) = &mut self.response
            && response.body.len() > PREVIEW_BYTES
        {
            response.body = cut_to(&response.body, PREVIEW_BYTES).to_string();
        }
        self.for_seqs.truncate(CARRIED);
        self.message_ids.truncate(CARRIED);
        self.notes.truncate(NOTES);
        self
    }
}

/// The request as sent, secrets masked; the body cut at [`PREVIEW_BYTES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPreview {
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_bytes: u64,
}

/// The answer; the body cut at [`PREVIEW_BYTES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponsePreview {
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_bytes: u64,
}

/// One remark of a destination about a payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryNote {
    /// Where in the sent body, e.g. `events[0].params.currency`.
    #[serde(default)]
    pub path: String,
    /// The destination's code, e.g. `VALUE_INVALID`.
    #[serde(default)]
    pub code: String,
    pub message: String,
}

/// How much of a request or response body a delivery keeps for display.
pub const PREVIEW_BYTES: usize = 16 * 1024;

/// One stream frame, as sent over `/v1/stream` and stored in recordings.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Frame {
    Hello(Hello),
    Event(EventFrame),
    Rejected(RejectedFrame),
    Gap(GapFrame),
    Delivery(DeliveryFrame),
}

impl Frame {
    /// The sequence number of frames that carry one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Frame::Event(f) => Some(f.seq),
            Frame::Rejected(f) => Some(f.seq),
            Frame::Delivery(f) => f.seq,
            Frame::Hello(_) | Frame::Gap(_) => None,
        }
    }

    /// The frame as one line of JSON (no newline).
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The kind of a stored frame, known without parsing it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Event,
    Rejected,
    Delivery,
}

impl FrameKind {
    #[inline]
    pub fn as_str(self) -> &'static str {
        match self {
            FrameKind::Event => "event",
            FrameKind::Rejected => "rejected",
            FrameKind::Delivery => "delivery",
        }
    }
}

/// The six Segment call types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
}

impl MessageType {
    pub const ALL: [MessageType; 6] = [
        MessageType::Track,
        MessageType::Identify,
        MessageType::Page,
        MessageType::Screen,
        MessageType::Group,
        MessageType::Alias,
    ];

    #[inline]
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Track => "track",
            MessageType::Identify => "identify",
            MessageType::Page => "page",
            MessageType::Screen => "screen",
            MessageType::Group => "group",
            MessageType::Alias => "alias",
        }
    }

    pub fn parse(s: &str) -> Option<MessageType> {
        MessageType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl EventFrame {
    /// Wraps a bare Segment message from a plain source or file, which has no seq of its own.
    /// Whitespace between the message's tokens goes when it holds a line break (a pretty-printed
    /// message from a plain stream, a `\r` in a file), so the frame stays one line.
    pub fn from_plain(seq: u64, message: Box<RawValue>, source_path: &str) -> EventFrame {
        let message = if message.get().contains(['\n', '\r']) {
            RawValue::from_string(compact::without_whitespace(message.get())).unwrap_or(message)
        } else {
            message
        };
        let received_at = ObjectFields::parse(message.get())
            .ok()
            .and_then(|f| {
                f.get_string("receivedAt")
                    .or_else(|| f.get_string("timestamp"))
            })
            .unwrap_or_default();
        EventFrame {
            seq,
            received_at,
            source: Source {
                path: source_path.to_string(),
                ..Source::default()
            },
            message,
            redacted: None,
            adjusted: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_message_with_line_breaks_becomes_one_line() {
        let text = "{ \"a\" :\r\n [1.50,\n -0],\t\"s\": \"x \\\" \\n y\" }";
        let message = RawValue::from_string(text.to_string()).unwrap();
        let frame = Frame::Event(EventFrame::from_plain(1, message, "in.ndjson"));
        let json = frame.to_json();
        assert!(!json.contains(['\n', '\r']), "{json}");
        let Frame::Event(event) = frame else {
            unreachable!()
        };
        assert_eq!(event.message.get(), r#"{"a":[1.50,-0],"s":"x \" \n y"}"#);
        // Without a line break the message is kept as it came.
        let spaced = RawValue::from_string("{ \"a\": 1 }".to_string()).unwrap();
        let event = EventFrame::from_plain(2, spaced, "in.ndjson");
        assert_eq!(event.message.get(), "{ \"a\": 1 }");
    }

    #[test]
    fn a_delivery_from_elsewhere_is_cut_to_our_sizes() {
        let big = "é".repeat(PREVIEW_BYTES); // two bytes each: the cut must land on a boundary
        let frame = DeliveryFrame {
            request: RequestPreview {
                body: big.clone(),
                ..RequestPreview::default()
            },
            response: Some(ResponsePreview {
                body: big,
                ..ResponsePreview::default()
            }),
            for_seqs: (0..20_000).collect(),
            notes: vec![DeliveryNote::default(); 500],
            ..DeliveryFrame::default()
        }
        .bounded();
        assert_eq!(frame.request.body.len(), PREVIEW_BYTES);
        assert!(frame.response.unwrap().body.len() <= PREVIEW_BYTES);
        assert_eq!(frame.for_seqs.len(), 10_000);
        assert_eq!(frame.notes.len(), 100);
    }

    #[test]
    fn cut_to_never_splits_a_character() {
        assert_eq!(cut_to("aé", 2), "a");
        assert_eq!(cut_to("abc", 10), "abc");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn previews_are_cut_on_character_boundaries() {
        let text = "é".repeat(10);
        assert_eq!(cut_to(&text, 5), "éé");
        assert_eq!(cut_to("abc", 10), "abc");
    }
}
