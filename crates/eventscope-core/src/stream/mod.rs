//! The live stream over websockets: the `/v1/stream` route, and the client that `tail` and the
//! TUI use to follow a stream (reconnect, resume, dedupe), which also reads plain sources.

pub mod client;
mod origin;
mod server;

pub use origin::is_allowed_origin;
pub use server::{
    DEAD_AFTER, Keepalive, PING_EVERY, StreamAccess, TokenError, check_token, routes,
};
