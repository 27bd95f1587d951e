//! `file`: NDJSON appended to `path`, one message per line, bytes as captured (a message
//! spread over several lines is re-encoded on one). The request is a pseudo-request —
//! method `APPEND`, URL `file:///abs/path` — that the engine performs as an append, so that
//! previews, deliveries and `--dry-run` show it like any other.

use super::request::{base_url, no_basic_user, no_notes};
use super::{Mapper, Skipped, Staged};
use crate::forward::Request;
use crate::forward::destination::Destination;

pub(crate) const MAPPER: Mapper = Mapper {
    requests,
    // The destination's URL is already `file:///abs/path`.
    url: base_url,
    basic_user: no_basic_user,
    notes: no_notes,
};

/// Every message goes; `batch_size` lines per append.
fn requests(
    destination: &Destination,
    staged: &mut [Staged<'_>],
    _skipped: &mut Vec<(usize, Skipped)>,
    _now: chrono::DateTime<chrono::Utc>,
) -> Vec<Request> {
    staged
        .chunks(destination.batch_size.max(1))
        .map(|chunk| {
            let mut body = String::new();
            for item in chunk {
                body.push_str(&item.text());
                body.push('\n');
            }
            Request {
                method: "APPEND".to_string(),
                url: destination.url.clone(),
                headers: vec![(
                    "Content-Type".to_string(),
                    "application/x-ndjson".to_string(),
                )],
                body: body.into_bytes(),
                carries: chunk.iter().map(|p| p.carried.clone()).collect(),
            }
        })
        .collect()
}
