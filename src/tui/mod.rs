//! The terminal UI: state, actions, the event loop and views over a stream of frames.

pub mod highlight;
pub mod theme;
