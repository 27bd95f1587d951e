//! `segment`: `POST {endpoint}/v1/batch` with `{"batch":[…],"sentAt":…}` and Basic auth
//! (`write_key:`), which Segment, RudderStack and another eventscope all accept. Messages
//! go as captured (their own `sentAt`, `timestamp` and `messageId` kept); the batch's
//! `sentAt` is the time of mapping (left out when `Destination::stamp_sent_at` is off: replays
//! into a collector). Batches stay under Segment's 500 KB cap.

use serde_json::Value;

use super::request::{chunks, joined_url, json_array, json_headers, json_string};
use super::{Mapper, Skipped, Staged};
use crate::forward::Request;
use crate::forward::destination::{Credentials, Destination};
use crate::model::{DeliveryNote, format_timestamp};

/// Segment refuses batches over 500 KB.
const MAX_BODY_BYTES: usize = 500 * 1000;

pub(crate) const MAPPER: Mapper = Mapper {
    requests,
    url,
    basic_user,
    notes,
};

/// Every message goes, as captured.
fn requests(
    destination: &Destination,
    staged: &mut [Staged<'_>],
    _skipped: &mut Vec<(usize, Skipped)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Request> {
    let items: Vec<_> = staged
        .iter()
        .map(|p| (p.carried.clone(), p.text()))
        .collect();
    let sent_at = if destination.stamp_sent_at {
        format!(",\"sentAt\":{}", json_string(&format_timestamp(now)))
    } else {
        String::new()
    };
    chunks(&items, destination.batch_size, MAX_BODY_BYTES - 64)
        .into_iter()
        .map(|chunk| {
            let texts: Vec<String> = chunk.iter().map(|(_, t)| t.clone()).collect();
            let body = format!("{{\"batch\":{}{sent_at}}}", json_array(&texts));
            Request {
                method: "POST".to_string(),
                url: destination.url.clone(),
                headers: json_headers(destination),
                body: body.into_bytes(),
                carries: chunk.iter().map(|(c, _)| c.clone()).collect(),
            }
        })
        .collect()
}

fn url(base: &str, _credentials: &Credentials, _debug: bool) -> String {
    joined_url(base, "/v1/batch", &[])
}

/// The write key.
fn basic_user(credentials: &Credentials) -> Option<String> {
    credentials.write_key.clone()
}

/// `{"success":false,"code":"…","message":"…"}` (eventscope's collector, Segment's API).
fn notes(json: &Value) -> Vec<DeliveryNote> {
    if json.get("success").and_then(Value::as_bool) != Some(false) {
        return Vec::new();
    }
    vec![DeliveryNote {
        path: String::new(),
        code: json
            .get("code")
            .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
            .unwrap_or_default(),
        message: super::fields::error_text(json).unwrap_or_else(|| "refused".to_string()),
    }]
}
