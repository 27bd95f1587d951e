//! eventscope's core: everything that knows no terminal. The collector (`collector`, `server`)
//! turns HTTP calls into frames; the `hub` sequences, records (`recording`) and streams them
//! (`stream`); `inspect` judges messages, `filter` selects them, `forward` sends them to
//! destinations, and `entry` makes viewer rows of them. `model` holds the messages and frames
//! they all share. The `eventscope` binary (its `cli` and `tui`) is built on this crate; the
//! compiler keeps the terminal out of here.

pub mod budget;
pub mod bus;
pub mod collector;
pub mod config;
pub mod diff;
pub mod entry;
pub mod filter;
pub mod forward;
pub mod hub;
pub mod identity;
pub mod inspect;
pub mod model;
pub mod recording;
pub mod relay;
pub mod routing;
pub mod server;
pub mod stream;
pub mod warehouse;

/// Every TLS client here (reqwest for destinations and the proxy, `wss://` streams) uses rustls
/// with ring. Installed once per process; a second call does nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
