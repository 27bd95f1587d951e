//! A JSON object kept as its top-level fields with raw values.
//!
//! The collector adds a few top-level fields (`receivedAt`, `messageId`, …) to every message.
//! Parsing the whole tree into `serde_json::Value` and writing it back would cost more than the
//! rest of ingestion together; this keeps each value as the exact text that was sent, in order,
//! and only the fields we touch are parsed.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::compact::{JsonProblem, compact};

/// One field value: borrowed raw JSON text, or JSON text we produced.
#[derive(Debug, Clone)]
pub enum FieldValue<'a> {
    Raw(&'a RawValue),
    Json(String),
}

impl FieldValue<'_> {
    /// The value as JSON text.
    pub fn json(&self) -> &str {
        match self {
            FieldValue::Raw(raw) => raw.get(),
            FieldValue::Json(text) => text,
        }
    }

    /// The value as a string, if it is a JSON string.
    pub fn as_string(&self) -> Option<String> {
        let text = self.json();
        if !text.starts_with('"') {
            return None;
        }
        serde_json::from_str::<String>(text).ok()
    }

    /// A JSON string value.
    pub fn string(s: &str) -> FieldValue<'static> {
        let mut out = String::with_capacity(s.len() + 2);
        push_json_string(&mut out, s);
        FieldValue::Json(out)
    }

    pub fn is_object(&self) -> bool {
        self.json().starts_with('{')
    }
}

/// A JSON object's top-level fields in their original order.
#[derive(Debug, Clone, Default)]
pub struct ObjectFields<'a> {
    fields: Vec<(Cow<'a, str>, FieldValue<'a>)>,
}

impl<'a> ObjectFields<'a> {
    /// Parses `text`, which must be a JSON object. Values are validated, not built.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The value of `key` (the last one, if the object repeats it, as JSON parsers do).
    pub fn get(&self, key: &str) -> Option<&FieldValue<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn get_string(&self, key: &str) -> Option<String> {
        self.get(key).and_then(FieldValue::as_string)
    }

    /// Replaces the value of `key` in place, or appends it.
    pub fn set(&mut self, key: &'static str, value: FieldValue<'a>) {
        match self.fields.iter_mut().rev().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = value,
            None => self.fields.push((Cow::Borrowed(key), value)),
        }
    }

    /// Removes every `key` field; whether there was one.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|(k, _)| k != key);
        self.fields.len() != before
    }

    /// Checks every value against the readers' grammar and removes insignificant whitespace
    /// from those that have some (see `model::compact`); the object itself is level 1.
    pub fn compact_values(&mut self) -> Result<(), JsonProblem> {
        for (_, value) in &mut self.fields {
            if let FieldValue::Raw(raw) = value
                && let Some(compacted) = compact(raw.get(), 1)?
            {
                *value = FieldValue::Json(compacted);
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Appends the object as compact JSON to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(out, key);
            out.push(':');
            out.push_str(value.json());
        }
        out.push('}');
    }

    pub fn to_json(&self) -> String {
        let size: usize = self
            .fields
            .iter()
            .map(|(key, value)| key.len() + value.json().len() + 4)
            .sum();
        let mut out = String::with_capacity(size + 2);
        self.write_json(&mut out);
        out
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    let needs_escape = s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
    if needs_escape {
        out.push_str(&serde_json::Value::from(s).to_string());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

impl<'de> Deserialize<'de> for ObjectFields<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = ObjectFields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(key) = map.next_key_seed(CowKey)? {
            let value: &'de RawValue = map.next_value()?;
            fields.push((key, FieldValue::Raw(value)));
        }
        Ok(ObjectFields { fields })
    }
}

/// Deserializes a key borrowing from the input when it has no escapes.
struct CowKey;

impl<'de> DeserializeSeed<'de> for CowKey {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for CowKey {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_raw_text_and_round_trips() {
        let text = r#"{"b":1,"a":{"x": [1, 2]},"c":"é\n"}"#;
        let fields = ObjectFields::parse(text).unwrap();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields.get("a").unwrap().json(), r#"{"x": [1, 2]}"#);
        assert_eq!(fields.to_json(), r#"{"b":1,"a":{"x": [1, 2]},"c":"é\n"}"#);
    }

    #[test]
    fn set_replaces_in_place_or_appends() {
        let mut fields = ObjectFields::parse(r#"{"a":1,"b":2}"#).unwrap();
        fields.set("a", FieldValue::string("x\"y"));
        fields.set("z", FieldValue::Json("true".into()));
        assert_eq!(fields.to_json(), r#"{"a":"x\"y","b":2,"z":true}"#);
    }

    #[test]
    fn escaped_keys_are_written_back_escaped() {
        let fields = ObjectFields::parse(r#"{"a\"b":1}"#).unwrap();
        let out = fields.to_json();
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["a\"b"], 1);
    }

    #[test]
    fn non_objects_are_refused_as_data_errors() {
        for text in ["[1]", "\"x\"", "3", "null"] {
            let err = ObjectFields::parse(text).unwrap_err();
            assert_eq!(err.classify(), serde_json::error::Category::Data, "{text}");
        }
        let err = ObjectFields::parse("{\"a\":").unwrap_err();
        assert_ne!(err.classify(), serde_json::error::Category::Data);
    }

    #[test]
    fn get_string_reads_only_strings() {
        let fields = ObjectFields::parse(r#"{"s":"v","n":1}"#).unwrap();
        assert_eq!(fields.get_string("s").as_deref(), Some("v"));
        assert_eq!(fields.get_string("n"), None);
    }
}
