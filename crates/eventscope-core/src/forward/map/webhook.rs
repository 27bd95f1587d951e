//! `webhook`: the message as captured, as Segment's webhooks send it.
//!
//! - One message per request by default, the body exactly the message's bytes. With
//!   `batch_size` > 1 the body is a JSON array of the messages.
//! - `Content-Type: application/json`, `User-Agent: Segment.io/1.0` (what Segment sends, so a
//!   receiver that checks it behaves as in production), then the custom headers.
//! - With `shared_secret`: `X-Signature` = hex HMAC-SHA1(secret, body). For a batch Segment
//!   signs only the **first event**, and so do we: the signature is over the first message's
//!   bytes, not the array.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::request::{base_url, json_array, no_basic_user, no_notes};
use super::{Mapper, Skipped, Staged};
use crate::forward::Request;
use crate::forward::destination::Destination;

pub(crate) const MAPPER: Mapper = Mapper {
    requests,
    url: base_url,
    basic_user: no_basic_user,
    // The status says it all; an error text in the body becomes the note of a failure.
    notes: no_notes,
};

/// Every message goes (a webhook skips none); batches of `batch_size`.
fn requests(
    destination: &Destination,
    staged: &mut [Staged<'_>],
    _skipped: &mut Vec<(usize, Skipped)>,
    _now: chrono::DateTime<chrono::Utc>,
) -> Vec<Request> {
    let size = destination.batch_size.max(1);
    staged
        .chunks(size)
        .map(|chunk| {
            let texts: Vec<String> = chunk.iter().map(Staged::text).collect();
            let body = if size == 1 {
                texts[0].clone()
            } else {
                json_array(&texts)
            };
            let mut headers = vec![
                ("Content-Type".to_string(), "application/json".to_string()),
                ("User-Agent".to_string(), "Segment.io/1.0".to_string()),
            ];
            if let Some(secret) = &destination.credentials.shared_secret {
                headers.push((
                    "X-Signature".to_string(),
                    signature(secret, texts[0].as_bytes()),
                ));
            }
            Request {
                method: destination.method.as_str().to_string(),
                url: destination.url.clone(),
                headers,
                body: body.into_bytes(),
                carries: chunk.iter().map(|p| p.carried.clone()).collect(),
            }
        })
        .collect()
}

/// Hex HMAC-SHA1 of `body` keyed with `secret`.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 2202 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
