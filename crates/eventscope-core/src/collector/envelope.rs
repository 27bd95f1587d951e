//! From a request body to finished messages: batch unpacking, limits, batch-level fields merged
//! into items, `receivedAt`, clock-skew correction and generated `messageId`s.

use chrono::{DateTime, Utc};
use serde_json::Value;
use serde_json::value::RawValue;

use super::error::{IngestError, bytes_over};
use crate::model::compact::compact;
use crate::model::{
    Adjustments, FieldValue, MessageType, ObjectFields, TimestampAdjustment, format_timestamp,
    mask_secret, parse_timestamp,
};

/// Segment's limits on what one request may carry.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Per message, also per item of a batch (32 KB).
    pub max_message_bytes: usize,
    /// Per batch request (500 KB).
    pub max_batch_bytes: usize,
    /// Items per batch (2500).
    pub max_batch_items: usize,
    /// Body on the wire and after decompression (1 MiB).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 32 * 1024,
            max_batch_bytes: 500 * 1024,
            max_batch_items: 2500,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Which kind of endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Single(MessageType),
    Batch,
}

impl Endpoint {
    /// `track`, `t`, `batch`, `b`, `import`… (the part after `/v1/`).
    pub fn from_path_segment(segment: &str) -> Option<Endpoint> {
        let single = |t| Some(Endpoint::Single(t));
        match segment {
            "batch" | "b" | "import" => Some(Endpoint::Batch),
            "t" => single(MessageType::Track),
            "i" => single(MessageType::Identify),
            "p" => single(MessageType::Page),
            "s" => single(MessageType::Screen),
            "g" => single(MessageType::Group),
            "a" => single(MessageType::Alias),
            other => MessageType::parse(other).map(Endpoint::Single),
        }
    }
}

/// A parsed request body, before the write key is checked.
pub struct ParsedBody<'a> {
    /// `writeKey` from the body (top level of the message or the batch).
    pub body_key: Option<String>,
    messages: Vec<ObjectFields<'a>>,
    batch: BatchFields,
    path_type: Option<MessageType>,
}

#[derive(Default)]
struct BatchFields {
    context: Option<Value>,
    integrations: Option<Value>,
    sent_at: Option<String>,
}

/// A message ready to publish, with what was changed on the way.
pub struct FinishedMessage {
    pub json: String,
    pub adjusted: Adjustments,
    /// Its `messageId` (generated here when it had none), for the proxy's delivery frames
    /// and the bus's duplicate detection.
    pub message_id: Option<String>,
    /// Its `type`, for the bus subject.
    pub message_type: Option<String>,
    /// Its userId, else its anonymousId (as text, numbers too), for the bus subject.
    pub person: Option<String>,
}

fn invalid_json(e: &serde_json::Error) -> IngestError {
    IngestError::bad_request("invalid_json", format!("Invalid JSON: {e}"))
}

fn json_type_name(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// A message: a JSON object every reader can read, without insignificant whitespace.
fn parse_message<'a>(text: &'a str, what: &str) -> Result<ObjectFields<'a>, IngestError> {
    let mut message = parse_object(text, what)?;
    message.compact_values().map_err(|problem| {
        IngestError::bad_request(problem.code(), format!("{what}: {problem}"))
    })?;
    Ok(message)
}

fn parse_object<'a>(text: &'a str, what: &str) -> Result<ObjectFields<'a>, IngestError> {
    ObjectFields::parse(text).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data && !text.trim_start().starts_with('{')
        {
            IngestError::bad_request(
                "not_an_object",
                format!("{what} is {}, expected a JSON object", json_type_name(text)),
            )
        } else {
            invalid_json(&e)
        }
    })
}

