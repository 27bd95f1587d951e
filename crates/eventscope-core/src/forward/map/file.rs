//! `file`: NDJSON appended to `path`, one message per line, bytes as captured (a message
//! spread over several lines is re-encoded on one). The request is a pseudo-request —
//! method `APPEND`, URL `file:///abs/path` — that the engine performs as an append, so that
//! previews, deliveries and `--dry-run` show it like any other.

use super::Prepared;
use crate::forward::Request;
use crate::forward::destination::Destination;

pub(super) fn requests(destination: &Destination, prepared: &[Prepared<'_>]) -> Vec<Request> {
    prepared
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
