//! `R`: post messages again into a collector — the embedded one, or the one behind a remote
//! stream — as new messages (fresh `messageId`s) or the same ones, at their own times or moved
//! to now.
//!
//! The collector rewrites `timestamp` from `sentAt` (clock-skew correction), so a replayed
//! message carries no `sentAt`: its `timestamp` is then taken as it is. `receivedAt` is the
//! collector's to set and is dropped too. Moving to now shifts every message by the same
//! amount, so the newest lands on now and the spacing between them (a funnel, a session)
//! stays.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use super::forward::Picked;
use eventscope_core::model::{
    DeliveryFrame, FieldValue, PREVIEW_BYTES, RequestPreview, ResponsePreview, format_timestamp,
    mask_secret, parse_timestamp,
};

/// Batches stay under the collector's 500 KB cap (and its 500-message habit).
const BATCH_BYTES: usize = 400 * 1024;
const BATCH_MESSAGES: usize = 500;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where replayed messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorTarget {
    /// `http://127.0.0.1:8707/v1/batch`.
    pub batch_url: String,
    /// Sent as Basic auth when the collector only accepts some keys.
    pub write_key: Option<String>,
}

/// The collector behind a stream URL: `ws://host:port/v1/stream` → `http://host:port/v1/batch`.
pub fn collector_for_stream(url: &str) -> Option<String> {
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
    Some(format!("{scheme}://{authority}/v1/batch"))
}

/// The messages as they are posted again.
pub fn rewrite(
    messages: &[Picked],
    new_ids: bool,
    to_now: bool,
    now: DateTime<Utc>,
) -> Vec<String> {
    let shift = if to_now {
        messages
            .iter()
            .filter_map(|m| timestamp_of(&m.text))
            .max()
            .map(|newest| now - newest)
    } else {
        None
    };
    messages
        .iter()
        .map(|picked| {
            let Ok(fields) = serde_json::from_str::<Fields>(&picked.text) else {
                return picked.text.to_string();
            };
            let mut out = Vec::with_capacity(fields.0.len() + 1);
            let mut has_id = false;
            for (key, value) in fields.0 {
                match key.as_str() {
                    "sentAt" | "receivedAt" => {}
                    "messageId" if new_ids => {
                        has_id = true;
                        out.push((key, new_message_id()));
                    }
                    "timestamp" | "originalTimestamp" if shift.is_some() => {
                        let moved = serde_json::from_str::<String>(value.get())
                            .ok()
                            .and_then(|t| parse_timestamp(&t))
                            .zip(shift)
                            .and_then(|(t, shift)| t.checked_add_signed(shift));
                        let json = match moved {
                            Some(t) => FieldValue::string(&format_timestamp(t)).json().to_string(),
                            None => value.get().to_string(),
                        };
                        out.push((key, json));
                    }
                    _ => out.push((key, value.get().to_string())),
                }
            }
            if new_ids && !has_id {
                out.push(("messageId".into(), new_message_id()));
            }
            let mut text = String::from("{");
            for (i, (key, value)) in out.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(FieldValue::string(key).json());
                text.push(':');
                text.push_str(value);
            }
            text.push('}');
            text
        })
        .collect()
}

fn new_message_id() -> String {
    FieldValue::string(&format!("es-replay-{}", uuid::Uuid::new_v4()))
        .json()
        .to_string()
}

fn timestamp_of(text: &str) -> Option<DateTime<Utc>> {
    let fields = eventscope_core::model::ObjectFields::parse(text).ok()?;
    fields
        .get_string("timestamp")
        .or_else(|| fields.get_string("originalTimestamp"))
        .and_then(|t| parse_timestamp(&t))
}

/// A JSON object's fields in order, values raw (what `ObjectFields` keeps, owned, so fields
/// can be dropped).
struct Fields(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

/// `{"batch":[…]}` bodies under the collector's limits.
fn batches(messages: &[String]) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < messages.len() {
        let mut body = String::from("{\"batch\":[");
        let mut end = start;
        while end < messages.len()
            && end - start < BATCH_MESSAGES
            && (end == start || body.len() + messages[end].len() + 2 < BATCH_BYTES)
        {
            if end > start {
                body.push(',');
            }
            body.push_str(&messages[end]);
            end += 1;
        }
        body.push_str("]}");
        out.push((body, start..end));
        start = end;
    }
    out
}

/// Posts the messages in batches; one delivery per batch, in order.
pub async fn send(
    target: &CollectorTarget,
    picked: &[Picked],
    messages: Vec<String>,
) -> Vec<DeliveryFrame> {
    let client = match eventscope_core::forward::http_client_builder()
        .timeout(TIMEOUT)
        .user_agent(concat!(
            "eventscope/",
            env!("CARGO_PKG_VERSION"),
            " (replay)"
        ))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            return vec![DeliveryFrame {
                at: format_timestamp(Utc::now()),
                destination: "collector".into(),
                kind: "replay".into(),
                error: Some(format!("cannot start the HTTP client: {e}")),
                ..DeliveryFrame::default()
            }];
        }
    };
    let mut out = Vec::new();
    for (body, range) in batches(&messages) {
        out.push(post(&client, target, &picked[range.clone()], body).await);
    }
    out
}

