//! The filter language: free text, `field:value` terms, negation, `or`, and jq expressions
//! (via jaq). Pure: no I/O, no terminal.

/// What a filter can look at in one captured frame. The TUI's store implements it.
pub trait Filterable {
    /// What free-text terms search: the message JSON for events, the body for rejected requests.
    fn text(&self) -> &str;
    /// `track`, `identify`…; `None` for rejected requests.
    fn message_type(&self) -> Option<&str>;
    /// `event` for track, `name` for page and screen.
    fn event_name(&self) -> Option<&str>;
    fn user_id(&self) -> Option<&str>;
    fn anonymous_id(&self) -> Option<&str>;
    fn message_id(&self) -> Option<&str>;
    /// The masked write key (`abcd…wxyz`).
    fn write_key(&self) -> Option<&str>;
    fn is_rejected(&self) -> bool;
}