/// Parses and checks a body (already decompressed) for `endpoint`.
pub fn parse_body<'a>(
    body: &'a [u8],
    endpoint: Endpoint,
    limits: &Limits,
) -> Result<ParsedBody<'a>, IngestError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        IngestError::bad_request(
            "invalid_json",
            format!("Invalid JSON: the body is not UTF-8 ({e})"),
        )
    })?;
    match endpoint {
        Endpoint::Single(message_type) => {
            if text.len() > limits.max_message_bytes {
                return Err(IngestError::too_large(
                    "message_too_large",
                    format!(
                        "the message is {}; Segment refuses messages over 32 KB",
                        bytes_over(text.len(), limits.max_message_bytes)
                    ),
                ));
            }
            let message = parse_message(text, "the body")?;
            Ok(ParsedBody {
                body_key: message.get_string("writeKey"),
                messages: vec![message],
                batch: BatchFields::default(),
                path_type: Some(message_type),
            })
        }
        Endpoint::Batch => parse_batch(text, limits),
    }
}

fn parse_batch<'a>(text: &'a str, limits: &Limits) -> Result<ParsedBody<'a>, IngestError> {
    if text.len() > limits.max_batch_bytes {
        return Err(IngestError::too_large(
            "batch_too_large",
            format!(
                "the batch is {}; Segment refuses batches over 500 KB",
                bytes_over(text.len(), limits.max_batch_bytes)
            ),
        ));
    }
    let envelope = parse_object(text, "the body")?;
    let Some(batch) = envelope.get("batch") else {
        return Err(IngestError::bad_request(
            "batch_not_array",
            "the body has no \"batch\" array; a batch is {\"batch\":[{…message…},…]}",
        ));
    };
    let items: Vec<&'a RawValue> = match batch {
        FieldValue::Raw(raw) if raw.get().starts_with('[') => {
            serde_json::from_str(raw.get()).map_err(|e| invalid_json(&e))?
        }
        other => {
            return Err(IngestError::bad_request(
                "batch_not_array",
                format!(
                    "\"batch\" is {}, expected an array",
                    json_type_name(other.json())
                ),
            ));
        }
    };
    if items.len() > limits.max_batch_items {
        return Err(IngestError::too_large(
            "batch_too_many_messages",
            format!(
                "the batch has {} messages; Segment accepts at most {} per batch",
                items.len(),
                limits.max_batch_items
            ),
        ));
    }
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let item = item.get();
        if item.len() > limits.max_message_bytes {
            return Err(IngestError::too_large(
                "message_too_large",
                format!(
                    "batch[{index}] is {}; Segment refuses messages over 32 KB",
                    bytes_over(item.len(), limits.max_message_bytes)
                ),
            ));
        }
        messages.push(parse_message(item, &format!("batch[{index}]"))?);
    }
    // The batch's context and integrations are merged into every item: the same grammar.
    let object = |key: &str| -> Result<Option<Value>, IngestError> {
        let Some(value) = envelope.get(key).filter(|v| v.is_object()) else {
            return Ok(None);
        };
        compact(value.json(), 1).map_err(|problem| {
            IngestError::bad_request(problem.code(), format!("the batch's {key}: {problem}"))
        })?;
        Ok(serde_json::from_str::<Value>(value.json()).ok())
    };
    Ok(ParsedBody {
        body_key: envelope.get_string("writeKey"),
        batch: BatchFields {
            context: object("context")?,
            integrations: object("integrations")?,
            sent_at: envelope.get_string("sentAt"),
        },
        messages,
        path_type: None,
    })
}

impl ParsedBody<'_> {
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// Finishes every message as Segment's API would before storing it.
    pub fn finish(self, received_at: DateTime<Utc>) -> Vec<FinishedMessage> {
        let received = format_timestamp(received_at);
        let batch = &self.batch;
        self.messages
            .into_iter()
            .map(|mut fields| {
                let adjusted =
                    finish_message(&mut fields, batch, self.path_type, received_at, &received);
                let person = ["userId", "anonymousId"].into_iter().find_map(|key| {
                    let value = fields.get(key)?;
                    let text = value
                        .as_string()
                        .unwrap_or_else(|| value.json().to_string());
                    (!text.is_empty() && text != "null").then_some(text)
                });
                FinishedMessage {
                    json: fields.to_json(),
                    adjusted,
                    message_id: fields.get_string("messageId"),
                    message_type: fields.get_string("type"),
                    person,
                }
            })
            .collect()
    }
}

