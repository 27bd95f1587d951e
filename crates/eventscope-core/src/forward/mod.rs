//! Forwarding: send messages to test destinations and record exactly what they answered.
//!
//! - `destination`: the `[[destination]]` tables of `eventscope.toml` (kinds, credentials with
//!   `env:VAR`, headers, transform, batching, timeouts) and secret masking.
//! - `map`: one mapper per kind, pure: messages in, the HTTP requests a destination gets out.
//! - `engine`: sends requests (batching, concurrency, timeouts, retries with backoff and
//!   `Retry-After`) and reports a [`Delivery`] per request.
//! - `replay`: what a message becomes when it is sent again (ids, timestamps, `sentAt`), for
//!   `eventscope replay` and the viewer's `R`, and the collector as a destination.
//!
//! Nothing here knows the terminal; the TUI, `replay` and the proxy all drive the engine.

pub mod destination;
pub mod engine;
pub mod map;
pub mod replay;

use serde::Serialize;

pub use destination::{Destination, DestinationError, DestinationKind};

/// An HTTP request a destination will get: built by a mapper, sent by the engine, shown in
/// the forward preview (through [`Destination::mask`] so secrets stay hidden).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    /// In the order they are sent; `Content-Type` included.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The messages this request carries, as `(seq, messageId)`; seq 0 when unknown
    /// (a file without frames).
    pub carries: Vec<Carried>,
}

/// One message carried by a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Carried {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl Request {
    /// The body as text, for previews (invalid UTF-8 replaced).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A message on its way out — forwarded, replayed or sent to a destination: its JSON as
/// captured (or edited) and, when it came from a stream or a recording of frames, its seq.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub seq: Option<u64>,
    pub message: Box<serde_json::value::RawValue>,
}

impl Outgoing {
    /// `text` as an outgoing message; an error when it is not JSON.
    pub fn from_text(seq: Option<u64>, text: &str) -> Result<Outgoing, serde_json::Error> {
        Ok(Outgoing {
            seq,
            message: serde_json::value::RawValue::from_string(text.to_string())?,
        })
    }

    /// The message's JSON text.
    pub fn text(&self) -> &str {
        self.message.get()
    }
}

/// The same seq and the same JSON text.
impl PartialEq for Outgoing {
    fn eq(&self, other: &Outgoing) -> bool {
        self.seq == other.seq && self.text() == other.text()
    }
}

impl Eq for Outgoing {}

/// The HTTP client settings every outgoing request of eventscope starts from: rustls with
/// ring (reqwest is built without a default crypto provider, so it is installed here once; a
/// second install fails harmlessly), our User-Agent, no redirects followed silently, and no
/// proxy from the environment (destinations under test are often on loopback).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    crate::install_tls_provider();
    reqwest::Client::builder()
        .user_agent(concat!("eventscope/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
}
