//! eventscope: a terminal source debugger and live event inspector for Segment-style events.
//!
//! The core knows no terminal: `model`, `hub`, `collector`, `stream` and `recording` are
//! plain library modules; `cli` is a thin layer over them.

pub mod budget;
pub mod cli;
pub mod collector;
pub mod config;
pub mod filter;
pub mod forward;
pub mod hub;
pub mod inspect;
pub mod model;
pub mod recording;
pub mod server;
pub mod stream;
pub mod tui;

/// Every TLS client here (reqwest for destinations and the proxy, `wss://` streams) uses rustls
/// with ring. Installed once per process; a second call does nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