fn finish_message(
    fields: &mut ObjectFields<'_>,
    batch: &BatchFields,
    path_type: Option<MessageType>,
    received_at: DateTime<Utc>,
    received: &str,
) -> Adjustments {
    let mut adjusted = Adjustments::default();
    if let Some(message_type) = path_type
        && fields.get("type").is_none()
    {
        fields.set("type", FieldValue::string(message_type.as_str()));
        adjusted.type_from_path = Some(message_type.as_str().to_string());
    }
    for (key, batch_value) in [
        ("context", &batch.context),
        ("integrations", &batch.integrations),
    ] {
        if let Some(batch_value) = batch_value {
            let mut merged = fields
                .get(key)
                .filter(|v| v.is_object())
                .and_then(|v| serde_json::from_str::<Value>(v.json()).ok())
                .unwrap_or_else(|| Value::Object(Default::default()));
            merge_missing(&mut merged, batch_value);
            fields.set(key, FieldValue::Json(merged.to_string()));
            adjusted.merged_from_batch.push(key.to_string());
        }
    }
    let mut sent_at = fields.get_string("sentAt");
    if sent_at.is_none()
        && let Some(batch_sent_at) = &batch.sent_at
    {
        fields.set("sentAt", FieldValue::string(batch_sent_at));
        adjusted.merged_from_batch.push("sentAt".to_string());
        sent_at = Some(batch_sent_at.clone());
    }
    adjust_timestamp(fields, sent_at, received_at, received, &mut adjusted);
    fields.set("receivedAt", FieldValue::string(received));
    let has_message_id = fields
        .get("messageId")
        .is_some_and(|v| v.json() != "null" && v.json() != "\"\"");
    if !has_message_id {
        let id = format!("es-{}", uuid::Uuid::new_v4());
        fields.set("messageId", FieldValue::string(&id));
        adjusted.message_id_generated = true;
    }
    if let Some(key) = fields.get_string("writeKey") {
        fields.set("writeKey", FieldValue::string(&mask_secret(&key)));
    }
    adjusted
}

/// `timestamp = receivedAt − (sentAt − originalTimestamp)`; server time when there is none.
fn adjust_timestamp(
    fields: &mut ObjectFields<'_>,
    sent_at: Option<String>,
    received_at: DateTime<Utc>,
    received: &str,
    adjusted: &mut Adjustments,
) {
    let Some(original) = fields
        .get_string("timestamp")
        .or_else(|| fields.get_string("originalTimestamp"))
    else {
        if fields.get("timestamp").is_none() {
            fields.set("timestamp", FieldValue::string(received));
            adjusted.timestamp = Some(TimestampAdjustment::ServerTime);
        }
        return;
    };
    let (Some(sent_at), Some(device_time)) = (sent_at, parse_timestamp(&original)) else {
        return;
    };
    let Some(device_sent) = parse_timestamp(&sent_at) else {
        return;
    };
    // Client clocks are input: extreme dates must not overflow (chrono panics on that).
    let Some(corrected) = received_at.checked_sub_signed(device_sent - device_time) else {
        return;
    };
    if fields.get("originalTimestamp").is_none() {
        fields.set("originalTimestamp", FieldValue::string(&original));
    }
    fields.set(
        "timestamp",
        FieldValue::string(&format_timestamp(corrected)),
    );
    adjusted.timestamp = Some(TimestampAdjustment::Corrected {
        original,
        sent_at,
        skew_ms: (device_sent - received_at).num_milliseconds(),
    });
}

