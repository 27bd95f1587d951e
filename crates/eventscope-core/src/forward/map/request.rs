//! The pieces mappers build their requests from: batches cut to the vendor's caps, JSON
//! texts, the JSON headers with Basic auth, and the request URL.

use serde_json::Value;

use super::{Mapping, Skipped, Staged};
use crate::forward::destination::{Credentials, Destination};
use crate::forward::{Carried, Request};

/// Vendors whose request is a list of events: map each message, then cut the list into
/// requests of at most `batch_size` events and `max_bytes` bytes.
pub(super) fn vendor_requests(
    destination: &Destination,
    staged: &mut [Staged<'_>],
    skipped: &mut Vec<(usize, Skipped)>,
    event: fn(&Destination, &Value) -> Mapping<Value>,
    body: fn(&Destination, &[String]) -> Vec<u8>,
    max_bytes: usize,
) -> Vec<Request> {
    let mut events: Vec<(Carried, String)> = Vec::with_capacity(staged.len());
    for item in staged.iter_mut() {
        match event(destination, item.value()) {
            Mapping::Item(value) => events.push((item.carried.clone(), value.to_string())),
            Mapping::Skip(reason) => {
                skipped.push((item.index, Skipped::new(item.carried.clone(), reason)))
            }
        }
    }
    chunks(&events, destination.batch_size, max_bytes)
        .into_iter()
        .map(|chunk| {
            let texts: Vec<String> = chunk.iter().map(|(_, t)| t.clone()).collect();
            Request {
                method: "POST".to_string(),
                url: destination.url.clone(),
                headers: json_headers(destination),
                body: body(destination, &texts),
                carries: chunk.iter().map(|(c, _)| c.clone()).collect(),
            }
        })
        .collect()
}

/// Consecutive runs of at most `max_count` items whose texts (plus a comma each) stay
/// within `max_bytes`; an item over the cap alone still gets a request of its own (the
/// vendor's answer then says why it is refused).
pub(super) fn chunks<T>(
    items: &[(Carried, T)],
    max_count: usize,
    max_bytes: usize,
) -> Vec<&[(Carried, T)]>
where
    T: AsRef<str>,
{
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (_, text)) in items.iter().enumerate() {
        let len = text.as_ref().len() + 1;
        let count = i - start;
        if count > 0 && (count >= max_count.max(1) || bytes + len > max_bytes) {
            out.push(&items[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += len;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// `[a,b,c]` from JSON texts.
pub(super) fn json_array(texts: &[String]) -> String {
    let len = texts.iter().map(|t| t.len() + 1).sum::<usize>() + 2;
    let mut out = String::with_capacity(len);
    out.push('[');
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(text);
    }
    out.push(']');
    out
}

/// A JSON string literal.
pub(super) fn json_string(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// `eventscope/0.1.0`.
pub(super) fn user_agent() -> String {
    format!("eventscope/{}", env!("CARGO_PKG_VERSION"))
}

/// `Content-Type: application/json` and our `User-Agent`, plus Basic auth where the kind
/// uses it.
pub(super) fn json_headers(destination: &Destination) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".to_string(), user_agent()),
    ];
    if let Some(user) = super::basic_user(destination) {
        headers.push(("Authorization".to_string(), basic_auth(&user)));
    }
    headers
}

/// `Basic base64(user:)`.
pub(super) fn basic_auth(user: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:"))
    )
}

/// For kinds without Basic auth.
pub(super) fn no_basic_user(_credentials: &Credentials) -> Option<String> {
    None
}

/// For kinds whose table gives the whole URL (`endpoint`, or the file's `file://` URL).
pub(super) fn base_url(base: &str, _credentials: &Credentials, _debug: bool) -> String {
    base.to_string()
}

/// `base` with the kind's `path` and `query` pairs. A base that already ends with the path
/// (or has a query of its own) is used as is, with the pairs appended.
pub(super) fn joined_url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let trimmed = base.trim_end_matches('/');
    let mut url = if trimmed.ends_with(path.trim_end_matches('/')) || base.contains('?') {
        base.to_string()
    } else {
        format!("{trimmed}{path}")
    };
    if !query.is_empty()
        && let Ok(mut parsed) = reqwest::Url::parse(&url)
    {
        {
            let mut pairs = parsed.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url = parsed.to_string();
    }
    url
}

/// For kinds that read nothing from an answer's body (their status says it all).
pub(super) fn no_notes(_json: &Value) -> Vec<crate::model::DeliveryNote> {
    Vec::new()
}
