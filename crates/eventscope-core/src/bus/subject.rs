//! The subject a frame is published on: `evs.<src>.<type>.<d1>.<d2>`.
//!
//! - `src`: a short hash of the write key (never the key: subjects show in monitoring and
//!   ACLs); [`NO_KEY`] for requests without one.
//! - `type`: the call type (`track`, `identify`, `page`, `screen`, `group`, `alias`);
//!   [`OTHER`] for any other value (event names and unknown types never reach a subject:
//!   they are unbounded and may hold `.`, `*` or `>`); [`REJECTED`] and [`DELIVERY`] for
//!   those frames.
//! - `d1.d2`: two decimal digits of a hash of the userId, else the anonymousId, so that one
//!   filter (`evs.S.*.3.*` for 10 %, `evs.S.*.3.7` for 1 %) samples the same people on every
//!   connection; [`NO_PERSON`] for frames about no person (rejected requests, deliveries).
//!
//! The hashes are fixed here (SHA-1, FNV-1a), not the process's: every collector, of every
//! version, must put a person and a key on the same subject.

use sha1::{Digest, Sha1};

/// Every subject starts with this token; the stream captures `evs.>`.
pub const PREFIX: &str = "evs";
/// `src` of a request that carried no write key.
pub const NO_KEY: &str = "nokey";
/// `type` of a message whose type is not one of Segment's six calls.
pub const OTHER: &str = "other";
/// `type` of a `rejected` frame.
pub const REJECTED: &str = "rejected";
/// `type` of a `delivery` frame.
pub const DELIVERY: &str = "delivery";
/// `d1.d2` of a frame about no person.
pub const NO_PERSON: &str = "x.x";

/// Segment's calls: the only message types that become a subject token of their own.
const CALLS: [&str; 6] = ["track", "identify", "page", "screen", "group", "alias"];

/// Every `type` token a subject can have.
pub const TYPES: [&str; 9] = [
    "track", "identify", "page", "screen", "group", "alias", OTHER, REJECTED, DELIVERY,
];

/// `src`: the first 10 hex digits of SHA-1 of the write key (40 bits: collisions between a
/// team's sources are negligible, and the key cannot be read back from it).
pub fn source_token(write_key: Option<&str>) -> String {
    match write_key {
        Some(key) if !key.is_empty() => {
            let digest = Sha1::digest(key.as_bytes());
            hex::encode(&digest[..5])
        }
        _ => NO_KEY.to_string(),
    }
}

/// `type` for a message's `type` field.
pub fn type_token(message_type: Option<&str>) -> &'static str {
    message_type
        .and_then(|t| CALLS.iter().find(|call| **call == t))
        .copied()
        .unwrap_or(OTHER)
}

/// `d1.d2` for a person (the userId, else the anonymousId).
pub fn person_digits(person: Option<&str>) -> String {
    match person {
        Some(id) if !id.is_empty() => {
            let n = fnv1a(id.as_bytes()) % 100;
            format!("{}.{}", n / 10, n % 10)
        }
        _ => NO_PERSON.to_string(),
    }
}

/// `evs.<src>.<type>.<d1>.<d2>`.
pub fn subject(src: &str, type_token: &str, digits: &str) -> String {
    format!("{PREFIX}.{src}.{type_token}.{digits}")
}

/// FNV-1a, 64 bits: stable across builds and platforms, unlike the std hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_a_short_hash_never_the_key() {
        let key = "wk_live_0123456789abcdef";
        let token = source_token(Some(key));
        assert_eq!(token.len(), 10);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!token.contains("wk_live") && !key.contains(&token));
        assert_eq!(token, source_token(Some(key)), "stable");
        assert_ne!(token, source_token(Some("wk_live_other")));
        assert_eq!(source_token(None), NO_KEY);
        assert_eq!(source_token(Some("")), NO_KEY);
    }

    #[test]
    fn types_are_the_six_calls_or_other() {
        for call in CALLS {
            assert_eq!(type_token(Some(call)), call);
        }
        for odd in ["Track", "my.event", "*", ">", "", "batch"] {
            assert_eq!(type_token(Some(odd)), OTHER, "{odd}");
        }
        assert_eq!(type_token(None), OTHER);
    }

    #[test]
    fn digits_are_stable_per_person_and_spread() {
        let d = person_digits(Some("user-42"));
        assert_eq!(d, person_digits(Some("user-42")));
        let (d1, d2) = d.split_once('.').unwrap();
        assert!(d1.len() == 1 && d2.len() == 1 && d1.parse::<u8>().is_ok());
        assert_eq!(person_digits(None), NO_PERSON);
        assert_eq!(person_digits(Some("")), NO_PERSON);
        // A fixed hash: these values are a contract between collectors and relays.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        // 10 000 people land on every first digit, each about 10 % of them.
        let mut buckets = [0u32; 10];
        for i in 0..10_000 {
            let d = person_digits(Some(&format!("anon-{i}")));
            buckets[usize::from(d.as_bytes()[0] - b'0')] += 1;
        }
        assert!(
            buckets.iter().all(|n| (800..1200).contains(n)),
            "{buckets:?}"
        );
    }

    #[test]
    fn subjects_have_five_tokens_and_no_wildcards() {
        let s = subject(
            &source_token(Some("k")),
            type_token(Some("track")),
            &person_digits(Some("u")),
        );
        let tokens: Vec<&str> = s.split('.').collect();
        assert_eq!(tokens.len(), 5, "{s}");
        assert_eq!(tokens[0], "evs");
        assert_eq!(tokens[2], "track");
        assert!(!s.contains(['*', '>', ' ']));
        assert_eq!(
            subject("nokey", REJECTED, NO_PERSON),
            "evs.nokey.rejected.x.x"
        );
    }
}
