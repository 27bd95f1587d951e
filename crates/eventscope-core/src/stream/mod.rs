//! The live stream over websockets: the `/v1/stream` route, and the client that `tail` and the
//! TUI use to follow a stream (reconnect, resume, dedupe), which also reads plain sources; and
//! the same route served from the bus by a relay.

pub mod client;
mod feed;
mod origin;
mod relay;
mod server;
mod source;

pub(crate) use feed::Feeds;
pub use feed::{FeedReport, RING, RING_BYTES};
pub use origin::is_allowed_origin;
pub(crate) use relay::relay_routes;
pub use server::{
    DEAD_AFTER, Keepalive, PING_EVERY, StreamAccess, TokenError, check_token, routes,
};
