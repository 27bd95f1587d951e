//! Reading Segment messages: paths, identities and timestamps, tolerant of odd shapes (a
//! number where a string was expected, a missing object) — a mapper never fails on a value.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What the pipeline needs from every message before deciding whether to parse it fully.
pub(super) struct LightIds {
    pub(super) is_object: bool,
    pub(super) message_id: Option<String>,
}

/// Reads `messageId` without building the message's value: the pass-through kinds
/// (webhook, segment, file) never need more.
pub(super) fn light_ids(raw: &str) -> LightIds {
    #[derive(Deserialize)]
    struct Ids<'a> {
        #[serde(rename = "messageId", borrow, default)]
        message_id: Option<std::borrow::Cow<'a, str>>,
    }
    // `messageId` of another type does not make the message unusable.
    #[derive(Deserialize)]
    struct Any {}
    match serde_json::from_str::<Ids<'_>>(raw) {
        Ok(ids) => LightIds {
            is_object: true,
            message_id: ids.message_id.map(|id| id.into_owned()),
        },
        Err(_) => LightIds {
            is_object: serde_json::from_str::<Any>(raw).is_ok()
                && raw.trim_start().starts_with('{'),
            message_id: None,
        },
    }
}

/// The value at `path` (object keys).
pub(super) fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut v = value;
    for key in path {
        v = v.as_object()?.get(*key)?;
    }
    (!v.is_null()).then_some(v)
}

/// A non-empty string at `path`.
pub(super) fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    at(value, path)?.as_str().filter(|s| !s.is_empty())
}

/// An identity (`userId`, `anonymousId`…): a non-empty string, or a number as text (some
/// SDKs send numeric ids).
pub(super) fn id_at(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `userId`, else `anonymousId`.
pub(super) fn user_or_anonymous(value: &Value) -> Option<String> {
    id_at(value, "userId").or_else(|| id_at(value, "anonymousId"))
}

/// `type`, lowercased (`track` when missing, as the collector's single-call paths imply
/// nothing else).
pub(super) fn message_type(value: &Value) -> String {
    value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// The message's `timestamp` (the event time, corrected by the collector when it could).
pub(super) fn timestamp(value: &Value) -> Option<DateTime<Utc>> {
    value
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(crate::model::parse_timestamp)
}

/// `Viewed {name}` for page and screen calls, as Segment's Amplitude and Mixpanel presets
/// name them; `Loaded a Page`/`Loaded a Screen` without a name (the classic integrations'
/// wording).
pub(super) fn viewed_name(value: &Value, kind: &str) -> String {
    match str_at(value, &["name"]).or_else(|| str_at(value, &["properties", "name"])) {
        Some(name) => format!("Viewed {name}"),
        None => format!("Loaded a {kind}"),
    }
}

/// Inserts `value` under `key` when present (and not null).
pub(super) fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value
        && !value.is_null()
    {
        map.insert(key.to_string(), value);
    }
}

/// Inserts a copy of the value at `path` of `message` under `key`, when present.
pub(super) fn copy(map: &mut Map<String, Value>, key: &str, message: &Value, path: &[&str]) {
    put(map, key, at(message, path).cloned());
}

/// The error text of a vendor's JSON answer, if it has one.
pub(super) fn error_text(json: &Value) -> Option<String> {
    ["error", "message", "detail", "error_description"]
        .iter()
        .find_map(|k| json.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn light_ids_reads_message_id_and_shape() {
        let ids = light_ids(r#"{"type":"track","messageId":"m1","properties":{"a":[1,2]}}"#);
        assert!(ids.is_object);
        assert_eq!(ids.message_id.as_deref(), Some("m1"));
        let ids = light_ids(r#"{"messageId":42}"#);
        assert!(ids.is_object);
        assert_eq!(ids.message_id, None);
        assert!(!light_ids("[1,2]").is_object);
        assert!(!light_ids("\"text\"").is_object);
    }

    #[test]
    fn ids_accept_numbers_and_skip_blanks() {
        let m = json!({"userId": 42, "anonymousId": " "});
        assert_eq!(id_at(&m, "userId").as_deref(), Some("42"));
        assert_eq!(id_at(&m, "anonymousId"), None);
        assert_eq!(
            user_or_anonymous(&json!({"anonymousId": "a-1"})).as_deref(),
            Some("a-1")
        );
    }

    #[test]
    fn page_names() {
        assert_eq!(viewed_name(&json!({"name": "Home"}), "Page"), "Viewed Home");
        assert_eq!(viewed_name(&json!({}), "Page"), "Loaded a Page");
    }
}
