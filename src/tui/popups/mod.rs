//! Popups as components, one file each (after gitui's `src/popups/*.rs`): a popup's state, the
//! actions it answers (`handle`), the key hints it shows (its `HELP`, filled in from the key
//! map) and `draw`. `App::mode` holds the open one; `App::update` hands it its actions.

pub mod forward;
pub mod help;
pub mod replay;

pub use forward::ForwardPopup;
pub use help::HelpOverlay;
pub use replay::ReplayPopup;
