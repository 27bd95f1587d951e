//! MessageIds stamped into prepared requests: `lat-` and 8 digits for the latency parts (the
//! subscriber reads the number back on arrival), and `bus-` and 12 digits, different for every
//! message sent, where a bus would store a repeated messageId once.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::{batch_body, now_iso, post_request};
use crate::common::{BATCH_MESSAGES, fixture_messages};
use crate::generator::Requests;

const LATENCY_ID_PREFIX: &str = "lat-";
/// Unique ids: this prefix and [`UNIQUE_DIGITS`] digits.
pub const UNIQUE_ID_PREFIX: &str = "bus-";
pub const UNIQUE_DIGITS: usize = 12;
/// Ids each [`Stamped`] source may use before it would run into the next one's.
const IDS_PER_SOURCE: u64 = 100_000_000;

/// A message with its `messageId` replaced by `prefix` and `digits` zeros, and where those
/// digits are.
fn template(message: &str, prefix: &str, digits: usize) -> (String, usize) {
    const KEY: &str = r#""messageId":""#;
    let start = message.find(KEY).expect("fixture message has a messageId") + KEY.len();
    let end = start + message[start..].find('"').expect("closed messageId");
    let text = format!(
        "{}{prefix}{}{}",
        &message[..start],
        "0".repeat(digits),
        &message[end..]
    );
    (text, start + prefix.len())
}

/// A message with its `messageId` replaced by `lat-` and 8 zeros, and where those digits are.
pub fn id_template(message: &str) -> (String, usize) {
    template(message, LATENCY_ID_PREFIX, 8)
}

pub fn parse_latency_id(text: &str) -> Option<u32> {
    const KEY: &str = r#""messageId":"lat-"#;
    let at = text.find(KEY)? + KEY.len();
    text.get(at..at + 8)?.parse().ok()
}

/// Writes `id` as `digits.len()` decimal digits, zero-padded.
pub fn write_digits(digits: &mut [u8], mut id: u64) {
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (id % 10) as u8;
        id /= 10;
    }
}

/// Where each message's id digits are in a prepared request.
struct Slotted {
    request: Vec<u8>,
    slots: Vec<usize>,
}

/// The fixture's bodies (100 messages each) as requests to `addr`, every message's id made
/// unique at each send: a source takes a fresh range of ids (never reused within the process),
/// so a bus's duplicate window never drops one.
pub struct Stamped {
    requests: Vec<Slotted>,
    next_request: usize,
    next_id: u64,
}

/// Ranges of ids handed out so far.
static SOURCES: AtomicU64 = AtomicU64::new(0);

impl Stamped {
    /// A source whose first request is the fixture's body `first` (so that connections start
    /// at different bodies, as the ingest bench's do).
    pub fn new(addr: SocketAddr, first: usize) -> Stamped {
        let sent_at = now_iso();
        let templates: Vec<(String, usize)> = fixture_messages()
            .into_iter()
            .map(|m| template(m, UNIQUE_ID_PREFIX, UNIQUE_DIGITS))
            .collect();
        let requests: Vec<Slotted> = templates
            .chunks(BATCH_MESSAGES)
            .filter(|chunk| chunk.len() == BATCH_MESSAGES)
            .map(|chunk| {
                let texts: Vec<&str> = chunk.iter().map(|(text, _)| text.as_str()).collect();
                let request = post_request(addr, "/v1/batch", &batch_body(&texts, &sent_at));
                // Each message's digits, found in order in the request (a message's id is
                // the first `"messageId":"bus-` after the previous message's).
                let mut slots = Vec::with_capacity(chunk.len());
                let mut from = 0;
                let key = format!(r#""messageId":"{UNIQUE_ID_PREFIX}"#);
                for _ in chunk {
                    let at = from
                        + find(&request[from..], key.as_bytes()).expect("a stamped messageId")
                        + key.len();
                    slots.push(at);
                    from = at;
                }
                Slotted { request, slots }
            })
            .collect();
        Stamped {
            next_request: first % requests.len().max(1),
            requests,
            next_id: fresh_ids(),
        }
    }

    /// How many different bodies it cycles through.
    pub fn bodies(&self) -> usize {
        self.requests.len()
    }
}

/// The first of a range of ids no other caller in this process gets.
pub fn fresh_ids() -> u64 {
    SOURCES.fetch_add(1, Ordering::Relaxed) * IDS_PER_SOURCE
}

impl Requests for Stamped {
    fn next(&mut self) -> &[u8] {
        let i = self.next_request % self.requests.len();
        self.next_request += 1;
        let slotted = &mut self.requests[i];
        for &at in &slotted.slots {
            write_digits(&mut slotted.request[at..at + UNIQUE_DIGITS], self.next_id);
            self.next_id += 1;
        }
        &slotted.request
    }
}

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
