//! Popups (and the filter bar) as components, one file each (after gitui's `src/popups/*.rs`):
//! its state, what it answers (`handle`), the key hints it shows (its `HELP`, filled in from
//! the key map) and `draw`. `App::mode` holds the open one; `App::update` hands it its
//! actions (the filter bar reads text, through `App::filter_key`).

pub mod filter;
pub mod forward;
pub mod help;
pub mod person;
pub mod replay;
pub mod summary;
mod summary_routing;
pub mod write;

pub use filter::FilterBar;
pub use forward::ForwardPopup;
pub use help::HelpOverlay;
pub use person::PersonView;
pub use replay::ReplayPopup;
pub use summary::SummaryView;
pub use write::WritePrompt;
