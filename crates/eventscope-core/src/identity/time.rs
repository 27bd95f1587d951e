//! When a message happened, for the graph's limit windows and first/last seen.

use chrono::{DateTime, Utc};

use crate::model::json::Json;

/// The message's `timestamp`, else when the collector received it (`received_at`, RFC 3339),
/// else now.
pub fn observed_at(message: &Json<'_>, received_at: &str) -> DateTime<Utc> {
    message
        .get("timestamp")
        .and_then(Json::as_str)
        .and_then(parse)
        .or_else(|| parse(received_at))
        .unwrap_or_else(Utc::now)
}

fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