/// Adds to `target` every field of `defaults` it lacks, recursing into objects both have.
fn merge_missing(target: &mut Value, defaults: &Value) {
    let (Value::Object(target), Value::Object(defaults)) = (target, defaults) else {
        return;
    };
    for (key, default) in defaults {
        match target.get_mut(key) {
            Some(existing) => merge_missing(existing, default),
            None => {
                target.insert(key.clone(), default.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn finish_one(body: &str, endpoint: Endpoint) -> (Value, Adjustments) {
        let received_at = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let parsed = parse_body(body.as_bytes(), endpoint, &Limits::default()).unwrap();
        let mut finished = parsed.finish(received_at);
        let first = finished.remove(0);
        (serde_json::from_str(&first.json).unwrap(), first.adjusted)
    }

    /// The code a body is refused with, if it is.
    fn refusal_code(body: &str, endpoint: Endpoint) -> Option<&'static str> {
        parse_body(body.as_bytes(), endpoint, &Limits::default())
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn corrects_timestamp_for_device_clock_skew() {
        // The device clock is 1 hour ahead; the call happened 5 s before sending.
        let body = r#"{"type":"track","event":"A","userId":"u","messageId":"m",
            "timestamp":"2026-11-22T12:59:55.000Z","sentAt":"2026-11-22T13:00:00.000Z"}"#;
        let (message, adjusted) = finish_one(body, Endpoint::Single(MessageType::Track));
        assert_eq!(message["timestamp"], "2026-11-22T11:59:55.000Z");
        assert_eq!(message["originalTimestamp"], "2026-11-22T12:59:55.000Z");
        assert_eq!(message["receivedAt"], "2026-11-22T12:00:00.000Z");
        assert_eq!(
            adjusted.timestamp,
            Some(TimestampAdjustment::Corrected {
                original: "2026-11-22T12:59:55.000Z".into(),
                sent_at: "2026-11-22T13:00:00.000Z".into(),
                skew_ms: 3_600_000,
            })
        );
        assert!(!adjusted.message_id_generated);
    }

    #[test]
    fn absurd_client_clocks_leave_the_timestamp_alone() {
        let body = r#"{"userId":"u","timestamp":"-262143-01-01T00:00:00","sentAt":"+262142-12-31T23:59:59"}"#;
        let (message, adjusted) = finish_one(body, Endpoint::Single(MessageType::Track));
        assert_eq!(message["timestamp"], "-262143-01-01T00:00:00");
        assert_eq!(adjusted.timestamp, None);
    }

    #[test]
    fn fills_type_message_id_and_server_time() {
        let (message, adjusted) = finish_one(
            r#"{"userId":"u","event":"A"}"#,
            Endpoint::Single(MessageType::Track),
        );
        assert_eq!(message["type"], "track");
        assert_eq!(message["timestamp"], "2026-11-22T12:00:00.000Z");
        assert!(message["messageId"].as_str().unwrap().starts_with("es-"));
        assert!(adjusted.message_id_generated);
        assert_eq!(adjusted.type_from_path.as_deref(), Some("track"));
        assert_eq!(adjusted.timestamp, Some(TimestampAdjustment::ServerTime));
    }

    #[test]
    fn merges_batch_context_without_overriding_items() {
        let body = r#"{"batch":[{"type":"track","event":"A","context":{"ip":"1.2.3.4","library":{"name":"item"}}}],
            "context":{"library":{"name":"batch","version":"9"},"locale":"fr-FR"},
            "integrations":{"All":false},"sentAt":"2026-11-22T12:00:00.000Z"}"#;
        let (message, adjusted) = finish_one(body, Endpoint::Batch);
        assert_eq!(message["context"]["ip"], "1.2.3.4");
        assert_eq!(message["context"]["library"]["name"], "item");
        assert_eq!(message["context"]["library"]["version"], "9");
        assert_eq!(message["context"]["locale"], "fr-FR");
        assert_eq!(message["integrations"]["All"], false);
        assert_eq!(message["sentAt"], "2026-11-22T12:00:00.000Z");
        assert_eq!(
            adjusted.merged_from_batch,
            ["context", "integrations", "sentAt"]
        );
    }

    #[test]
    fn masks_a_write_key_inside_the_message() {
        let (message, _) = finish_one(
            r#"{"writeKey":"wk_live_0123456789abcdef","userId":"u"}"#,
            Endpoint::Single(MessageType::Identify),
        );
        assert_eq!(message["writeKey"], "wk_l…cdef");
    }

    #[test]
    fn refuses_what_breaks_the_limits_with_stable_codes() {
        let track = Endpoint::Single(MessageType::Track);
        assert_eq!(refusal_code("{nope", track), Some("invalid_json"));
        assert_eq!(refusal_code("[1]", track), Some("not_an_object"));
        assert_eq!(
            refusal_code(r#"{"batch":{}}"#, Endpoint::Batch),
            Some("batch_not_array")
        );
        assert_eq!(
            refusal_code(r#"{"sentAt":"x"}"#, Endpoint::Batch),
            Some("batch_not_array")
        );
        assert_eq!(
            refusal_code(r#"{"batch":[1]}"#, Endpoint::Batch),
            Some("not_an_object")
        );
        let big = format!(r#"{{"event":"{}"}}"#, "x".repeat(33 * 1024));
        assert_eq!(refusal_code(&big, track), Some("message_too_large"));
        let big_item = format!(r#"{{"batch":[{big}]}}"#);
        assert_eq!(
            refusal_code(&big_item, Endpoint::Batch),
            Some("message_too_large")
        );
        let many = format!(r#"{{"batch":[{}]}}"#, vec!["{}"; 2501].join(","));
        assert_eq!(
            refusal_code(&many, Endpoint::Batch),
            Some("batch_too_many_messages")
        );
        let items = vec![format!(r#"{{"p":"{}"}}"#, "y".repeat(20_000)); 30].join(",");
        let huge = format!(r#"{{"batch":[{items}]}}"#);
        assert_eq!(
            refusal_code(&huge, Endpoint::Batch),
            Some("batch_too_large")
        );
    }

    #[test]
    fn pretty_printed_messages_become_one_line_with_their_bytes_kept() {
        let body = "{\n  \"type\": \"track\",\n  \"event\": \"Order Completed\",\n  \"userId\": \"u\",\n  \"properties\": {\n    \"total\": 10.50,\n    \"note\": \"a\\nb  c\",\n    \"items\": [ 1 , 2 ]\n  }\n}";
        let received_at = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        for (endpoint, text) in [
            (Endpoint::Single(MessageType::Track), body.to_string()),
            (Endpoint::Batch, format!("{{\n\"batch\": [\n{body}\n]\n}}")),
        ] {
            let parsed = parse_body(text.as_bytes(), endpoint, &Limits::default()).unwrap();
            let json = &parsed.finish(received_at)[0].json;
            assert!(!json.contains(['\n', '\r']), "{json}");
            assert!(
                json.contains(r#""properties":{"total":10.50,"note":"a\nb  c","items":[1,2]}"#),
                "{json}"
            );
        }
    }

    #[test]
    fn refuses_what_readers_cannot_read_with_its_own_code() {
        let track = Endpoint::Single(MessageType::Track);
        let deep = format!(r#"{{"p":{}{}}}"#, "[".repeat(100), "]".repeat(100));
        assert_eq!(refusal_code(&deep, track), Some("too_deep"));
        assert_eq!(
            refusal_code(r#"{"p":"\ud800"}"#, track),
            Some("lone_surrogate")
        );
        assert_eq!(
            refusal_code(r#"{"p":1e400}"#, track),
            Some("number_out_of_range")
        );
        assert_eq!(
            refusal_code(r#"{"batch":[{"p":1e400}]}"#, Endpoint::Batch),
            Some("number_out_of_range")
        );
        assert_eq!(
            refusal_code(
                r#"{"batch":[{}],"context":{"x":"\udc00"}}"#,
                Endpoint::Batch
            ),
            Some("lone_surrogate")
        );
        // Keys too: serde_json refuses a lone surrogate in a key while parsing.
        assert_eq!(refusal_code(r#"{"\ud800":1}"#, track), Some("invalid_json"));
    }

    #[test]
    fn knows_every_endpoint_and_short_path() {
        for (segment, expected) in [
            ("track", Endpoint::Single(MessageType::Track)),
            ("t", Endpoint::Single(MessageType::Track)),
            ("identify", Endpoint::Single(MessageType::Identify)),
            ("i", Endpoint::Single(MessageType::Identify)),
            ("p", Endpoint::Single(MessageType::Page)),
            ("s", Endpoint::Single(MessageType::Screen)),
            ("g", Endpoint::Single(MessageType::Group)),
            ("a", Endpoint::Single(MessageType::Alias)),
            ("b", Endpoint::Batch),
            ("batch", Endpoint::Batch),
            ("import", Endpoint::Batch),
        ] {
            assert_eq!(
                Endpoint::from_path_segment(segment),
                Some(expected),
                "{segment}"
            );
        }
        assert_eq!(Endpoint::from_path_segment("v1"), None);
    }
}