async fn post(
    client: &reqwest::Client,
    target: &CollectorTarget,
    picked: &[Picked],
    body: String,
) -> DeliveryFrame {
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let mut request = client
        .post(&target.batch_url)
        .header("Content-Type", "application/json");
    if let Some(key) = &target.write_key {
        request = request.basic_auth(key, Some(""));
        headers.push((
            "Authorization".into(),
            format!("Basic {}", mask_secret(key)),
        ));
    }
    let mut frame = DeliveryFrame {
        destination: "collector".into(),
        kind: "replay".into(),
        for_seqs: picked.iter().filter_map(|p| p.seq).collect(),
        message_ids: picked
            .iter()
            .filter_map(|p| {
                eventscope_core::model::ObjectFields::parse(&p.text)
                    .ok()?
                    .get_string("messageId")
            })
            .collect(),
        request: RequestPreview {
            method: "POST".into(),
            url: target.batch_url.clone(),
            headers,
            body: eventscope_core::model::cut_to(&body, PREVIEW_BYTES).to_string(),
            body_bytes: body.len() as u64,
        },
        attempts: 1,
        ..DeliveryFrame::default()
    };
    let started = Instant::now();
    match request.body(body).send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter(|(name, _)| name.as_str() == "content-type")
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let (body, body_bytes) =
                eventscope_core::forward::engine::read_capped(&mut response, PREVIEW_BYTES)
                    .await
                    .unwrap_or_default();
            let text = String::from_utf8_lossy(&body);
            frame.status = Some(status);
            frame.ok = (200..300).contains(&status);
            frame.response = Some(ResponsePreview {
                headers,
                body: eventscope_core::model::cut_to(&text, PREVIEW_BYTES).to_string(),
                body_bytes,
            });
        }
        Err(e) => {
            frame.error = Some(if e.is_timeout() {
                format!("timeout after {}s", TIMEOUT.as_secs())
            } else if e.is_connect() {
                "connection refused".into()
            } else {
                e.to_string()
            });
        }
    }
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    frame.latency_ms = elapsed;
    frame.total_ms = elapsed;
    frame.at = format_timestamp(Utc::now());
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(text: &str) -> Picked {
        Picked {
            seq: Some(1),
            text: text.into(),
        }
    }

    #[test]
    fn stream_urls_lead_to_their_collector() {
        assert_eq!(
            collector_for_stream("ws://10.0.0.2:8707/v1/stream?since=3").as_deref(),
            Some("http://10.0.0.2:8707/v1/batch")
        );
        assert_eq!(
            collector_for_stream("wss://scope.example.com").as_deref(),
            Some("https://scope.example.com/v1/batch")
        );
        assert_eq!(collector_for_stream("file:///x"), None);
    }

    #[test]
    fn kept_ids_and_times_drop_only_what_the_collector_sets() {
        let text = r#"{"type":"track","event":"A","messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z","sentAt":"2026-11-22T10:00:01.000Z","receivedAt":"2026-11-22T10:00:02.000Z","properties":{"x":1}}"#;
        let out = rewrite(&[picked(text)], false, false, Utc::now());
        assert_eq!(
            out[0],
            r#"{"type":"track","event":"A","messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z","properties":{"x":1}}"#
        );
    }

    #[test]
    fn new_ids_and_moved_times_keep_the_spacing() {
        let a = r#"{"event":"A","messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z"}"#;
        let b = r#"{"event":"B","timestamp":"2026-11-22T10:00:05.000Z","originalTimestamp":"2026-11-22T10:00:04.000Z"}"#;
        let now = parse_timestamp("2027-01-01T00:00:00.000Z").unwrap();
        let out = rewrite(&[picked(a), picked(b)], true, true, now);
        let a: serde_json::Value = serde_json::from_str(&out[0]).unwrap();
        let b: serde_json::Value = serde_json::from_str(&out[1]).unwrap();
        assert_eq!(a["timestamp"], "2026-12-31T23:59:55.000Z");
        assert_eq!(b["timestamp"], "2027-01-01T00:00:00.000Z");
        assert_eq!(b["originalTimestamp"], "2026-12-31T23:59:59.000Z");
        assert!(a["messageId"].as_str().unwrap().starts_with("es-replay-"));
        assert_ne!(a["messageId"], "m1");
        assert!(b["messageId"].as_str().unwrap().starts_with("es-replay-"));
        assert!(
            out[0].starts_with(r#"{"event":"A","messageId":"#),
            "order kept"
        );
    }

    #[test]
    fn batches_stay_under_the_limits() {
        let big = format!(r#"{{"x":"{}"}}"#, "y".repeat(100 * 1024));
        let messages: Vec<String> = (0..9).map(|_| big.clone()).collect();
        let parts = batches(&messages);
        assert!(parts.len() >= 3);
        assert!(parts.iter().all(|(body, _)| body.len() < 500 * 1024));
        assert_eq!(parts.iter().map(|(_, r)| r.len()).sum::<usize>(), 9);
        let small: Vec<String> = (0..1200).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
        let parts = batches(&small);
        assert_eq!(parts.len(), 3);
        let first: serde_json::Value = serde_json::from_str(&parts[0].0).unwrap();
        assert_eq!(first["batch"].as_array().unwrap().len(), 500);
    }
}
