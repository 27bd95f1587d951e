//! eventscope: a terminal source debugger and live event inspector for Segment-style events.
//!
//! This crate is the terminal side: `cli` (the commands) and `tui` (the viewer). Everything that
//! knows no terminal lives in `eventscope-core` and is re-exported here under the same paths,
//! so `eventscope::model` and `eventscope_core::model` are one module.

pub use eventscope_core::{
    budget, bus, collector, config, diff, entry, filter, forward, hub, identity, inspect,
    install_tls_provider, model, recording, routing, server, stream, warehouse,
};

pub mod cli;
pub mod tui;
