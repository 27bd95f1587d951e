//! Reading one line or websocket text as a stream frame, or as plain Segment data.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{DeliveryFrame, EventFrame, Frame, GapFrame, Hello, RejectedFrame};

/// What a line of text turned out to be.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // frames are moved once, not stored in bulk
pub enum Incoming {
    /// An eventscope stream frame.
    Frame(Frame),
    /// Plain data: a bare Segment message, or the items of a `{"batch":[…]}` object.
    Messages(Vec<Box<RawValue>>),
}

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("not JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("a JSON {0}, expected an object (a stream frame, a Segment message or a batch)")]
    NotAnObject(&'static str),
    #[error("a {kind} frame that does not fit its shape: {source}")]
    BadFrame {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("`batch` is not an array of objects")]
    BadBatch,
}

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    batch: Option<&'a RawValue>,
}

/// Classifies and parses `text`.
pub fn parse_frame_text(text: &str) -> Result<Incoming, WireError> {
    let text = text.trim();
    let kind = match fast_type(text) {
        Some(kind) => Some(Cow::Borrowed(kind)),
        None => {
            let peek: Peek = serde_json::from_str(text).map_err(|e| classify(text, e))?;
            if let Some(batch) = peek.batch.filter(|_| peek.kind.is_none()) {
                let items: Vec<&RawValue> =
                    serde_json::from_str(batch.get()).map_err(|_| WireError::BadBatch)?;
                if items.iter().any(|item| !item.get().starts_with('{')) {
                    return Err(WireError::BadBatch);
                }
                return Ok(Incoming::Messages(
                    items.into_iter().map(ToOwned::to_owned).collect(),
                ));
            }
            peek.kind
        }
    };
    fn frame<'a, T: Deserialize<'a>>(kind: &'static str, text: &'a str) -> Result<T, WireError> {
        serde_json::from_str(text).map_err(|source| WireError::BadFrame { kind, source })
    }
    let parsed = match kind.as_deref() {
        Some("event") => Frame::Event(frame::<EventFrame>("event", text)?),
        Some("rejected") => Frame::Rejected(frame::<RejectedFrame>("rejected", text)?),
        Some("gap") => Frame::Gap(frame::<GapFrame>("gap", text)?),
        Some("hello") => Frame::Hello(frame::<Hello>("hello", text)?),
        Some("delivery") => Frame::Delivery(frame::<DeliveryFrame>("delivery", text)?),
        _ => {
            let message: Box<RawValue> =
                serde_json::from_str(text).map_err(|e| classify(text, e))?;
            if !message.get().starts_with('{') {
                return Err(WireError::NotAnObject(json_kind(text)));
            }
            return Ok(Incoming::Messages(vec![message]));
        }
    };
    Ok(Incoming::Frame(parsed))
}

/// Our own frames start with `{"type":"…"`; read that without a parse.
fn fast_type(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("{\"type\":\"")?;
    let end = rest.find('"')?;
    let kind = &rest[..end];
    matches!(kind, "event" | "rejected" | "gap" | "hello" | "delivery").then_some(kind)
}

fn classify(text: &str, e: serde_json::Error) -> WireError {
    if e.classify() == serde_json::error::Category::Data {
        WireError::NotAnObject(json_kind(text))
    } else {
        WireError::Json(e)
    }
}

fn json_kind(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_frame_kind() {
        let event = r#"{"type":"event","seq":7,"receivedAt":"2026-11-22T00:00:00.000Z","source":{"path":"/v1/track"},"message":{"type":"track","event":"A"}}"#;
        match parse_frame_text(event).unwrap() {
            Incoming::Frame(Frame::Event(f)) => {
                assert_eq!(f.seq, 7);
                assert_eq!(f.message.get(), r#"{"type":"track","event":"A"}"#);
            }
            other => panic!("{other:?}"),
        }
        let gap = r#"{"type":"gap","from":1,"to":9,"reason":"evicted"}"#;
        assert!(matches!(
            parse_frame_text(gap).unwrap(),
            Incoming::Frame(Frame::Gap(GapFrame { from: 1, to: 9, .. }))
        ));
        let hello =
            r#"{"version":1,"type":"hello","server":"eventscope/0","lastSeq":3,"oldestSeq":1}"#;
        assert!(matches!(
            parse_frame_text(hello).unwrap(),
            Incoming::Frame(Frame::Hello(_))
        ));
    }

    #[test]
    fn reads_plain_messages_and_batches() {
        match parse_frame_text(r#"{"type":"track","event":"A"}"#).unwrap() {
            Incoming::Messages(m) => assert_eq!(m.len(), 1),
            other => panic!("{other:?}"),
        }
        match parse_frame_text(r#"{"batch":[{"type":"track"},{"type":"page"}],"sentAt":"x"}"#)
            .unwrap()
        {
            Incoming::Messages(m) => assert_eq!(m[1].get(), r#"{"type":"page"}"#),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        assert!(matches!(
            parse_frame_text("[1,2]"),
            Err(WireError::NotAnObject("array"))
        ));
        assert!(matches!(
            parse_frame_text("{\"a\""),
            Err(WireError::Json(_))
        ));
        assert!(matches!(
            parse_frame_text(r#"{"batch":[1]}"#),
            Err(WireError::BadBatch)
        ));
        assert!(matches!(
            parse_frame_text(r#"{"type":"event","seq":"x"}"#),
            Err(WireError::BadFrame { kind: "event", .. })
        ));
    }
}
