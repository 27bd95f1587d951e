//! The terminal UI: state, actions, the event loop and views over a stream of frames.

pub mod action;
pub mod app;
pub mod console;
pub mod deliveries;
pub mod delivery_query;
pub mod feed;
pub mod forward;
pub mod glyphs;
pub mod highlight;
pub mod jq;
pub mod keys;
pub mod marks;
pub mod person;
pub mod popups;
pub mod publish;
pub mod replay;
pub mod rules;
pub mod run;
pub mod schema;
pub mod sql;
pub mod store;
pub mod summary;
pub mod text;
pub mod theme;
pub mod views;
pub mod warehouse;
